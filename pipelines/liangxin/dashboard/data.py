"""The dashboard's data: everything the page embeds, read from the serving snapshot (``liangxin.dashboard``).

``load_dashboard_data(serve_db)`` opens the snapshot read-only (``connect_readonly``) and returns plain, JSON-able
Python: the indicator values of every entity (district, streets, communities) and period, the bulletin (单建率通报)
and the should-form worklist (应建未建) per quarter, the reporting coverage (已报 N/M) of every entity and period
from the mart ``fct_reporting_coverage`` (computed from the community rows of ``fct_indicators`` when the mart is
absent; a period below the threshold is 不完整 and the default period is the latest complete quarter, D130, D131),
the 待更正 and K6b worklists and the years with an annual page.  Rendering is ``liangxin.dashboard.render``.

Input: the fixed names and columns of the serving contract (``liangxin.contract``, decisions D140):
``marts.fct_indicators`` (long table of indicator values), ``ref.indicators``, ``ref.communities``, ``ref.streets``
(required); ``marts.kpi_bulletin`` (computed from ``fct_indicators`` when absent), ``marts.kpi_worklist_should_form``
(the section says so when absent), ``ref.development_quotas`` (only used when ``fct_indicators`` has no K7q rows),
``marts.fct_reporting_coverage`` and ``ref.dashboard_parameters`` (see above), ``marts.kpi_pending_corrections``
(the 待更正 worklist of rule P6), ``marts.kpi_worklist_no_mass_org`` (the K6b units by name) and
``annual.rpt_annual_verdict`` (the years that get a link to the annual page ``annual-<year>.html``).  A table may be
absent from a partial snapshot (tests build small ones); a column is never guessed.  ``null_reason`` in
``fct_indicators`` (revision 2: '未采集' for a field the template version lacks) is shown instead of "—".
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from liangxin import contract as lx
from liangxin.neutral import clean_text, scrub_ids
from liangxin.periods import PERIOD_RE, previous_period
from liangxin.serving import connect_readonly

FONT_STACK = '"Noto Sans CJK SC", "Microsoft YaHei", sans-serif'


#: the headline cards, in display order; K9 is yearly (the year of the selected quarter)
HEADLINE = ("K1", "K2", "K3", "K4", "K7q", "K9", "M")
#: the second row of cards: indicators of spec revision 2 (shown when the indicator seed has them)
WORK_CARDS = ("K6b", "K7e", "K7f", "K7g", "K18d", "K18e", "K21", "K22", "K22w", "K23", "K24")
YEARLY_HEADLINE = frozenset({"K9"})

REQUIRED_TABLES = (lx.FCT_INDICATORS, lx.REF_INDICATORS, lx.REF_COMMUNITIES, lx.REF_STREETS)

#: share of the register that must have reported for a period to count as complete, when neither the mart
#: fct_reporting_coverage nor the seed dashboard_parameters says otherwise (D130)
DEFAULT_COVERAGE_THRESHOLD = 1.0
NOT_COLLECTED = "未采集"

K3B_CATEGORY_ZH = {
    "k3b_joint": "联合中应单建",
    "joint": "联合中应单建",
    "联合建立": "联合中应单建",
    "挂靠": "联合中应单建",
    "k3b_functional": "功能型",
    "functional": "功能型",
    "功能型": "功能型",
    "k3b_none": "未建立",
    "none": "未建立",
    "none_should": "未建立",
    "未建立": "未建立",
}


def _text(v: Any) -> str | None:
    """Submitted text for the embedded data: control characters out, overlong text cut, ID-shaped strings hidden.
    The page's script escapes it for HTML (``esc``) when it is shown."""
    return scrub_ids(clean_text(v)) if v is not None else None


class DashboardDataError(RuntimeError):
    """The snapshot lacks something the dashboard needs (message in Chinese)."""


# ---------------------------------------------------------------------------------------------------------
# table lookup


def find_table(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """The quoted fixed name ``schema.table`` of the contract when the open snapshot has it, else None."""
    return lx.quoted(name) if lx.present(con, name) else None


def resolve_table(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """Like :func:`find_table` but a missing table is an error with a Chinese message naming it."""
    found = find_table(con, name)
    if found is None:
        raise DashboardDataError(
            f"服务快照中缺少数据表“{lx.table_of(name)}”（{name}），无法生成领导看板。请先运行 liangxin build（或 liangxin demo）"
            f"完成指标计算并发布服务快照。 / table {name!r} not found in the serving snapshot."
        )
    return found


# ---------------------------------------------------------------------------------------------------------
# value helpers


def _plain(v: Any) -> Any:
    """JSON-friendly scalar: Decimal → float, integral floats → int, NaN → None, dates → ISO strings."""
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, Decimal):
        v = float(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return None
        return int(v) if v.is_integer() and abs(v) < 2**53 else v
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return v


def _truthy(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    return str(v).strip().lower() in ("true", "t", "1", "yes", "y", "是")


# ---------------------------------------------------------------------------------------------------------
# loading


def _load_indicators(con, table: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for d in _rows(con, f"select * from {table}"):
        iid = str(d["indicator_id"])
        tv = d.get("target_value")
        try:
            tv = None if tv in (None, "") else float(tv)
        except (TypeError, ValueError):
            tv = None
        out[iid] = {
            "name": d.get("name_zh") or iid,
            "group": d.get("group_zh") or "",
            "kind": (d.get("kind") or "count"),
            "quarterly": _truthy(d["quarterly"]),
            "yearly": _truthy(d["yearly"]),
            "num_name": d.get("numerator_name") or "",
            "den_name": d.get("denominator_name") or "",
            "target": d.get("target") or "—",
            "target_value": _plain(tv),
            "sort": _plain(_to_float(d.get("sort_order"))),
        }
    return dict(sorted(out.items(), key=lambda kv: (kv[1]["sort"] is None, kv[1]["sort"] or 0, kv[0])))


def _to_float(v: Any) -> float | None:
    try:
        return None if v in (None, "") else float(v)
    except (TypeError, ValueError):
        return None


def _rows(con, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _competition_rank(values: list[tuple[str, float | None]]) -> dict[str, int | None]:
    """Standard competition ranking by value descending (1, 2, 2, 4); NULL values are unranked (None)."""
    ranked = sorted((v for v in values if v[1] is not None), key=lambda kv: -kv[1])
    out: dict[str, int | None] = {code: None for code, v in values if v is None}
    prev, prev_rank = None, 0
    for i, (code, v) in enumerate(ranked, start=1):
        rank = prev_rank if prev is not None and v == prev else i
        out[code] = rank
        prev, prev_rank = v, rank
    return out


BULLETIN_IDS = ("K1", "K2", "K3", "K3b")


def _compute_bulletin(values, communities_order, quarters) -> dict[str, list[dict[str, Any]]]:
    """Bulletin rows from fct_indicators (decisions.md, "Bulletin")."""
    out: dict[str, list[dict[str, Any]]] = {}
    for p in quarters:
        prev = previous_period(p)
        rows = []
        for code in communities_order:
            cur = values.get(code, {}).get(p, {})
            if not any(i in cur for i in BULLETIN_IDS):
                continue
            old = values.get(code, {}).get(prev, {})
            row: dict[str, Any] = {"code": code}
            for i in BULLETIN_IDS:
                v = cur.get(i, [None])[0]
                o = old.get(i, [None])[0]
                row[i] = v
                row[i + "_chg"] = _plain(v - o) if v is not None and o is not None else None
            rows.append(row)
        ranks = _competition_rank([(r["code"], r["K1"]) for r in rows])
        for r in rows:
            r["rank"] = ranks[r["code"]]
        rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0))  # stable: register order within ties
        out[p] = rows
    return out


#: kpi_bulletin's value and change columns of each bulletin indicator (the contract's columns)
BULLETIN_COLUMNS = {
    "K1": ("k1", "k1_change"),
    "K2": ("k2", "k2_change"),
    "K3": ("k3", "k3_change"),
    "K3b": ("k3b", "k3b_change"),
}


def _load_bulletin(con, table: str, communities_order, quarters):
    """Bulletin rows from the mart kpi_bulletin (unit_code, period, k1 … k3b_change, k1_rank)."""
    out: dict[str, list[dict[str, Any]]] = {p: [] for p in quarters}
    for d in _rows(con, f"select * from {table}"):
        p = str(d["period"])
        if p not in out or d["unit_code"] is None:
            continue
        row: dict[str, Any] = {"code": str(d["unit_code"])}
        for i, (value, change) in BULLETIN_COLUMNS.items():
            row[i] = _plain(d[value])
            row[i + "_chg"] = _plain(d[change])
        row["rank"] = _plain(d["k1_rank"])
        out[p].append(row)
    order = {c: i for i, c in enumerate(communities_order)}
    for p, rs in out.items():
        rs.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, order.get(r["code"], 1e9)))
    return out, "table"


def _load_worklist(con, table: str | None) -> tuple[dict[str, list[dict[str, Any]]], str]:
    """The should-form worklist (mart kpi_worklist_should_form) by quarter."""
    if table is None:
        return {}, "absent"
    out: dict[str, list[dict[str, Any]]] = {}
    for d in _rows(con, f"select * from {table}"):
        cat = d["split_category"]
        cat_zh = K3B_CATEGORY_ZH.get(str(cat).strip().lower(), str(cat)) if cat is not None else "—"
        out.setdefault(str(d["period"]), []).append(
            {
                "code": str(d["unit_code"]) if d["unit_code"] is not None else None,
                "cname": _text(d["unit_name"]) if d["unit_name"] is not None else None,
                "uscc": _text(d["uscc"]) if d["uscc"] is not None else "—",
                "org": _text(d["org_name"]) if d["org_name"] is not None else "—",
                "members": _plain(d["members_formal"]),
                "status": _text(d["party_status"]) if d["party_status"] is not None else "—",
                "cat": _text(cat_zh),
            }
        )
    for rs in out.values():
        rs.sort(key=lambda r: (r["code"] or "", r["cat"], r["org"]))
    return out, "table"


def _coverage_threshold(con) -> float:
    """coverage_complete_min from the seed dashboard_parameters, else the default (1 = every community)."""
    t = find_table(con, lx.REF_DASHBOARD_PARAMETERS)
    if t:
        row = con.execute(f"select value from {t} where parameter = 'coverage_complete_min'").fetchone()
        v = _to_float(row[0]) if row else None
        if v is not None:
            return v
    return DEFAULT_COVERAGE_THRESHOLD


def _load_coverage(con, table: str | None, values, community_codes, entities, quarters, years):
    """``{entity: {period: [reported N, expected M, complete 0/1]}}`` and (threshold, source).

    From the mart fct_reporting_coverage when present; otherwise from the community rows of fct_indicators (a
    community has rows for a quarter exactly when it has a current return, K20 aside — D7) over the register."""
    out: dict[str, dict[str, list[int]]] = {}
    if table is not None:
        threshold = None
        for code, period, n, m, complete, t in con.execute(
            "select entity_code, period, reported_communities, expected_communities, is_complete, "
            f"complete_threshold from {table}"
        ).fetchall():
            out.setdefault(str(code), {})[str(period)] = [int(n or 0), int(m or 0), 1 if _truthy(complete) else 0]
            if t is not None:
                threshold = _to_float(t)
        return out, (threshold if threshold is not None else _coverage_threshold(con)), "table"
    threshold = _coverage_threshold(con)
    register = [c for c in community_codes if entities.get(c, {}).get("level") == "community"]
    reported_q: dict[str, set[str]] = {q: set() for q in quarters}
    for code in register:
        for period, ids in values.get(code, {}).items():
            if period in reported_q and any(i != "K20" for i in ids):
                reported_q[period].add(code)
    reported: dict[str, set[str]] = dict(reported_q)
    for y in years:
        qs = [f"{y}Q{k}" for k in range(1, 5)]
        reported[y] = set.intersection(*(reported_q.get(q, set()) for q in qs))
    groups: dict[str, list[str]] = {}
    for code in register:
        groups.setdefault(code, []).append(code)
        street = entities[code].get("street")
        if street:
            groups.setdefault(street, []).append(code)
    district = [c for c, e in entities.items() if e["level"] == "district"]
    for d in district:
        groups[d] = list(register)
    for ent, members in groups.items():
        m = len(members)
        for period, rep in reported.items():
            n = sum(1 for c in members if c in rep)
            out.setdefault(ent, {})[period] = [n, m, 1 if m > 0 and n >= threshold * m - 1e-9 else 0]
    return out, threshold, "computed"


#: the page's keys of the 待更正 list → the columns of the mart kpi_pending_corrections
PENDING_COLUMNS = {
    "code": "unit_code",
    "cname": "unit_name",
    "period": "period",
    "cause": "previous_period",
    "correction": "correction_no",
    "org_code": "party_org_code",
    "org": "party_org_name",
    "opening": "opening_reported",
    "closing": "closing_corrected",
    "diff": "difference",
    "reason": "correction_reason",
}


def _load_pending_corrections(con, table: str | None, name_to_code) -> tuple[list[dict[str, Any]], str]:
    """The 待更正 worklist (audit rule P6, mart kpi_pending_corrections, D95): Party organizations whose opening in
    the current return of quarter q+1 differs from the corrected closing of q.  Every text is cleaned (``_text``)
    and shown escaped."""
    if table is None:
        return [], "absent"
    numeric = {"correction", "opening", "closing", "diff"}
    out = []
    for d in _rows(con, f"select * from {table}"):
        row = {
            k: (None if d[c] is None else _plain(d[c]) if k in numeric else _text(_plain(d[c])))
            for k, c in PENDING_COLUMNS.items()
        }
        if row["code"] is None and row["cname"]:
            row["code"] = name_to_code.get(row["cname"])
        out.append(row)
    out.sort(key=lambda r: (r["period"] or "", r["code"] or "", r["org_code"] or ""), reverse=False)
    return out, "table"


#: the K6b list is long (every covered unit without 工会/共青团/妇联): the page embeds the latest quarters only
NO_MASS_QUARTERS = 4


def _load_no_mass_org(con, table: str | None, quarters: list[str]) -> tuple[dict[str, list[list[Any]]], str]:
    """The K6b worklist by name (mart kpi_worklist_no_mass_org, D96) for the latest ``NO_MASS_QUARTERS`` quarters:
    ``{period: [[community, uscc, name, category, party status, employees], ...]}`` (arrays keep the page small)."""
    if table is None:
        return {}, "absent"
    pick = ("unit_code", "uscc", "org_name", "org_category", "party_status", "employees")
    keep = set(quarters[-NO_MASS_QUARTERS:])
    out: dict[str, list[list[Any]]] = {}
    for d in _rows(con, f"select * from {table}"):
        period = str(d["period"])
        if period not in keep:
            continue
        row = [None if d[c] is None else (_plain(d[c]) if k == 5 else _text(d[c])) for k, c in enumerate(pick)]
        out.setdefault(period, []).append(row)
    for rs in out.values():
        rs.sort(key=lambda r: (r[0] or "", r[2] or ""))
    return out, "table"


def _annual_years(con, out_dir: Path | None) -> list[str]:
    """Years that have an annual page: every year of annual.rpt_annual_verdict (the years the annual outputs,
    the page ``annual-<year>.html`` included, are produced for) and any annual-<year>.html already beside the page."""
    years: set[str] = set()
    t = find_table(con, lx.RPT_ANNUAL_VERDICT)
    if t:
        years |= {str(r[0]) for r in con.execute(f"select distinct year from {t}").fetchall() if r[0] is not None}
    if out_dir is not None and Path(out_dir).is_dir():
        years |= {
            m.group(1)
            for p in Path(out_dir).glob("annual-*.html")
            if (m := re.fullmatch(r"annual-(\d{4})\.html", p.name))
        }
    return sorted(y for y in years if re.fullmatch(r"\d{4}", y))


def default_period(quarters: list[str], coverage: dict[str, dict[str, list[int]]], district: str) -> tuple[str, str]:
    """The page's default quarter: the latest quarter whose district coverage is complete; when no quarter is
    complete, the latest quarter (the page then says that no quarter is complete).  Returns (period, reason)."""
    cov = coverage.get(district, {})
    complete = [q for q in quarters if cov.get(q, [0, 0, 0])[2]]
    if complete:
        return complete[-1], "complete"
    return (quarters[-1] if quarters else ""), "none_complete"


#: a period of the page: a quarter (2026Q3) or a year (2026); rows of any other period are left out (SQL form of
#: ``PERIOD_RE`` or four digits, as the loop below tests them)
_PAGE_PERIOD = r"regexp_full_match(cast(period as varchar), '[0-9][0-9][0-9][0-9](Q[1-4])?')"

#: every indicator cell of ``fct_indicators`` with only the columns a cell needs.  Names, denominator names and
#: snapshot dates repeat on every row of an entity, indicator or period: they are read once, by the statements
#: below, instead of being converted to Python once per row (D221: the loader 0.44 s → 0.33 s on the district demo).
FCT_CELLS_SQL = (
    "select indicator_id, entity_code, cast(period as varchar), cast(value as double), cast(numerator as double), "
    "cast(denominator as double), null_reason from {table}"
)
#: each entity's level and name (the first non-empty name: an entity has one; min makes it deterministic)
FCT_ENTITIES_SQL = (
    "select entity_code, min(level), min(nullif(entity_name, '')) from {table} where " + _PAGE_PERIOD + " group by 1"
)
#: each indicator's denominator name as the fact table gives it (used where the indicator seed has none)
FCT_DEN_NAMES_SQL = (
    "select indicator_id, min(denominator_name) from {table} "
    "where denominator_name is not null and denominator_name <> '' and " + _PAGE_PERIOD + " group by 1"
)
#: the latest snapshot date of each period
FCT_SNAPSHOTS_SQL = (
    "select cast(period as varchar), max(snapshot_date) from {table} where snapshot_date is not null and "
    + _PAGE_PERIOD
    + " group by 1 order by 1"
)


def _period_kind(period: str) -> str | None:
    """The kind of a period: "q" a quarter (2026Q3), "y" a year (2026), None anything else (its rows are left out)."""
    if PERIOD_RE.match(period):
        return "q"
    return "y" if re.fullmatch(r"\d{4}", period) else None


def load_dashboard_data(serve_db: Path | None = None, out_dir: Path | None = None) -> dict[str, Any]:
    """Everything the page embeds, as plain JSON-able Python (also handy for tests and other readers)."""
    con = connect_readonly(serve_db)
    try:
        tables = {name: resolve_table(con, name) for name in REQUIRED_TABLES}
        indicators = _load_indicators(con, tables[lx.REF_INDICATORS])
        fct = tables[lx.FCT_INDICATORS]
        raw = con.execute(FCT_CELLS_SQL.format(table=fct)).fetchall()
        entity_meta = {str(c): (str(lv), n) for c, lv, n in con.execute(FCT_ENTITIES_SQL.format(table=fct)).fetchall()}
        den_names = {str(i): str(n) for i, n in con.execute(FCT_DEN_NAMES_SQL.format(table=fct)).fetchall()}
        snapshots = {str(p): str(_plain(s)) for p, s in con.execute(FCT_SNAPSHOTS_SQL.format(table=fct)).fetchall()}
        communities = _rows(con, f"select * from {tables[lx.REF_COMMUNITIES]}")
        streets = _rows(con, f"select * from {tables[lx.REF_STREETS]}")

        values: dict[str, dict[str, dict[str, list[Any]]]] = {}
        quarters: set[str] = set()
        years: set[str] = set()
        kinds: dict[str, str | None] = {}
        for iid, code, period, value, num, den, reason in raw:
            code, period = str(code), str(period)
            kind = kinds.get(period, "")
            if kind == "":  # each distinct period is tested once, not once per row
                kind = kinds[period] = _period_kind(period)
                if kind == "q":
                    quarters.add(period)
                elif kind == "y":
                    years.add(period)
            if kind is None:
                continue
            cell = [_plain(value), _plain(num), _plain(den)]
            if value is None and reason == NOT_COLLECTED:  # the template version of the return lacks the field
                cell.append(str(reason))
            values.setdefault(code, {}).setdefault(period, {})[str(iid)] = cell
        # entities in the order of their first cell; level and name are one per entity (FCT_ENTITIES_SQL)
        entities: dict[str, dict[str, Any]] = {}
        for code in values:
            level, name = entity_meta.get(code, ("community", None))
            entities[code] = {"level": level, "name": name}
        for iid, dn in den_names.items():
            if iid in indicators and not indicators[iid]["den_name"]:
                indicators[iid]["den_name"] = dn

        street_order = {
            str(s["street_code"]): i
            for i, s in enumerate(
                sorted(streets, key=lambda s: (_to_float(s.get("sort_order")) or 0, str(s["street_code"])))
            )
        }
        street_names = {str(s["street_code"]): s["street_name"] for s in streets}
        comm_sorted = sorted(
            communities,
            key=lambda c: (
                street_order.get(str(c["street_code"]), 1e9),
                _to_float(c.get("sort_order")) or 0,
                str(c["unit_code"]),
            ),
        )
        for c in comm_sorted:
            code = str(c["unit_code"])
            ent = entities.setdefault(code, {"level": "community", "name": c["unit_name"]})
            ent.update(
                name=ent["name"] or c["unit_name"],
                street=str(c["street_code"]),
                street_name=c.get("street_name") or street_names.get(str(c["street_code"])),
            )
        for s in streets:
            if str(s["street_code"]) in entities:
                ent = entities[str(s["street_code"])]
                ent["name"] = ent["name"] or s["street_name"]
        for code, ent in entities.items():
            ent["name"] = ent["name"] or code
        district = sorted((c for c, e in entities.items() if e["level"] == "district"), key=str)
        if not district:
            raise DashboardDataError(
                "数据表 fct_indicators 中没有全区（level = 'district'）的指标行，无法生成领导看板。"
            )
        district_code = district[0]
        community_codes = [str(c["unit_code"]) for c in comm_sorted]
        community_codes += sorted(
            c for c, e in entities.items() if e["level"] == "community" and c not in community_codes
        )
        street_codes = sorted(
            (c for c, e in entities.items() if e["level"] == "street"), key=lambda c: (street_order.get(c, 1e9), c)
        )
        qs = sorted(quarters)
        ys = sorted(years | {q[:4] for q in qs})
        name_to_code = {entities[c]["name"]: c for c in community_codes}

        # K7q quota fallback: the development_quotas seed summed over the register (decisions D10)
        if not any("K7q" in per for per in values.get(district_code, {}).values()):
            qt = find_table(con, lx.REF_DEVELOPMENT_QUOTAS)
            if qt:
                for y, quota in con.execute(
                    f"select cast(year as varchar), sum(quota) from {qt} group by 1"
                ).fetchall():
                    for q in qs:
                        if q.startswith(str(y)):
                            values[district_code].setdefault(q, {}).setdefault("K7q", [None, None, _plain(quota)])

        bt = find_table(con, lx.KPI_BULLETIN)
        if bt:
            bulletin, bulletin_source = _load_bulletin(con, bt, community_codes, qs)
        else:
            bulletin, bulletin_source = _compute_bulletin(values, community_codes, qs), "computed"
        worklist, worklist_source = _load_worklist(con, find_table(con, lx.KPI_WORKLIST_SHOULD_FORM))
        coverage, threshold, coverage_source = _load_coverage(
            con, find_table(con, lx.FCT_REPORTING_COVERAGE), values, community_codes, entities, qs, ys
        )
        pending, pending_source = _load_pending_corrections(
            con, find_table(con, lx.KPI_PENDING_CORRECTIONS), name_to_code
        )
        no_mass, no_mass_source = _load_no_mass_org(con, find_table(con, lx.KPI_WORKLIST_NO_MASS_ORG), qs)
        annual_years = _annual_years(con, out_dir)
    finally:
        con.close()

    district_quarters = [q for q in qs if q in values.get(district_code, {})]
    default, default_reason = default_period(district_quarters or qs, coverage, district_code)
    snapshot = snapshots.get(default) or max(snapshots.values(), default=None)
    return {
        "meta": {
            "title": "两新组织党建工作统计看板",
            "district_code": district_code,
            "district_name": entities[district_code]["name"],
            "snapshot_date": snapshot,
            "generated_at": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
            "default_period": default,
            "default_reason": default_reason,
            "coverage_threshold": threshold,
            "coverage_source": coverage_source,
            "bulletin_source": bulletin_source,
            "worklist_source": worklist_source,
            "pending_source": pending_source,
            "no_mass_source": no_mass_source,
            "headline": list(HEADLINE),
            "work_cards": [i for i in WORK_CARDS if i in indicators],
            "font": FONT_STACK,
        },
        "quarters": qs,
        "years": ys,
        "snapshots": snapshots,
        "indicators": indicators,
        "entities": entities,
        "streets": street_codes,
        "communities": community_codes,
        "street_names": street_names,
        "values": values,
        "bulletin": bulletin,
        "worklist": worklist,
        "coverage": coverage,
        "pending": pending,
        "no_mass_org": no_mass,
        "annual_years": annual_years,
    }


# ---------------------------------------------------------------------------------------------------------
# public API


def _headline_from_data(data: dict[str, Any], period: str, entity: str | None = None) -> dict[str, Any]:
    ent = entity or data["meta"]["district_code"]
    per = data["values"].get(ent, {})
    out: dict[str, Any] = {}
    for iid in HEADLINE:
        p = period[:4] if iid in YEARLY_HEADLINE else period
        out[iid] = per.get(p, {}).get(iid, [None])[0]
    return out


def headline_numbers(serve_db: Path | None, period: str, entity_code: str | None = None) -> dict[str, Any]:
    """The headline numbers shown on the cards: K1, K2, K3, K4, K7q, M for the quarter ``period`` and K9 for its year,
    for the district (or ``entity_code``). Missing or NULL values are ``None``."""
    return _headline_from_data(load_dashboard_data(serve_db), period, entity_code)
