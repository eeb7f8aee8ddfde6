"""What the validator asks the warehouse about earlier returns (the current return, the previous quarter,
corrections, owners of codes), answered from ``raw`` during ingestion."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from liangxin import periods
from liangxin.validate.result import ACCEPTED, ACCEPTED_WITH_WARNINGS, ValidationResult
from liangxin.warehouse.load import _utc_naive
from liangxin.warehouse.schema import ACCEPTED_OUTCOMES, _q, table_columns

# --------------------------------------------------------------------------------------------------
# What the validator asks the warehouse (ValidationContext callables)
# --------------------------------------------------------------------------------------------------
# The current return of a (community, period): among its accepted submissions the highest 更正序号, then the
# latest received, then the smallest submission id.  The same rule as dbt's int_current_submissions, which
# everything built reads; this copy answers the validator during ingestion, before any build
# (tests/test_dbt_indicators.py::test_current_return_and_spine checks that both pick the same files).
CURRENT_RETURNS_SQL = f"""
    SELECT submission_id, unit_code, period, correction_no, received_at FROM (
        SELECT submission_id, unit_code, period, correction_no, received_at,
               row_number() OVER (PARTITION BY unit_code, period
                                  ORDER BY correction_no DESC, received_at DESC, submission_id) AS rn
        FROM raw.submissions
        WHERE outcome IN ('{ACCEPTED}', '{ACCEPTED_WITH_WARNINGS}') AND unit_code IS NOT NULL AND period IS NOT NULL
    ) WHERE rn = 1
"""


def current_returns(con: duckdb.DuckDBPyConnection, period: str | None = None) -> dict[tuple[str, str], tuple]:
    """(unit_code, period) -> (submission_id, correction_no, received_at) of the current returns in ``raw``."""
    sql = f"SELECT unit_code, period, submission_id, correction_no, received_at FROM ({CURRENT_RETURNS_SQL})"
    rows = con.execute(sql + " WHERE period = ?", [period]).fetchall() if period else con.execute(sql).fetchall()
    return {(u, p): (sid, corr, at) for u, p, sid, corr, at in rows}


def _previous_return(orgs: dict[object, object], units: int, party_org_count: int):
    """PreviousReturn from 表3 (党组织编码 -> 期末实有数) and the row counts of 表1 and 表2."""
    from liangxin.validate.context import PreviousReturn

    return PreviousReturn(
        party_orgs={k: int(v or 0) for k, v in orgs.items() if k is not None},
        units=int(units),
        party_org_count=int(party_org_count),
        members=int(sum(int(v or 0) for v in orgs.values())),
    )


class WarehouseContext:
    """Answers the validator's cross-submission questions from accepted submissions in ``raw``.

    Use it for one ingestion at a time, inside the writer lock: answers that scan the whole warehouse
    (Party-organization owners, uscc owners per period) are cached for the life of the object.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self._org_owner: dict[str, list[tuple[str, str]]] | None = None
        self._uscc_owners: dict[str, dict[str, set[str]]] = {}

    def _current_submission(self, unit_code: str, period: str) -> str | None:
        row = self._current_row(unit_code, period)
        return row[0] if row else None

    def _current_row(self, unit_code: str, period: str) -> tuple[str, int, dt.datetime] | None:
        """(submission_id, correction_no, received_at) of the current accepted return, or None."""
        row = self.con.execute(
            f"""SELECT submission_id, correction_no, received_at FROM ({CURRENT_RETURNS_SQL})
                WHERE unit_code = ? AND period = ?""",
            [unit_code, period],
        ).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def accepted_corrections(self, unit_code: str, period: str) -> list[int]:
        rows = self.con.execute(
            f"""SELECT DISTINCT correction_no FROM raw.submissions
                WHERE unit_code = ? AND period = ? AND outcome IN ('{ACCEPTED}', '{ACCEPTED_WITH_WARNINGS}')
                  AND correction_no IS NOT NULL ORDER BY 1""",
            [unit_code, period],
        ).fetchall()
        return [int(r[0]) for r in rows]

    def previous_return(self, unit_code: str, period: str):
        try:
            prev = periods.previous_period(period)
        except ValueError:
            return None
        sid = self._current_submission(unit_code, prev)
        if sid is None:
            return None
        return self._previous_from_db(sid)

    def next_return(self, unit_code: str, period: str):
        """The current accepted return of the quarter after ``period`` (rule P6), or None."""
        try:
            nxt = periods.next_period(period)
        except ValueError:
            return None
        row = self._current_row(unit_code, nxt)
        return self._next_from_db(nxt, row) if row is not None else None

    def _next_from_db(self, period: str, row):
        from liangxin.validate.context import NextReturn

        openings = self.con.execute(
            "SELECT party_org_code, opening FROM raw.member_flows WHERE submission_id = ?", [row[0]]
        ).fetchall()
        return NextReturn(
            period=period, correction_no=int(row[1]), openings={k: int(v or 0) for k, v in openings if k is not None}
        )

    def _previous_from_db(self, sid: str):
        orgs = dict(
            self.con.execute(
                "SELECT party_org_code, closing_actual FROM raw.member_flows WHERE submission_id = ?", [sid]
            ).fetchall()
        )
        units = self.con.execute("SELECT count(*) FROM raw.organizations WHERE submission_id = ?", [sid]).fetchone()[0]
        n_orgs = self.con.execute("SELECT count(*) FROM raw.party_orgs WHERE submission_id = ?", [sid]).fetchone()[0]
        return _previous_return(orgs, units, n_orgs)

    def _org_listings(self) -> dict[str, list[tuple[str, str]]]:
        """党组织编码 -> [(period, unit)] over the current accepted returns (read once)."""
        if self._org_owner is None:
            by: dict[str, list[tuple[str, str]]] = {}
            for code, unit, period in self.con.execute(
                f"""SELECT p.party_org_code, p.unit_code, p.period FROM raw.party_orgs p
                    JOIN ({CURRENT_RETURNS_SQL}) c USING (submission_id)"""
            ).fetchall():
                by.setdefault(code, []).append((period, unit))
            self._org_owner = by
        return self._org_owner

    def party_org_owner(self, party_org_code: str) -> str | None:
        """The community whose current accepted returns list the code: the latest period's (within a period,
        the largest unit code, deterministically)."""
        listings = self._org_listings().get(party_org_code)
        return max(listings)[1] if listings else None

    def _uscc_map(self, period: str) -> dict[str, set[str]]:
        """Upper-case uscc -> units whose current return of ``period`` lists it as 存续 (read once per period)."""
        if period not in self._uscc_owners:
            by: dict[str, set[str]] = {}
            for code, unit in self.con.execute(
                f"""SELECT upper(o.uscc), o.unit_code FROM raw.organizations o
                    JOIN ({CURRENT_RETURNS_SQL}) c USING (submission_id)
                    WHERE o.period = ? AND o.reg_status = '存续'""",
                [period],
            ).fetchall():
                by.setdefault(code, set()).add(unit)
            self._uscc_owners[period] = by
        return self._uscc_owners[period]

    def uscc_owners(self, uscc: str, period: str) -> set[str]:
        """Units whose current return of ``period`` lists the uscc with 登记状态 = 存续."""
        return set(self._uscc_map(period).get(str(uscc).upper(), set()))

    def callables(self) -> dict[str, object]:
        """The four ValidationContext callables, by field name."""
        return {
            "accepted_corrections": self.accepted_corrections,
            "previous_return": self.previous_return,
            "party_org_owner": self.party_org_owner,
            "uscc_owners": self.uscc_owners,
            "next_return": self.next_return,
        }

    def validation_context(self, received_on: dt.date, **overrides):
        from liangxin.validate.context import ValidationContext

        return ValidationContext(received_on=received_on, **self.callables(), **overrides)


@dataclass
class _Noted:
    """What the validator may ask about an accepted submission of this session (kept in memory)."""

    submission_id: str
    correction_no: int
    received_at: dt.datetime  # naive UTC, as stored
    previous: object  # PreviousReturn for the quarter after it
    usccs: frozenset[str]  # 表1 统一社会信用代码 with 登记状态 存续 (upper case)
    org_codes: frozenset[str]  # 表2 党组织编码
    openings: dict = field(default_factory=dict)  # 表3 党组织编码 -> 期初党员数 (rule P6)


class SessionIndex(WarehouseContext):
    """The validator's warehouse answers for one writer session, including files not yet written.

    A batch loads accepted files in groups (one transaction per group, ``load_submissions``) while later
    files are validated, so the answers combine what the database held when the session opened with every
    file accepted since (``note``).  The warehouse-wide maps (uscc owners per period, Party-organization
    owners) are read once per session instead of once per file.  The writer lock is held for the life of
    the object: nobody else can change ``raw`` meanwhile.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection):
        super().__init__(con)
        self._noted: dict[tuple[str, str], _Noted] = {}  # (unit, period) -> current noted submission
        self._noted_corrections: dict[tuple[str, str], set[int]] = {}
        self._noted_shas: set[str] = set()
        self._noted_uscc_inv: dict[str, dict[str, set[str]]] = {}  # period -> uscc -> units (noted)
        self._noted_units: dict[str, set[str]] = {}  # period -> units with a noted current return
        self._noted_org_inv: dict[str, set[tuple[str, str]]] = {}  # code -> {(period, unit)} (noted)
        # read once per session from raw.submissions (small: one row per received file)
        self._db_shas: set[str] | None = None
        self._db_current: dict[tuple[str, str], tuple[str, int, dt.datetime]] | None = None
        self._db_corrections: dict[tuple[str, str], list[int]] | None = None
        self._db_previous: dict[str, dict[str, object]] = {}  # period -> submission id -> PreviousReturn

    def _load_submissions(self) -> None:
        if self._db_shas is not None:
            return
        self._db_shas = {r[0] for r in self.con.execute("SELECT submission_id FROM raw.submissions").fetchall()}
        self._db_corrections = {}
        for unit, period, corr in self.con.execute(
            f"""SELECT DISTINCT unit_code, period, correction_no FROM raw.submissions
                WHERE outcome IN ('{ACCEPTED}', '{ACCEPTED_WITH_WARNINGS}') AND unit_code IS NOT NULL
                  AND period IS NOT NULL AND correction_no IS NOT NULL ORDER BY 1, 2, 3"""
        ).fetchall():
            self._db_corrections.setdefault((unit, period), []).append(int(corr))
        self._db_current = current_returns(self.con)

    def _current_row(self, unit_code: str, period: str) -> tuple[str, int, dt.datetime] | None:
        self._load_submissions()
        return self._db_current.get((unit_code, period))

    def _db_previous_for(self, period: str, sid: str):
        """PreviousReturn of a current database submission, read for its whole period at once."""
        if period not in self._db_previous:
            self._load_submissions()
            sids = [row[0] for (_, p), row in self._db_current.items() if p == period]
            orgs: dict[str, dict[str, object]] = {s: {} for s in sids}
            for s_id, code, closing in self.con.execute(
                "SELECT submission_id, party_org_code, closing_actual FROM raw.member_flows "
                "WHERE period = ? AND list_contains(?, submission_id) ORDER BY submission_id, source_row",
                [period, sids],
            ).fetchall():
                orgs[s_id][code] = closing
            counts = {
                t: dict(
                    self.con.execute(
                        f"SELECT submission_id, count(*) FROM raw.{t} WHERE period = ? AND list_contains(?, submission_id) "
                        "GROUP BY 1",
                        [period, sids],
                    ).fetchall()
                )
                for t in ("organizations", "party_orgs")
            }
            self._db_previous[period] = {
                s: _previous_return(orgs[s], counts["organizations"].get(s, 0), counts["party_orgs"].get(s, 0))
                for s in sids
            }
        found = self._db_previous[period].get(sid)
        return found if found is not None else self._previous_from_db(sid)

    # files seen in this session ------------------------------------------------------------------
    def exists(self, sha256: str) -> bool:
        self._load_submissions()
        return sha256 in self._noted_shas or sha256 in self._db_shas

    def note(self, result: ValidationResult, received_at: dt.datetime) -> None:
        """Record a file about to be written (accepted files change later answers)."""
        self._noted_shas.add(result.sha256)
        if (
            result.outcome not in ACCEPTED_OUTCOMES
            or result.unit_code is None
            or result.period is None
            or result.correction_no is None
        ):
            return
        unit, period, corr = result.unit_code, result.period, int(result.correction_no)
        at = _utc_naive(received_at)
        self._noted_corrections.setdefault((unit, period), set()).add(corr)
        old = self._noted.get((unit, period))
        if old is not None and (old.correction_no, old.received_at) > (corr, at):
            return  # not the current return of (unit, period)
        rows = result.rows or {}
        orgs = {r.values.get("party_org_code"): r.values.get("closing_actual") for r in rows.get("member_flows", [])}
        new = _Noted(
            submission_id=result.sha256,
            correction_no=corr,
            received_at=at,
            previous=_previous_return(orgs, len(rows.get("organizations", [])), len(rows.get("party_orgs", []))),
            usccs=frozenset(
                str(r.values["uscc"]).upper()
                for r in rows.get("organizations", [])
                if r.values.get("uscc") is not None and r.values.get("reg_status") == "存续"
            ),
            org_codes=frozenset(
                r.values["party_org_code"]
                for r in rows.get("party_orgs", [])
                if r.values.get("party_org_code") is not None
            ),
            openings={
                r.values["party_org_code"]: int(r.values.get("opening") or 0)
                for r in rows.get("member_flows", [])
                if r.values.get("party_org_code") is not None
            },
        )
        inv = self._noted_uscc_inv.setdefault(period, {})
        for u in old.usccs if old is not None else ():
            inv.get(u, set()).discard(unit)
        for u in new.usccs:
            inv.setdefault(u, set()).add(unit)
        for c in old.org_codes if old is not None else ():
            self._noted_org_inv.get(c, set()).discard((period, unit))
        for c in new.org_codes:
            self._noted_org_inv.setdefault(c, set()).add((period, unit))
        self._noted_units.setdefault(period, set()).add(unit)
        self._noted[(unit, period)] = new

    # the four ValidationContext answers ----------------------------------------------------------
    def accepted_corrections(self, unit_code: str, period: str) -> list[int]:
        self._load_submissions()
        noted = self._noted_corrections.get((unit_code, period))
        db = list(self._db_corrections.get((unit_code, period), []))
        return sorted(set(db) | noted) if noted else db

    def previous_return(self, unit_code: str, period: str):
        try:
            prev = periods.previous_period(period)
        except ValueError:
            return None
        noted = self._noted.get((unit_code, prev))
        row = self._current_row(unit_code, prev)
        if noted is not None and (row is None or (noted.correction_no, noted.received_at) >= (row[1], row[2])):
            return noted.previous
        return self._db_previous_for(prev, row[0]) if row is not None else None

    def next_return(self, unit_code: str, period: str):
        from liangxin.validate.context import NextReturn

        try:
            nxt = periods.next_period(period)
        except ValueError:
            return None
        noted = self._noted.get((unit_code, nxt))
        row = self._current_row(unit_code, nxt)
        if noted is not None and (row is None or (noted.correction_no, noted.received_at) >= (row[1], row[2])):
            return NextReturn(period=nxt, correction_no=noted.correction_no, openings=dict(noted.openings))
        return self._next_from_db(nxt, row) if row is not None else None

    def uscc_owners(self, uscc: str, period: str) -> set[str]:
        key = str(uscc).upper()
        owners = set(self._uscc_map(period).get(key, ()))
        noted_units = self._noted_units.get(period)
        if noted_units:  # a unit's noted return replaces what the database held for it
            owners -= noted_units
            owners |= self._noted_uscc_inv.get(period, {}).get(key, set())
        return owners

    def party_org_owner(self, party_org_code: str) -> str | None:
        cands = [(p, u) for p, u in self._org_listings().get(party_org_code, ()) if (u, p) not in self._noted]
        cands += self._noted_org_inv.get(party_org_code, ())
        return max(cands)[1] if cands else None


def raw_fingerprint(con: duckdb.DuckDBPyConnection) -> tuple:
    """Changes whenever a file is written to raw (append-only) or the database is replaced (restore)."""
    return tuple(con.execute("SELECT count(*), bit_xor(hash(submission_id)) FROM raw.submissions").fetchone())


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of every raw table (tests, CLI summaries, Dagster metadata)."""
    return {t: int(con.execute(f"SELECT count(*) FROM raw.{_q(t)}").fetchone()[0]) for t in table_columns()}
