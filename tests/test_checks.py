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


# ---------------------------------------------------------------------------------------------------------------
# python-stdnum computes the check characters now (D200): property tests that it agrees with the spec's formula,
# re-typed below as the code was before, on generated valid codes and on corrupted and arbitrary ones.

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def _ref_uscc_check_char(first17: str) -> str:
    if len(first17) != 17:
        raise ValueError("USCC body must be 17 characters")
    total = 0
    for ch, w in zip(first17.upper(), WEIGHTS):
        v = ALPHABET.find(ch)
        if v < 0:
            raise ValueError(f"character {ch!r} is not allowed in a USCC")
        total += v * w
    return ALPHABET[(31 - total % 31) % 31]


def _ref_uscc_valid(code) -> bool:
    if not code or len(code) != 18:
        return False
    code = code.upper()
    try:
        return _ref_uscc_check_char(code[:17]) == code[17]
    except ValueError:
        return False


def _ref_id_check_char(first17: str) -> str:
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("citizen ID body must be 17 digits")
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def _ref_id_valid(code) -> bool:
    if not code or len(code) != 18:
        return False
    code = code.upper()
    if not code[:17].isdigit():
        return False
    if _ref_id_check_char(code[:17]) != code[17]:
        return False
    return checks.id_birth_date(code) is not None


def _outcome(fn, *args):
    try:
        return ("ok", fn(*args))
    except Exception as exc:  # the same exception type, or the same value
        return ("raised", type(exc))


USCC_BODY = st.text(alphabet=ALPHABET + ALPHABET.lower(), min_size=17, max_size=17)
# the characters a hostile or careless cell can hold in a code: separators stdnum would strip, letters outside
# the alphabet (I O S V Z), full-width and other Unicode digits, superscripts
NOISE = st.sampled_from(list(" -_.IOSVZiosvz/+\t０１９٣²") + ["\u00a0"])
ID_BODY = st.builds(
    lambda region, d, seq: region + d.strftime("%Y%m%d") + seq,
    st.from_regex(r"\A[1-9][0-9]{5}\Z"),
    st.dates(dt.date(1900, 1, 1), dt.date(2030, 12, 31)),
    st.from_regex(r"\A[0-9]{3}\Z"),
)


@settings(max_examples=1500, deadline=None)
@given(USCC_BODY, st.integers(0, 17), st.one_of(st.sampled_from(ALPHABET), NOISE), st.booleans())
def test_uscc_stdnum_equals_the_spec_formula(body, pos, replacement, transpose):
    assert checks.uscc_check_char(body) == _ref_uscc_check_char(body)
    valid = body + _ref_uscc_check_char(body)
    assert checks.uscc_valid(valid) and checks.uscc_valid(valid.lower()) == _ref_uscc_valid(valid.lower())
    corrupted = valid[:pos] + replacement + valid[pos + 1 :]
    if transpose and pos < 17:
        corrupted = valid[:pos] + valid[pos + 1] + valid[pos] + valid[pos + 2 :]
    assert checks.uscc_valid(corrupted) == _ref_uscc_valid(corrupted)
    assert _outcome(checks.uscc_check_char, corrupted[:17]) == _outcome(_ref_uscc_check_char, corrupted[:17])


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.one_of(st.sampled_from(ALPHABET), NOISE), min_size=16, max_size=19))
def test_uscc_stdnum_equals_the_spec_formula_on_any_text(text):
    assert checks.uscc_valid(text) == _ref_uscc_valid(text)
    assert _outcome(checks.uscc_check_char, text) == _outcome(_ref_uscc_check_char, text)


@settings(max_examples=1500, deadline=None)
@given(ID_BODY, st.integers(0, 17), st.one_of(st.sampled_from("0123456789Xx"), NOISE), st.booleans())
def test_citizen_id_stdnum_equals_the_spec_formula(body, pos, replacement, transpose):
    assert checks.id_check_char(body) == _ref_id_check_char(body)
    valid = body + _ref_id_check_char(body)
    assert checks.id_valid(valid) and checks.id_valid(valid.lower())
    corrupted = valid[:pos] + replacement + valid[pos + 1 :]
    if transpose and pos < 17:
        corrupted = valid[:pos] + valid[pos + 1] + valid[pos] + valid[pos + 2 :]
    assert _outcome(checks.id_valid, corrupted) == _outcome(_ref_id_valid, corrupted)
    assert _outcome(checks.id_check_char, corrupted[:17]) == _outcome(_ref_id_check_char, corrupted[:17])


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.one_of(st.sampled_from("0123456789Xx"), NOISE), min_size=16, max_size=19))
def test_citizen_id_stdnum_equals_the_spec_formula_on_any_text(text):
    assert _outcome(checks.id_valid, text) == _outcome(_ref_id_valid, text)
    assert _outcome(checks.id_check_char, text[:17]) == _outcome(_ref_id_check_char, text[:17])


def test_why_stdnum_validate_is_not_used():
    """stdnum's own validity is stricter than rules I1/I2 (D200): a USCC whose 登记管理部门代码 is a letter and an ID
    whose birthplace code is not in stdnum's table are valid codes for us."""
    from stdnum.cn import ric, uscc

    body = "Y1330100MA2AAAAA1"  # 'Y' = 其他登记管理部门 (GB 32100 table 1)
    code = body + checks.uscc_check_char(body)
    assert checks.uscc_valid(code) and not uscc.is_valid(code)
    assert uscc.is_valid("91350100-M000100Y43") and not checks.uscc_valid("91350100-M000100Y43")  # stdnum strips '-'
    body = "99999919800101001"  # no such region, but the check character is right
    pid = body + checks.id_check_char(body)
    assert checks.id_valid(pid) and not ric.is_valid(pid)
