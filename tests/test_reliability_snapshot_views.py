"""Every relation of the serving snapshot answers through ``connect_readonly`` (the analysts' and
dashboards' door), views included."""

from __future__ import annotations

import duckdb
import pytest

from hostile.pipeline import full_pipeline
from liangxin.serving import connect_readonly


def _views(serve):
    con = duckdb.connect(str(serve), read_only=True)
    try:
        return con.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'VIEW'"
        ).fetchall()
    finally:
        con.close()


def test_every_table_of_the_snapshot_is_readable():
    pipe = full_pipeline()
    con = connect_readonly(pipe.serve)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'"
        ).fetchall()
        assert len(tables) >= 20
        for s, t in tables:
            con.execute(f'select count(*) from "{s}"."{t}"').fetchone()
    finally:
        con.close()


def test_every_view_of_the_snapshot_is_readable():
    """Found by this suite: dbt-duckdb wrote views as FROM "build"."staging".… and every view of serve.duckdb
    failed with 'Catalog "build" does not exist'; fixed (dbt refs without catalog, commit 65d30f3)."""
    pipe = full_pipeline()
    views = _views(pipe.serve)
    if not views:
        pytest.skip("the snapshot has no views")
    con = connect_readonly(pipe.serve)
    try:
        for s, t in views:
            con.execute(f'select count(*) from "{s}"."{t}"').fetchone()
    finally:
        con.close()
