"""Cell normalisers: one raw cell (text or a native value from the reader) -> typed value.

Every function returns ``(value, problem)``: ``value`` is the typed value (``None`` for a blank cell or when
the cell does not parse) and ``problem`` is ``None`` or a Chinese phrase saying what is expected.  They never
raise, whatever the input (property-tested).

Accepted spellings follow returns.md §1 and decisions D21–D23.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation

# Characters removed anywhere in a cell: zero-width and other format characters (category Cf).
# Characters trimmed at both ends: every Unicode space (incl. U+3000 full-width space and NBSP).
_EXCEL_EPOCH = dt.date(1899, 12, 30)
MAX_INT = 10**15

_NUM_RE = re.compile(r"^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$")
_DATE_SEP_RE = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$")
_DATE_ZH_RE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")

TRUE_WORDS = frozenset({"是", "Y", "√", "1", "TRUE"})
FALSE_WORDS = frozenset({"否", "N", "×", "0", "FALSE"})


def _strip_format_chars(text: str) -> str:
    if text.isascii():
        return text.strip()
    t = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return t.strip()  # str.strip() removes U+3000, NBSP and the other Unicode spaces


def clean_text(raw: object) -> str | None:
    """Text of a cell, trimmed; ``None`` when blank.  Native numbers print without a spurious ``.0``."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        return "是" if raw else "否"
    if isinstance(raw, float):
        if math.isfinite(raw) and raw == int(raw) and abs(raw) < 1e17:
            return str(int(raw))
        return repr(raw)
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat() if raw.time() == dt.time() else raw.isoformat(sep=" ")
    if isinstance(raw, (dt.date, dt.time, dt.timedelta)):
        return raw.isoformat() if not isinstance(raw, dt.timedelta) else str(raw)
    t = _strip_format_chars(str(raw))
    return t or None


def clean_key(raw: object) -> str | None:
    """Identifier-like text (codes, USCC, ID numbers, periods): trimmed, NFKC, upper case, inner spaces removed."""
    t = clean_text(raw)
    if t is None:
        return None
    t = unicodedata.normalize("NFKC", t)
    t = "".join(ch for ch in t if not ch.isspace())
    return t.upper() or None


def _number_text(raw: object) -> str | None:
    t = clean_text(raw)
    if t is None:
        return None
    t = unicodedata.normalize("NFKC", t)
    return "".join(ch for ch in t if not ch.isspace())


def parse_decimal(raw: object) -> tuple[Decimal | None, str | None]:
    """Any number: native, or text with optional thousands separators.  Internal helper."""
    if raw is None:
        return None, None
    if isinstance(raw, bool):
        return None, "应为数字，实际为逻辑值"
    if isinstance(raw, int):
        return Decimal(raw), None
    if isinstance(raw, float):
        if not math.isfinite(raw):
            return None, "应为数字"
        return Decimal(repr(raw)), None
    if isinstance(raw, (dt.date, dt.datetime, dt.time, dt.timedelta)):
        return None, "应为数字，实际为日期"
    t = _number_text(raw)
    if not t:
        return None, None
    m = _NUM_RE.match(t)
    if not m:
        return None, "应为数字（可含千分位逗号），不能含其他文字"
    sign, whole, frac = m.groups()
    try:
        d = Decimal(whole.replace(",", "") + ("." + frac if frac else ""))
    except InvalidOperation:  # pragma: no cover - the regex admits only digits
        return None, "应为数字"
    return (-d if sign == "-" else d), None


def parse_int(raw: object) -> tuple[int | None, str | None]:
    """D21: whole numbers >= 0; ``3.0`` is 3, ``3.5`` and negatives are errors."""
    d, problem = parse_decimal(raw)
    if problem or d is None:
        return None, (problem and problem.replace("应为数字", "应为非负整数", 1))
    if d != d.to_integral_value():
        return None, "应为整数，不能有小数"
    if d < 0:
        return None, "应为非负整数，不能为负数"
    if d >= MAX_INT:
        return None, "数值过大"
    return int(d), None


def parse_money(raw: object) -> tuple[Decimal | None, str | None]:
    """Yuan, >= 0, at most 2 decimals -> Decimal with exactly 2 places."""
    d, problem = parse_decimal(raw)
    if problem or d is None:
        return None, (problem and problem.replace("应为数字", "应为金额（元）", 1))
    if d < 0:
        return None, "金额不能为负数"
    if d >= MAX_INT:
        return None, "金额过大"
    q = d.quantize(Decimal("0.01"))
    if q != d:
        if isinstance(raw, float) and abs(q - d) < Decimal("1e-6"):
            return q, None  # binary floating-point noise from the spreadsheet
        return None, "金额最多保留两位小数"
    return q, None


def parse_number(raw: object) -> tuple[float | None, str | None]:
    """Decimal number (学时); the sign is checked by the rule that needs it (R14)."""
    d, problem = parse_decimal(raw)
    if problem or d is None:
        return None, problem
    if abs(d) >= MAX_INT:
        return None, "数值过大"
    return float(d), None


def parse_bool(raw: object) -> tuple[bool | None, str | None]:
    """D23: 是/否, Y/N (any case), √/×, 1/0, TRUE/FALSE."""
    if raw is None:
        return None, None
    if isinstance(raw, bool):
        return raw, None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if raw == 1:
            return True, None
        if raw == 0:
            return False, None
        return None, "应为 是/否"
    t = clean_text(raw)
    if t is None:
        return None, None
    t = unicodedata.normalize("NFKC", t).strip().upper()
    if t in TRUE_WORDS:
        return True, None
    if t in FALSE_WORDS:
        return False, None
    return None, "应为 是/否（也接受 Y/N、√/×、1/0、TRUE/FALSE）"


def _make_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def parse_date(raw: object) -> tuple[dt.date | None, str | None]:
    """D22: Excel dates (native or serial), 2020-03-31, 2020/3/31, 2020年3月31日, 2020.03.31."""
    expected = "应为日期，如 2020-03-31、2020/3/31、2020年3月31日 或 2020.03.31"
    if raw is None:
        return None, None
    if isinstance(raw, dt.datetime):
        return raw.date(), None
    if isinstance(raw, dt.date):
        return raw, None
    if isinstance(raw, bool):
        return None, expected
    if isinstance(raw, (int, float)):
        # Excel serial date (1900 system, cells without a date format)
        if not math.isfinite(raw) or raw != int(raw) or not (1 <= raw <= 2958465):
            return None, expected
        n = int(raw)
        if n < 61:  # Excel's fictitious 1900-02-29 shifts serials below 61
            n += 1
        return _EXCEL_EPOCH + dt.timedelta(days=n), None
    t = clean_text(raw)
    if t is None:
        return None, None
    t = unicodedata.normalize("NFKC", t).replace(" ", "")
    m = _DATE_SEP_RE.match(t)
    if m:
        y, _, mo, d = m.groups()
        value = _make_date(int(y), int(mo), int(d))
        return (value, None) if value else (None, "日期不存在")
    m = _DATE_ZH_RE.match(t)
    if m:
        value = _make_date(*(int(g) for g in m.groups()))
        return (value, None) if value else (None, "日期不存在")
    return None, expected


def parse_code(raw: object, allowed: tuple[str, ...]) -> tuple[str | None, str | None]:
    """A value of a code list: trimmed, NFKC; letters compared case-insensitively."""
    t = clean_text(raw)
    if t is None:
        return None, None
    if t in allowed:
        return t, None
    k = "".join(ch for ch in unicodedata.normalize("NFKC", t) if not ch.isspace())
    for code in allowed:
        if k == code or k.upper() == unicodedata.normalize("NFKC", code).upper():
            return code, None
    shown = "、".join(allowed) if len(allowed) <= 10 else "、".join(allowed[:10]) + " 等"
    return None, f"不在代码表中，应为：{shown}"
