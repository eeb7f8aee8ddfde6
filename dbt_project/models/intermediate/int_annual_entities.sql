-- 年报行实体：完整年份（dim_period 的年度）× 层级（区/街道/社区）× 实体，其下至少一个社区本年有当前报送；附第四季度报送标志与排序
with subs as (
    select unit_code, period_year as year, max(case when period_quarter = 4 then 1 else 0 end) as has_q4
    from {{ ref('int_current_submissions') }}
    where
        cast(period_year as {{ dbt.type_string() }}) in (
            select period from {{ ref('dim_period') }} where period_type = 'year'
        )
    group by unit_code, period_year
),
comm as (
    select unit_code, street_code, district_code, sort_order, street_sort_order from {{ ref('dim_community') }}
)
select
    s.year,
    m.level,
    m.entity_code,
    max(m.entity_name) as entity_name,
    max(s.has_q4) = 1 as has_q4,
    min(case
        when m.level = 'district' then 0
        when m.level = 'street' then c.street_sort_order * 1000
        else c.street_sort_order * 1000 + c.sort_order
    end) as row_order
from subs as s
inner join {{ ref('int_entity_membership') }} as m on s.unit_code = m.unit_code
inner join comm as c on s.unit_code = c.unit_code
group by s.year, m.level, m.entity_code
