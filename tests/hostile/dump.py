"""Canonical dumps of the raw warehouse tables (row multisets), for before/after comparisons."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import duckdb

RAW_TABLES = (
    "submissions",
    "rule_hits",
    "organizations",
    "party_orgs",
    "member_flows",
    "trainings",
    "attendance",
    "mobile_members",
)


def table_names(con, schemas: tuple[str, ...] | None = None) -> list[tuple[str, str]]:
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' order by 1, 2"
    ).fetchall()
    return [(s, t) for s, t in rows if schemas is None or s in schemas]


def rows_of(con, schema: str, table: str) -> list[str]:
    cols = [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "order by ordinal_position",
            [schema, table],
        ).fetchall()
    ]
    return sorted(repr(r) for r in con.execute(f'select * from "{schema}"."{table}"').fetchall()) if cols else []


def dump(db: Path | str, schemas: tuple[str, ...] = ("raw",)) -> dict[str, list[str]]:
    """table -> sorted row reprs, for every base table of the given schemas (read-only connection)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {f"{s}.{t}": rows_of(con, s, t) for s, t in table_names(con, schemas)}
    finally:
        con.close()


def digest(d: dict[str, list[str]]) -> dict[str, tuple[int, str]]:
    """table -> (row count, SHA-256 of the canonical rows)."""
    return {t: (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()) for t, rows in d.items()}


def diff(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, dict[str, list[str]]]:
    """table -> {"added": rows, "removed": rows} (multiset difference), only tables that changed."""
    out = {}
    for t in sorted(set(before) | set(after)):
        b, a = Counter(before.get(t, [])), Counter(after.get(t, []))
        added, removed = list((a - b).elements()), list((b - a).elements())
        if added or removed:
            out[t] = {"added": added, "removed": removed}
    return out
