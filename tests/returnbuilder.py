"""A hand-made, small, fully valid return (independent of the generator) and writers with mutation hooks.

The content is written out by hand below and its figures are consistent by construction (checked by the
rules the tests exercise): community 330199001001 金桥社区党总支, period 2020Q3 (or its Q4 variant with the
[年] fields filled).  The cover names the template version in force for the period and the workbook has that
version's columns: from 2021Q1 (LX-Q-2021.1) 表1 入党申请人数 / 入党积极分子数 / 本季度在本单位发展党员数 and
表4 主办单位编码 are written, filled consistently (activists ≤ applicants, developed_here ≤ probationary; the
社区党总支 event carries the community's own unit_code).

    b = ReturnBuilder("2020Q3")
    b.set("member_flows", 0, "closing_should", 99)    # raw cell value, written as is
    b.drop_column("party_orgs", "deputies"); b.drop_sheet("trainings")
    b.add_column("organizations", "备注", ["x"]); b.add_sheet("说明", [["a"], ["b"]])
    path = b.to_xlsx(tmp_path / "r.xlsx")             # or b.to_csvzip(path, encoding="gb18030")
    b.cell("member_flows", 0, "closing_should")       # -> "M2": where that cell was written
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path

from liangxin import checks, forms, periods, seeds
from liangxin.validate import PreviousReturn, ValidationContext

UNIT_CODE = "330199001001"
UNIT_NAME = "金桥社区党总支"


def uscc(prefix_and_body: str) -> str:
    """Complete a 17-character USCC body with its check character."""
    return prefix_and_body + checks.uscc_check_char(prefix_and_body)


def citizen_id(body17: str) -> str:
    return body17 + checks.id_check_char(body17)


USCC_1 = uscc("91330199MA2H0A1B1")  # enterprise, 单独建立
USCC_2 = uscc("91330199MA2H0C2D2")  # enterprise, 联合建立
USCC_3 = uscc("51330199MJ0E3F3G3")  # social group, 联合建立
USCC_4 = uscc("52330199MJ0H4J4K4")  # private non-enterprise, 未建立
ID_SEC1 = citizen_id("33010219800101123")
ID_SEC2 = citizen_id("33010219751231002")
ID_INVESTOR = citizen_id("33010219700615051")
ID_MEMBER = citizen_id("33010219900228202")
ID_INFLOW = citizen_id("41010219880808303")
ID_OUTFLOW = citizen_id("33010219950505404")


def clean_return(period: str = "2020Q3") -> dict[str, list[dict]]:
    """The typed content of the clean return (every forms.py field present, ``None`` = blank)."""
    q4 = periods.is_q4(period)
    start = periods.period_start(period)
    end = periods.period_end(period)
    deadline_day = end + dt.timedelta(days=10)

    def annual(value):
        return value if q4 else None

    version = seeds.template_version_for(period)  # LX-Q-2020.1 for 2020, LX-Q-2021.1 from 2021Q1
    v2021 = forms.version_has(forms.ORGANIZATIONS.field("applicants"), version)

    def since2021(value):
        return value if v2021 else None  # a field the version lacks is not collected (NULL)

    cover = dict(
        unit_code=UNIT_CODE,
        unit_name=UNIT_NAME,
        period=period,
        template_version=version,
        correction_no=0,
        correction_reason=None,
        filled_by="张三",
        approved_by="李四",
        phone="13800138000",
        submitted_on=deadline_day,
    )
    org_common = dict(
        operating=True,
        fixed_premises=True,
        above_scale=False,
        instructor=True,
        first_secretary=False,
        has_union=True,
        has_youth_league=False,
        has_women_org=False,
        party_mass_dept=False,
        fulltime_party_workers=0,
        payroll_prev_year=None,
        party_funds=None,
        investor_trained=annual(True),
        inspection_result=annual("合格"),
        double_strong=annual(False),
        applicants=since2021(0),
        activists=since2021(0),
        developed_here=since2021(0),
    )
    organizations = [
        dict(
            org_common,
            uscc=USCC_1,
            org_name="金桥精密机械有限公司",
            org_category="非公有制企业",
            control_type="私有经济控制",
            industry_section="C",
            reg_status="存续",
            employees=30,
            above_scale=True,
            legal_rep_member=True,
            legal_rep_secretary=True,
            members_formal=4,
            members_probationary=1,
            members_relation_elsewhere=1,
            party_status="单独建立",
            party_org_code="JQ-001",
            party_mass_dept=True,
            applicants=since2021(3),
            activists=since2021(2),
            developed_here=since2021(1),
            fulltime_party_workers=1,
            payroll_prev_year=annual(Decimal("3600000.00")),
            party_funds=annual(Decimal("36000.00")),
        ),
        dict(
            org_common,
            uscc=USCC_2,
            org_name="金桥软件科技有限公司",
            org_category="非公有制企业",
            control_type="外商经济控制",
            industry_section="I",
            reg_status="存续",
            employees=12,
            legal_rep_member=False,
            legal_rep_secretary=False,
            members_formal=2,
            members_probationary=0,
            members_relation_elsewhere=0,
            party_status="联合建立",
            party_org_code="JQ-002",
            applicants=since2021(2),
            activists=since2021(1),
        ),
        dict(
            org_common,
            uscc=USCC_3,
            org_name="金桥社区商会",
            org_category="社会团体",
            control_type=None,
            industry_section="S",
            reg_status="存续",
            employees=5,
            legal_rep_member=True,
            legal_rep_secretary=False,
            members_formal=1,
            members_probationary=0,
            members_relation_elsewhere=0,
            party_status="联合建立",
            party_org_code="JQ-002",
        ),
        dict(
            org_common,
            uscc=USCC_4,
            org_name="金桥社工服务中心",
            org_category="民办非企业单位",
            control_type=None,
            industry_section="Q",
            reg_status="存续",
            employees=8,
            fixed_premises=False,
            legal_rep_member=False,
            legal_rep_secretary=False,
            members_formal=0,
            members_probationary=0,
            members_relation_elsewhere=0,
            party_status="未建立",
            party_org_code=None,
            instructor=False,
        ),
    ]
    po_common = dict(
        secretary_in_mgmt=True,
        deputies=0,
        party_workers=1,
        has_venue=True,
        six_premises=annual(True),
        six_facilities=annual(True),
        six_signage=annual(True),
        six_flag=annual(True),
        six_books=annual(False),
        six_rules=annual(True),
        general_meetings=1,
        committee_meetings=3,
        group_meetings=2,
        lectures=1,
        study_sessions=3,
        org_life_meeting=annual(True),
        appraisal_held=annual(True),
        dues_refund=annual(Decimal("1200.00")),
        fiscal_support=annual(Decimal("5000.00")),
        award_subsidy=annual(Decimal("0.00")),
    )
    party_orgs = [
        dict(
            po_common,
            party_org_code="JQ-001",
            party_org_name="中共金桥精密机械有限公司支部委员会",
            org_type="党支部",
            formation_mode="单独组建",
            established_on=dt.date(2015, 7, 1),
            members_formal=5,
            members_probationary=1,
            secretary_name="王五",
            secretary_id=ID_SEC1,
            secretary_mode="选任",
            appraisal_participants=annual(6),
            appraisal_unqualified=annual(0),
        ),
        dict(
            po_common,
            party_org_code="JQ-002",
            party_org_name="中共金桥社区两新组织联合支部委员会",
            org_type="联合党支部",
            formation_mode="联合组建",
            established_on=dt.date(2018, 3, 15),
            members_formal=4,
            members_probationary=0,
            secretary_name="赵六",
            secretary_id=ID_SEC2,
            secretary_mode="派任",
            secretary_in_mgmt=False,
            committee_meetings=0,
            appraisal_participants=annual(4),
            appraisal_unqualified=annual(0),
        ),
    ]
    zero = dict(
        developed=0,
        restored=0,
        transferred_in=0,
        in_mobile=0,
        in_whole_unit=0,
        exited=0,
        suspended=0,
        deceased=0,
        transferred_out=0,
        out_whole_unit=0,
        revealed=0,
        absorbed=0,
        difference_note=None,
    )
    member_flows = [
        dict(zero, party_org_code="JQ-001", opening=5, developed=1, closing_should=6, closing_actual=6, absorbed=1),
        dict(
            zero,
            party_org_code="JQ-002",
            opening=4,
            transferred_in=1,
            in_mobile=1,
            transferred_out=1,
            closing_should=4,
            closing_actual=4,
            revealed=1,
        ),
    ]
    trainings = [
        dict(
            training_code="QJ-PX-2020-07",
            training_name="两新组织党组织书记任职培训班",
            organizer_level="区级",
            organizer="示范区委组织部",
            organizer_code=None,
            training_type="任职培训",
            start_on=start + dt.timedelta(days=40),
            end_on=start + dt.timedelta(days=42),
            hours=24.0,
        ),
        dict(
            training_code="JQ-PX-2020-03",
            training_name="出资人党建知识讲座",
            organizer_level="社区党总支",
            organizer=UNIT_NAME,
            organizer_code=since2021(UNIT_CODE),
            training_type="出资人培训",
            start_on=start + dt.timedelta(days=65),
            end_on=start + dt.timedelta(days=65),
            hours=3.5,
        ),
    ]
    attendance = [
        dict(
            training_code="QJ-PX-2020-07",
            person_name="王五",
            person_id=ID_SEC1,
            role="书记",
            party_org_code="JQ-001",
            uscc=None,
        ),
        dict(
            training_code="JQ-PX-2020-03",
            person_name="钱七",
            person_id=ID_INVESTOR,
            role="出资人",
            party_org_code=None,
            uscc=USCC_1,
        ),
        dict(
            training_code="QJ-PX-2020-07",
            person_name="孙八",
            person_id=ID_MEMBER,
            role="党员",
            party_org_code=None,
            uscc=None,
        ),
    ]
    mobile_members = [
        dict(
            person_name="周九",
            person_id=ID_INFLOW,
            direction="流入",
            since=dt.date(2020, 5, 1),
            home_org="中共某县某镇某村支部委员会",
            uscc=USCC_1,
            host_party_org_code="JQ-001",
            registered_on=start + dt.timedelta(days=1),
            verified_on=start + dt.timedelta(days=9),
            certificate=True,
            status="在流动",
        ),
        dict(
            person_name="吴十",
            person_id=ID_OUTFLOW,
            direction="流出",
            since=dt.date(2019, 11, 20),
            home_org="中共金桥精密机械有限公司支部委员会",
            uscc=None,
            host_party_org_code=None,
            registered_on=start + dt.timedelta(days=31),
            verified_on=None,
            certificate=False,
            status="在流动",
        ),
    ]
    data = dict(
        cover=[cover],
        organizations=organizations,
        party_orgs=party_orgs,
        member_flows=member_flows,
        trainings=trainings,
        attendance=attendance,
        mobile_members=mobile_members,
    )
    for form in forms.FORMS:  # every field of forms.py, in its order
        assert all(set(r) == set(form.names) for r in data[form.key]), form.key
    return data


def matching_previous() -> PreviousReturn:
    """The previous quarter's return the clean return continues (openings 5 and 4)."""
    return PreviousReturn(party_orgs={"JQ-001": 5, "JQ-002": 4}, units=4, party_org_count=2, members=9)


def context(period: str = "2020Q3", previous: PreviousReturn | None | str = "match", **kw) -> ValidationContext:
    """A context for the clean return: received two days after 报出日期, previous return matching."""
    received = kw.pop("received_on", None) or periods.period_end(period) + dt.timedelta(days=12)
    prev = matching_previous() if previous == "match" else previous
    kw.setdefault("previous_return", lambda unit, p: prev)
    return ValidationContext.offline(received_on=received, **kw)


# --------------------------------------------------------------------------------------------------
class Formula(str):
    """A formula written without a cached value (openpyxl never computes one), e.g. Formula("=1+2")."""


class ErrorValue(str):
    """An error cell, e.g. ErrorValue("#REF!")."""


def _xlsx_value(v):
    if isinstance(v, bool):
        return "是" if v else "否"
    return v


def _csv_value(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v == int(v):
        return str(int(v))
    return str(v)


class ReturnBuilder:
    def __init__(self, period: str = "2020Q3"):
        self.period = period
        self.data = copy.deepcopy(clean_return(period))
        self.version = self.data["cover"][0]["template_version"]  # columns written: those of the version
        self.headers: dict[str, list[str]] = {f.key: forms.headers_for(f, self.version) for f in forms.FORMS}
        self.order: dict[str, list[str | None]] = {f.key: forms.names_for(f, self.version) for f in forms.FORMS}
        self.extra: dict[str, dict[str, list]] = {f.key: {} for f in forms.FORMS}
        self.dropped: set[str] = set()
        self.extra_sheets: dict[str, list[list]] = {}
        self.sheet_names: dict[str, str] = {f.key: f.sheet for f in forms.FORMS}

    # mutation hooks -------------------------------------------------------------------------
    def set(self, key: str, i: int, field: str, raw) -> "ReturnBuilder":
        self.data[key][i][field] = raw
        return self

    def get(self, key: str, i: int, field: str):
        return self.data[key][i][field]

    def append(self, key: str, **values) -> int:
        row = {n: None for n in forms.FORMS_BY_KEY[key].names}
        row.update(values)
        self.data[key].append(row)
        return len(self.data[key]) - 1

    def copy_row(self, key: str, i: int, **changes) -> int:
        row = dict(self.data[key][i], **changes)
        self.data[key].append(row)
        return len(self.data[key]) - 1

    def drop_sheet(self, key: str) -> "ReturnBuilder":
        self.dropped.add(key)
        return self

    def add_field_column(self, key: str, field: str) -> "ReturnBuilder":
        """Write a forms.py column the builder's version does not have (e.g. a 2021.1 column in 2020)."""
        f = forms.FORMS_BY_KEY[key].field(field)
        self.order[key].append(field)
        self.headers[key].append(f.label)
        return self

    def drop_column(self, key: str, field: str) -> "ReturnBuilder":
        idx = self.order[key].index(field)
        del self.order[key][idx]
        del self.headers[key][idx]
        return self

    def rename_header(self, key: str, field: str, header: str) -> "ReturnBuilder":
        self.headers[key][self.order[key].index(field)] = header
        return self

    def move_column_to_end(self, key: str, field: str) -> "ReturnBuilder":
        idx = self.order[key].index(field)
        self.order[key].append(self.order[key].pop(idx))
        self.headers[key].append(self.headers[key].pop(idx))
        return self

    def add_column(self, key: str, header: str, values: list) -> "ReturnBuilder":
        self.extra[key][header] = list(values)
        return self

    def add_sheet(self, name: str, rows: list[list]) -> "ReturnBuilder":
        self.extra_sheets[name] = rows
        return self

    def rename_sheet(self, key: str, name: str) -> "ReturnBuilder":
        self.sheet_names[key] = name
        return self

    # layout ---------------------------------------------------------------------------------
    def grid(self, key: str) -> list[list]:
        """Header row + data rows, typed values (not yet converted for a format)."""
        header = list(self.headers[key]) + list(self.extra[key])
        rows = [header]
        for i, r in enumerate(self.data[key]):
            cells = [r.get(n) for n in self.order[key]]
            cells += [vals[i] if i < len(vals) else None for vals in self.extra[key].values()]
            rows.append(cells)
        return rows

    def cell(self, key: str, i: int, field: str) -> str:
        """The reference of data row i (0-based) of a field as written, e.g. 'C5'."""
        from liangxin.validate.reader import col_letter

        return f"{col_letter(self.order[key].index(field))}{i + 2}"

    def sheets(self):
        for f in forms.FORMS:
            if f.key not in self.dropped:
                yield self.sheet_names[f.key], self.grid(f.key)
        yield from self.extra_sheets.items()

    # writers ---------------------------------------------------------------------------------
    def to_xlsx(self, path: Path) -> Path:
        import openpyxl

        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for name, grid in self.sheets():
            ws = wb.create_sheet(name)
            for r, row in enumerate(grid, start=1):
                for c, v in enumerate(row, start=1):
                    if v is None:
                        continue
                    cell = ws.cell(row=r, column=c, value=_xlsx_value(v))
                    if isinstance(v, ErrorValue):
                        cell.data_type = "e"
                    elif isinstance(v, str) and not isinstance(v, Formula):
                        cell.data_type = "s"  # plain text stays text
        wb.save(path)
        return Path(path)

    def csv_bytes(self, grid: list[list], encoding: str) -> bytes:
        buf = io.StringIO(newline="")
        csv.writer(buf, lineterminator="\r\n").writerows([[_csv_value(v) for v in row] for row in grid])
        return buf.getvalue().encode(encoding)

    def to_csvzip(self, path: Path, encoding: str = "utf-8") -> Path:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, grid in self.sheets():
                zf.writestr(f"{name}.csv", self.csv_bytes(grid, encoding))
        return Path(path)

    def write(self, path: Path, fmt: str = "xlsx") -> Path:
        if fmt == "xlsx":
            return self.to_xlsx(path)
        return self.to_csvzip(path, encoding=fmt)


# --------------------------------------------------------------------------------------------------
# test helpers
# --------------------------------------------------------------------------------------------------
def hits_of(result, rule_id: str) -> list:
    return [h for h in result.hits if h.rule_id == rule_id]


def describe(result) -> str:
    return "\n".join(
        f"{h.rule_id} {h.severity} {h.sheet} r{h.row} {h.column} {h.cell} {h.value!r} {h.message}" for h in result.hits
    )
