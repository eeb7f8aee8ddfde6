{{ config(meta={'dagster': {'ref': {'name': 'rpt_annual_rule_results'}}}) }}
-- 年报审核结论的结构（不是年报规则本身：规则不通过是数据，见 rpt_annual_rule_results，不阻止任何表）：
-- 每个有报送的年份恰有 A0–A10 共 11 条规则结果；结论 = 不得上报 当且仅当有错误类规则不通过；不通过的规则 hit_count > 0。
-- 返回不一致的年份（一个坏掉的汇总或结论逻辑会在这里失败）。
with rr as (
    select
        year, count(*) as n_rules,
        sum(case when severity = 'E' and not passed then 1 else 0 end) as failed_e,
        sum(case when passed <> (hit_count = 0) then 1 else 0 end) as inconsistent
    from {{ ref('rpt_annual_rule_results') }}
    group by year
),
years as (
    select distinct year from {{ ref('ann_community_years') }}
)
select y.year, rr.n_rules, rr.failed_e, rr.inconsistent, v.verdict
from years as y
left join rr on rr.year = y.year
left join {{ ref('rpt_annual_verdict') }} as v on v.year = y.year
where
    rr.n_rules is distinct from 11
    or rr.inconsistent > 0
    or v.verdict is null
    or (v.verdict = '不得上报') <> (rr.failed_e > 0)
