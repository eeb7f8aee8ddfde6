{{ config(meta={'dagster': {'ref': {'name': 'fct_indicators'}}}) }}
-- K10、K20 的分母为名册中该层级下的社区数（ref_communities：种子 + LIANGXIN_REGISTER）
with reg as (
    select 'district' as level, district_code as entity_code, count(*) as n
    from {{ ref('ref_communities') }}
    group by district_code
    union all
    select 'street', street_code, count(*) from {{ ref('ref_communities') }} group by street_code
    union all
    select 'community', unit_code, 1 from {{ ref('ref_communities') }}
)
select f.*
from {{ ref('fct_indicators') }} as f
inner join reg as r on f.level = r.level and f.entity_code = r.entity_code
where
    f.indicator_id in ('K10', 'K20')
    and f.denominator <> r.n
