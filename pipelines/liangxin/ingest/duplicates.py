"""Duplicates (重复报送): the receipt in ``outbox/duplicate/`` naming the first submission (D121)."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from liangxin.ingest.outcome import OUTCOME_LABELS, IngestOutcome

log = logging.getLogger("liangxin.ingest")

DUPLICATE_TITLE = "重复报送，已忽略"


def _duplicate_receipt(out: IngestOutcome, outbox_dir: Path, first_in_batch: dict[str, dict]) -> Path | None:
    """Write ``outbox/duplicate/<unit>_<period>_<sha8>_重复报送.txt``: the file was ignored and which earlier
    submission (file name, unit, period, 更正序号, outcome, receipt time) has the same SHA-256 (D121)."""
    from liangxin.reports import safe_name_part

    first = out.duplicate_of or first_in_batch.get(out.sha256)
    out.duplicate_of = first
    try:
        folder = Path(outbox_dir) / "duplicate"
        folder.mkdir(parents=True, exist_ok=True)
        unit = (first or {}).get("unit_code") or out.unit_code
        period = (first or {}).get("period") or out.period
        target = folder / (
            f"{safe_name_part(unit, '未知单位')}_{safe_name_part(period, '未知报告期')}_{out.sha256[:8]}_重复报送.txt"
        )
        target.write_text(duplicate_text(out) + "\n", encoding="utf-8")
        out.duplicate_receipt = target
        return target
    except OSError as exc:  # the receipt is a courtesy: never fail the run for it
        log.warning("重复报送回执未能写入：%s", exc)
        return None


def duplicate_text(out: IngestOutcome) -> str:
    """The duplicate receipt in Chinese (also printed by ``liangxin ingest``)."""
    first = out.duplicate_of or {}
    now = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")
    if first:
        corr = first.get("correction_no")
        what = (
            f"首次报送：{first.get('original_name')}（填报单位 {first.get('unit_code') or '—'} "
            f"{first.get('unit_name') or ''}，报告期 {first.get('period') or '—'}，"
            f"更正序号 {'—' if corr is None else corr}，审核结论 "
            f"{OUTCOME_LABELS.get(first.get('outcome'), first.get('outcome') or '—')}，"
            f"接收时间 {first.get('received_at') or '—'}）"
        )
    else:
        what = "首次报送：同一批次中内容相同的另一文件"
    return "\n".join(
        [
            DUPLICATE_TITLE,
            f"文件名：{out.original_name}",
            f"SHA-256：{out.sha256}",
            f"接收时间：{now}",
            what,
            "本文件与首次报送的文件内容完全相同（SHA-256 一致），未重新审核、未入库，也不触发重新构建。"
            "如需更正数据，请修改后以新的更正序号（加1）重新报送。",
        ]
    )
