"""Expand the reviewed YAML in ``dashboards/superset/`` into Superset's native import bundle (a ZIP).

The YAML is a compact schema (see the comments in those files) naming the tables of the serving contract by their
fixed names (``liangxin.contract``: ``marts.…``, ``ref.…``, ``annual.…``); this module reads from the serving
snapshot at publish time the columns of those tables, which of them the snapshot has, the latest quarter and year
and the indicators' targets, and writes ``metadata.yaml``, ``databases/``,
``datasets/``, ``charts/`` and ``dashboards/`` YAML with deterministic UUIDs (uuid5 of a slug).  Every chart
carries a saved ``query_context`` so that ``/api/v1/chart/<id>/data/`` answers.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import yaml

from liangxin import contract as lx
from liangxin import paths
from liangxin.neutral import clean_text, scrub_ids

SPEC_DIR = paths.PROJECT_ROOT / "dashboards" / "superset"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://liangxin.invalid/superset")
VERSION = "1.0.0"
DASHBOARD_FILES = ["leadership.yaml", "bulletin.yaml", "annual.yaml"]


def make_uuid(slug: str) -> str:
    return str(uuid.uuid5(NAMESPACE, slug))


# ------------------------------------------------------------------------------------ snapshot facts


@dataclass
class Snapshot:
    path: Path
    tables: dict[tuple[str, str], list[tuple[str, str]]]  # (schema, table) -> [(column, type)]
    latest_quarter: str | None = None
    latest_year: str | None = None
    indicators: dict[str, dict[str, Any]] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        """Whether the snapshot holds the fixed name ``schema.table`` of the contract."""
        return tuple(name.split(".", 1)) in self.tables

    def columns(self, schema: str, table: str) -> list[tuple[str, str]]:
        return self.tables.get((schema, table), [])


def inspect_snapshot(serve_db: Path) -> Snapshot:
    con = duckdb.connect(str(serve_db), read_only=True, config={"enable_external_access": False})
    try:
        rows = con.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "where table_catalog = current_database() order by table_schema, table_name, ordinal_position"
        ).fetchall()
        tables: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for schema, table, column, dtype in rows:
            tables.setdefault((schema, table), []).append((column, dtype))
        snap = Snapshot(Path(serve_db), tables)
        if snap.has(lx.FCT_INDICATORS):
            fct = lx.quoted(lx.FCT_INDICATORS)
            snap.latest_quarter = con.execute(
                f"select max(period) from {fct} where period_type = 'quarter'"
            ).fetchone()[0]
            snap.latest_year = con.execute(f"select max(period) from {fct} where period_type = 'year'").fetchone()[0]
        if snap.latest_year is None and snap.latest_quarter:
            snap.latest_year = snap.latest_quarter[:4]
        if snap.has(lx.REF_INDICATORS):
            cur = con.execute(f"select * from {lx.quoted(lx.REF_INDICATORS)}")
            names = [d[0] for d in cur.description]
            snap.indicators = {r[0]: dict(zip(names, r)) for r in cur.fetchall()}
        return snap
    finally:
        con.close()


# ---------------------------------------------------------------------------------------- helpers


def _load(name: str, spec_dir: Path) -> dict[str, Any]:
    return yaml.safe_load((spec_dir / name).read_text(encoding="utf-8"))


def _adhoc(f: dict[str, Any]) -> dict[str, Any]:
    return {
        "expressionType": "SIMPLE",
        "subject": f["col"],
        "operator": f["op"],
        "comparator": f["val"],
        "clause": "WHERE",
        "isExtra": False,
    }


def _query_filter(f: dict[str, Any]) -> dict[str, Any]:
    return {"col": f["col"], "op": f["op"], "val": f["val"]}


@dataclass
class Dataset:
    slug: str
    uuid: str
    table_name: str
    schema: str | None
    sql: str | None
    rls_column: str | None  # None: restrict community roles to no rows; "" (rls: none): not restricted
    columns: list[str]
    config: dict[str, Any]


@dataclass
class Bundle:
    files: dict[str, str]
    datasets: dict[str, Dataset]
    charts: dict[str, dict[str, Any]]  # chart uuid -> {slug, title, dashboard, dataset, expected}
    dashboards: dict[str, dict[str, Any]]  # slug -> {uuid, title, charts: [uuid]}
    database_uuid: str
    database_name: str
    omitted: list[str]
    snapshot: Snapshot

    def to_zip(self) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, text in self.files.items():
                zf.writestr(f"liangxin_bundle/{name}", text)
        return buf.getvalue()


def _dump(obj: Any) -> str:
    return yaml.safe_dump(obj, allow_unicode=True, sort_keys=False, width=1000)


# --------------------------------------------------------------------------------------- datasets


def _build_datasets(spec: dict[str, Any], snap: Snapshot, db_uuid: str, omitted: list[str]) -> dict[str, Dataset]:
    out: dict[str, Dataset] = {}
    for d in spec["datasets"]:
        requires = d.get("requires", [])
        missing = [req for req in requires if not snap.has(req)]
        if missing:
            omitted.append(f"数据集 {d['table_name']}：快照中缺少 {', '.join(missing)}")
            continue
        sql = d.get("sql")
        if sql:  # a virtual dataset over the contract's tables (fixed names in the SQL); Superset's schema: marts
            sql = sql.strip()
            schema = lx.MARTS if any(r.startswith(f"{lx.MARTS}.") for r in requires) else None
            col_names = list(d["columns"])
        else:
            schema = d["schema"]
            col_names = [c for c, _ in snap.columns(schema, d["table_name"])]
        types = dict(snap.columns(schema, d["table_name"])) if not sql else {}
        columns = []
        for c in col_names:
            columns.append(
                {
                    "column_name": c,
                    "verbose_name": d["columns"].get(c, c),
                    "is_dttm": False,
                    "is_active": True,
                    "type": types.get(c),
                    "groupby": True,
                    "filterable": True,
                    "expression": None,
                    "description": None,
                    "python_date_format": None,
                    "extra": {},
                }
            )
        for c, cfg in (d.get("calculated") or {}).items():
            columns.append(
                {
                    "column_name": c,
                    "verbose_name": cfg.get("verbose_name", c),
                    "is_dttm": False,
                    "is_active": True,
                    "type": "VARCHAR",
                    "groupby": True,
                    "filterable": True,
                    "expression": cfg["expression"],
                    "description": None,
                    "python_date_format": None,
                    "extra": {},
                }
            )
        metrics = [
            {
                "metric_name": "count",
                "verbose_name": "行数",
                "metric_type": "count",
                "expression": "count(*)",
                "description": None,
                "d3format": None,
                "extra": {},
                "warning_text": None,
            }
        ]
        for name, m in (d.get("metrics") or {}).items():
            metrics.append(
                {
                    "metric_name": name,
                    "verbose_name": m.get("verbose_name", name),
                    "metric_type": None,
                    "expression": " ".join(m["expression"].split()),
                    "description": m.get("description"),
                    "d3format": m.get("d3format"),
                    "extra": {},
                    "warning_text": None,
                }
            )
        ds_uuid = make_uuid(f"dataset:{d['slug']}")
        config = {
            "table_name": d["table_name"],
            "main_dttm_col": None,
            "description": d.get("description"),
            "default_endpoint": None,
            "offset": 0,
            "cache_timeout": None,
            "schema": schema,
            "sql": sql,
            "params": None,
            "template_params": None,
            "filter_select_enabled": True,
            "fetch_values_predicate": None,
            "extra": None,
            "uuid": ds_uuid,
            "metrics": metrics,
            "columns": columns,
            "version": VERSION,
            "database_uuid": db_uuid,
        }
        rls = d.get("rls")
        out[d["slug"]] = Dataset(
            d["slug"],
            ds_uuid,
            d["table_name"],
            schema,
            sql,
            "" if rls == "none" else rls,
            [c["column_name"] for c in columns],
            config,
        )
    # annual tables: only those present in the snapshot
    ann = spec.get("annual") or {}
    schema = ann.get("schema", lx.ANNUAL)
    for table, title in (ann.get("tables") or {}).items():
        if not snap.has(f"{schema}.{table}"):
            omitted.append(f"年报表 {table}（{title}）：快照中不存在，看板未包含")
            continue
        cols = snap.columns(schema, table)
        rls = ann["rls_column"] if ann["rls_column"] in dict(cols) else None
        ds_uuid = make_uuid(f"dataset:annual:{table}")
        columns = [
            {
                "column_name": c,
                "verbose_name": c,
                "is_dttm": False,
                "is_active": True,
                "type": t,
                "groupby": True,
                "filterable": True,
                "expression": None,
                "description": None,
                "python_date_format": None,
                "extra": {},
            }
            for c, t in cols
        ]
        config = {
            "table_name": table,
            "main_dttm_col": None,
            "description": title,
            "default_endpoint": None,
            "offset": 0,
            "cache_timeout": None,
            "schema": schema,
            "sql": None,
            "params": None,
            "template_params": None,
            "filter_select_enabled": True,
            "fetch_values_predicate": None,
            "extra": None,
            "uuid": ds_uuid,
            "metrics": [
                {
                    "metric_name": "count",
                    "verbose_name": "行数",
                    "metric_type": "count",
                    "expression": "count(*)",
                    "description": None,
                    "d3format": None,
                    "extra": {},
                    "warning_text": None,
                }
            ],
            "columns": columns,
            "version": VERSION,
            "database_uuid": db_uuid,
        }
        out[f"annual:{table}"] = Dataset(
            f"annual:{table}", ds_uuid, table, schema, None, rls, [c for c, _ in cols], config | {"_title": title}
        )
    return out


# ----------------------------------------------------------------------------------------- charts


def _period_filter(chart: dict[str, Any], snap: Snapshot, ds: Dataset) -> list[dict[str, Any]]:
    which = chart.get("period")
    if which == "latest_quarter" and snap.latest_quarter:
        return [{"col": "period", "op": "==", "val": snap.latest_quarter}]
    if which == "latest_year" and snap.latest_year:
        col = "year" if "year" in ds.columns else "period"
        return [{"col": col, "op": "==", "val": snap.latest_year}]
    return []


def _chart(chart: dict[str, Any], dash_slug: str, ds: Dataset, snap: Snapshot) -> tuple[dict, dict]:
    """Returns (chart YAML config, facts for the tests/report)."""
    viz = chart["viz"]
    filters = list(chart.get("filters") or [])
    title = chart.get("title")
    subheader = ""
    if chart.get("indicator"):
        ind = snap.indicators.get(chart["indicator"], {})
        # text read from the snapshot is neutralised like any output (liangxin.neutral)
        title = title or scrub_ids(clean_text(ind.get("name_zh"), 200)) or chart["indicator"]
        filters.insert(0, {"col": "indicator_id", "op": "==", "val": chart["indicator"]})
        period_type = "year" if chart.get("period") == "latest_year" else "quarter"
        filters.append({"col": "period_type", "op": "==", "val": period_type})
        target = ind.get("target")
        subheader = f"目标：{target}" if target and target != "—" else ""
        kind = ind.get("kind", "ratio")
        chart.setdefault("format", ".1%" if kind == "ratio" else ",d")
    saved_filters = filters + _period_filter(chart, snap, ds)
    common = {
        "datasource": "__table",
        "viz_type": None,
        "adhoc_filters": [_adhoc(f) for f in filters],
        "extra_form_data": {},
        "dashboards": [],
    }
    query: dict[str, Any] = {
        "filters": [_query_filter(f) for f in saved_filters],
        "extras": {"having": "", "where": ""},
        "applied_time_extras": {},
        "custom_form_data": {},
        "custom_params": {},
        "annotation_layers": [],
        "url_params": {},
        "time_range": "No filter",
    }
    fmt = chart.get("format")
    if viz == "big_number":
        viz_type = "big_number_total"
        params = common | {
            "metric": "headline_value",
            "subheader": subheader,
            "header_font_size": 0.4,
            "subheader_font_size": 0.15,
            "y_axis_format": fmt or "SMART_NUMBER",
            "time_format": "smart_date",
            "force_timestamp_formatting": False,
        }
        query |= {
            "columns": [],
            "metrics": ["headline_value", "headline_numerator", "headline_denominator"],
            "orderby": [],
            "row_limit": 1,
        }
    elif viz == "table":
        viz_type = "table"
        percent = set(chart.get("percent_columns") or [])
        params = common | {
            "query_mode": "raw",
            "all_columns": chart["columns"],
            "groupby": [],
            "metrics": [],
            "percent_metrics": [],
            "order_by_cols": [json.dumps(o) for o in chart.get("order_by", [])],
            "row_limit": 10000,
            "server_page_length": 50,
            "table_timestamp_format": "smart_date",
            "include_search": True,
            "show_cell_bars": False,
            "allow_rearrange_columns": True,
            "column_config": {c: {"d3NumberFormat": ".1%"} for c in percent},
            "conditional_formatting": [],
        }
        # raw mode: ``metrics`` must be absent (None), otherwise Superset groups by the columns
        query |= {
            "columns": chart["columns"],
            "orderby": [list(o) for o in chart.get("order_by", [])],
            "row_limit": 10000,
        }
    elif viz in ("line", "bar"):
        viz_type = "echarts_timeseries_line" if viz == "line" else "echarts_timeseries_bar"
        metrics = chart["metrics"]
        groupby = chart.get("groupby") or []
        params = common | {
            "x_axis": chart["x_axis"],
            "metrics": metrics,
            "groupby": groupby,
            "row_limit": 10000,
            "order_desc": True,
            "truncate_metric": True,
            "show_legend": True,
            "legendType": "scroll",
            "legendOrientation": "top",
            "rich_tooltip": True,
            "y_axis_format": fmt or "SMART_NUMBER",
            "x_axis_sort_asc": not chart.get("sort_by_metric", False),
            "x_axis_sort_series": "sum",
            "x_axis_sort_series_ascending": True,
            "show_value": chart.get("show_value", viz == "bar"),
            "markerEnabled": True,
            "zoomable": False,
            "comparison_type": "values",
            "annotation_layers": [],
            "forecastEnabled": False,
            "sort_series_type": "sum",
            "stack": "Stack" if chart.get("stacked") else None,
            "orientation": "horizontal" if chart.get("horizontal") else "vertical",
            "only_total": True,
            "truncateXAxis": True,
            "y_axis_bounds": [None, None],
            "x_axis_title_margin": 15,
            "y_axis_title_margin": 15,
        }
        if chart.get("sort_by_metric"):
            params["x_axis_sort"] = metrics[0]
            params["x_axis_sort_asc"] = bool(chart.get("horizontal"))  # horizontal bars: largest on top
        order = [[metrics[0], False]] if chart.get("sort_by_metric") else [[chart["x_axis"], True]]
        query |= {
            "columns": [chart["x_axis"], *groupby],
            "metrics": metrics,
            "orderby": order,
            "row_limit": 10000,
            "series_columns": groupby,
        }
    else:
        raise ValueError(f"unknown viz {viz!r} in chart {chart['slug']}")
    params["viz_type"] = viz_type
    form_data = dict(params)
    query_context = {
        "datasource": {"id": 0, "type": "table"},
        "force": False,
        "queries": [query],
        "form_data": form_data,
        "result_format": "json",
        "result_type": "full",
    }
    ch_uuid = make_uuid(f"chart:{dash_slug}:{chart['slug']}")
    config = {
        "slice_name": title,
        "description": None,
        "certified_by": None,
        "certification_details": None,
        "viz_type": viz_type,
        "params": params,
        "query_context": json.dumps(query_context, ensure_ascii=False),
        "cache_timeout": None,
        "uuid": ch_uuid,
        "version": VERSION,
        "dataset_uuid": ds.uuid,
    }
    facts = {
        "slug": f"{dash_slug}:{chart['slug']}",
        "title": title,
        "dataset": ds.slug,
        "viz": viz_type,
        "indicator": chart.get("indicator"),
        "filters": saved_filters,
    }
    return config, facts


# ------------------------------------------------------------------------------------- dashboards


def _native_filter(
    nf: dict[str, Any],
    dash_slug: str,
    datasets: dict[str, Dataset],
    snap: Snapshot,
    chart_ids: dict[str, int],
    all_ids: list[int],
) -> dict[str, Any]:
    ds = datasets[nf["dataset"]]
    default = {"latest_quarter": snap.latest_quarter, "latest_year": snap.latest_year}.get(nf.get("default"))
    if "include" in nf:
        excluded = [i for i in all_ids if i not in {chart_ids[s] for s in nf["include"] if s in chart_ids}]
    else:
        excluded = [chart_ids[s] for s in nf.get("exclude", []) if s in chart_ids]
    mask: dict[str, Any] = {"extraFormData": {}, "filterState": {}, "ownState": {}}
    if default:
        mask = {
            "extraFormData": {"filters": [{"col": nf["column"], "op": "IN", "val": [default]}]},
            "filterState": {"value": [default], "label": default},
            "ownState": {},
        }
    return {
        "id": f"NATIVE_FILTER-{dash_slug}-{nf['id']}",
        "name": nf["name"],
        "filterType": "filter_select",
        "type": "NATIVE_FILTER",
        "description": "",
        "targets": [{"datasetUuid": ds.uuid, "column": {"name": nf["column"]}}],
        "controlValues": {
            "enableEmptyFilter": False,
            "defaultToFirstItem": False,
            "multiSelect": False,
            "searchAllOptions": False,
            "inverseSelection": False,
            "sortAscending": False,
        },
        "defaultDataMask": mask,
        "cascadeParentIds": [f"NATIVE_FILTER-{dash_slug}-{nf['parent']}"] if nf.get("parent") else [],
        "scope": {"rootPath": ["ROOT_ID"], "excluded": excluded},
        "adhoc_filters": [_adhoc(f) for f in nf.get("prefilter", [])],
        "time_range": "No filter",
        "requiredFirst": False,
        "chartsInScope": [],
        "tabsInScope": [],
    }


def _dashboard(
    spec: dict[str, Any], datasets: dict[str, Dataset], snap: Snapshot, omitted: list[str]
) -> tuple[dict, list[dict], list[dict]]:
    dash_slug = spec["slug"]
    rows = [list(r) for r in spec.get("rows", [])]
    notes: list[str] = []
    if spec.get("annual_tables"):
        annual = [d for k, d in datasets.items() if k.startswith("annual:")]
        for ds in annual:
            rows.append(
                [
                    {
                        "slug": ds.table_name,
                        "title": ds.config["_title"],
                        "width": 12,
                        "height": 60,
                        "viz": "table",
                        "dataset": ds.slug,
                        "columns": ds.columns,
                        "period": "latest_year" if "year" in ds.columns else None,
                    }
                ]
            )
        if not annual:
            notes.append(
                "**年报表一至表八及审核结果尚未生成**：发布时服务快照中没有 `rpt_annual_t1` … `rpt_audit`，"
                "本页暂只显示年度主要指标；年报表生成后重新运行 `liangxin superset publish` 即可出现。"
            )
    charts, facts = [], []
    chart_ids: dict[str, int] = {}
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
        "HEADER_ID": {"id": "HEADER_ID", "type": "HEADER", "meta": {"text": spec["title"]}},
    }
    placeholder = 0
    for r_i, row in enumerate(rows):
        row_id = f"ROW-{dash_slug}-{r_i}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {
            "type": "ROW",
            "id": row_id,
            "children": [],
            "parents": ["ROOT_ID", "GRID_ID"],
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
        }
        for ch in row:
            ds = datasets.get(ch["dataset"])
            if ds is None:
                omitted.append(f"图表 {spec['title']}/{ch.get('title') or ch['slug']}：数据集 {ch['dataset']} 不可用")
                continue
            if ch["viz"] == "table" and not ds.sql:  # keep only the columns the snapshot has
                missing = [c for c in ch["columns"] if c not in ds.columns]
                if missing:
                    omitted.append(f"图表 {spec['title']}/{ch.get('title')}：快照中缺少列 {', '.join(missing)}")
                ch = dict(
                    ch,
                    columns=[c for c in ch["columns"] if c in ds.columns],
                    order_by=[o for o in ch.get("order_by", []) if o[0] in ds.columns],
                )
                if not ch["columns"]:
                    continue
            config, fact = _chart(dict(ch), dash_slug, ds, snap)
            placeholder += 1
            chart_ids[ch["slug"]] = placeholder
            charts.append(config)
            fact["dashboard"] = spec["title"]
            facts.append(fact | {"uuid": config["uuid"]})
            cid = f"CHART-{dash_slug}-{ch['slug']}".replace(":", "-").replace("_", "-")
            position[row_id]["children"].append(cid)
            position[cid] = {
                "type": "CHART",
                "id": cid,
                "children": [],
                "parents": ["ROOT_ID", "GRID_ID", row_id],
                "meta": {
                    "width": ch.get("width", 4),
                    "height": ch.get("height", 50),
                    "chartId": placeholder,
                    "uuid": config["uuid"],
                    "sliceName": config["slice_name"],
                },
            }
    for n_i, text in enumerate(notes):
        row_id = f"ROW-{dash_slug}-note-{n_i}"
        md_id = f"MARKDOWN-{dash_slug}-note-{n_i}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {
            "type": "ROW",
            "id": row_id,
            "children": [md_id],
            "parents": ["ROOT_ID", "GRID_ID"],
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
        }
        position[md_id] = {
            "type": "MARKDOWN",
            "id": md_id,
            "children": [],
            "parents": ["ROOT_ID", "GRID_ID", row_id],
            "meta": {"width": 12, "height": 20, "code": text},
        }
    all_ids = list(chart_ids.values())
    filters = [
        _native_filter(nf, dash_slug, datasets, snap, chart_ids, all_ids)
        for nf in spec.get("native_filters", [])
        if nf["dataset"] in datasets
    ]
    # a filter only applies to charts whose dataset has the column (the others are excluded from its scope)
    by_slug = {f["slug"].split(":", 1)[1]: f for f in facts}
    for nf_spec, nf in zip([n for n in spec.get("native_filters", []) if n["dataset"] in datasets], filters):
        for slug, pid in chart_ids.items():
            ds = datasets[by_slug[slug]["dataset"]]
            if nf_spec["column"] not in ds.columns and pid not in nf["scope"]["excluded"]:
                nf["scope"]["excluded"].append(pid)
    metadata = {
        "native_filter_configuration": filters,
        "color_scheme": "supersetColors",
        "refresh_frequency": 0,
        "expanded_slices": {},
        "label_colors": {},
        "shared_label_colors": [],
        "color_scheme_domain": [],
        "timed_refresh_immune_slices": [],
        "cross_filters_enabled": False,
        "default_filters": "{}",
        "chart_configuration": {},
        "global_chart_configuration": {"scope": {"rootPath": ["ROOT_ID"], "excluded": []}, "chartsInScope": []},
    }
    dash = {
        "dashboard_title": spec["title"],
        "description": None,
        "css": "",
        "slug": f"liangxin-{dash_slug}",
        "uuid": make_uuid(f"dashboard:{dash_slug}"),
        "position": position,
        "metadata": metadata,
        "version": VERSION,
        "published": True,
        "certified_by": None,
        "certification_details": None,
    }
    return dash, charts, facts


# ------------------------------------------------------------------------------------------ build


def build_bundle(serve_db: Path, spec_dir: Path = SPEC_DIR) -> Bundle:
    serve_db = Path(serve_db).resolve()
    if not serve_db.exists():
        raise FileNotFoundError(f"服务快照不存在 / serving snapshot not found: {serve_db}")
    snap = inspect_snapshot(serve_db)
    omitted: list[str] = []
    db_spec = _load("database.yaml", spec_dir)
    db_uuid = make_uuid(f"database:{db_spec['slug']}")
    database = {
        "database_name": db_spec["database_name"],
        "sqlalchemy_uri": f"duckdb:///{serve_db}",
        "cache_timeout": None,
        "expose_in_sqllab": db_spec.get("expose_in_sqllab", True),
        "allow_run_async": db_spec.get("allow_run_async", False),
        "allow_ctas": db_spec.get("allow_ctas", False),
        "allow_cvas": db_spec.get("allow_cvas", False),
        "allow_dml": db_spec.get("allow_dml", False),
        "allow_file_upload": db_spec.get("allow_file_upload", False),
        "extra": db_spec.get("extra", {}),
        "uuid": db_uuid,
        "version": VERSION,
    }
    datasets = _build_datasets(_load("datasets.yaml", spec_dir), snap, db_uuid, omitted)
    files = {
        "metadata.yaml": _dump(
            {"version": VERSION, "type": "assets", "timestamp": datetime.now(timezone.utc).isoformat()}
        ),
        f"databases/{db_spec['slug']}.yaml": _dump(database),
    }
    for ds in datasets.values():
        cfg = {k: v for k, v in ds.config.items() if not k.startswith("_")}
        files[f"datasets/{db_spec['slug']}/{ds.slug.replace(':', '_')}.yaml"] = _dump(cfg)
    charts_facts: dict[str, dict[str, Any]] = {}
    dashboards: dict[str, dict[str, Any]] = {}
    for name in DASHBOARD_FILES:
        spec = _load(name, spec_dir)
        dash, charts, facts = _dashboard(spec, datasets, snap, omitted)
        for c in charts:
            files[f"charts/{spec['slug']}_{c['uuid'][:8]}.yaml"] = _dump(c)
        for f in facts:
            charts_facts[f["uuid"]] = f
        files[f"dashboards/{spec['slug']}.yaml"] = _dump(dash)
        dashboards[spec["slug"]] = {
            "uuid": dash["uuid"],
            "title": dash["dashboard_title"],
            "charts": [c["uuid"] for c in charts],
        }
    return Bundle(files, datasets, charts_facts, dashboards, db_uuid, db_spec["database_name"], omitted, snap)
