-- 年报表一 党员数量变化情况：上年底总数 = 第一季度期初；增减 = 四个季度之和；本年底实有数 = 第四季度期末实有数。
-- 不含功能型党组织（D4）。行：总计（区）、非公有制企业、社会组织、各街道、各社区。
{% set flow_cols = ['developed', 'restored', 'transferred_in', 'in_whole_unit', 'exited', 'suspended',
                    'deceased', 'transferred_out', 'out_whole_unit'] %}
with base as (
    select
        mf.unit_code,
        mf.year,
        coalesce(pc.category, 'enterprise') as category,
        sum(case when mf.quarter = 1 then coalesce(mf.opening, 0) else 0 end) as prev_year_end_total,
        {% for c in flow_cols -%}
        sum(coalesce(mf.{{ c }}, 0)) as {{ c }},
        {% endfor -%}
        sum(case when mf.quarter = 4 then coalesce(mf.closing_actual, 0) else 0 end) as year_end_actual
    from {{ ref('int_member_flow') }} as mf
    left join {{ ref('int_party_org_category') }} as pc
        on mf.submission_id = pc.submission_id and mf.party_org_code = pc.party_org_code
    where not mf.is_functional
    group by mf.unit_code, mf.year, coalesce(pc.category, 'enterprise')
),
by_entity as (
    select m.level, m.entity_code, b.year,
           sum(b.prev_year_end_total) as prev_year_end_total,
           {% for c in flow_cols -%}
           sum(b.{{ c }}) as {{ c }},
           {% endfor -%}
           sum(b.year_end_actual) as year_end_actual
    from base as b
    inner join {{ ref('int_entity_membership') }} as m on b.unit_code = m.unit_code
    group by m.level, m.entity_code, b.year
),
by_category as (
    select b.category, b.year,
           sum(b.prev_year_end_total) as prev_year_end_total,
           {% for c in flow_cols -%}
           sum(b.{{ c }}) as {{ c }},
           {% endfor -%}
           sum(b.year_end_actual) as year_end_actual
    from base as b
    group by b.category, b.year
),
entity_rows as (
    select e.year, e.level, e.entity_code, e.entity_name, e.row_order,
           coalesce(x.prev_year_end_total, 0) as prev_year_end_total,
           {% for c in flow_cols -%}
           coalesce(x.{{ c }}, 0) as {{ c }},
           {% endfor -%}
           coalesce(x.year_end_actual, 0) as year_end_actual
    from {{ ref('int_annual_entities') }} as e
    left join by_entity as x on e.level = x.level and e.entity_code = x.entity_code and e.year = x.year
),
categories as (
    select 'enterprise' as entity_code, '非公有制企业' as entity_name, 1 as row_order
    union all
    select 'social', '社会组织', 2
),
category_rows as (
    select d.year, 'category' as level, c.entity_code, c.entity_name, c.row_order,
           coalesce(x.prev_year_end_total, 0) as prev_year_end_total,
           {% for c in flow_cols -%}
           coalesce(x.{{ c }}, 0) as {{ c }},
           {% endfor -%}
           coalesce(x.year_end_actual, 0) as year_end_actual
    from (select distinct year from {{ ref('int_annual_entities') }}) as d
    cross join categories as c
    left join by_category as x on x.year = d.year and x.category = c.entity_code
),
all_rows as (
    select * from entity_rows
    union all
    select * from category_rows
)
select
    year,
    level,
    entity_code,
    entity_name,
    row_order,
    cast(prev_year_end_total as {{ dbt.type_bigint() }}) as prev_year_end_total,
    cast(developed + restored + transferred_in as {{ dbt.type_bigint() }}) as increase_total,
    cast(developed as {{ dbt.type_bigint() }}) as developed,
    cast(restored as {{ dbt.type_bigint() }}) as restored,
    cast(transferred_in as {{ dbt.type_bigint() }}) as transferred_in,
    cast(in_whole_unit as {{ dbt.type_bigint() }}) as in_whole_unit,
    cast(exited + suspended + deceased + transferred_out as {{ dbt.type_bigint() }}) as decrease_total,
    cast(exited as {{ dbt.type_bigint() }}) as exited,
    cast(suspended as {{ dbt.type_bigint() }}) as suspended,
    cast(deceased as {{ dbt.type_bigint() }}) as deceased,
    cast(transferred_out as {{ dbt.type_bigint() }}) as transferred_out,
    cast(out_whole_unit as {{ dbt.type_bigint() }}) as out_whole_unit,
    cast(prev_year_end_total + (developed + restored + transferred_in)
        - (exited + suspended + deceased + transferred_out) as {{ dbt.type_bigint() }}) as year_end_should,
    cast(year_end_actual as {{ dbt.type_bigint() }}) as year_end_actual,
    cast(year_end_actual - (prev_year_end_total + (developed + restored + transferred_in)
        - (exited + suspended + deceased + transferred_out)) as {{ dbt.type_bigint() }}) as actual_minus_should
from all_rows
