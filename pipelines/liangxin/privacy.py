"""Personal data on ingestion (returns.md §5): HMAC person keys, masked names and phones.

Raw citizen ID numbers never enter the warehouse: each becomes
``person_key = HMAC-SHA256(LIANGXIN_HMAC_SECRET, upper(trim(id)))`` (hex), plus the birth year and sex that
the number encodes.  Names are kept as surname + ``*``; phones as ``138****8000``.

The secret comes from ``LIANGXIN_HMAC_SECRET`` (``Settings.hmac_secret``, read at the edge and passed down as
``Settings.secret()`` → :func:`checked_secret`; this module reads no environment).  Without it a development default is used and a loud warning
is printed (once per process); with ``LIANGXIN_ENV=production`` a missing, default or weak secret (fewer than
``MIN_SECRET_LENGTH`` characters or fewer than ``MIN_SECRET_DISTINCT`` different characters) is an error, so
that a production warehouse can never be keyed with a public constant or a guessable word.

The warehouse stores the secret's *fingerprint* (``secret_fingerprint``: an HMAC of a fixed label under the
secret, which reveals nothing about it) in ``meta.keying``; ``warehouse.check_keying`` compares it with the
current secret before ingestion and build, and a mismatch stops them (``SecretMismatchError``) instead of
silently mixing person keys of two secrets.  Changing the secret is the explicit ``liangxin rekey``.
"""

from __future__ import annotations

import hashlib
import hmac
import sys

from liangxin.checks import id_birth_date, id_sex

DEV_DEFAULT_SECRET = "liangxin-development-secret-do-not-use-in-production"
MIN_SECRET_LENGTH = 32  # e.g. `python -c "import secrets; print(secrets.token_urlsafe(32))"` gives 43
MIN_SECRET_DISTINCT = 12  # rules out "aaaa…" and "1234…1234" padding
FINGERPRINT_LABEL = b"liangxin/hmac-secret-fingerprint/1"
GENERATE_HINT = 'python3 -c "import secrets; print(secrets.token_urlsafe(32))"'

# Two-character surnames (复姓).  Anything not listed here has a one-character surname.
COMPOUND_SURNAMES = frozenset(
    """
    欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 独孤 南宫 西门 万俟
    闻人 澹台 公冶 宗政 濮阳 淳于 单于 太叔 申屠 仲孙 呼延 端木 百里 东郭 南门 羊舌 微生 公羊 梁丘 左丘
    东门 第五 拓跋 赫连 司空 司寇 亓官 巫马 段干 夹谷 宰父 谷梁 漆雕 乐正 壤驷 公良 公西 鲜于 闾丘
    """.split()
)

_warned = False


class SecretConfigurationError(RuntimeError):
    """The HMAC secret is missing, weak or the development default in production."""


class SecretMismatchError(SecretConfigurationError):
    """The HMAC secret is not the one the warehouse was keyed with (``liangxin rekey`` changes it)."""


def secret_problem(secret: str) -> str | None:
    """Why ``secret`` is too weak for production (Chinese), or None."""
    if len(secret) < MIN_SECRET_LENGTH:
        return f"长度 {len(secret)} 个字符，少于 {MIN_SECRET_LENGTH}"
    if len(set(secret)) < MIN_SECRET_DISTINCT:
        return f"只含 {len(set(secret))} 种不同字符，少于 {MIN_SECRET_DISTINCT}"
    return None


def secret_fingerprint(secret: bytes) -> str:
    """HMAC-SHA256(secret, fixed label), hex: identifies the secret without revealing it."""
    return hmac.new(secret, FINGERPRINT_LABEL, hashlib.sha256).hexdigest()


DEV_FINGERPRINT = secret_fingerprint(DEV_DEFAULT_SECRET.encode("utf-8"))


def _warn_default_once() -> None:
    global _warned
    if _warned:
        return
    _warned = True
    try:
        from rich.console import Console

        Console(stderr=True).print(
            "[bold red]警告：未设置 LIANGXIN_HMAC_SECRET，正在使用开发用默认密钥对身份证号做假名化。[/bold red]\n"
            "[red]生产环境必须设置区级密钥（LIANGXIN_HMAC_SECRET），否则人员键可被还原比对。[/red]\n"
            "[dim]WARNING: LIANGXIN_HMAC_SECRET is not set; person keys use the public development default.[/dim]"
        )
    except Exception:  # pragma: no cover - rich is a dependency, but never fail on a warning
        print("WARNING: LIANGXIN_HMAC_SECRET is not set; using the development default.", file=sys.stderr)


def checked_secret(secret: str | None, production: bool) -> bytes:
    """The district secret for person keys, checked (see the module docstring for the rules): ``secret`` is
    ``LIANGXIN_HMAC_SECRET`` (None or '' when unset), ``production`` whether ``LIANGXIN_ENV=production``."""
    secret = secret or ""
    if production:
        if not secret or secret == DEV_DEFAULT_SECRET:
            raise SecretConfigurationError(
                "生产环境（LIANGXIN_ENV=production）必须设置区级密钥 LIANGXIN_HMAC_SECRET，且不得使用开发默认值 / "
                "LIANGXIN_HMAC_SECRET must be set to a non-default value in production."
            )
        problem = secret_problem(secret)
        if problem:
            raise SecretConfigurationError(
                f"生产环境（LIANGXIN_ENV=production）的区级密钥 LIANGXIN_HMAC_SECRET 强度不足（{problem}）；"
                f"请用随机密钥，例如 {GENERATE_HINT} / LIANGXIN_HMAC_SECRET is too weak for production "
                f"(at least {MIN_SECRET_LENGTH} characters, {MIN_SECRET_DISTINCT} different)."
            )
    if not secret:
        _warn_default_once()
        secret = DEV_DEFAULT_SECRET
    return secret.encode("utf-8")


def normalise_id(id_number: str) -> str:
    return str(id_number).strip().upper()


def person_key(id_number: str, secret: bytes) -> str:
    """HMAC-SHA256(secret, upper(trim(id))) as 64 hex characters."""
    return hmac.new(secret, normalise_id(id_number).encode("utf-8"), hashlib.sha256).hexdigest()


def birth_year(id_number: str) -> int | None:
    d = id_birth_date(normalise_id(id_number))
    return d.year if d else None


def sex(id_number: str) -> str | None:
    code = normalise_id(id_number)
    if len(code) < 17 or not code[16].isdigit():
        return None
    return id_sex(code)


def surname(name: str) -> str:
    n = str(name).strip()
    return n[:2] if n[:2] in COMPOUND_SURNAMES else n[:1]


def mask_name(name: str | None) -> str | None:
    """``张三丰`` → ``张*``; ``欧阳修`` → ``欧阳*``; blank stays blank (None)."""
    if name is None:
        return None
    n = str(name).strip()
    if not n:
        return None
    return surname(n) + "*"


def mask_phone(phone: str | None) -> str | None:
    """``13812348000`` → ``138****8000``; ≥ 8 characters keep the first 3 and last 4; shorter: all ``*``."""
    if phone is None:
        return None
    p = "".join(str(phone).split())
    if not p:
        return None
    if len(p) >= 8:
        return p[:3] + "*" * (len(p) - 7) + p[-4:]
    return "*" * len(p)
