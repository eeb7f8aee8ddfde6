{{ config(meta={'dagster': {'ref': {'name': 'fct_indicators'}}}) }}
-- 单位口径指标（D80）：街道、区的记录与其下社区记录同在；N_U 不超过其下各社区之和，
-- 且只有当有单位被两个社区同时列为存续（规则 I3）时才小于该和
with comm as (
    select f.indicator_id, f.period, c.street_code, c.district_code, f.numerator
    from {{ ref('fct_indicators') }} as f
    inner join {{ ref('dim_community') }} as c on f.entity_code = c.unit_code
    where f.level = 'community' and f.indicator_id in {{ unit_indicator_ids() }}
),
expected as (
    select 'district' as level, district_code as entity_code, indicator_id, period, sum(numerator) as numerator
    from comm group by district_code, indicator_id, period
    union all
    select 'street', street_code, indicator_id, period, sum(numerator)
    from comm group by street_code, indicator_id, period
)
select f.level, f.entity_code, f.indicator_id, f.period, f.numerator, e.numerator as sum_of_communities
from {{ ref('fct_indicators') }} as f
full outer join expected as e
    on f.level = e.level and f.entity_code = e.entity_code and f.indicator_id = e.indicator_id and f.period = e.period
where
    coalesce(f.level, e.level) in ('street', 'district')
    and coalesce(f.indicator_id, e.indicator_id) in {{ unit_indicator_ids() }}
    and (
        f.indicator_id is null or e.indicator_id is null
        or (f.indicator_id = 'N_U' and f.numerator > e.numerator)
    )
