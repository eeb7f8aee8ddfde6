"""Person keys and masking (returns.md §5)."""

import hashlib
import hmac
import subprocess
import sys

import pytest

from liangxin import privacy
from liangxin.settings import Settings


def secret_now() -> bytes:
    """The checked secret of the current environment, as an edge builds it (Settings reads the env)."""
    return Settings.from_env().secret()


SECRET = "test-district-secret"
ID = "11010519491231002X"  # GB 11643 example: born 1949-12-31, female


@pytest.fixture
def secret(monkeypatch):
    monkeypatch.setenv("LIANGXIN_HMAC_SECRET", SECRET)
    monkeypatch.delenv("LIANGXIN_ENV", raising=False)
    return SECRET


def test_person_key_is_hmac_sha256_of_upper_trimmed_id(secret):
    expected = hmac.new(SECRET.encode(), ID.encode(), hashlib.sha256).hexdigest()
    assert privacy.person_key(ID, secret_now()) == expected
    assert privacy.person_key("  11010519491231002x ", secret_now()) == expected
    assert len(expected) == 64
    assert privacy.person_key("110105194912310029", secret_now()) != expected


def test_person_key_depends_on_secret(monkeypatch):
    monkeypatch.setenv("LIANGXIN_HMAC_SECRET", "a")
    ka = privacy.person_key(ID, secret_now())
    monkeypatch.setenv("LIANGXIN_HMAC_SECRET", "b")
    assert privacy.person_key(ID, secret_now()) != ka


def test_birth_year_and_sex_from_id():
    assert privacy.birth_year(ID) == 1949
    assert privacy.sex(ID) == "女"  # 17th digit 2 is even
    assert privacy.birth_year("110105198003070035") == 1980
    assert privacy.sex("110105198003070035") == "男"  # 17th digit 3 is odd
    assert privacy.birth_year("11010519801307003X") is None  # month 13


@pytest.mark.parametrize(
    "name, masked",
    [
        ("张三丰", "张*"),
        ("李四", "李*"),
        (" 王五 ", "王*"),
        ("欧阳修", "欧阳*"),
        ("司马相如", "司马*"),
        ("诸葛亮", "诸葛*"),
        ("上官婉儿", "上官*"),
        ("东方朔", "东方*"),
        ("皇甫谧", "皇甫*"),
        ("尉迟恭", "尉迟*"),
        ("公孙胜", "公孙*"),
        ("慕容复", "慕容*"),
        ("长孙无忌", "长孙*"),
        ("宇文化及", "宇文*"),
        ("司徒雷", "司徒*"),
        ("夏侯惇", "夏侯*"),
        ("轩辕明", "轩辕*"),
        ("令狐冲", "令狐*"),
        ("钟离春", "钟离*"),
        ("欧", "欧*"),
        ("", None),
        (None, None),
    ],
)
def test_mask_name(name, masked):
    assert privacy.mask_name(name) == masked


@pytest.mark.parametrize(
    "phone, masked",
    [
        ("13812348000", "138****8000"),
        (" 138 1234 8000 ", "138****8000"),
        ("057188001234", "057*****1234"),
        ("88001234", "880*1234"),
        ("8800123", "*******"),
        ("110", "***"),
        ("", None),
        (None, None),
    ],
)
def test_mask_phone(phone, masked):
    assert privacy.mask_phone(phone) == masked


def test_default_secret_warns_loudly_once():
    code = (
        "import os; os.environ.pop('LIANGXIN_HMAC_SECRET', None); os.environ.pop('LIANGXIN_ENV', None);"
        "from liangxin import privacy; from liangxin.settings import Settings; "
        "a = privacy.person_key('11010519491231002X', Settings().secret()); "
        "b = privacy.person_key('11010519491231002X', Settings().secret()); assert a == b; print(a)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.count("LIANGXIN_HMAC_SECRET") >= 1
    assert out.stderr.count("警告") == 1  # once per process
    expected = hmac.new(privacy.DEV_DEFAULT_SECRET.encode(), ID.encode(), hashlib.sha256).hexdigest()
    assert out.stdout.strip() == expected


def test_production_refuses_missing_or_default_secret(monkeypatch):
    monkeypatch.setenv("LIANGXIN_ENV", "production")
    monkeypatch.delenv("LIANGXIN_HMAC_SECRET", raising=False)
    with pytest.raises(privacy.SecretConfigurationError, match="LIANGXIN_HMAC_SECRET"):
        privacy.person_key(ID, secret_now())
    monkeypatch.setenv("LIANGXIN_HMAC_SECRET", privacy.DEV_DEFAULT_SECRET)
    with pytest.raises(privacy.SecretConfigurationError):
        secret_now()
    monkeypatch.setenv("LIANGXIN_HMAC_SECRET", "a-real-district-secret-7Qm2xZ9pLk4Rv8Wn")
    assert secret_now() == b"a-real-district-secret-7Qm2xZ9pLk4Rv8Wn"


@pytest.mark.parametrize("weak", ["x", "a-real-district-secret-9f3c", "ab" * 40, "0123456789" * 4])
def test_production_refuses_a_weak_secret(monkeypatch, weak):
    """Issue 19: a 1-character secret was accepted in production.  At least 32 characters, 12 different."""
    monkeypatch.setenv("LIANGXIN_ENV", "production")
    monkeypatch.setenv("LIANGXIN_HMAC_SECRET", weak)
    with pytest.raises(privacy.SecretConfigurationError, match="强度不足"):
        secret_now()
    monkeypatch.delenv("LIANGXIN_ENV")
    assert secret_now() == weak.encode()  # development: any secret (tests use short ones)


def test_fingerprint_identifies_without_revealing():
    a, b = privacy.secret_fingerprint(b"s1" * 20), privacy.secret_fingerprint(b"s2" * 20)
    assert a != b and len(a) == 64 and "s1" not in a
    assert privacy.DEV_FINGERPRINT == privacy.secret_fingerprint(privacy.DEV_DEFAULT_SECRET.encode())
