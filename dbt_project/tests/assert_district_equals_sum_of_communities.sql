{{ config(meta={'dagster': {'ref': {'name': 'fct_indicators'}}}) }}
-- 可加指标（除 K9、K9b 按人去重、K12 按场次去重、K10 按名册社区计，以及单位口径指标按统一社会信用代码只计一次
-- （D80，见 assert_unit_indicators_at_most_sum_of_communities）外）：区级、街道级的分子、分母等于其下各社区之和（D9）
with comm as (
    select f.indicator_id, f.period, c.street_code, c.district_code, f.numerator, f.denominator
    from {{ ref('fct_indicators') }} as f
    inner join {{ ref('dim_community') }} as c on f.entity_code = c.unit_code
    where f.level = 'community'
),
expected as (
    select
        'district' as level, district_code as entity_code, indicator_id, period,
        sum(numerator) as numerator, sum(denominator) as denominator
    from comm group by district_code, indicator_id, period
    union all
    select 'street', street_code, indicator_id, period, sum(numerator), sum(denominator)
    from comm group by street_code, indicator_id, period
)
select
    f.level, f.entity_code, f.indicator_id, f.period,
    f.numerator, e.numerator as expected_numerator, f.denominator, e.denominator as expected_denominator
from {{ ref('fct_indicators') }} as f
full outer join expected as e
    on f.level = e.level and f.entity_code = e.entity_code and f.indicator_id = e.indicator_id and f.period = e.period
where
    coalesce(f.indicator_id, e.indicator_id) not in ('K9', 'K9b', 'K12', 'K10')
    and coalesce(f.indicator_id, e.indicator_id) not in {{ unit_indicator_ids() }}
    and coalesce(f.level, e.level) in ('street', 'district')
    and (
        f.indicator_id is null or e.indicator_id is null
        or f.numerator <> e.numerator
        or coalesce(f.denominator, -1) <> coalesce(e.denominator, -1)
    )
