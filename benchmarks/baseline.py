"""The baseline: what a statistician would otherwise write — pandas + openpyxl over the same workbooks.

``read_returns(files)`` reads every sheet of every workbook with ``pd.read_excel(engine="openpyxl")``;
``compute(data, register_csv)`` computes K1, K2, K3 (kpis.md, decisions D1–D8, D41) per community, street
and district for every quarter, and 表一 (annual-return.md revision 2: one category per organization and year) per community, street, district and
category for every year. It knows nothing about the warehouse: the benchmark compares its numbers with
``marts.fct_indicators`` and ``annual.rpt_annual_t1``.

Requires the optional ``bench`` extra (pandas).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

SOCIAL = {"社会团体", "民办非企业单位", "基金会", "律师事务所", "会计师事务所", "税务师事务所"}
TRUE = {"是", "Y", "y", "√", "1", "TRUE", "True", "true"}
BASE_MIN_EMPLOYEES = 10  # seeds/kpi_parameters.csv base_min_employees
ELIGIBLE_MIN_FORMAL = 3  # eligible_min_formal_members

FLOW_COLS = {  # 表3 header → 表一 column
    "发展党员": "developed",
    "恢复党籍": "restored",
    "转入组织关系": "transferred_in",
    "其中：整建制转入": "in_whole_unit",
    "出党": "exited",
    "停止党籍": "suspended",
    "死亡": "deceased",
    "转出组织关系": "transferred_out",
    "其中：整建制转出": "out_whole_unit",
}


def _yes(s: pd.Series) -> pd.Series:
    return s.astype(str).str.strip().isin(TRUE)


def _text(s: pd.Series) -> pd.Series:
    return s.map(
        lambda v: None if pd.isna(v) else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip())
    )


def read_returns(files: list[Path]) -> list[dict[str, pd.DataFrame]]:
    """Every sheet of every workbook, as pandas reads it (openpyxl engine)."""
    return [pd.read_excel(f, sheet_name=None, engine="openpyxl") for f in files]


def _current(data: list[dict[str, pd.DataFrame]]) -> dict[tuple[str, str], dict[str, pd.DataFrame]]:
    """Keep the highest 更正序号 of each (community, quarter)."""
    best: dict[tuple[str, str], tuple[int, dict]] = {}
    for book in data:
        cover = book["封面"].iloc[0]
        unit, period = _text(pd.Series([cover["填报单位编码"]]))[0], str(cover["报告期"]).strip().upper()
        corr = int(cover["更正序号"])
        if (unit, period) not in best or corr > best[(unit, period)][0]:
            best[(unit, period)] = (corr, book)
    return {k: v[1] for k, v in best.items()}


def compute(data: list[dict[str, pd.DataFrame]], register_csv: str | Path) -> dict:
    returns = _current(data)
    reg = pd.read_csv(register_csv, dtype=str)
    seed = pd.read_csv(Path(__file__).resolve().parents[1] / "seeds" / "communities.csv", dtype=str)
    reg = pd.concat([seed[~seed["unit_code"].isin(reg["unit_code"])], reg], ignore_index=True)
    reg = reg.set_index("unit_code")

    # ---------------- K1, K2, K3 per community and quarter ----------------
    orgs = []
    for (unit, period), book in returns.items():
        t = book["表1 两新组织情况"].copy()
        t["unit_code"], t["period"] = unit, period
        orgs.append(t)
    o = pd.concat(orgs, ignore_index=True)
    uscc = o["统一社会信用代码"].astype(str).str.strip().str.upper()
    social = o["组织类别"].astype(str).str.strip().isin(SOCIAL)
    in_u = (o["登记状态"].astype(str).str.strip() == "存续") & ~uscc.str.startswith("92")
    three = (
        _yes(o["是否实体运营"]) & _yes(o["是否有固定经营场所"]) & (pd.to_numeric(o["从业人员数"]) >= BASE_MIN_EMPLOYEES)
    )
    in_b = in_u & (three | social)
    in_e = in_b & (pd.to_numeric(o["从业正式党员数"]) >= ELIGIBLE_MIN_FORMAL)
    status = o["党组织建立情况"].astype(str).str.strip()
    alone = status == "单独建立"
    covered = status.isin({"单独建立", "联合建立", "挂靠"})
    o = o.assign(
        B=in_b.astype(int),
        E=in_e.astype(int),
        K1n=(in_b & alone).astype(int),
        K2n=(in_b & covered).astype(int),
        K3n=(in_e & alone).astype(int),
    )
    comm = o.groupby(["unit_code", "period"])[["B", "E", "K1n", "K2n", "K3n"]].sum()
    # communities whose 表1 is empty still have a return (0/0)
    for key in returns:
        if key not in comm.index:
            comm.loc[key, :] = 0
    comm = comm.reset_index()
    comm["street_code"] = comm["unit_code"].map(reg["street_code"])
    comm["district_code"] = comm["unit_code"].map(reg["district_code"])

    indicators = []
    for level, col in (("community", "unit_code"), ("street", "street_code"), ("district", "district_code")):
        g = comm.groupby([col, "period"])[["B", "E", "K1n", "K2n", "K3n"]].sum().reset_index()
        for r in g.itertuples(index=False):
            code, period = getattr(r, col), r.period
            for iid, num, den in (("K1", r.K1n, r.B), ("K2", r.K2n, r.B), ("K3", r.K3n, r.E)):
                indicators.append(
                    {
                        "indicator_id": iid,
                        "level": level,
                        "entity_code": str(code),
                        "period": period,
                        "numerator": int(num),
                        "denominator": int(den),
                        "value": (int(num) / int(den)) if den else None,
                    }
                )

    # ---------------- 表一 per community / street / district / category and year ----------------
    # annual-return.md (revision 2): an organization's category is fixed for the year — the majority category of the
    # 表1 units pointing to it in its last return of the year that has any (a tie, or no unit at all: 非公有制企业)
    last_cover: dict[tuple[str, int, str], tuple[int, int, int]] = {}  # (unit, year, code) -> (quarter, social, ent)
    for (unit, period), book in returns.items():
        t1 = book["表1 两新组织情况"]
        pointing = pd.DataFrame(
            {"code": _text(t1["所在党组织编码"]), "social": t1["组织类别"].astype(str).str.strip().isin(SOCIAL)}
        ).dropna(subset=["code"])
        pointing = pointing[pointing["code"] != ""]
        year, quarter = int(period[:4]), int(period[-1])
        for code, grp in pointing.groupby("code"):
            n_social = int(grp["social"].sum())
            key = (unit, year, code)
            if key not in last_cover or last_cover[key][0] < quarter:
                last_cover[key] = (quarter, n_social, len(grp) - n_social)
    category_of = {k: ("social" if v[1] > v[2] else "enterprise") for k, v in last_cover.items()}
    flows = []
    for (unit, period), book in returns.items():
        po = book["表2 党组织情况"]
        mf = book["表3 党员队伍变动情况"].copy()
        mode = dict(zip(_text(po["党组织编码"]), po["组建方式"].astype(str).str.strip()))
        mf["code"] = _text(mf["党组织编码"])
        mf = mf[mf["code"].map(lambda c: mode.get(c) != "功能型")]
        year = int(period[:4])
        mf["category"] = mf["code"].map(lambda c: category_of.get((unit, year, c), "enterprise"))
        mf["unit_code"], mf["year"], mf["quarter"] = unit, year, int(period[-1])
        flows.append(mf)
    f = pd.concat(flows, ignore_index=True)
    f["prev_year_end_total"] = pd.to_numeric(f["期初党员数"]).where(f["quarter"] == 1, 0)
    f["year_end_actual"] = pd.to_numeric(f["期末实有数"]).where(f["quarter"] == 4, 0)
    for zh, en in FLOW_COLS.items():
        f[en] = pd.to_numeric(f[zh]).fillna(0)
    cols = ["prev_year_end_total", *FLOW_COLS.values(), "year_end_actual"]
    f["street_code"] = f["unit_code"].map(reg["street_code"])
    f["district_code"] = f["unit_code"].map(reg["district_code"])
    # rows exist for every entity with at least one return in the year (even without 表3 rows)
    # a year has annual values only when all four quarters lie within the loaded periods (first..last)
    lo, hi = min(p for _, p in returns), max(p for _, p in returns)
    complete = {int(p[:4]) for _, p in returns if f"{p[:4]}Q1" >= lo and f"{p[:4]}Q4" <= hi}
    years = pd.DataFrame(
        [{"unit_code": u, "year": int(p[:4])} for (u, p) in returns if int(p[:4]) in complete],
        columns=["unit_code", "year"],
    ).drop_duplicates()
    years["street_code"] = years["unit_code"].map(reg["street_code"])
    years["district_code"] = years["unit_code"].map(reg["district_code"])
    t1_rows = []

    def emit(level, code, year, sums):
        inc = sums["developed"] + sums["restored"] + sums["transferred_in"]
        dec = sums["exited"] + sums["suspended"] + sums["deceased"] + sums["transferred_out"]
        should = sums["prev_year_end_total"] + inc - dec
        row = {
            "year": int(year),
            "level": level,
            "entity_code": str(code),
            **{k: int(v) for k, v in sums.items()},
            "increase_total": int(inc),
            "decrease_total": int(dec),
            "year_end_should": int(should),
            "actual_minus_should": int(sums["year_end_actual"] - should),
        }
        t1_rows.append(row)

    for level, col in (("community", "unit_code"), ("street", "street_code"), ("district", "district_code")):
        sums = f[f["year"].isin(complete)].groupby([col, "year"])[cols].sum()
        for key in years[[col, "year"]].drop_duplicates().itertuples(index=False):
            k = (getattr(key, col), key.year)
            s = sums.loc[k] if k in sums.index else pd.Series(0, index=cols)
            emit(level, k[0], k[1], s)
    cat = f.groupby(["category", "year"])[cols].sum()
    for year in sorted(years["year"].unique()):
        for c in ("enterprise", "social"):
            s = cat.loc[(c, year)] if (c, year) in cat.index else pd.Series(0, index=cols)
            emit("category", c, year, s)
    return {
        "indicators": indicators,
        "t1": t1_rows,
        "counts": {"returns": len(returns), "organizations": int(len(o)), "member_flow_rows": int(len(f))},
    }
