"""Check characters of the USCC (GB 32100-2015) and the citizen ID number (GB 11643-1999), returns.md §4."""

from __future__ import annotations

import datetime as _dt
import functools

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

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
    total = 0
    for ch, w in zip(first17.upper(), USCC_WEIGHTS):
        v = USCC_ALPHABET.find(ch)
        if v < 0:
            raise ValueError(f"character {ch!r} is not allowed in a USCC")
        total += v * w
    return USCC_ALPHABET[(31 - total % 31) % 31]


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
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


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
