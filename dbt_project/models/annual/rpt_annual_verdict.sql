{{ config(materialized='view') }}
-- 年报审核结论：每个有已接收报送的年份一行。可以上报 = A0–A10 中全部 E 规则通过；否则 不得上报，reasons 列出每条不通过
-- 规则的说明（以“；”连接）。覆盖情况：四个季度齐全的社区数 / 名册社区数。状态：草稿（未定稿）/ 定稿 / 已定稿，有更正待报
-- （最新定稿版本与当前单元格有差异，见 rpt_annual_corrections）。定稿信息与签章栏取最新定稿版本。
-- 视图：定稿后立即反映，无需重建。
with rr as (
    select * from {{ ref('rpt_annual_rule_results') }}
),
verdicts as (
    select
        year,
        sum(case when severity = 'E' and not passed then 1 else 0 end) as failed_e,
        {{ string_agg_ordered("case when severity = 'E' and not passed then detail end", "'；'", 'rule_order') }}
            as reasons
    from rr
    group by year
),
coverage as (
    select
        year,
        sum(case when complete then 1 else 0 end) as communities_complete,
        count(*) as communities_expected
    from {{ ref('ann_community_years') }}
    group by year
),
versions as (
    select year, max(version) as version from {{ source('finalized', 'annual_versions') }} group by year
),
latest as (
    select a.*
    from {{ source('finalized', 'annual_versions') }} as a
    inner join versions as v on a.year = v.year and a.version = v.version
),
pending as (
    select year, count(*) as changed_cells from {{ ref('rpt_annual_corrections') }} group by year
)
select
    v.year,
    case when v.failed_e = 0 then '可以上报' else '不得上报' end as verdict,
    case when v.failed_e = 0 then null else v.reasons end as reasons,
    cast(c.communities_complete as {{ dbt.type_int() }}) as communities_complete,
    cast(c.communities_expected as {{ dbt.type_int() }}) as communities_expected,
    case
        when l.version is null then '草稿'
        when coalesce(p.changed_cells, 0) > 0 then '已定稿，有更正待报'
        else '定稿'
    end as status,
    l.version as finalized_version,
    l.finalized_at,
    l.finalized_by,
    l.override_reason,
    l.verdict as finalized_verdict,
    l.cells_sha256 as finalized_sha256,
    cast(coalesce(p.changed_cells, 0) as {{ dbt.type_int() }}) as changed_cells,
    l.signoff_unit,
    l.signoff_head,
    l.signoff_filled_by,
    l.signoff_reviewed_by,
    l.signoff_phone,
    l.signoff_date
from verdicts as v
inner join coverage as c on v.year = c.year
left join latest as l on v.year = l.year
left join pending as p on v.year = p.year
