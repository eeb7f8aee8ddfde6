-- 单建率通报：名册中每个社区 × 每个季度的 K1、K2、K3、K3b，较上季度变化（任一为 NULL 则 NULL），
-- 按 K1 降序在全区社区中排名（标准竞争排名 1, 2, 2, 4；K1 为 NULL 的社区不排名 = NULL，列于最后）
with quarters as (
    select period, previous_period, period_end from {{ ref('dim_period') }} where period_type = 'quarter'
),
grid as (
    select
        c.unit_code, c.unit_name, c.street_code, c.street_name, c.district_code, c.sort_order,
        q.period, q.previous_period, q.period_end
    from {{ ref('dim_community') }} as c
    cross join quarters as q
),
vals as (
    select
        entity_code as unit_code, period,
        max(case when indicator_id = 'K1' then value end) as k1,
        max(case when indicator_id = 'K2' then value end) as k2,
        max(case when indicator_id = 'K3' then value end) as k3,
        max(case when indicator_id = 'K3b' then value end) as k3b,
        max(case when indicator_id = 'K1' then numerator end) as k1_numerator,
        max(case when indicator_id = 'K1' then denominator end) as k1_denominator
    from {{ ref('fct_indicators') }}
    where level = 'community' and period_type = 'quarter' and indicator_id in ('K1', 'K2', 'K3', 'K3b')
    group by entity_code, period
),
joined as (
    select
        g.*,
        v.k1, v.k2, v.k3, v.k3b, v.k1_numerator, v.k1_denominator,
        pv.k1 as k1_prev, pv.k2 as k2_prev, pv.k3 as k3_prev, pv.k3b as k3b_prev
    from grid as g
    left join vals as v on g.unit_code = v.unit_code and g.period = v.period
    left join vals as pv on g.unit_code = pv.unit_code and g.previous_period = pv.period
),
ranked as (
    select
        j.*,
        -- rank() is BIGINT in DuckDB, INT in Spark: the cast keeps the contract type on both
        cast(case
            when j.k1 is not null then
                rank()
                    over (
                        partition by j.district_code, j.period, case when j.k1 is null then 1 else 0 end
                        order by j.k1 desc
                    )
        end as {{ dbt.type_bigint() }}) as k1_rank
    from joined as j
)
select
    unit_code,
    unit_name,
    street_code,
    street_name,
    district_code,
    period,
    period_end as snapshot_date,
    k1, k1_numerator, k1_denominator,
    {{ decimal_change('k1', 'k1_prev') }} as k1_change,
    k2,
    {{ decimal_change('k2', 'k2_prev') }} as k2_change,
    k3,
    {{ decimal_change('k3', 'k3_prev') }} as k3_change,
    k3b,
    {{ decimal_change('k3b', 'k3b_prev') }} as k3b_change,
    k1_rank,
    sort_order
from ranked
