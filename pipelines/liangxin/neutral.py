"""One place that makes untrusted text safe for every output (issue 19, docs/security.md).

Text that came from a submitted file (values, sheet names, column headers, file names, notes, rule messages
quoting them) is untrusted wherever it is shown.  Every writer passes it through one of these functions:

| output                          | function              | what it does                                             |
|---------------------------------|-----------------------|----------------------------------------------------------|
| xlsx / docx / CSV cell          | ``cell_text``         | formula prefixes ``= + - @ TAB CR`` get a leading ``'``   |
|                                 | (``cell_value``)      | (OWASP CSV injection), XML-illegal characters → U+FFFD,  |
|                                 |                       | length capped at ``MAX_TEXT``                            |
| HTML                            | ``html_text``         | the same cleaning, then ``html.escape`` (quotes too)     |
| terminal (Rich)                 | ``terminal_text``     | ANSI/OSC escape sequences, control and bidi characters   |
|                                 |                       | removed, Rich markup escaped                             |
| anything leaving the archive    | ``scrub_ids``         | ID-shaped 18-character strings replaced                  |

``scrub_ids`` is about personal data, the others about injection: a writer of free text that leaves the
archive calls both (``scrub_ids`` first).  The warehouse applies ``scrub_ids`` on ingestion to every free-text
field (rule messages, sheet names, headers, notes such as 更正说明 and 差额说明, file names), so what later
writers read from the warehouse is already scrubbed; they still neutralise it for their format.

Writers must also use a typed API (``xlsxwriter.write_string`` or openpyxl with ``data_type='s'``):
``cell_text`` is the second line of defence that keeps the text inert even when a user copies it into a
formula bar or a CSV consumer re-parses it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import html
import re
import unicodedata
from typing import Callable

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_TEXT = 2000  # longer submitted values are cut (Excel's cell limit is 32 767)
ID_PLACEHOLDER = "［身份证号已隐去］"

# An ID-shaped string: 17 digits and a digit or X, not inside a longer run of digits.  Letters around it do
# not protect it ("ID110101199003071234x" is scrubbed too); Python's \d also matches full-width digits.
ID_RE = re.compile(r"(?<!\d)\d{17}[\dXxＸｘ](?!\d)")

# Terminal: escape sequences first (whole), then any remaining control / format character.
_ANSI_RE = re.compile(
    r"(?:\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL | ST (window title, hyperlinks)
    r"|\x1b[P^_X][^\x1b]*(?:\x1b\\)?"  # DCS / PM / APC / SOS ... ST
    r"|\x1b\[[0-?]*[ -/]*[@-~]?"  # CSI (colours, cursor moves, erase)
    r"|\x9b[0-?]*[ -/]*[@-~]?"  # 8-bit CSI
    r"|\x1b[ -/]*[0-~]?)"  # any other ESC sequence
)
# C0 except TAB and LF, DEL, C1; bidi embeddings/overrides/isolates (U+202A–U+202E, U+2066–U+2069).
_TERMINAL_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: object, max_len: int = MAX_TEXT) -> str | None:
    """Text as shown: control characters XML cannot hold replaced by U+FFFD, overlong text cut."""
    if value is None:
        return None
    s = ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))
    return s if len(s) <= max_len else s[: max_len - 1] + "…"


def cell_text(value: object, max_len: int = MAX_TEXT) -> str | None:
    """Spreadsheet/CSV-safe text (xlsx, docx, CSV): a leading apostrophe when it could be read as a formula."""
    s = clean_text(value, max_len)
    if s is not None and s.startswith(FORMULA_PREFIXES):
        return "'" + s
    return s


neutralise = cell_text  # the historic name (reports.py)


def cell_value(value: object, max_len: int = MAX_TEXT) -> object:
    """A cell's value for a typed writer: numbers, booleans, dates and times unchanged, anything else as
    ``cell_text`` (so a value can never become a formula whatever its type)."""
    if value is None or isinstance(value, (bool, int, float, decimal.Decimal, dt.date, dt.time, dt.timedelta)):
        return value
    return cell_text(value, max_len)


def html_text(value: object, max_len: int = MAX_TEXT) -> str:
    """HTML-safe text (element content and quoted attribute values); None → ''."""
    s = clean_text(value, max_len)
    return "" if s is None else html.escape(s, quote=True)


def strip_control(value: object) -> str:
    """Text without terminal escape sequences, control characters (TAB and LF kept) or bidi controls."""
    if value is None:
        return ""
    s = str(value).replace("\r\n", "\n")
    s = _ANSI_RE.sub("", s)
    return _TERMINAL_CONTROL_RE.sub("", s)


def terminal_text(value: object, max_len: int = MAX_TEXT) -> str:
    """Safe to hand to Rich (``console.print``, table cells): controls removed, markup escaped; None → ''."""
    from rich.markup import escape

    s = strip_control(value)
    if len(s) > max_len:
        s = s[: max_len - 1] + "…"
    return escape(s)


def scrub_ids(text: object, replace: Callable[[str], str] | None = None) -> str | None:
    """``text`` with every ID-shaped string replaced (by ``replace(match)`` or ``ID_PLACEHOLDER``).

    Every 18-character match is replaced whether or not its check character is right: a mistyped ID is
    still somebody's ID.  None stays None; non-text values are returned as text.
    """
    if text is None:
        return None
    s = str(text)
    if len(s) < 18:
        return s
    if replace is None:
        return ID_RE.sub(ID_PLACEHOLDER, s)
    return ID_RE.sub(lambda m: replace(unicodedata.normalize("NFKC", m.group(0))), s)


def safe_text(value: object, max_len: int = MAX_TEXT) -> str | None:
    """Free text for a spreadsheet that leaves the archive: ``scrub_ids`` then ``cell_text``."""
    return cell_text(scrub_ids(value), max_len)
