-- 年报表一 党员数量变化情况（不含功能型党组织，D4）。行：总计（区）、非公有制企业、社会组织、各街道、各社区。
-- 上年底总数 = 上年最新定稿版本的本年底实有数（A3 的来源；上年未定稿或该社区无定稿数时 = 第一季度期初之和）；
-- 增减 = 四个季度之和（社区缺任一季度报表时为空，“缺报”）；本年底实有数 = 第四季度期末实有数（无第四季度报表时为空）。
-- 街道、区 = 所属社区的非空值之和（每个党组织只属于一个社区，I4）。
-- 类别行：党组织本年类别固定（ann_org_category），其上年底总数 = 第一季度期初之和（上年各组织的类别可能不同）。
-- opening_q1（不公布）= 第一季度期初之和，规则 A3 用它与上年（定稿）本年底实有数比对。
{% set flow_cols = ['developed', 'restored', 'transferred_in', 'in_whole_unit', 'exited', 'suspended',
                    'deceased', 'transferred_out', 'out_whole_unit'] %}
with cy as (
    select * from {{ ref('ann_community_years') }}
),
org_rows as (
    select
        mf.unit_code,
        mf.year,
        coalesce(oc.category, 'enterprise') as category,
        sum(case when mf.quarter = 1 then coalesce(mf.opening, 0) else 0 end) as opening_q1,
        {% for c in flow_cols -%}
            sum(coalesce(mf.{{ c }}, 0)) as {{ c }},
        {% endfor -%}
        sum(case when mf.quarter = 4 then coalesce(mf.closing_actual, 0) else 0 end) as year_end_actual
    from {{ ref('fct_member_flow') }} as mf
    left join {{ ref('ann_org_category') }} as oc
        on mf.unit_code = oc.unit_code and mf.year = oc.year and mf.party_org_code = oc.party_org_code
    where not mf.is_functional
    group by mf.unit_code, mf.year, coalesce(oc.category, 'enterprise')
),
per_community_raw as (
    select
        unit_code, year,
        sum(opening_q1) as opening_q1,
        {% for c in flow_cols -%}
            sum({{ c }}) as {{ c }},
        {% endfor -%}
        sum(year_end_actual) as year_end_actual
    from org_rows
    group by unit_code, year
),
finalized_prev as (
    select year + 1 as year, entity_code as unit_code, value as finalized_prev_actual
    from {{ ref('ann_finalized_latest') }}
    where table_no = 1 and level = 'community' and column_name = 'year_end_actual' and value is not null
),
per_community as (
    select
        cy.year,
        cy.unit_code,
        case when cy.has_q1 then coalesce(r.opening_q1, 0) end as opening_q1,
        coalesce(
            fp.finalized_prev_actual,
            case when cy.has_q1 then coalesce(r.opening_q1, 0) end
        ) as prev_year_end_total,
        {% for c in flow_cols -%}
            case when cy.complete then coalesce(r.{{ c }}, 0) end as {{ c }},
        {% endfor -%}
        case when cy.has_q4 then coalesce(r.year_end_actual, 0) end as year_end_actual
    from cy
    left join per_community_raw as r on cy.unit_code = r.unit_code and cy.year = r.year
    left join finalized_prev as fp on cy.unit_code = fp.unit_code and cy.year = fp.year
),
by_entity as (
    select
        m.level, m.entity_code, p.year,
        sum(p.opening_q1) as opening_q1,
        sum(p.prev_year_end_total) as prev_year_end_total,
        {% for c in flow_cols -%}
            sum(p.{{ c }}) as {{ c }},
        {% endfor -%}
        sum(p.year_end_actual) as year_end_actual
    from per_community as p
    inner join {{ ref('int_entity_membership') }} as m on p.unit_code = m.unit_code
    group by m.level, m.entity_code, p.year
),
entity_rows as (
    select
        e.year, e.level, e.entity_code, e.entity_name, e.row_order,
        x.opening_q1, x.prev_year_end_total,
        {% for c in flow_cols -%}
            x.{{ c }},
        {% endfor -%}
        x.year_end_actual
    from {{ ref('ann_entities') }} as e
    left join by_entity as x on e.level = x.level and e.entity_code = x.entity_code and e.year = x.year
),
by_category as (
    select
        o.category, o.year,
        sum(case when cy.has_q1 then o.opening_q1 end) as opening_q1,
        {% for c in flow_cols -%}
            sum(case when cy.complete then o.{{ c }} end) as {{ c }},
        {% endfor -%}
        sum(case when cy.has_q4 then o.year_end_actual end) as year_end_actual
    from org_rows as o
    inner join cy on o.unit_code = cy.unit_code and o.year = cy.year
    group by o.category, o.year
),
categories as (
    select 'enterprise' as entity_code, '非公有制企业' as entity_name, 1 as row_order
    union all
    select 'social', '社会组织', 2
),
category_rows as (
    select
        d.year, 'category' as level, c.entity_code, c.entity_name, c.row_order,
        coalesce(x.opening_q1, 0) as opening_q1,
        coalesce(x.opening_q1, 0) as prev_year_end_total,
        {% for c in flow_cols -%}
            coalesce(x.{{ c }}, 0) as {{ c }},
        {% endfor -%}
        coalesce(x.year_end_actual, 0) as year_end_actual
    from (select distinct year from cy) as d
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
    cast(opening_q1 as {{ dbt.type_bigint() }}) as opening_q1,
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
    cast(
        prev_year_end_total + (developed + restored + transferred_in)
        - (exited + suspended + deceased + transferred_out) as {{ dbt.type_bigint() }}
    ) as year_end_should,
    cast(year_end_actual as {{ dbt.type_bigint() }}) as year_end_actual,
    cast(year_end_actual - (
        prev_year_end_total + (developed + restored + transferred_in)
        - (exited + suspended + deceased + transferred_out)
    ) as {{ dbt.type_bigint() }}) as actual_minus_should
from all_rows
