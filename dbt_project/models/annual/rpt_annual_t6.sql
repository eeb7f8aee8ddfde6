-- 年报表六 组织生活和民主评议情况（第四季度当前报送表2的党组织，含功能型）：行 = 区、各街道、各社区。
-- 每季度学习达标的 = 本年各个（出现且整季度存在的）季度学习活动均 ≥ 1；“三会一课”达标的 = K15y 分子；“六有”达标的 = K16 分子。
with ent as (
    select year, level, entity_code, entity_name, row_order from {{ ref('int_annual_entities') }} where has_q4
),
poq as (
    select * from {{ ref('int_party_org_quarter') }}
),
orgs as (
    select
        q4.unit_code, q4.year, q4.party_org_code,
        max(case when q4.org_life_meeting then 1 else 0 end) as org_life,
        max(case when q4.appraisal_held then 1 else 0 end) as appraisal,
        max(case when q4.six_count = 6 then 1 else 0 end) as six_all
    from poq as q4
    where q4.quarter = 4
    group by q4.unit_code, q4.year, q4.party_org_code
),
study as (
    select q4.unit_code, q4.year, q4.party_org_code,
        min(case when y.existed_whole_quarter and not y.k13_pass then 0 else 1 end) as study_every_quarter
    from poq as q4
    inner join poq as y on q4.unit_code = y.unit_code and q4.year = y.year and q4.party_org_code = y.party_org_code
    where q4.quarter = 4
    group by q4.unit_code, q4.year, q4.party_org_code
),
appraisal as (
    select unit_code, period_year as year,
        sum(coalesce(appraisal_participants, 0)) as appraisal_participants,
        sum(coalesce(appraisal_unqualified, 0)) as appraisal_unqualified
    from {{ ref('int_current_party_orgs') }}
    where period_quarter = 4
    group by unit_code, period_year
),
per_community as (
    select o.unit_code, o.year,
        count(*) as party_orgs,
        sum(s.study_every_quarter) as study_every_quarter,
        sum(o.org_life) as org_life_meeting,
        sum(o.appraisal) as appraisal_held,
        sum(o.six_all) as six_all
    from orgs as o
    inner join study as s on o.unit_code = s.unit_code and o.year = s.year and o.party_org_code = s.party_org_code
    group by o.unit_code, o.year
),
agg as (
    select m.level, m.entity_code, p.year,
        sum(p.party_orgs) as party_orgs,
        sum(p.study_every_quarter) as study_every_quarter,
        sum(p.org_life_meeting) as org_life_meeting,
        sum(p.appraisal_held) as appraisal_held,
        sum(a.appraisal_participants) as appraisal_participants,
        sum(a.appraisal_unqualified) as appraisal_unqualified,
        sum(p.six_all) as six_all
    from per_community as p
    left join appraisal as a on p.unit_code = a.unit_code and p.year = a.year
    inner join {{ ref('int_entity_membership') }} as m on p.unit_code = m.unit_code
    group by m.level, m.entity_code, p.year
),
k15y as (
    select level, entity_code, period, numerator as three_meetings_one_lecture
    from {{ ref('fct_indicators') }}
    where indicator_id = 'K15y'
)
select
    e.year, e.level, e.entity_code, e.entity_name, e.row_order,
    {% for c in ['party_orgs', 'study_every_quarter', 'org_life_meeting', 'appraisal_held', 'appraisal_participants',
                 'appraisal_unqualified'] -%}
    cast(coalesce(a.{{ c }}, 0) as {{ dbt.type_bigint() }}) as {{ c }},
    {% endfor -%}
    cast(coalesce(k.three_meetings_one_lecture, 0) as {{ dbt.type_bigint() }}) as three_meetings_one_lecture,
    cast(coalesce(a.six_all, 0) as {{ dbt.type_bigint() }}) as six_all
from ent as e
left join agg as a on e.level = a.level and e.entity_code = a.entity_code and e.year = a.year
left join k15y as k on e.level = k.level and e.entity_code = k.entity_code and cast(e.year as {{ dbt.type_string() }}) = k.period
