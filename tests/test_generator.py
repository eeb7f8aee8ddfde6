"""Tests of the synthetic-district generator: the world is consistent by the spec's own rules (written here
independently from shared/spec/audit-rules.md), files are deterministic, defects are really in the files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from liangxin import seeds
from liangxin.forms import ENTERPRISE, FORMS, FORMS_BY_KEY, headers_for
from liangxin.generator import build_world
from liangxin.generator.defects import apply_defects
from liangxin.generator.writer import write_world
from liangxin.periods import is_q4, period_end, period_start, previous_period

# ---- independent check-character implementations (GB 32100 / GB 11643, returns.md §4) ---------------
ALPHA = "0123456789ABCDEFGHJKLMNPQRTUWXY"
UW = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
IW = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
PREFIX = {
    "非公有制企业": "91",
    "社会团体": "51",
    "民办非企业单位": "52",
    "基金会": "53",
    "律师事务所": "31",
    "会计师事务所": "91",
    "税务师事务所": "91",
}


def uscc_ok(code: str) -> bool:
    s = sum(ALPHA.index(ch) * w for ch, w in zip(code[:17], UW))
    return len(code) == 18 and ALPHA[(31 - s % 31) % 31] == code[17]


def id_ok(code: str) -> bool:
    if len(code) != 18 or not code[:17].isdigit():
        return False
    try:
        dt.date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        return False
    return "10X98765432"[sum(int(c) * w for c, w in zip(code[:17], IW)) % 11] == code[17]


#: the generated world of this module (tests/conftest.py: the ``world`` fixture, DEFAULT_WORLD changed by this)
WORLD = {"start": "2020Q3", "end": "2021Q1", "seed": 7, "communities": 5}


def test_world_shape(world):
    assert world.periods == ["2020Q3", "2020Q4", "2021Q1"]
    assert len(world.communities) == 5
    assert set(world.returns) == {(c["unit_code"], p) for c in world.communities for p in world.periods}
    for (unit, p), ret in world.returns.items():
        assert set(ret) == {f.key for f in FORMS}
        for form in FORMS:
            for row in ret[form.key]:
                assert list(row) == form.names
        assert world.deadlines[p] == seeds.deadlines()[p]
    assert (
        world.quotas[(world.communities[0]["unit_code"], 2020)]
        == seeds.development_quotas()[(world.communities[0]["unit_code"], 2020)]
    )


def test_check_characters(world):
    n_uscc = n_id = 0
    for ret in world.returns.values():
        for r in ret["organizations"]:
            assert uscc_ok(r["uscc"]), r["uscc"]
            assert r["uscc"][:2] == PREFIX[r["org_category"]]
            assert r["uscc"][2:8] == "330199"
            n_uscc += 1
        ids = (
            [o["secretary_id"] for o in ret["party_orgs"]]
            + [a["person_id"] for a in ret["attendance"]]
            + [m["person_id"] for m in ret["mobile_members"]]
        )
        for i in ids:
            assert id_ok(i), i
        n_id += len(ids)
    assert n_uscc > 1000 and n_id > 100


def test_cover(world):
    for (unit, p), ret in world.returns.items():
        (c,) = ret["cover"]
        reg = {r["unit_code"]: r for r in seeds.communities()}
        assert c["unit_code"] == unit and c["unit_name"] == reg[unit]["unit_name"] and c["period"] == p
        assert c["template_version"] in seeds.template_versions() and c["correction_no"] == 0
        assert c["filled_by"] and c["approved_by"] and len(c["phone"]) == 11 and c["phone"].isdigit()
        assert period_end(p) < c["submitted_on"] <= seeds.deadlines()[p] + dt.timedelta(days=20)
        assert c["submitted_on"] < dt.date.today()


def test_within_and_across_sheet_rules(world):
    """R1–R3, R5, R9–R15, X1–X6 from audit-rules.md, written independently of the generator."""
    for (unit, p), ret in world.returns.items():
        ps, pe = period_start(p), period_end(p)
        orgs = {o["party_org_code"]: o for o in ret["party_orgs"]}
        flows = {f["party_org_code"]: f for f in ret["member_flows"]}
        units = {u["uscc"]: u for u in ret["organizations"]}
        assert len(orgs) == len(ret["party_orgs"]) and len(units) == len(ret["organizations"])
        cover: dict[str, int] = {}
        for u in ret["organizations"]:
            assert not u["legal_rep_secretary"] or u["legal_rep_member"]  # R1
            m = u["members_formal"] + u["members_probationary"]
            assert u["members_relation_elsewhere"] <= m and m <= u["employees"] + 1  # R2
            assert (u["party_status"] != "未建立") == bool(u["party_org_code"])  # R3
            assert (u["control_type"] is not None) == (u["org_category"] == ENTERPRISE)  # R5
            if u["party_status"] == "单独建立":
                assert u["members_formal"] >= 3  # R4 (no warning in clean output)
            if u["party_org_code"]:
                assert u["party_org_code"] in orgs  # X1
                cover[u["party_org_code"]] = cover.get(u["party_org_code"], 0) + 1
        for code, o in orgs.items():
            n = o["members_formal"] + o["members_probationary"]
            assert code in flows  # X1
            assert (o["org_type"] == "联合党支部") == (
                o["formation_mode"] in ("联合组建", "行业组建", "区域组建", "挂靠组建", "网上组建")
            )  # R6 (rev. 2)
            if o["org_type"] == "联合党支部":
                assert 2 <= cover.get(code, 0) <= 5  # X3
            if o["formation_mode"] == "单独组建":
                assert cover.get(code, 0) == 1  # X4
            if o["org_type"] == "党委":
                assert n >= 100  # R8
            if o["org_type"] == "党总支":
                assert n >= 50
            if o["members_formal"] >= 7:
                assert o["committee_meetings"] >= 1  # R7
            if is_q4(p):
                assert o["appraisal_unqualified"] <= o["appraisal_participants"] <= n  # R9
            assert o["established_on"] <= pe
        for code, f in flows.items():
            assert code in orgs  # X1
            assert f["in_mobile"] <= f["transferred_in"] and f["in_whole_unit"] <= f["transferred_in"]  # R10
            assert f["out_whole_unit"] <= f["transferred_out"]
            should = (
                f["opening"]
                + f["developed"]
                + f["restored"]
                + f["transferred_in"]
                - f["exited"]
                - f["suspended"]
                - f["deceased"]
                - f["transferred_out"]
            )
            assert f["closing_should"] == should  # R11
            assert f["closing_actual"] == f["closing_should"]  # R12 / R13
            o = orgs[code]
            assert f["closing_actual"] == o["members_formal"] + o["members_probationary"]  # X2
            assert min(v for v in f.values() if isinstance(v, int)) >= 0
        events = {e["training_code"]: e for e in ret["trainings"]}
        for e in ret["trainings"]:
            assert ps <= e["start_on"] <= e["end_on"] <= pe and e["hours"] > 0  # R14
        keys = set()
        for a in ret["attendance"]:
            assert a["training_code"] in events  # X5
            assert (a["training_code"], a["person_id"]) not in keys  # F5
            keys.add((a["training_code"], a["person_id"]))
            if a["role"] in ("书记", "副书记", "党务工作者"):
                assert a["party_org_code"] in orgs
            if a["role"] == "出资人":
                assert a["uscc"] in units
        for m in ret["mobile_members"]:
            assert m["verified_on"] is None or m["verified_on"] >= m["registered_on"]  # R15
            assert m["registered_on"] <= pe
            if m["direction"] == "流入":
                assert m["uscc"] in units  # X6
                assert m["host_party_org_code"] is None or m["host_party_org_code"] in orgs
            else:
                assert m["uscc"] is None


def test_training_codes_identical_across_returns(world):
    seen: dict[str, dict] = {}
    for (unit, p), ret in world.returns.items():
        for e in ret["trainings"]:
            assert seen.setdefault(e["training_code"], e) == e


def test_openings_equal_previous_closings(world):
    """P1: opening = previous quarter's closing_actual (Q1 = last Q4); new organizations open at 0."""
    owner: dict[str, str] = {}
    for (unit, p), ret in world.returns.items():
        for o in ret["party_orgs"]:
            assert owner.setdefault(o["party_org_code"], unit) == unit  # I4
        if p == world.periods[0]:
            continue
        prev = {
            f["party_org_code"]: f["closing_actual"] for f in world.returns[(unit, previous_period(p))]["member_flows"]
        }
        orgs = {o["party_org_code"]: o for o in ret["party_orgs"]}
        for f in ret["member_flows"]:
            if f["party_org_code"] in prev:
                assert f["opening"] == prev[f["party_org_code"]]
            else:
                assert f["opening"] == 0
                assert period_start(p) <= orgs[f["party_org_code"]]["established_on"] <= period_end(p)
        assert set(prev) <= set(orgs)  # P2: no organization disappears


def test_units_listed_once(world):
    """I3: a uscc is 存续 in one community's return only; movers are 迁出 at the old community."""
    for p in world.periods:
        active: dict[str, str] = {}
        for c in world.communities:
            for u in world.returns[(c["unit_code"], p)]["organizations"]:
                if u["reg_status"] == "存续":
                    assert u["uscc"] not in active
                    active[u["uscc"]] = c["unit_code"]


def test_mobile_ledger_is_a_stock(world):
    """returns.md 表6 (revision 2): a row that changed to 已返回 / 已转接关系 is listed in that quarter only."""
    left = 0
    for c in world.communities:
        for p in world.periods[1:]:
            prev = world.returns[(c["unit_code"], previous_period(p))]["mobile_members"]
            cur = {(m["person_id"], m["direction"]) for m in world.returns[(c["unit_code"], p)]["mobile_members"]}
            for m in prev:
                if m["status"] in ("已返回", "已转接关系"):
                    left += 1
                    assert (m["person_id"], m["direction"]) not in cur, (c["unit_code"], p, m["status"])
                else:
                    assert (m["person_id"], m["direction"]) in cur  # 在流动 / 失去联系 stay in the stock
    assert left > 0


def test_2021_fields_are_consistent(world):
    """returns.md (2021.1): applicants ≥ activists; developed_here ≤ 从业预备党员数 and, for a unit with its own
    standalone organization, = that organization's 表3 发展党员; organizer_code of a 社区党总支 event = the
    organizing community; NULL (not collected) on the 2020.1 template."""
    seen_own = 0
    for (unit, p), ret in world.returns.items():
        new = p >= "2021Q1"
        flows = {f["party_org_code"]: f for f in ret["member_flows"]}
        for u in ret["organizations"]:
            if not new:
                assert u["applicants"] is None and u["activists"] is None and u["developed_here"] is None
                continue
            assert u["applicants"] >= u["activists"] >= 0
            assert 0 <= u["developed_here"] <= u["members_probationary"]
            if u["party_status"] == "单独建立" and u["reg_status"] == "存续" and u["party_org_code"] in flows:
                assert u["developed_here"] == min(flows[u["party_org_code"]]["developed"], u["members_probationary"])
                seen_own += 1
        for t in ret["trainings"]:
            if not new or t["organizer_level"] != "社区党总支":
                assert t["organizer_code"] is None
            else:
                assert t["organizer_code"] == t["training_code"][2:14]  # SQ<unit_code>-<year>-<n>
    assert seen_own > 0


def test_annual_fields_only_in_q4(world):
    annual = {k: [f.name for f in FORMS_BY_KEY[k].fields if f.is_annual] for k in ("organizations", "party_orgs")}
    ratios = []
    for (unit, p), ret in world.returns.items():
        for key, names in annual.items():
            for r in ret[key]:
                for n in names:
                    if not is_q4(p):
                        assert r[n] is None
                    elif n in ("payroll_prev_year", "party_funds"):
                        filled = r["org_category"] == ENTERPRISE and r["party_status"] == "单独建立"
                        assert (r[n] is not None) == filled
                        if filled:
                            assert isinstance(r[n], Decimal)
                    else:
                        assert r[n] is not None
                if is_q4(p) and key == "organizations" and r["payroll_prev_year"]:
                    ratios.append(r["party_funds"] / r["payroll_prev_year"])
    assert any(Decimal("0.005") <= x <= Decimal("0.01") for x in ratios)
    assert any(Decimal("0.01") < x <= Decimal("0.02") for x in ratios)
    assert any(x < Decimal("0.005") or x > Decimal("0.02") for x in ratios)


def test_district_sizes():
    """The default district against shared/spec/scale.md (generous bands; members see the report)."""
    w = build_world(start="2021Q1", end="2021Q4")
    s = w.stats
    assert len(w.communities) == 60
    assert 12_500 <= s["units"] <= 14_000
    assert 3_000 <= s["base"] <= 4_200
    assert 430 <= s["standalone_orgs"] <= 520 and 450 <= s["eligible"] <= 650
    assert 550 <= s["joint_branches"] <= 680 and 2_400 <= s["joint_units"] <= 3_000
    # inflow rows of a 4-quarter world: 60 × Poisson(7) + 60 × 3 × Poisson(0.25) ≈ 465 ± 22 entered, less the
    # rows that returned or transferred before the last quarter (表6 is a stock: they leave the ledger, ≈ 15 %);
    # the band must not sit within one σ of the mean (any change to the random stream could flip it)
    assert 330 <= s["inflow"] <= 800 and 80 <= s["outflow"] <= 250
    assert 150 <= s["per_year"][2021]["developed"] <= 350
    assert 1_800 <= s["per_year"][2021]["attendance"] <= 3_200


def _sha(paths):
    import hashlib

    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@pytest.mark.parametrize("fmt", ["xlsx", "csvzip"])
def test_deterministic_files(tmp_path, fmt):
    w1 = build_world(start="2020Q4", end="2021Q1", seed=11, communities=2)
    w2 = build_world(start="2020Q4", end="2021Q1", seed=11, communities=2)
    w3 = build_world(start="2020Q4", end="2021Q1", seed=12, communities=2)
    a = _sha(write_world(w1, tmp_path / "a", fmt=fmt, progress=False, workers=1))
    b = _sha(write_world(w2, tmp_path / "b", fmt=fmt, progress=False, workers=2))
    c = _sha(write_world(w3, tmp_path / "c", fmt=fmt, progress=False))
    assert a == b and len(a) == 4
    assert all(a[k] != c[k] for k in a)


def test_xlsx_layout(tmp_path, world):
    unit, p = world.communities[0]["unit_code"], "2020Q4"
    paths = write_world(world, tmp_path, progress=False)
    path = next(x for x in paths if x.name == f"{unit}_{p}.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [f.sheet for f in FORMS]
    ret = world.returns[(unit, p)]
    for form in FORMS:
        ws = wb[form.sheet]
        # a 2020 return: the columns of LX-Q-2020.1 (the 2021.1 fields are not collected, not written)
        assert [c.value for c in ws[1]] == headers_for(form, "LX-Q-2020.1")
        assert ws.max_row == 1 + len(ret[form.key])
    ws = wb["表1 两新组织情况"]
    row = [c.value for c in ws[2]]
    first = ret["organizations"][0]
    assert row[0] == first["uscc"] and isinstance(row[0], str)
    assert row[FORMS_BY_KEY["organizations"].names.index("employees")] == first["employees"]
    assert row[FORMS_BY_KEY["organizations"].names.index("operating")] == ("是" if first["operating"] else "否")
    cover = [c.value for c in wb["封面"][2]]
    assert cover[0] == unit and cover[2] == p and cover[-1].date() == ret["cover"][0]["submitted_on"]
    assert cover[4] == 0 and isinstance(cover[8], str)


def test_gb18030_csvzip(tmp_path, world):
    small = build_world(start="2021Q1", end="2021Q1", seed=3, communities=1)
    (path,) = write_world(small, tmp_path, fmt="csvzip", encoding="gb18030", progress=False)
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == [f"{f.sheet}.csv" for f in FORMS]
        data = zf.read("表1 两新组织情况.csv")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    rows = list(csv.reader(io.StringIO(data.decode("gb18030"))))
    assert rows[0] == FORMS_BY_KEY["organizations"].headers
    assert len(rows) == 1 + len(small.returns[(small.communities[0]["unit_code"], "2021Q1")]["organizations"])


def _cell(path, sheet, row, column):
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    headers = [c.value for c in ws[1]]
    return ws.cell(row=row, column=headers.index(column) + 1).value


def test_defects_are_in_their_files(tmp_path):
    world = build_world(start="2020Q3", end="2021Q2", seed=5, communities=12)  # 48 files for 41 defects
    write_world(world, tmp_path, progress=False)
    manifest = apply_defects(world, tmp_path, "all", seed=5)
    assert manifest == json.loads((tmp_path / "defects.json").read_text(encoding="utf-8"))
    files: dict[str, set[str]] = {}
    for e in manifest:
        files.setdefault(e["file"], set()).add(e["defect"])
    assert all(len(v) == 1 for v in files.values())  # never two defects in one file
    defects = {e["defect"] for e in manifest}
    assert len(defects) >= 36
    for e in manifest:
        path = tmp_path / e["file"]
        d = e["defect"]
        if d == "not_a_zip":
            assert not zipfile.is_zipfile(path)
        elif d == "truncated_zip":
            with pytest.raises(Exception):
                openpyxl.load_workbook(path)
        elif d == "gbk_csv":
            with zipfile.ZipFile(path) as zf:
                data = zf.read("封面.csv")
            assert "填报单位编码" in data.decode("gb18030")
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
        elif d == "missing_sheet":
            assert e["sheet"] not in openpyxl.load_workbook(path).sheetnames
        elif d in ("missing_column", "missing_new_column"):
            assert e["column"] not in [c.value for c in openpyxl.load_workbook(path)[e["sheet"]][1]]
        elif d == "extra_column":
            assert e["column"] in [c.value for c in openpyxl.load_workbook(path)[e["sheet"]][1]]
        elif d == "duplicate_key":
            ws = openpyxl.load_workbook(path)[e["sheet"]]
            codes = [r[0].value for r in ws.iter_rows(min_row=2)]
            assert codes.count(e["value"]) == 2
        else:
            got = _cell(path, e["sheet"], e["row"], e["column"])
            want = e["value"]
            if isinstance(got, dt.datetime):
                got = got.date().isoformat()
            if isinstance(got, bool) or want in ("是", "否"):
                pass
            assert str(got) == str(want), (d, got, want)
        assert e["expected_severity"] in ("E", "W", None)
    rules = {e["defect"]: e["expected_rule"] for e in manifest}
    assert rules["broken_balance"] == "R11" and rules["bad_uscc_check"] == "I1" and rules["fullwidth_digits"] is None


def test_broken_balance_breaks_only_r11(tmp_path, world):
    write_world(world, tmp_path, progress=False)
    (e,) = apply_defects(world, tmp_path, "broken_balance:1", seed=9)
    ws = openpyxl.load_workbook(tmp_path / e["file"])[e["sheet"]]
    labels = {f.label: f.name for f in FORMS_BY_KEY["member_flows"].fields}
    head = [labels[c.value] for c in ws[1]]
    r = dict(zip(head, [c.value for c in ws[e["row"]]]))
    should = (
        r["opening"]
        + r["developed"]
        + r["restored"]
        + r["transferred_in"]
        - r["exited"]
        - r["suspended"]
        - r["deceased"]
        - r["transferred_out"]
    )
    assert should == r["closing_should"] + 1  # R11 violated
    assert r["closing_actual"] == r["closing_should"]  # R12/R13 not


def test_cli_generate(tmp_path):
    from typer.testing import CliRunner

    from liangxin.cli import app

    res = CliRunner().invoke(
        app,
        [
            "generate",
            "--from",
            "2020Q4",
            "--to",
            "2021Q1",
            "--communities",
            "2",
            "--out",
            str(tmp_path / "out"),
            "--seed",
            "3",
            "--format",
            "csvzip",
            "--encoding",
            "utf-8-sig",
            "--defects",
            "broken_balance:1,gbk_csv:1",
            "--truth",
            str(tmp_path / "truth.json"),
        ],
    )
    assert res.exit_code == 0, res.output
    files = sorted(p.name for p in (tmp_path / "out").glob("*/*"))
    assert len(files) == 4 and all(f.endswith(".zip") for f in files)
    manifest = json.loads((tmp_path / "out" / "defects.json").read_text(encoding="utf-8"))
    assert [e["defect"] for e in manifest] == ["broken_balance", "gbk_csv"]
    truth = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    assert truth["generated"]["seed"] == 3 and truth["values"]
    clean = next(
        p
        for p in (tmp_path / "out").glob("*/*.zip")
        if str(p.relative_to(tmp_path / "out")) not in {e["file"] for e in manifest}
    )
    with zipfile.ZipFile(clean) as zf:
        assert zf.read("封面.csv").startswith("\ufeff".encode("utf-8"))
    bad = CliRunner().invoke(app, ["generate", "--defects", "no_such_defect:1", "--out", str(tmp_path / "x")])
    assert bad.exit_code != 0
