"""The serving contract: the tables ``serve.duckdb`` holds, declared once in dbt, read by fixed names.

dbt declares the published models (``access: public``, a ``group``, ``contract: {enforced: true}`` with every
column's ``data_type``: ``dbt_project/models/*/_*.yml``, decisions D140).  :func:`load_public_models` reads that
list from dbt's ``target/manifest.json``; ``serving.publish_snapshot`` writes exactly those tables into the
serving file, and every consumer — the static dashboard, the annual workbook and page, the bulletin, the
Superset bundle, ``liangxin sql`` — reads the fixed names below.  A consumer never searches for a table or a
column: a name that is not in the contract is a defect the tests catch (``tests/test_serving_contract.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


# the schemas of the public models (dbt's custom schema names, macros/generate_schema_name.sql)
MARTS = "marts"
ANNUAL = "annual"
REF = "ref"

# ------------------------------------------------------------------------------------ fixed names
# marts (group indicators)
FCT_INDICATORS = f"{MARTS}.fct_indicators"
FCT_REPORTING_COVERAGE = f"{MARTS}.fct_reporting_coverage"
FCT_MEMBER_FLOW = f"{MARTS}.fct_member_flow"
DIM_COMMUNITY = f"{MARTS}.dim_community"
KPI_BULLETIN = f"{MARTS}.kpi_bulletin"
KPI_WORKLIST_SHOULD_FORM = f"{MARTS}.kpi_worklist_should_form"
KPI_PENDING_CORRECTIONS = f"{MARTS}.kpi_pending_corrections"
KPI_WORKLIST_NO_MASS_ORG = f"{MARTS}.kpi_worklist_no_mass_org"
# annual (group annual)
RPT_ANNUAL_VERDICT = f"{ANNUAL}.rpt_annual_verdict"
RPT_ANNUAL_RULE_RESULTS = f"{ANNUAL}.rpt_annual_rule_results"
RPT_ANNUAL_MISSING = f"{ANNUAL}.rpt_annual_missing"
RPT_ANNUAL_CORRECTIONS = f"{ANNUAL}.rpt_annual_corrections"
RPT_ANNUAL_CELLS = f"{ANNUAL}.rpt_annual_cells"
RPT_AUDIT = f"{ANNUAL}.rpt_audit"
RPT_AUDIT_OPEN_WARNINGS = f"{ANNUAL}.rpt_audit_open_warnings"
# ref (group reference)
REF_INDICATORS = f"{REF}.indicators"
REF_COMMUNITIES = f"{REF}.communities"
REF_STREETS = f"{REF}.streets"
REF_DEVELOPMENT_QUOTAS = f"{REF}.development_quotas"
REF_DASHBOARD_PARAMETERS = f"{REF}.dashboard_parameters"

#: every fixed name a consumer of the serving file reads (each must be a public model: a test checks)
CONSUMED = (
    FCT_INDICATORS,
    FCT_REPORTING_COVERAGE,
    FCT_MEMBER_FLOW,
    DIM_COMMUNITY,
    KPI_BULLETIN,
    KPI_WORKLIST_SHOULD_FORM,
    KPI_PENDING_CORRECTIONS,
    KPI_WORKLIST_NO_MASS_ORG,
    RPT_ANNUAL_VERDICT,
    RPT_ANNUAL_RULE_RESULTS,
    RPT_ANNUAL_MISSING,
    RPT_ANNUAL_CORRECTIONS,
    RPT_ANNUAL_CELLS,
    RPT_AUDIT,
    RPT_AUDIT_OPEN_WARNINGS,
    REF_INDICATORS,
    REF_COMMUNITIES,
    REF_STREETS,
    REF_DEVELOPMENT_QUOTAS,
    REF_DASHBOARD_PARAMETERS,
)


def quoted(name: str) -> str:
    """``"schema"."table"`` of a fixed name ``schema.table``, for SQL text."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split(".", 1))


def present(con, name: str) -> bool:
    """Whether the open database (a DuckDB connection) has the fixed name ``schema.table`` (table or view)."""
    schema, table = name.split(".", 1)
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_catalog = current_database() and table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def table_of(name: str) -> str:
    """The table part of a fixed name (``marts.fct_indicators`` → ``fct_indicators``)."""
    return name.split(".", 1)[1]


# ------------------------------------------------------------------------------------ the manifest


class ContractError(RuntimeError):
    """The contract cannot be read or is violated (message in Chinese)."""


@dataclass(frozen=True)
class PublicModel:
    """One public dbt model as materialised: ``schema.table`` with its declared columns."""

    model: str  # the dbt model name (e.g. ref_communities)
    schema: str
    table: str  # the relation name (the model's alias)
    group: str | None
    description: str
    columns: tuple[tuple[str, str], ...]  # (name, declared data_type), in the declared order
    column_descriptions: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"


def _fresh_manifest() -> Path:
    """The project's manifest, re-parsed (``dbt parse``) when missing or older than the project files.

    The list of public models does not depend on a home's settings (database path, register vars), so the parse
    runs with the default settings, built from values only (no environment read below the edge)."""
    from liangxin.defs.dbt import ensure_manifest
    from liangxin.settings import Settings

    return ensure_manifest(Settings.from_values({}))


def load_public_models(manifest: Path | None = None) -> list[PublicModel]:
    """The public models of a dbt manifest (default: the project's, kept fresh), sorted by ``schema.table``."""
    path = Path(manifest) if manifest is not None else _fresh_manifest()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ContractError(f"无法读取 dbt 清单 {path}：{exc} / cannot read the dbt manifest") from exc
    out = []
    for node in (data.get("nodes") or {}).values():
        if node.get("resource_type") != "model" or node.get("access") != "public":
            continue
        if not (node.get("config") or {}).get("enabled", True):
            continue
        cols = list((node.get("columns") or {}).values())
        out.append(
            PublicModel(
                model=node["name"],
                schema=node["schema"],
                table=node.get("alias") or node["name"],
                group=node.get("group"),
                description=" ".join(str(node.get("description") or "").split()),
                columns=tuple((c["name"], str(c.get("data_type") or "")) for c in cols),
                column_descriptions=tuple(" ".join(str(c.get("description") or "").split()) for c in cols),
            )
        )
    return sorted(out, key=lambda m: m.name)
