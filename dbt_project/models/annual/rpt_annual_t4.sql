-- 年报表四 四个一批发展情况：行 = 总计（区）、非公有制企业、社会组织、各街道、各社区（年度），以及区的各季度。
-- 实体行取自 fct_indicators（K7a–K7d、K7 年度 = 四季度之和；发展计划数、完成率 = K7q 年度，即第四季度的本年累计）。
-- 类别行按党组织所属单位类别（int_party_org_category）汇总表3，不含功能型；类别行无发展计划数。
with ent as (
    select e.year, e.level, e.entity_code, e.entity_name, e.row_order
    from {{ ref('int_annual_entities') }} as e
),
ind as (
    select level, entity_code, period, period_type,
        max(case when indicator_id = 'K7a' then numerator end) as developed,
        max(case when indicator_id = 'K7b' then numerator end) as transferred_mobile,
        max(case when indicator_id = 'K7c' then numerator end) as revealed,
        max(case when indicator_id = 'K7d' then numerator end) as absorbed,
        max(case when indicator_id = 'K7' then numerator end) as total,
        max(case when indicator_id = 'K7q' then denominator end) as quota,
        max(case when indicator_id = 'K7q' then value end) as completion_rate
    from {{ ref('fct_indicators') }}
    where indicator_id in ('K7a', 'K7b', 'K7c', 'K7d', 'K7', 'K7q')
    group by level, entity_code, period, period_type
),
entity_rows as (
    select e.year, cast(e.year as {{ dbt.type_string() }}) as period, 'year' as period_type,
           e.level, e.entity_code, e.entity_name, e.row_order,
           coalesce(i.developed, 0) as developed, coalesce(i.transferred_mobile, 0) as transferred_mobile,
           coalesce(i.revealed, 0) as revealed, coalesce(i.absorbed, 0) as absorbed, coalesce(i.total, 0) as total,
           i.quota, i.completion_rate
    from ent as e
    left join ind as i
        on e.level = i.level and e.entity_code = i.entity_code
       and cast(e.year as {{ dbt.type_string() }}) = i.period
),
quarter_rows as (
    select p.year, i.period, 'quarter' as period_type, i.level, i.entity_code, e.entity_name,
           10 + p.quarter as row_order,
           coalesce(i.developed, 0), coalesce(i.transferred_mobile, 0), coalesce(i.revealed, 0),
           coalesce(i.absorbed, 0), coalesce(i.total, 0), i.quota, i.completion_rate
    from ind as i
    inner join {{ ref('int_periods') }} as p on i.period = p.period
    inner join ent as e on e.level = i.level and e.entity_code = i.entity_code and e.year = p.year
    where i.level = 'district' and i.period_type = 'quarter'
),
cat_base as (
    select mf.year, coalesce(pc.category, 'enterprise') as category,
           sum(coalesce(mf.developed, 0)) as developed,
           sum(coalesce(mf.in_mobile, 0)) as transferred_mobile,
           sum(coalesce(mf.revealed, 0)) as revealed,
           sum(coalesce(mf.absorbed, 0)) as absorbed
    from {{ ref('int_member_flow') }} as mf
    left join {{ ref('int_party_org_category') }} as pc
        on mf.submission_id = pc.submission_id and mf.party_org_code = pc.party_org_code
    where not mf.is_functional
    group by mf.year, coalesce(pc.category, 'enterprise')
),
categories as (
    select 'enterprise' as entity_code, '非公有制企业' as entity_name, 1 as row_order
    union all
    select 'social', '社会组织', 2
),
category_rows as (
    select d.year, cast(d.year as {{ dbt.type_string() }}) as period, 'year' as period_type,
           'category' as level, c.entity_code, c.entity_name, c.row_order,
           coalesce(b.developed, 0), coalesce(b.transferred_mobile, 0), coalesce(b.revealed, 0),
           coalesce(b.absorbed, 0),
           coalesce(b.developed, 0) + coalesce(b.transferred_mobile, 0) + coalesce(b.revealed, 0) + coalesce(b.absorbed, 0),
           cast(null as {{ dbt.type_bigint() }}), cast(null as {{ type_double() }})
    from (select distinct year from ent) as d
    cross join categories as c
    left join cat_base as b on b.year = d.year and b.category = c.entity_code
),
all_rows as (
    select * from entity_rows
    union all select * from quarter_rows
    union all select * from category_rows
)
select
    year, period, period_type, level, entity_code, entity_name, row_order,
    cast(developed as {{ dbt.type_bigint() }}) as developed,
    cast(transferred_mobile as {{ dbt.type_bigint() }}) as transferred_mobile,
    cast(revealed as {{ dbt.type_bigint() }}) as revealed,
    cast(absorbed as {{ dbt.type_bigint() }}) as absorbed,
    cast(total as {{ dbt.type_bigint() }}) as total,
    cast(quota as {{ dbt.type_bigint() }}) as quota,
    completion_rate
from all_rows
