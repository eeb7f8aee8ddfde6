"""The finalized store (定稿 versions) survives a database rebuilt from the archive (rekey / reingest)."""

from __future__ import annotations

import duckdb

from liangxin import finalize


def test_carry_finalized_copies_every_version_and_log(tmp_path):
    old, new = tmp_path / "old.duckdb", tmp_path / "new.duckdb"
    con = duckdb.connect(str(old))
    finalize.ensure_storage(con)
    con.execute("""insert into finalized.annual_versions (year, version, verdict, finalized_by, finalized_at,
                   cells_sha256, signoff_head) values (2020, 1, '可以上报', '张三', timestamp '2021-01-20 09:00',
                   'ab', '李四'), (2020, 2, '不得上报', '张三', timestamp '2021-03-01 10:00', 'cd', '李四')""")
    con.execute("insert into finalized.annual_seen_submissions values ('sha-1', timestamp '2021-01-20 09:00')")
    con.close()
    duckdb.connect(str(new)).close()  # the rebuilt database: empty store

    assert finalize.carry_finalized(old, new) == 2

    con = duckdb.connect(str(new), read_only=True)
    assert con.execute(
        "select year, version, verdict, cells_sha256 from finalized.annual_versions order by version"
    ).fetchall() == [(2020, 1, "可以上报", "ab"), (2020, 2, "不得上报", "cd")]
    assert con.execute("select submission_id from finalized.annual_seen_submissions").fetchall() == [("sha-1",)]
    con.close()


def test_carry_finalized_without_an_old_database_copies_nothing(tmp_path):
    assert finalize.carry_finalized(tmp_path / "missing.duckdb", tmp_path / "new.duckdb") == 0
