"""A small HAND-MADE district for the annual-return tests (tests/test_finalize.py, tests/test_yearly_marts.py).

Every community of the register (the 60 of ``seeds/communities.csv``) reports every quarter of 2019 and 2020 and
2021Q1 (a partial year).  Each community ``c`` has one enterprise ``E<c>`` (USCC ``91…``, 20 employees, operating,
fixed premises, so in U and in B) whose own Party branch ``PO-<c>`` (党支部, 单独组建) has 3 formal members, opening
3 and closing 3 every quarter — so every annual rule holds and the verdict of 2019 and 2020 is 可以上报.

Totals by hand (60 communities × 3 members): 表一 总计 上年底总数 = 本年底实有数 = 180, no flows; 表二 单位数 = 60,
其中：列入党建基数的 = 60, 已单独建立 = 60 (建立支部的 60); 表九 总计 60 党支部.

Extras live in community ``SPECIAL`` = 330199001001 (金桥社区, 东湖街道) only in the tests that ask for them
(``extras=True``): see :data:`EXTRA_DOC`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

import dbt_fixture as fx
from liangxin import forms

D = dt.date
REPO = Path(__file__).resolve().parents[1]
COMMUNITIES = [
    line.split(",")[0]
    for line in (REPO / "seeds" / "communities.csv").read_text(encoding="utf-8").splitlines()[1:]
    if line.strip()
]
SPECIAL = "330199001001"
QUARTERS = [f"{y}Q{q}" for y in (2019, 2020) for q in (1, 2, 3, 4)] + ["2021Q1"]

_QEND = {1: (4, 10), 2: (7, 10), 3: (10, 10), 4: (1, 10)}

EXTRA_DOC = """
Extras in SPECIAL (330199001001), 2020 only:
- PO-MIX (党支部, 单独组建, 4 formal): covers enterprise M1 (单独建立) in Q1–Q3; in Q4 it covers social
  organizations S1 and S2 (民办非企业单位, 挂靠) plus enterprise M1 — 2 social vs 1 enterprise, so its 2020 category
  is 社会组织 for the whole year.  Flows: Q1 opening 0, transferred in 3 (closing 3); Q2 developed 1 (3 → 4);
  Q3, Q4 4 → 4.  => 表一 社会组织 row 2020: 上年底总数 0, 发展党员 1, 转入 3, 本年底实有数 4 (all its members in one row).
- PO-JNT (联合党支部, 联合组建, 2 formal, established 2020-01-01, in all 2020 quarters, opening 0 closing 2 in Q1 by
  transfer in 2, then 2 → 2): covers enterprise J1 (联合建立, 1 formal) and social organization J2 (社会团体, 联合建立,
  1 formal) in Q4 => 表二 联合党组织数 1, 表三 联合党组织数 1, 表九 联合党组织 总数 1, 其中同时覆盖两类的 1
  (A8: 1 + 1 − 1 = 1).
- PO-NEW (党支部, 单独组建, established 2020-11-01, only in the Q4 return, 3 formal, study_sessions 0; opening 0
  closing 3 by transfer in 3): never existed for a whole quarter => not counted in 表六 每季度学习达标的 (no vacuous
  pass); enterprise N1 (单独建立) points to it.
"""


def _received(period: str, corr: int = 0) -> dt.datetime:
    y, q = int(period[:4]), int(period[5])
    m, d = _QEND[q]
    return dt.datetime(y + (1 if q == 4 else 0), m, d, 9) + dt.timedelta(hours=corr)


def sid(unit: str, period: str, corr: int = 0) -> str:
    return f"{unit}-{period}-c{corr}"


def submission(unit: str, period: str, corr: int = 0, received: dt.datetime | None = None) -> dict:
    r = received or _received(period, corr)
    return fx._sub(sid(unit, period, corr), unit, period, corr, "accepted", r.date(), r)


def regular_return(unit: str, period: str, closing: int = 3, opening: int = 3, developed: int = 0) -> dict:
    """One community's regular return: enterprise E<unit> with its own branch PO-<unit>."""
    q = int(period[5])
    annual = dict(investor_trained=False, inspection_result="合格", double_strong=False) if q == 4 else {}
    units = [
        fx._u(
            f"91330199{unit[-6:]}0000E",
            f"E{unit}",
            employees=20,
            members_formal=closing,
            party_status="单独建立",
            party_org_code=f"PO-{unit}",
            **annual,
        )
    ]
    pos = [
        fx._po(
            f"PO-{unit}",
            D(2010, 1, 1),
            closing,
            f"S-{unit}",
            general_meetings=1,
            study_sessions=1,
            **({"org_life_meeting": True, "appraisal_held": True} if q == 4 else {}),
        )
    ]
    mfs = [fx._mf(f"PO-{unit}", opening, closing, developed=developed)]
    return dict(organizations=units, party_orgs=pos, member_flows=mfs)


def extra_rows(period: str) -> dict:
    """The SPECIAL community's extra rows of one 2020 quarter (see EXTRA_DOC)."""
    if not period.startswith("2020"):
        return {}
    q = int(period[5])
    annual = dict(investor_trained=False, inspection_result="合格", double_strong=False) if q == 4 else {}
    units, pos, mfs = [], [], []
    units.append(
        fx._u(
            "91330199MIX00001M1",
            "M1",
            employees=20,
            members_formal=4,
            party_status="单独建立",
            party_org_code="PO-MIX",
            **annual,
        )
    )
    if q == 4:
        units += [
            fx._u(
                "52330199MIX00002S1",
                "S1",
                org_category="民办非企业单位",
                control_type=None,
                employees=5,
                party_status="挂靠",
                party_org_code="PO-MIX",
                **annual,
            ),
            fx._u(
                "52330199MIX00003S2",
                "S2",
                org_category="民办非企业单位",
                control_type=None,
                employees=5,
                party_status="挂靠",
                party_org_code="PO-MIX",
                **annual,
            ),
        ]
    pos.append(fx._po("PO-MIX", D(2015, 1, 1), 4 if q >= 2 else 3, "S-MIX", general_meetings=1, study_sessions=1))
    mfs.append(
        fx._mf(
            "PO-MIX",
            {1: 0, 2: 3}.get(q, 4),
            3 if q == 1 else 4,
            developed=1 if q == 2 else 0,
            transferred_in=3 if q == 1 else 0,
        )
    )
    # joint branch covering one enterprise and one social organization
    units += [
        fx._u(
            "91330199JNT00001J1",
            "J1",
            employees=8,
            members_formal=1,
            party_status="联合建立",
            party_org_code="PO-JNT",
            **annual,
        ),
        fx._u(
            "51330199JNT00002J2",
            "J2",
            org_category="社会团体",
            control_type=None,
            employees=4,
            members_formal=1,
            party_status="联合建立",
            party_org_code="PO-JNT",
            **annual,
        ),
    ]
    pos.append(
        fx._po(
            "PO-JNT",
            D(2020, 1, 1),
            2,
            "S-JNT",
            org_type="联合党支部",
            formation_mode="联合组建",
            general_meetings=1,
            study_sessions=1,
        )
    )
    mfs.append(fx._mf("PO-JNT", 0 if q == 1 else 2, 2, transferred_in=2 if q == 1 else 0))
    if q == 4:
        units.append(
            fx._u(
                "91330199NEW00001N1",
                "N1",
                employees=12,
                members_formal=3,
                party_status="单独建立",
                party_org_code="PO-NEW",
                **annual,
            )
        )
        pos.append(fx._po("PO-NEW", D(2020, 11, 1), 3, "S-NEW", general_meetings=1, study_sessions=0))
        mfs.append(fx._mf("PO-NEW", 0, 3, transferred_in=3))
    return dict(organizations=units, party_orgs=pos, member_flows=mfs)


def world(
    extras: bool = False, quarters=QUARTERS, only: dict[int, list[str]] | None = None
) -> tuple[list[dict], dict[str, dict]]:
    """Every community's regular returns of ``quarters`` (``only``: year -> the communities reporting that year)."""
    subs, data = [], {}
    for period in quarters:
        for unit in (only or {}).get(int(period[:4]), COMMUNITIES):
            s = submission(unit, period)
            subs.append(s)
            ret = regular_return(unit, period)
            if extras and unit == SPECIAL:
                for k, rows in extra_rows(period).items():
                    ret[k] = ret.get(k, []) + rows
            data[s["submission_id"]] = ret
    return subs, data


def _tables() -> dict[str, list[tuple[str, str]]]:
    tables = {"submissions": fx.SUBMISSION_COLUMNS, "rule_hits": fx.RULE_HIT_COLUMNS}
    for f in forms.DATA_FORMS:
        tables[f.key] = [(c, t) for c, t, _ in forms.raw_columns(f)]
    return tables


def _bulk(con, table: str, cols: list[tuple[str, str]], rows: list[dict]) -> None:
    if not rows:
        return
    names = [c for c, _ in cols]
    for r in rows:
        unknown = set(r) - set(names)
        assert not unknown, f"{table}: unknown columns {unknown}"
    con.executemany(
        f"insert into {table} ({', '.join(names)}) values ({', '.join('?' for _ in names)})",
        [[r.get(n) for n in names] for r in rows],
    )


def write(db_path: Path, subs: list[dict], data: dict[str, dict], create: bool = True) -> None:
    """Create raw.* (when ``create``) and append the submissions with their rows."""
    tables = _tables()
    con = duckdb.connect(str(db_path))
    try:
        if create:
            con.execute("create schema if not exists raw")
            for name, cols in tables.items():
                con.execute(f"create table raw.{name} ({', '.join(f'{c} {t}' for c, t in cols)})")
        _bulk(con, "raw.submissions", tables["submissions"], subs)
        by_id = {s["submission_id"]: s for s in subs}
        rows: dict[str, list[dict]] = {}
        for s_id, content in data.items():
            s = by_id[s_id]
            for key, items in content.items():
                f = forms.FORMS_BY_KEY[key]
                lineage = dict(
                    submission_id=s_id,
                    unit_code=s["unit_code"],
                    period=s["period"],
                    correction_no=s["correction_no"],
                    source_sheet=f.sheet,
                )
                rows.setdefault(key, []).extend(dict(lineage, source_row=i + 2, **r) for i, r in enumerate(items))
        for key, items in rows.items():
            _bulk(con, f"raw.{key}", tables[key], items)
    finally:
        con.close()


def correction(
    unit: str, period: str, corr: int, received: dt.datetime, closing: int, developed: int, opening: int = 3
) -> tuple[list[dict], dict[str, dict]]:
    """A correction of one community's regular return (closing changed through 发展党员)."""
    s = submission(unit, period, corr, received)
    s["correction_reason"] = "更正期末党员数"
    return [s], {
        s["submission_id"]: regular_return(unit, period, closing=closing, opening=opening, developed=developed)
    }
