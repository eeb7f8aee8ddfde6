"""Check characters (returns.md §4), against independently known values."""

import datetime as dt

import pytest

from liangxin import checks

# The spec's formula, re-typed here from returns.md §4 so that the module is not its own oracle.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def _by_hand(body: str) -> str:
    s = 0
    for i, ch in enumerate(body):
        s += ALPHABET.index(ch) * WEIGHTS[i]
    return ALPHABET[(31 - s % 31) % 31]


@pytest.mark.parametrize("body", ["91330199MA2H0000X", "51330199MJ0000012", "52330199MJ00000AB", "31330000E00000001"])
def test_uscc_check_char_matches_spec_formula(body):
    assert checks.uscc_check_char(body) == _by_hand(body)
    assert checks.uscc_valid(body + _by_hand(body))


def test_uscc_known_public_example():
    # A USCC printed on a public business licence sample (GB 32100 worked example): 91350100M000100Y43
    assert checks.uscc_valid("91350100M000100Y43")
    assert not checks.uscc_valid("91350100M000100Y44")


@pytest.mark.parametrize("bad", ["", None, "123", "91350100M000100Y4I", "91350100M000100Y4O"])
def test_uscc_rejects_malformed(bad):
    assert not checks.uscc_valid(bad)


def test_citizen_id_examples():
    # The GB 11643-1999 standard's own example number: 11010519491231002X
    assert checks.id_valid("11010519491231002X")
    assert checks.id_valid("11010519491231002x")
    assert not checks.id_valid("110105194912310021")
    assert checks.id_birth_date("11010519491231002X") == dt.date(1949, 12, 31)
    assert checks.id_sex("11010519491231002X") == "女"  # 17th digit 2 → even → female
    # 440524188001010014 is the textbook male example (17th digit 1)
    assert checks.id_valid("440524188001010014")
    assert checks.id_sex("440524188001010014") == "男"


def test_citizen_id_with_impossible_birth_date_is_invalid():
    body = "11010519490231002"  # 31 February
    full = body + checks.id_check_char(body)
    assert not checks.id_valid(full)
