"""Check characters of the USCC (GB 32100-2015) and the citizen ID number (GB 11643-1999), returns.md §4.

The check-character arithmetic is python-stdnum's (``stdnum.cn.uscc``, ``stdnum.cn.ric``); what counts as valid
stays ours (decisions D200): stdnum's ``is_valid`` is stricter than our rules I1/I2 — a USCC must have digits in
positions 1–8 (GB 32100 allows a letter, e.g. ``Y`` 其他登记管理部门) and a citizen ID a birthplace code in its
table — and its ``compact`` drops spaces and hyphens, which our rules count as wrong characters.  So the length and
alphabet are checked here first, and only then is stdnum asked for the check character.
"""

from __future__ import annotations

import datetime as _dt
import functools

from stdnum.cn import ric as _ric
from stdnum.cn import uscc as _uscc

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# positions 1–2 of the USCC
USCC_PREFIX_ENTERPRISE = "91"
USCC_PREFIX_INDIVIDUAL = "92"  # 个体工商户: not a two-new unit
USCC_PREFIX_SOCIAL_GROUP = "51"
USCC_PREFIX_PRIVATE_NON_ENTERPRISE = "52"
USCC_PREFIX_FOUNDATION = "53"
USCC_PREFIX_LAW_FIRM = "31"


def uscc_check_char(first17: str) -> str:
    """The 18th character for the first 17 characters of a USCC (raises ValueError on a bad character)."""
    if len(first17) != 17:
        raise ValueError("USCC body must be 17 characters")
    body = first17.upper()
    for ch in body:
        if ch not in USCC_ALPHABET:
            raise ValueError(f"character {ch!r} is not allowed in a USCC")
    return _uscc.calc_check_digit(body)


@functools.lru_cache(maxsize=1 << 16)  # the same units come back every quarter
def uscc_valid(code: str | None) -> bool:
    if not code or len(code) != 18:
        return False
    code = code.upper()
    try:
        return uscc_check_char(code[:17]) == code[17]
    except ValueError:
        return False


def id_check_char(first17: str) -> str:
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("citizen ID body must be 17 digits")
    return _ric.calc_check_digit(first17 + "0")  # stdnum takes the whole number and ignores its last character


def id_birth_date(code: str) -> _dt.date | None:
    try:
        return _dt.date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except (ValueError, IndexError):
        return None


def id_valid(code: str | None) -> bool:
    """Check character right and positions 7–14 a real date (rule I2)."""
    if not code or len(code) != 18:
        return False
    code = code.upper()
    if not code[:17].isdigit():
        return False
    if id_check_char(code[:17]) != code[17]:
        return False
    return id_birth_date(code) is not None


def id_sex(code: str) -> str:
    """'男' when the 17th digit is odd, else '女'."""
    return "男" if int(code[16]) % 2 == 1 else "女"
