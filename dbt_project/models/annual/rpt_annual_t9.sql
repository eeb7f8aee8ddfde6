-- 年报表九 两新组织党组织情况 [national 24, local]：第四季度当前报送表2的每个党组织只计一次（党组织编码属于一个社区，I4）。
-- 行：总计；党委；党总支；党支部；联合党组织（联合组建方式，R6）；临时党支部；功能型党组织。每个党组织只归一行：
-- 功能型（组建方式）→ 功能型党组织；联合组建方式或类别为联合党支部 → 联合党组织；临时党支部；否则按类别。
-- 列：总数；覆盖非公有制企业的 / 覆盖社会组织的（第四季度表1中有该类单位指向它）；其中同时覆盖两类的；正式党员；预备党员；
-- 本年新成立的（成立日期在本年）；书记参加培训的（书记本年按 K9 口径受训）。与表二、表三对账见规则 A8。
-- 没有第四季度报表的社区行为空（缺报）。
-- LT02 (indentation) is off in this file for now: `sqlfluff fix` corrupts its jinja loops; re-indent by hand.
-- noqa: disable=LT02
with ent_all as (
    select year, level, entity_code, entity_name, row_order, has_q4 from {{ ref('ann_entities') }}
),
orgs as (
    select
        po.unit_code, po.year, po.party_org_code, po.established_on, po.secretary_key,
        po.members_formal, po.members_probationary,
        case
            when po.formation_mode = '功能型' then 'functional'
            when po.formation_mode in {{ joint_modes_sql() }} or po.org_type = '联合党支部' then 'joint'
            when po.org_type = '临时党支部' then 'temporary'
            when po.org_type = '党委' then 'committee'
            when po.org_type = '党总支' then 'general'
            else 'branch'
        end as row_code
    from {{ ref('int_party_org_quarter') }} as po
    where po.quarter = 4
),
coverage as (
    select u.unit_code, u.year, u.party_org_code,
        max(case when u.is_enterprise then 1 else 0 end) as covers_enterprise,
        max(case when u.is_social then 1 else 0 end) as covers_social
    from {{ ref('ann_units') }} as u
    where u.in_u and u.party_org_code is not null
    group by u.unit_code, u.year, u.party_org_code
),
sec as (
    select year, unit_code, person_key, k9_trained from {{ ref('int_secretaries') }}
),
per_org as (
    select o.*,
        coalesce(c.covers_enterprise, 0) as covers_enterprise,
        coalesce(c.covers_social, 0) as covers_social,
        case when extract(year from o.established_on) = o.year then 1 else 0 end as new_this_year,
        case when s.k9_trained then 1 else 0 end as secretary_trained
    from orgs as o
    left join coverage as c on o.unit_code = c.unit_code and o.year = c.year and o.party_org_code = c.party_org_code
    left join sec as s on o.year = s.year and o.unit_code = s.unit_code and o.secretary_key = s.person_key
),
row_defs as (
    select 1 as line_no, 'total' as row_code, '总计' as line_label
    union all
    select 2, 'committee', '党委'
    union all
    select 3, 'general', '党总支'
    union all
    select 4, 'branch', '党支部'
    union all
    select 5, 'joint', '联合党组织'
    union all
    select 6, 'temporary', '临时党支部'
    union all
    select 7, 'functional', '功能型党组织'
),
agg as (
    select m.level, m.entity_code, p.year, r.line_no,
        count(distinct {{ dbt.concat(['p.unit_code', "'|'", 'p.party_org_code']) }}) as total,
        sum(p.covers_enterprise) as covers_enterprise,
        sum(p.covers_social) as covers_social,
        sum(p.covers_enterprise * p.covers_social) as covers_both,
        sum(p.members_formal) as members_formal,
        sum(p.members_probationary) as members_probationary,
        sum(p.new_this_year) as new_this_year,
        sum(p.secretary_trained) as secretary_trained
    from per_org as p
    inner join row_defs as r on r.row_code = 'total' or r.row_code = p.row_code
    inner join {{ ref('int_entity_membership') }} as m on p.unit_code = m.unit_code
    group by m.level, m.entity_code, p.year, r.line_no
)
select
    e.year, e.level, e.entity_code, e.entity_name, e.row_order,
    r.line_no, r.row_code as line_code, r.line_label
    {%- for c in ['total', 'covers_enterprise', 'covers_social', 'covers_both', 'members_formal',
                  'members_probationary', 'new_this_year', 'secretary_trained'] %},
    cast(case when e.has_q4 then coalesce(a.{{ c }}, 0) end as {{ dbt.type_bigint() }}) as {{ c }}
    {%- endfor %}
from ent_all as e
cross join row_defs as r
left join agg as a on e.level = a.level and e.entity_code = a.entity_code and e.year = a.year and r.line_no = a.line_no
