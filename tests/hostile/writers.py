"""Fast writers of generated returns (world.returns values) for the reliability and security tests.

Independent of the generator's own writers (still being finished): CSV zips are plain ``csv`` + ``zipfile``
(milliseconds per file), workbooks use xlsxwriter (dates as Excel dates, booleans as 是/否).
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import zipfile
from pathlib import Path

from liangxin import forms


def _rows(ret: dict, form) -> list[dict]:
    rows = ret.get(form.key) or []
    return [rows] if isinstance(rows, dict) else list(rows)


def _text(v) -> str:
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


def csv_member(ret: dict, form, encoding: str = "utf-8", bom: bool = False, newline: str = "\r\n") -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator=newline)
    w.writerow(form.headers)
    for r in _rows(ret, form):
        w.writerow([_text(r.get(n)) for n in form.names])
    data = buf.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def write_csvzip(path: Path, ret: dict, encoding: str = "utf-8", bom: bool = False) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for form in forms.FORMS:
            zf.writestr(f"{form.sheet}.csv", csv_member(ret, form, encoding, bom))
    return path


def write_xlsx(path: Path, ret: dict) -> Path:
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                         "strings_to_urls": False})
    datefmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for form in forms.FORMS:
        ws = wb.add_worksheet(form.sheet)
        ws.write_row(0, 0, form.headers)
        for i, r in enumerate(_rows(ret, form), start=1):
            for c, n in enumerate(form.names):
                v = r.get(n)
                if v is None:
                    continue
                if isinstance(v, bool):
                    ws.write_string(i, c, "是" if v else "否")
                elif isinstance(v, dt.date):
                    ws.write_datetime(i, c, dt.datetime(v.year, v.month, v.day), datefmt)
                elif isinstance(v, (int, float, decimal.Decimal)):
                    ws.write_number(i, c, float(v))
                else:
                    ws.write_string(i, c, str(v))
    wb.close()
    return path


def write_return(path: Path, ret: dict, fmt: str = "xlsx") -> Path:
    return write_xlsx(path, ret) if fmt == "xlsx" else write_csvzip(path, ret)


def write_world_files(world, folder: Path, fmt: str = "mixed") -> dict[str, tuple[str, str]]:
    """Every return of the world into folder; returns file name -> (unit_code, period)."""
    out = {}
    for i, ((unit, period), ret) in enumerate(sorted(world.returns.items())):
        f = fmt if fmt != "mixed" else ("xlsx" if i % 2 == 0 else "csvzip")
        name = f"{unit}_{period}.{'xlsx' if f == 'xlsx' else 'zip'}"
        write_return(Path(folder) / name, ret, f)
        out[name] = (unit, period)
    return out


def expected_rows(world) -> dict[str, int]:
    """Data rows the generator's returns hold, per raw table."""
    n = {f.key: 0 for f in forms.DATA_FORMS}
    for ret in world.returns.values():
        for f in forms.DATA_FORMS:
            n[f.key] += len(_rows(ret, f))
    return n
