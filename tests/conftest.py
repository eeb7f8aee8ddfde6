"""Shared test helpers.

The reporting standard (``shared/spec/``) lives beside the repository, not in it.  Tests that compare the code
with the spec documents use :func:`spec_dir` (or the ``spec_dir`` fixture): from a clean clone without
``../shared`` they skip with a stated reason; CI, which has the documents, runs them
(``LIANGXIN_REQUIRE_SPEC=1`` turns the skip into a failure there).  ``LIANGXIN_SPEC_DIR`` points elsewhere.
"""

from __future__ import annotations

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
