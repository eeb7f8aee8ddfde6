{{ config(meta={'dagster': {'ref': {'name': 'rpt_annual_t1'}}}) }}
-- 年报审核规则 A1（错误）：见 shared/spec/audit-rules.md；返回违规行
{{ a1_violations() }}
