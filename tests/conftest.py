"""Shared test helpers.

The reporting standard (``shared/spec/``) lives beside the repository, not in it.  Tests that compare the code
with the spec documents use :func:`spec_dir` (or the ``spec_dir`` fixture): from a clean clone without
``../shared`` they skip with a stated reason; CI, which has the documents, runs them
(``LIANGXIN_REQUIRE_SPEC=1`` turns the skip into a failure there).  ``LIANGXIN_SPEC_DIR`` points elsewhere.

The generated world (``liangxin.generator.build_world``) is one fixture for every suite: ``world`` (module scope;
a module changes the defaults with ``WORLD = {...}``) and ``make_world(**kwargs)`` for fixtures that need a
world of their own parameters; suites asking for the same parameters share one (read-only) world.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

SPEC_SKIP_REASON = "../shared/spec not present (clean clone without shared/)"


def find_spec_dir() -> Path | None:
    """The spec folder: ``$LIANGXIN_SPEC_DIR``, else ``../shared/spec`` beside the repository (None if absent)."""
    env = os.environ.get("LIANGXIN_SPEC_DIR", "").strip()
    if env:
        return Path(env) if Path(env).is_dir() else None
    from liangxin.paths import SPEC_DIR

    return SPEC_DIR if SPEC_DIR.is_dir() else None


def spec_dir(module_level: bool = False) -> Path:
    """The spec folder, or skip (fail when ``LIANGXIN_REQUIRE_SPEC=1``) when it is absent."""
    found = find_spec_dir()
    if found is None:
        if os.environ.get("LIANGXIN_REQUIRE_SPEC") == "1":
            pytest.fail(SPEC_SKIP_REASON + " but LIANGXIN_REQUIRE_SPEC=1", pytrace=False)
        pytest.skip(SPEC_SKIP_REASON, allow_module_level=module_level)
    return found


@pytest.fixture(name="spec_dir")
def spec_dir_fixture() -> Path:
    return spec_dir()


# --------------------------------------------------------------------------------------------------------------
# The generated world: one fixture for every suite that needs one (issue 16 #5)
# --------------------------------------------------------------------------------------------------------------
#: the world a module gets from the ``world`` fixture unless it sets ``WORLD = {...}`` (keyword arguments of
#: ``liangxin.generator.build_world`` that differ from these)
DEFAULT_WORLD = {"tier": "district", "start": "2020Q1", "end": "2020Q2", "seed": 20201, "communities": None}


@functools.lru_cache(maxsize=3)
def _cached_world(params: tuple[tuple[str, object], ...]):
    from liangxin.generator import build_world

    return build_world(**dict(params))


@pytest.fixture(scope="session")
def make_world():
    """``make_world(**kwargs)``: ``build_world`` with the defaults of :data:`DEFAULT_WORLD`, shared by the suites that
    ask for the same parameters (the last three distinct worlds are kept; a world of the district's 60
    communities over two quarters takes ~3 s to build and ~30 MB, the 12 quarters ~171 MB).  A shared world is
    read-only: copy a return before changing it (``{k: [dict(r) for r in v] for k, v in ret.items()}``)."""

    def make(**kwargs):
        unknown = set(kwargs) - set(DEFAULT_WORLD)
        if unknown:
            raise TypeError(f"make_world: unknown parameters {sorted(unknown)}")
        return _cached_world(tuple(sorted({**DEFAULT_WORLD, **kwargs}.items())))

    return make


@pytest.fixture(scope="module")
def world(request, make_world):
    """The generated world of a test module: :data:`DEFAULT_WORLD` (the 60 communities of the district register,
    2020Q1–2020Q2), or what the module's ``WORLD = {...}`` changes of it."""
    return make_world(**getattr(request.module, "WORLD", {}))


# The longest modules first. pytest-xdist (scripts/test.sh: --dist loadfile) hands whole modules to its workers in
# collection order, so a long module collected last (Superset, Spark, …) would run alone at the end while the other
# core waits. Sorting is stable: the order inside a module, and of every other module, is unchanged.
LONGEST_MODULES = (
    "test_superset.py",  # a real Superset server (about 4–5 min to stand up)
    "test_end_to_end.py",  # the whole district through Dagster, several builds
    "test_spark.py",  # the dbt project on Spark
    "test_reliability_crash.py",  # builds killed and re-run
    "test_newuser_cli.py",
    "test_city_register.py",
    "test_benchmarks_smoke.py",
    "test_dashboard.py",
    "test_reliability_concurrency.py",
    "test_settings.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(LONGEST_MODULES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
