"""Writers: one return → an .xlsx workbook (xlsxwriter) or a zip of CSVs; a whole world → files.

Output is byte-identical for identical input: the workbook's created date is fixed and xlsxwriter stamps
zip members 1980-01-01; CSV zips use a fixed member timestamp too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path

from liangxin.forms import FORMS, fields_for

FIXED_CREATED = dt.datetime(2020, 1, 1, 0, 0, 0)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class Sheet:
    """A sheet as written: name, header texts, rows of cell values (typed values or raw text)."""

    __slots__ = ("name", "headers", "rows")

    def __init__(self, name: str, headers: list[str], rows: list[list]):
        self.name, self.headers, self.rows = name, headers, rows


def return_sheets(ret: dict[str, list[dict]]) -> list[Sheet]:
    """The sheets of a return in FORMS order (row 1 = headers, data from row 2), with the columns of the
    template version its cover names (``forms.fields_for``; a return without a cover: every column)."""
    cover = (ret.get("cover") or [{}])[0]
    version = cover.get("template_version")
    out = []
    for form in FORMS:
        fields = fields_for(form, version)
        names = [f.name for f in fields]
        out.append(
            Sheet(form.sheet, [f.label for f in fields], [[r.get(n) for n in names] for r in ret.get(form.key, [])])
        )
    return out


def _text(v) -> str:
    """Cell value as CSV text: dates ISO, bools 是/否, None empty, money with 2 decimals."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return f"{v:.2f}"
    if isinstance(v, float):
        return repr(v) if v != int(v) else str(int(v)) if abs(v) < 1e15 else repr(v)
    return str(v)


def write_xlsx(sheets: list[Sheet], path: Path) -> Path:
    from liangxin.workbooks import xlsxwriter_workbook

    wb = xlsxwriter_workbook(path, constant_memory=False)
    wb.set_properties({"created": FIXED_CREATED, "author": "liangxin generator", "title": "两新组织党建工作季报"})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    money_fmt = wb.add_format({"num_format": "0.00"})
    head_fmt = wb.add_format({"bold": True})
    for sh in sheets:
        ws = wb.add_worksheet(sh.name)
        ws.write_row(0, 0, sh.headers, head_fmt)
        ws.set_column(0, len(sh.headers) - 1, 14)
        ws_string, ws_number, ws_date, ws_bool = ws.write_string, ws.write_number, ws.write_datetime, ws.write_string
        for r, row in enumerate(sh.rows, start=1):
            for c, v in enumerate(row):
                if v is None:
                    continue
                t = type(v)
                if t is str:
                    ws_string(r, c, v)
                elif t is bool:
                    ws_bool(r, c, "是" if v else "否")
                elif t is int or t is float:
                    ws_number(r, c, v)
                elif t is Decimal:
                    ws_number(r, c, float(v), money_fmt)
                elif t is dt.date:
                    ws_date(r, c, dt.datetime(v.year, v.month, v.day), date_fmt)
                else:
                    ws_string(r, c, str(v))
    wb.close()
    return path


def csv_bytes(sheet: Sheet, encoding: str) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(sheet.headers)
    for row in sheet.rows:
        w.writerow([_text(v) for v in row])
    return buf.getvalue().encode(encoding)


def write_csvzip(sheets: list[Sheet], path: Path, encoding: str = "utf-8") -> Path:
    """A zip holding ``<sheet name>.csv`` per sheet (deterministic member timestamps)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for sh in sheets:
            info = zipfile.ZipInfo(f"{sh.name}.csv", ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.flag_bits |= 0x800  # UTF-8 member names
            zf.writestr(info, csv_bytes(sh, encoding))
    return path


def return_path(out_dir: Path, unit_code: str, period: str, fmt: str) -> Path:
    return Path(out_dir) / period / f"{unit_code}_{period}.{'xlsx' if fmt == 'xlsx' else 'zip'}"


def write_return(ret: dict, path: Path, fmt: str = "xlsx", encoding: str = "utf-8", sheets=None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sheets = sheets if sheets is not None else return_sheets(ret)
    if fmt == "xlsx":
        return write_xlsx(sheets, path)
    if fmt == "csvzip":
        return write_csvzip(sheets, path, encoding)
    raise ValueError(f"unknown format {fmt!r} (xlsx, csvzip)")


_JOB: dict = {}


def _write_one(i: int) -> str:
    world, keys, out_dir, fmt, encoding = (_JOB[k] for k in ("world", "keys", "out", "fmt", "enc"))
    unit, period = keys[i]
    return str(write_return(world.returns[(unit, period)], return_path(out_dir, unit, period, fmt), fmt, encoding))


def _threads() -> int:
    """OS threads of this process (Python's and native ones)."""
    import os

    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        import threading

        return threading.active_count()


def write_world(
    world, out_dir, fmt: str = "xlsx", encoding: str = "utf-8", progress: bool = True, workers: int | None = None
) -> list[Path]:
    """Write every return of the world: ``<out>/<period>/<unit_code>_<period>.xlsx|.zip``; returns the paths.

    ``workers`` > 1 writes in forked worker processes (default: the number of CPUs, 1 where fork is missing);
    the files do not depend on the number of workers.
    """
    import multiprocessing as mp
    import os

    if fmt not in ("xlsx", "csvzip"):
        raise ValueError(f"unknown format {fmt!r} (xlsx, csvzip)")
    if encoding not in ("utf-8", "utf-8-sig", "gb18030"):
        raise ValueError(f"unknown encoding {encoding!r} (utf-8, utf-8-sig, gb18030)")
    out_dir = Path(out_dir)
    keys = [(c["unit_code"], p) for p in world.periods for c in world.communities]
    for p in world.periods:
        (out_dir / p).mkdir(parents=True, exist_ok=True)
    if workers is None:
        workers = os.cpu_count() or 1
    if "fork" not in mp.get_all_start_methods() or len(keys) < 8 or _threads() > 1:
        # fork() in a process that already runs other threads (DuckDB, Dagster, gRPC …) can leave the child
        # waiting forever on a lock some thread held at the fork: write serially there
        workers = 1
    _JOB.update(world=world, keys=keys, out=out_dir, fmt=fmt, enc=encoding)
    pool = mp.get_context("fork").Pool(workers) if workers > 1 else None  # before the progress thread starts
    bar = task = None
    if progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        bar = Progress(TextColumn("写出报表 writing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        bar.start()
        task = bar.add_task("write", total=len(keys))
    try:
        if pool is not None:
            with pool:
                for _ in pool.imap(_write_one, range(len(keys)), chunksize=4):
                    if bar is not None:
                        bar.advance(task)
                # the workers end on their own: leaving the block only terminates (SIGTERM) the pool, and a process
                # whose SIGTERM is ignored (inherited, D223) would never end, so the exit would wait forever
                pool.close()
                pool.join()
        else:
            for i in range(len(keys)):
                _write_one(i)
                if bar is not None:
                    bar.advance(task)
    finally:
        _JOB.clear()
        if bar is not None:
            bar.stop()
    return [return_path(out_dir, u, p, fmt) for u, p in keys]
