"""How liangxin writes every .xlsx it produces: the receipt (``reports``), the blank template (``template``), the
annual return (``annual``) and the generator's returns (``generator.writer``).

- **Atomic**: a workbook is written under a hidden temporary name in the target folder and renamed into place
  (:func:`atomic_output`), so a reader never sees half a file and a crash leaves only a ``.*.part`` leftover
  (``reports.remove_stale_parts`` sweeps them in the outbox).
- **Text stays text**: xlsxwriter never turns a string into a formula, URL or number (:data:`XLSXWRITER_OPTIONS`);
  submitted text is neutralised before it is written (``liangxin.neutral.cell_text``, the formula-prefix rule).
- Two engines: xlsxwriter for the large, write-only workbooks (receipts, generated returns); openpyxl where
  the workbook needs features xlsxwriter lacks or is read back (template data validation, the annual return).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

# strings are written as strings: never a formula (=, +, -, @ …), a hyperlink, or a number
XLSXWRITER_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a private temporary path beside ``path`` (``.<stem>….part``, mode 0600); on success it replaces
    ``path`` atomically, on failure it is removed and ``path`` is left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # unique name: several processes may write files of one batch into the same folder
    fd, name = tempfile.mkstemp(prefix="." + path.stem, suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def xlsxwriter_workbook(path: Path, **options: object):
    """An ``xlsxwriter.Workbook`` at ``path`` with :data:`XLSXWRITER_OPTIONS` (and ``options``)."""
    import xlsxwriter

    return xlsxwriter.Workbook(str(path), {**XLSXWRITER_OPTIONS, **options})


def save_openpyxl(workbook, path: Path) -> Path:
    """Save an openpyxl workbook to ``path`` atomically; returns the path."""
    with atomic_output(path) as tmp:
        workbook.save(tmp)
    return Path(path)
