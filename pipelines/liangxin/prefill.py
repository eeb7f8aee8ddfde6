"""Pre-filled next-quarter templates (``liangxin template --unit U --period P --prefill``), D127.

The blank template of ``template.build_template`` (sheets, header notes, data-validation drop-downs, formats) with
the stock sheets carried forward from the unit's latest accepted return before ``P`` (the current correction of
that quarter: the highest 更正序号 accepted):

- 表1 两新组织情况, 表2 党组织情况, 表6 流动党员台账: every row, read from the archived original (the cells as the
  community submitted them; the warehouse holds masked names and person keys only);
- flows empty: 表3, 表4, 表5, and in 表2 the quarter counts (本季度…次数);
- annual fields ([年]) carried within a year, left empty when ``P`` starts a new year;
- ID numbers (书记身份证号, 身份证号) are never written (personal data never leaves the archive in any output): the
  cell is left empty with a note, and the community types them again.

No accepted return before ``P``: a blank template, with a message saying there is nothing to carry forward.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from liangxin import forms
from liangxin.settings import Settings
from liangxin.periods import parse_period

STOCK_FORMS = ("organizations", "party_orgs", "mobile_members")
ID_FIELDS = {"secretary_id", "person_id"}  # raw ID numbers: never written into an output (left empty)
ACCEPTED_OUTCOMES = ("accepted", "accepted_with_warnings")


@dataclass
class PrefillSource:
    submission_id: str
    original_name: str
    period: str
    correction_no: int | None
    archived: Path


@dataclass
class PrefillResult:
    path: Path
    source: PrefillSource | None
    rows: dict[str, int] = field(default_factory=dict)  # sheet -> rows carried forward
    message: str = ""


def latest_accepted(unit_code: str, period: str, con, archive_dir: Path) -> PrefillSource | None:
    """The current accepted return of ``unit_code`` for the latest quarter before ``period`` (None if none)."""
    target = parse_period(period)
    rows = con.execute(
        "select submission_id, original_name, period, correction_no from raw.submissions "
        "where unit_code = ? and outcome in (?, ?) and period is not null",
        [unit_code, *ACCEPTED_OUTCOMES],
    ).fetchall()
    best = None
    for sid, name, p, corr in rows:
        try:
            key = parse_period(p)
        except ValueError:
            continue
        if key >= target:
            continue
        rank = (key, corr if corr is not None else -1)
        if best is None or rank > best[0]:
            best = (rank, sid, name, p, corr)
    if best is None:
        return None
    _, sid, name, p, corr = best
    archive = Path(archive_dir) / sid[:2]
    found = sorted(archive.glob(f"{sid}.*")) if archive.is_dir() else []
    found = [f for f in found if f.suffix.lower() in (".xlsx", ".zip")]
    if not found:
        return None
    return PrefillSource(sid, name or "", p, corr, found[0])


def _cell_value(v):
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, dt.datetime) and v.time() == dt.time(0):
        return v.date()
    if isinstance(v, str):
        v = v.strip()
        return v or None
    return v


def read_sheets(archived: Path) -> dict[str, list[dict[str, object]]]:
    """form key -> rows (field name -> submitted cell value) of the stock sheets of an archived return."""
    wanted = {forms.normalise_header(f.sheet): f for f in forms.FORMS if f.key in STOCK_FORMS}
    raw: dict[str, list[list]] = {}
    if archived.suffix.lower() == ".zip":
        with zipfile.ZipFile(archived) as zf:
            for n in zf.namelist():
                form = wanted.get(forms.normalise_header(Path(n).stem))
                if form is None:
                    continue
                data = zf.read(n)
                for enc in ("utf-8-sig", "gb18030"):
                    try:
                        text = data.decode(enc)
                        break
                    except UnicodeDecodeError:
                        continue
                else:
                    continue
                raw[form.key] = list(csv.reader(io.StringIO(text)))
    else:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(archived))
        for name in wb.sheet_names:
            form = wanted.get(forms.normalise_header(name))
            if form is not None:
                raw[form.key] = wb.get_sheet_by_name(name).to_python()
    out: dict[str, list[dict[str, object]]] = {}
    for key, rows in raw.items():
        if not rows:
            continue
        form = next(f for f in forms.FORMS if f.key == key)
        by_label = {forms.normalise_header(f.label): f.name for f in form.fields}
        header = [by_label.get(forms.normalise_header(h)) for h in rows[0]]
        records = []
        for r in rows[1:]:
            rec = {name: _cell_value(v) for name, v in zip(header, r) if name is not None}
            if any(v not in (None, "") for v in rec.values()):
                records.append(rec)
        out[key] = records
    return out


def carried_fields(form: forms.Form, new_year: bool) -> list[forms.Field]:
    """The fields of a stock sheet that are carried forward (stock); the rest are left empty."""
    keep = []
    for f in form.fields:
        if f.name in ID_FIELDS or "本季度" in f.label:
            continue
        if f.is_annual and new_year:
            continue
        keep.append(f)
    return keep


def write_prefilled(unit_code: str, period: str, output: Path, con=None, *, settings: Settings) -> PrefillResult:
    """Write the pre-filled template for ``unit_code`` / ``period`` to ``output`` (see the module docstring)."""
    from openpyxl.comments import Comment

    from liangxin.template import AUTHOR, DATE_FORMAT, TEXT_FORMAT, build_template, is_text_formatted

    wb = build_template(unit_code, period, register_csv=settings.register_csv)  # checks unit, period
    unit_code = unit_code.strip()
    own = con is None
    source = None
    db = settings.duckdb
    if con is None and db.exists():
        import duckdb

        try:
            con = duckdb.connect(str(db), read_only=True)
        except duckdb.Error:
            con = None
    try:
        if con is not None:
            try:
                source = latest_accepted(unit_code, period, con, settings.archive)
            except Exception:  # noqa: BLE001 - no raw tables yet: nothing to carry forward
                source = None
    finally:
        if own and con is not None:
            con.close()
    result = PrefillResult(Path(output), source)
    if source is None:
        result.message = f"单位 {unit_code} 在 {period} 之前没有已接收的报表，没有可结转的数据；已生成空白模板。"
    else:
        sheets = read_sheets(source.archived)
        new_year = parse_period(source.period)[0] != parse_period(period)[0]
        for key in STOCK_FORMS:
            form = next(f for f in forms.FORMS if f.key == key)
            ws = wb[form.sheet]
            cols = {f.name: i for i, f in enumerate(form.fields, start=1)}
            keep = carried_fields(form, new_year)
            records = sheets.get(key, [])
            for r_i, rec in enumerate(records, start=2):
                for f in keep:
                    v = rec.get(f.name)
                    if v is None:
                        continue
                    c = ws.cell(row=r_i, column=cols[f.name])
                    if is_text_formatted(f):
                        c.number_format = TEXT_FORMAT
                        v = str(v)
                    elif f.type == forms.DATE:
                        c.number_format = DATE_FORMAT
                    c.value = v
                for name in ID_FIELDS & set(cols):
                    c = ws.cell(row=r_i, column=cols[name])
                    c.number_format = TEXT_FORMAT
                    if r_i == 2:
                        c.comment = Comment("预填模板不带出身份证号（个人信息保护），请重新填写。", AUTHOR)
            result.rows[form.sheet] = len(records)
        wb.properties.description = (
            f"预填自 {source.period} 更正序号 {source.correction_no} 的已接收报表"
            f"（{source.original_name}）：表1、表2、表6 为存量数据，表3、表4、表5 及本季度次数为空；"
            "身份证号须重新填写。"
        )
        result.message = (
            f"已预填：{source.period} 更正序号 {source.correction_no}（{source.original_name}）"
            f"——" + "，".join(f"{k} {n} 行" for k, n in result.rows.items())
        )
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    try:
        wb.save(tmp)
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()
    result.path = path
    return result
