-- 年报表四 四个一批发展情况：行 = 总计（区）、非公有制企业、社会组织、各街道、各社区（年度），以及区的各季度。
-- 社区行取自 fct_indicators（K7a–K7d、K7 年度 = 四季度之和；发展计划数、完成率 = K7q 年度；K7e 年度；
-- 入党积极分子 K7f、入党申请人 K7g = 第四季度存量；2021.1 前未采集为空）；社区缺任一季度报表时为空（缺报）。
-- 街道、区 = 所属社区非空值之和，完成率按和重算（发展一批 ÷ 发展计划数）。类别行按党组织本年固定类别汇总表3。
{% set flow = ['developed', 'transferred_mobile', 'revealed', 'absorbed', 'total'] %}
with ent as (
    select * from {{ ref('ann_entities') }}
),
cy as (
    select * from {{ ref('ann_community_years') }}
),
ind as (
    select
        level, entity_code, period, period_type,
        max(case when indicator_id = 'K7a' then numerator end) as developed,
        max(case when indicator_id = 'K7b' then numerator end) as transferred_mobile,
        max(case when indicator_id = 'K7c' then numerator end) as revealed,
        max(case when indicator_id = 'K7d' then numerator end) as absorbed,
        max(case when indicator_id = 'K7' then numerator end) as total,
        max(case when indicator_id = 'K7q' then denominator end) as quota,
        max(case when indicator_id = 'K7q' then value end) as completion_rate,
        max(case when indicator_id = 'K7e' then numerator end) as developed_unformed,
        max(case when indicator_id = 'K7f' then numerator end) as activists,
        max(case when indicator_id = 'K7g' then numerator end) as applicants
    from {{ ref('fct_indicators') }}
    where indicator_id in ('K7a', 'K7b', 'K7c', 'K7d', 'K7', 'K7q', 'K7e', 'K7f', 'K7g')
    group by level, entity_code, period, period_type
),
community as (
    select
        cy.year, cy.unit_code,
        {% for c in flow %}case when cy.complete then coalesce(y.{{ c }}, 0) end as {{ c }},
        {% endfor -%}
        case when cy.complete then y.quota end as quota,
        case when cy.complete then y.completion_rate end as completion_rate,
        case when cy.complete then y.developed_unformed end as developed_unformed,
        case when cy.has_q4 then q4.activists end as activists,
        case when cy.has_q4 then q4.applicants end as applicants
    from cy
    left join ind as y
        on
            y.level = 'community' and y.entity_code = cy.unit_code
            and y.period = cast(cy.year as {{ dbt.type_string() }})
    left join ind
        as q4 on q4.level = 'community' and q4.entity_code = cy.unit_code
    and q4.period = {{ dbt.concat([dbt.safe_cast('cy.year', dbt.type_string()), "'Q4'"]) }}
),
rolled as (
    select
        m.level, m.entity_code, c.year,
        {% for c in flow %}sum(c.{{ c }}) as {{ c }},
        {% endfor -%}
        sum(c.quota) as quota,
        max(case when m.level = 'community' then c.completion_rate end) as community_rate,
        sum(c.developed_unformed) as developed_unformed,
        sum(c.activists) as activists,
        sum(c.applicants) as applicants
    from community as c
    inner join {{ ref('int_entity_membership') }} as m on c.unit_code = m.unit_code
    group by m.level, m.entity_code, c.year
),
entity_rows as (
    select
        e.year, cast(e.year as {{ dbt.type_string() }}) as period, 'year' as period_type,
        e.level, e.entity_code, e.entity_name, e.row_order,
        {% for c in flow %}r.{{ c }}, {% endfor %}
        r.quota,
        case
            when e.level = 'community' then r.community_rate else {{ safe_ratio('r.developed', 'r.quota') }}
        end as completion_rate,
        r.developed_unformed, r.activists, r.applicants
    from ent as e
    left join rolled as r on e.level = r.level and e.entity_code = r.entity_code and e.year = r.year
),
quarter_rows as (
    select
        p.year, i.period, 'quarter' as period_type, i.level, i.entity_code, e.entity_name,
        e.row_order + 10 + p.quarter as row_order,  -- after its own district (a city has several)
        coalesce(i.developed, 0), coalesce(i.transferred_mobile, 0), coalesce(i.revealed, 0),
        coalesce(i.absorbed, 0), coalesce(i.total, 0), i.quota, i.completion_rate,
        i.developed_unformed, i.activists, i.applicants
    from ind as i
    inner join {{ ref('dim_period') }} as p on i.period = p.period
    inner join ent as e on e.level = i.level and e.entity_code = i.entity_code and e.year = p.year
    where i.level = 'district' and i.period_type = 'quarter'
),
cat_base as (
    select
        mf.year, coalesce(oc.category, 'enterprise') as category,
        sum(coalesce(mf.developed, 0)) as developed,
        sum(coalesce(mf.in_mobile, 0)) as transferred_mobile,
        sum(coalesce(mf.revealed, 0)) as revealed,
        sum(coalesce(mf.absorbed, 0)) as absorbed
    from {{ ref('fct_member_flow') }} as mf
    inner join cy on mf.unit_code = cy.unit_code and mf.year = cy.year and cy.complete
    left join {{ ref('ann_org_category') }} as oc
        on mf.unit_code = oc.unit_code and mf.year = oc.year and mf.party_org_code = oc.party_org_code
    where not mf.is_functional
    group by mf.year, coalesce(oc.category, 'enterprise')
),
categories as (
    select 'enterprise' as entity_code, '非公有制企业' as entity_name, 1 as row_order
    union all
    select 'social', '社会组织', 2
),
category_rows as (
    select
        d.year, cast(d.year as {{ dbt.type_string() }}) as period, 'year' as period_type,
        'category' as level, c.entity_code, c.entity_name, c.row_order,
        coalesce(b.developed, 0), coalesce(b.transferred_mobile, 0), coalesce(b.revealed, 0),
        coalesce(b.absorbed, 0),
        coalesce(b.developed, 0)
        + coalesce(b.transferred_mobile, 0)
        + coalesce(b.revealed, 0)
        + coalesce(b.absorbed, 0),
        cast(null as {{ dbt.type_bigint() }}), cast(null as {{ type_double() }}),
        cast(null as {{ dbt.type_bigint() }}),
        cast(null as {{ dbt.type_bigint() }}),
        cast(null as {{ dbt.type_bigint() }})
    from (select distinct year from cy) as d
    cross join categories as c
    left join cat_base as b on b.year = d.year and b.category = c.entity_code
),
all_rows as (
    select * from entity_rows
    union all
    select * from quarter_rows
    union all
    select * from category_rows
)
select
    year, period, period_type, level, entity_code, entity_name, row_order,
    cast(developed as {{ dbt.type_bigint() }}) as developed,
    cast(transferred_mobile as {{ dbt.type_bigint() }}) as transferred_mobile,
    cast(revealed as {{ dbt.type_bigint() }}) as revealed,
    cast(absorbed as {{ dbt.type_bigint() }}) as absorbed,
    cast(total as {{ dbt.type_bigint() }}) as total,
    cast(quota as {{ dbt.type_bigint() }}) as quota,
    completion_rate,
    cast(developed_unformed as {{ dbt.type_bigint() }}) as developed_unformed,
    cast(activists as {{ dbt.type_bigint() }}) as activists,
    cast(applicants as {{ dbt.type_bigint() }}) as applicants
from all_rows
