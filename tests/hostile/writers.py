"""Fast writers of generated returns (world.returns values) for the reliability and security tests.

Independent of the generator's own writers (still being finished): CSV zips are plain ``csv`` + ``zipfile``
(milliseconds per file), workbooks use xlsxwriter (dates as Excel dates, booleans as 是/否).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from liangxin import forms


def _rows(ret: dict, form) -> list[dict]:
    rows = ret.get(form.key) or []
    return [rows] if isinstance(rows, dict) else list(rows)


from returnbuilder import _csv_value as _text  # noqa: E402  (one cell-to-text rule for test CSVs)


def csv_member(ret: dict, form, encoding: str = "utf-8", bom: bool = False, newline: str = "\r\n") -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator=newline)
    cover = _rows(ret, forms.COVER)
    version = cover[0].get("template_version") if cover else None  # the columns of the return's version
    w.writerow(forms.headers_for(form, version))
    names = forms.names_for(form, version)
    for r in _rows(ret, form):
        w.writerow([_text(r.get(n)) for n in names])
    data = buf.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def write_return(path: Path, ret: dict, fmt: str = "xlsx") -> Path:
    """One return as the generator writes it (xlsx, or a CSV zip)."""
    from liangxin.generator import write_return as generator_write

    ret = {k: ([v] if isinstance(v, dict) else v) for k, v in ret.items()}
    return generator_write(ret, Path(path), "xlsx" if fmt == "xlsx" else "csvzip")


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
