{{ config(meta={'dagster': {'ref': {'name': 'rpt_annual_t2'}}}) }}
-- 年报审核规则 A4（错误）：见 shared/spec/audit-rules.md；返回违规行
{{ a4_violations() }}
