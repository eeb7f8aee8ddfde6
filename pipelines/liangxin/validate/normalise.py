"""Cell normalisers: one raw cell (text or a native value from the reader) -> typed value.

Every function returns ``(value, problem)``: ``value`` is the typed value (``None`` for a blank cell or when
the cell does not parse) and ``problem`` is ``None`` or a Chinese phrase saying what is expected.  They never
raise, whatever the input (property-tested).

Accepted spellings follow returns.md §1 and decisions D21–D23.

Speed (the validator calls these for every cell): each ``parse_*`` of text is split into ``clean_text`` and a
``*_text`` function taking the already cleaned, non-blank text, so a caller that has cleaned a cell once (or
memoises parses of repeated texts, see ``validate.core``) does not clean it again.  The ``*_text`` functions
are exactly the text branch of the corresponding ``parse_*``.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import sys
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

_CENT = Decimal("0.01")
_NOISE = Decimal("1e-6")
_DATE_EXPECTED = "应为日期，如 2020-03-31、2020/3/31、2020年3月31日 或 2020.03.31"


@functools.lru_cache(maxsize=None)
def _format_char_re() -> re.Pattern[str]:
    """One character class of every format character (category Cf) of this Python's Unicode database.

    Built once, on the first non-ASCII text (a scan of all code points, ~0.1 s), instead of calling
    ``unicodedata.category`` for every character of every cell.
    """
    ranges: list[tuple[int, int]] = []
    for cp in range(sys.maxunicode + 1):
        if unicodedata.category(chr(cp)) == "Cf":
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges) + "]")


def _strip_format_chars(text: str) -> str:
    if text.isascii():  # no ASCII character is a format character
        return text.strip()
    return _format_char_re().sub("", text).strip()  # str.strip() removes U+3000, NBSP and the other Unicode spaces


def _nfkc(t: str) -> str:
    # ASCII text is NFKC-normalised already (the check is O(1): CPython flags ASCII strings)
    return t if t.isascii() else unicodedata.normalize("NFKC", t)


def _no_spaces(t: str) -> str:
    # str.split() splits on exactly the characters for which str.isspace() is true
    return "".join(t.split())


def clean_text(raw: object) -> str | None:
    """Text of a cell, trimmed; ``None`` when blank.  Native numbers print without a spurious ``.0``."""
    if type(raw) is str:  # the common case first (readers give plain str); same as the generic branch below
        t = raw.strip() if raw.isascii() else _strip_format_chars(raw)
        return t or None
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


def key_text(t: str, upper: bool = True) -> str | None:
    """:func:`clean_key` of a cleaned, non-blank text; ``upper=False`` keeps the case."""
    t = _no_spaces(_nfkc(t))
    if upper:
        t = t.upper()
    return t or None


def clean_key(raw: object) -> str | None:
    """Identifier-like text (codes, USCC, ID numbers, periods): trimmed, NFKC, upper case, inner spaces removed."""
    t = clean_text(raw)
    if t is None:
        return None
    return key_text(t)


def decimal_text(t: str) -> tuple[Decimal | None, str | None]:
    """:func:`parse_decimal` of a cleaned, non-blank text."""
    t = _no_spaces(_nfkc(t))
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
    t = clean_text(raw)
    if t is None:
        return None, None
    return decimal_text(t)


def _int_of(d: Decimal | None, problem: str | None) -> tuple[int | None, str | None]:
    if problem or d is None:
        return None, (problem and problem.replace("应为数字", "应为非负整数", 1))
    if d != d.to_integral_value():
        return None, "应为整数，不能有小数"
    if d < 0:
        return None, "应为非负整数，不能为负数"
    if d >= MAX_INT:
        return None, "数值过大"
    return int(d), None


def int_text(t: str) -> tuple[int | None, str | None]:
    """:func:`parse_int` of a cleaned, non-blank text."""
    return _int_of(*decimal_text(t))


def parse_int(raw: object) -> tuple[int | None, str | None]:
    """D21: whole numbers >= 0; ``3.0`` is 3, ``3.5`` and negatives are errors."""
    if type(raw) is float and raw.is_integer() and 0 <= raw < MAX_INT:
        # the common spreadsheet count (3.0): below 2**53 the float is the exact integer its repr shows,
        # so this is what the Decimal route below returns (-0.0 gives 0 on both)
        return int(raw), None
    return _int_of(*parse_decimal(raw))


def _money_of(d: Decimal | None, problem: str | None, from_float: bool) -> tuple[Decimal | None, str | None]:
    if problem or d is None:
        return None, (problem and problem.replace("应为数字", "应为金额（元）", 1))
    if d < 0:
        return None, "金额不能为负数"
    if d >= MAX_INT:
        return None, "金额过大"
    q = d.quantize(_CENT)
    if q != d:
        if from_float and abs(q - d) < _NOISE:
            return q, None  # binary floating-point noise from the spreadsheet
        return None, "金额最多保留两位小数"
    return q, None


def money_text(t: str) -> tuple[Decimal | None, str | None]:
    """:func:`parse_money` of a cleaned, non-blank text."""
    return _money_of(*decimal_text(t), False)


def parse_money(raw: object) -> tuple[Decimal | None, str | None]:
    """Yuan, >= 0, at most 2 decimals -> Decimal with exactly 2 places."""
    return _money_of(*parse_decimal(raw), isinstance(raw, float))


def _number_of(d: Decimal | None, problem: str | None) -> tuple[float | None, str | None]:
    if problem or d is None:
        return None, problem
    if abs(d) >= MAX_INT:
        return None, "数值过大"
    return float(d), None


def number_text(t: str) -> tuple[float | None, str | None]:
    """:func:`parse_number` of a cleaned, non-blank text."""
    return _number_of(*decimal_text(t))


def parse_number(raw: object) -> tuple[float | None, str | None]:
    """Decimal number (学时); the sign is checked by the rule that needs it (R14)."""
    if type(raw) is float and math.isfinite(raw) and abs(raw) < MAX_INT:
        # float(Decimal(repr(x))) == x for every finite float (repr round-trips), and the bound compares
        # the same on x and on its repr: this is what the Decimal route below returns
        return raw, None
    return _number_of(*parse_decimal(raw))


def bool_text(t: str) -> tuple[bool | None, str | None]:
    """:func:`parse_bool` of a cleaned, non-blank text."""
    if not t.isascii():  # cleaned ASCII text is stripped already and NFKC-stable
        t = unicodedata.normalize("NFKC", t).strip()
    t = t.upper()
    if t in TRUE_WORDS:
        return True, None
    if t in FALSE_WORDS:
        return False, None
    return None, "应为 是/否（也接受 Y/N、√/×、1/0、TRUE/FALSE）"


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
    return bool_text(t)


def _make_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def date_text(t: str) -> tuple[dt.date | None, str | None]:
    """:func:`parse_date` of a cleaned, non-blank text."""
    t = _nfkc(t).replace(" ", "")
    m = _DATE_SEP_RE.match(t)
    if m:
        y, _, mo, d = m.groups()
        value = _make_date(int(y), int(mo), int(d))
        return (value, None) if value else (None, "日期不存在")
    m = _DATE_ZH_RE.match(t)
    if m:
        value = _make_date(*(int(g) for g in m.groups()))
        return (value, None) if value else (None, "日期不存在")
    return None, _DATE_EXPECTED


def parse_date(raw: object) -> tuple[dt.date | None, str | None]:
    """D22: Excel dates (native or serial), 2020-03-31, 2020/3/31, 2020年3月31日, 2020.03.31."""
    if raw is None:
        return None, None
    if isinstance(raw, dt.datetime):
        return raw.date(), None
    if isinstance(raw, dt.date):
        return raw, None
    if isinstance(raw, bool):
        return None, _DATE_EXPECTED
    if isinstance(raw, (int, float)):
        # Excel serial date (1900 system, cells without a date format)
        if not math.isfinite(raw) or raw != int(raw) or not (1 <= raw <= 2958465):
            return None, _DATE_EXPECTED
        n = int(raw)
        if n < 61:  # Excel's fictitious 1900-02-29 shifts serials below 61
            n += 1
        return _EXCEL_EPOCH + dt.timedelta(days=n), None
    t = clean_text(raw)
    if t is None:
        return None, None
    return date_text(t)


@functools.lru_cache(maxsize=256)
def _code_keys(allowed: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    # (code, its comparison key) in list order: the per-code NFKC/upper of parse_code, computed once per list
    return tuple((code, unicodedata.normalize("NFKC", code).upper()) for code in allowed)


def code_text(t: str, allowed: tuple[str, ...]) -> tuple[str | None, str | None]:
    """:func:`parse_code` of a cleaned, non-blank text."""
    if t in allowed:
        return t, None
    k = _no_spaces(unicodedata.normalize("NFKC", t))
    ku = k.upper()
    keys = _code_keys(allowed) if type(allowed) is tuple else _code_keys.__wrapped__(allowed)
    for code, code_key in keys:
        if k == code or ku == code_key:
            return code, None
    shown = "、".join(allowed) if len(allowed) <= 10 else "、".join(allowed[:10]) + " 等"
    return None, f"不在代码表中，应为：{shown}"


def parse_code(raw: object, allowed: tuple[str, ...]) -> tuple[str | None, str | None]:
    """A value of a code list: trimmed, NFKC; letters compared case-insensitively."""
    t = clean_text(raw)
    if t is None:
        return None, None
    return code_text(t, allowed)
