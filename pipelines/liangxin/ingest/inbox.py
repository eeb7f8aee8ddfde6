"""The inbox: which files to ingest and in which order (:func:`collect_files`, by the period and 更正序号 read
leniently from the cover) and processed files leaving it (:func:`leave_inbox`, D122)."""

from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path

from liangxin import forms
from liangxin.ingest.archive import archive_file
from liangxin.ingest.outcome import FAILED, SUFFIXES, IngestOutcome

log = logging.getLogger("liangxin.ingest")


def _in_folder(path: Path, folder: Path | None) -> bool:
    if folder is None:
        return False
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except (ValueError, OSError):
        return False


def leave_inbox(outcomes: list[IngestOutcome], inbox_dir: Path | None, archive_dir: Path) -> int:
    """Move every processed file out of the inbox into the archive (D122): accepted, rejected and duplicate
    files alike; a file with an internal failure stays for a re-run.  The archive keeps the bytes under their
    SHA-256 (``archive/<sha[:2]>/<sha>.<ext>``, the original name in ``receipts.jsonl`` / the receipt), so the
    inbox copy is removed once its archived copy exists; a file outside the inbox is never touched."""
    n = 0
    for o in outcomes:
        if o.outcome == FAILED or not o.sha256 or not _in_folder(o.path, inbox_dir) or not o.path.exists():
            continue
        try:
            ext = Path(o.original_name).suffix.lower().lstrip(".") or "bin"
            kept = Path(archive_dir) / o.sha256[:2] / f"{o.sha256}.{ext}"
            if not (kept.exists() or any((Path(archive_dir) / o.sha256[:2]).glob(f"{o.sha256}.*"))):
                archive_file(o.path, o.sha256, o.original_name, Path(archive_dir))  # a duplicate never archived
            o.path.unlink()
            n += 1
        except OSError as exc:
            log.warning("未能从收件箱移走 %s：%s", o.original_name, exc)
    return n


def _norm(text: object) -> str:
    return unicodedata.normalize("NFKC", str(text if text is not None else "")).strip()


def peek_cover(path: Path) -> tuple[str | None, int | None]:
    """(period, correction_no) read leniently from the cover, for ordering only (never for validation).

    Bounded (validate.reader.peek_cover_rows): the container limits of a full read, at most 256 KiB of
    any part decompressed, never the spreadsheet library (this runs in the main process)."""
    from liangxin.validate.reader import peek_cover_rows

    cover = forms.normalise_header(forms.COVER.sheet)
    rows = peek_cover_rows(path, lambda name: forms.normalise_header(_norm(name)) == cover)
    if len(rows) < 2:
        return None, None
    header = [forms.normalise_header(h) for h in rows[0]]
    values = dict(zip(header, rows[1]))
    period = _norm(values.get("报告期")).upper() or None
    corr = _norm(values.get("更正序号"))
    m = re.match(r"^(\d+)(\.0+)?$", corr)
    return period, (int(m.group(1)) if m else None)


def collect_files(paths_in: list[Path]) -> list[Path]:
    """Files as given plus *.xlsx / *.zip found recursively in folders, ordered by period, correction, name."""
    files: list[Path] = []
    for p in paths_in:
        p = Path(p)
        if p.is_dir():
            files += [
                f
                for f in p.rglob("*")
                if f.is_file() and f.suffix.lower() in SUFFIXES and not f.name.startswith(("~$", "."))
            ]
        else:
            files.append(p)
    seen: set[Path] = set()
    unique = [f for f in files if not (f.resolve() in seen or seen.add(f.resolve()))]

    def key(f: Path):
        period, corr = peek_cover(f)
        return (period is None, period or "", corr if corr is not None else 0, f.name, str(f))

    return sorted(unique, key=key)
