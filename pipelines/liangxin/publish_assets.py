"""Publishing as Dagster assets downstream of the dbt marts.

``serve_snapshot`` (build.duckdb → serve.duckdb: the public models of the serving contract, one ``CREATE TABLE
AS`` each, then atomic rename; ``liangxin.serving``, ``liangxin.contract``) → ``static_dashboard``
(build/dashboard/index.html), ``annual_returns`` (build/annual/<year>.xlsx and build/dashboard/annual-<year>.html for every year with any accepted return)
and ``superset_dashboards`` (only when ``LIANGXIN_SUPERSET_URL`` is set).
"""

from pathlib import Path

import dagster as dg

from liangxin.defs.resources import LiangxinPaths

SNAPSHOT_KEY = dg.AssetKey("serve_snapshot")


class AnnualConfig(dg.Config):
    """Years to publish; empty = every year with any accepted return (rpt_annual_verdict), complete or not."""

    years: list[int] = []


def build_publish_assets(upstream: list[dg.AssetKey]) -> list:
    @dg.asset(
        key=SNAPSHOT_KEY,
        deps=upstream,
        group_name="publish",
        pool="duckdb_writer",
        kinds={"duckdb"},
        description="服务快照 serve.duckdb：只发布服务契约中的公开模型（dbt access: public），逐表写入新库后原子替换，所有读者只读打开。",
    )
    def serve_snapshot(
        context: dg.AssetExecutionContext, liangxin: dg.ResourceParam[LiangxinPaths]
    ) -> dg.MaterializeResult:
        from liangxin.contract import FCT_INDICATORS, quoted
        from liangxin.defs.dbt import ensure_manifest
        from liangxin.serving import connect_readonly, publish_snapshot

        path = publish_snapshot(
            liangxin.db(), liangxin.settings.serve_duckdb, manifest=ensure_manifest(liangxin.settings)
        )
        con = connect_readonly(path)
        try:
            n = con.execute(f"select count(*) from {quoted(FCT_INDICATORS)}").fetchone()[0]
            tables = con.execute("select count(*) from duckdb_tables()").fetchone()[0]
        finally:
            con.close()
        context.log.info(f"服务快照已发布：{path}（{tables} 张公开表，指标值 {n} 条）")
        return dg.MaterializeResult(
            metadata={
                "path": str(path),
                "indicator_values": n,
                "tables": tables,
                "size_bytes": Path(path).stat().st_size,
            }
        )

    @dg.asset(
        deps=[SNAPSHOT_KEY],
        group_name="publish",
        kinds={"html", "plotly"},
        description="领导驾驶舱静态页面 build/dashboard/index.html（离线可用）。",
        # first of the publishing steps after the snapshot: the refreshed dashboard is what a correction waits for;
        # the annual returns (seconds of openpyxl per year) follow (issue 17, D216)
        op_tags={"dagster/priority": "10"},
    )
    def static_dashboard(
        context: dg.AssetExecutionContext, liangxin: dg.ResourceParam[LiangxinPaths]
    ) -> dg.MaterializeResult:
        from liangxin.dashboard import render_dashboard

        out = render_dashboard(liangxin.settings.serve_duckdb, liangxin.settings.build / "dashboard")
        return dg.MaterializeResult(metadata={"path": str(out), "size_bytes": Path(out).stat().st_size})

    @dg.asset(
        deps=[SNAPSHOT_KEY],
        group_name="publish",
        kinds={"excel"},
        description="统计年报 build/annual/<年>.xlsx（封面、表一至表九与审核结果；有LibreOffice时另出PDF）与年报看板页 build/dashboard/annual-<年>.html；每个有报表的年份都写出，不得上报的年份在封面说明原因。",
    )
    def annual_returns(
        context: dg.AssetExecutionContext, config: AnnualConfig, liangxin: dg.ResourceParam[LiangxinPaths]
    ) -> dg.MaterializeResult:
        from liangxin.annual import PdfError, SignOff, annual_years, convert_to_pdf, load_annual, write_annual_return
        from liangxin.annual_page import write_annual_page
        from liangxin.serving import connect_readonly

        # every year with any accepted return (rpt_annual_verdict), whatever its verdict: a failed annual rule
        # marks the year 不得上报 on its cover, it never skips the year (annual-return.md)
        settings = liangxin.settings
        serve = settings.serve_duckdb
        years = list(config.years) or annual_years(serve)
        written, verdicts = {}, {}
        for y in years:
            out = write_annual_return(
                y, settings.build / "annual" / f"{y}.xlsx", serve, configured=SignOff.from_settings(settings)
            )
            written[str(y)] = str(out)
            written[f"{y}.html"] = str(write_annual_page(y, serve, settings.build / "dashboard"))
            con = connect_readonly(serve)
            try:
                data = load_annual(con, y)
            finally:
                con.close()
            verdicts[str(y)] = f"{data.status_text()}，{data.verdict.get('verdict')}" + (
                "：" + "；".join(data.reasons) if data.reasons else ""
            )
            if data.verdict.get("verdict") != "可以上报":
                context.log.warning(f"{y} 年年报不得上报：{'；'.join(data.reasons)}")
            if settings.annual_pdf:  # LIANGXIN_ANNUAL_PDF
                try:
                    pdf = convert_to_pdf(out)
                    if pdf:
                        written[f"{y}.pdf"] = str(pdf)
                except PdfError as exc:  # a PDF is a convenience; the workbook is the return — but say so
                    context.log.warning(f"{y} 年年报 PDF 未写出：{exc}")
                    written[f"{y}.pdf"] = f"未写出：{exc}"
        return dg.MaterializeResult(
            metadata={"files": dg.MetadataValue.json(written), "verdicts": dg.MetadataValue.json(verdicts)}
        )

    @dg.asset(
        deps=[SNAPSHOT_KEY],
        group_name="publish",
        kinds={"superset"},
        description="Superset 看板（仅当设置了 LIANGXIN_SUPERSET_URL 时发布）。",
    )
    def superset_dashboards(
        context: dg.AssetExecutionContext, liangxin: dg.ResourceParam[LiangxinPaths]
    ) -> dg.MaterializeResult:
        if not liangxin.settings.superset_url:
            return dg.MaterializeResult(metadata={"published": False, "reason": "LIANGXIN_SUPERSET_URL 未设置"})
        from liangxin.superset import publish_if_configured

        result = publish_if_configured(liangxin.settings)
        return dg.MaterializeResult(metadata={"published": True, "result": dg.MetadataValue.json(result or {})})

    return [serve_snapshot, static_dashboard, annual_returns, superset_dashboards]
