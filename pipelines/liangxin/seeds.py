"""Readers for the reference data in ``seeds/`` (the same CSVs dbt loads as seeds)."""

from __future__ import annotations

import csv
import datetime as dt
import functools
from pathlib import Path

from liangxin.paths import SEEDS_DIR


def _read(name: str) -> list[dict[str, str]]:
    with open(Path(SEEDS_DIR) / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@functools.lru_cache(maxsize=None)
def communities(extra: Path | str | None = None) -> tuple[dict[str, str], ...]:
    """The unit register: one row per community general branch (the submitting units).

    ``extra`` (``Settings.register_csv``, i.e. ``LIANGXIN_REGISTER``) may name an extra register CSV (same
    columns) — used by the city and province benchmark tiers whose communities are generated.
    """
    rows = _read("communities.csv")
    if extra:
        with open(extra, encoding="utf-8", newline="") as fh:
            known = {r["unit_code"] for r in rows}
            rows += [r for r in csv.DictReader(fh) if r["unit_code"] not in known]
    return tuple(rows)


def community_by_code(extra: Path | str | None = None) -> dict[str, dict[str, str]]:
    return {r["unit_code"]: r for r in communities(extra)}


@functools.lru_cache(maxsize=None)
def streets() -> tuple[dict[str, str], ...]:
    return tuple(_read("streets.csv"))


@functools.lru_cache(maxsize=None)
def deadlines() -> dict[str, dt.date]:
    return {r["period"]: dt.date.fromisoformat(r["deadline"]) for r in _read("deadlines.csv")}


@functools.lru_cache(maxsize=None)
def template_versions() -> dict[str, dict[str, str]]:
    return {r["template_version"]: r for r in _read("template_versions.csv")}


def template_version_for(period: str) -> str:
    """The template version in force for a period (the newest whose validity covers it)."""
    best = None
    for v, r in template_versions().items():
        if r["valid_from_period"] <= period and (not r["valid_to_period"] or period <= r["valid_to_period"]):
            if best is None or r["valid_from_period"] > template_versions()[best]["valid_from_period"]:
                best = v
    if best is None:
        raise ValueError(f"no template version covers period {period}")
    return best


@functools.lru_cache(maxsize=None)
def uscc_allow_list() -> frozenset[str]:
    return frozenset(r["uscc"].upper() for r in _read("uscc_allow_list.csv"))


@functools.lru_cache(maxsize=None)
def development_quotas() -> dict[tuple[str, int], int]:
    return {(r["unit_code"], int(r["year"])): int(r["quota"]) for r in _read("development_quotas.csv")}


@functools.lru_cache(maxsize=None)
def parameters() -> dict[str, str]:
    return {r["parameter"]: r["value"] for r in _read("kpi_parameters.csv")}


@functools.lru_cache(maxsize=None)
def indicators() -> tuple[dict[str, str], ...]:
    return tuple(_read("indicators.csv"))
