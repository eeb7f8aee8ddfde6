-- 年报表六 组织生活和民主评议情况（第四季度当前报送表2的党组织，含功能型）：行 = 区、各街道、各社区。
-- 每季度学习达标的 = 本年至少有一个季度整季度存在、且在每个整季度存在的季度都 K13 达标的党组织（从未整季度存在的
-- 党组织不计入，不作空洞通过）；“三会一课”达标的 = K15y 分子；“六有”达标的 = 六项齐全；有活动场所的 = has_venue。
-- 没有第四季度报表的社区行为空（缺报）。
with ent as (
    select year, level, entity_code, entity_name, row_order, has_q4 from {{ ref('ann_entities') }}
),
poq as (
    select * from {{ ref('int_party_org_quarter') }}
),
q4po as (
    select
        unit_code, period_year as year, party_org_code,
        coalesce(has_venue, false) as has_venue,
        coalesce(appraisal_participants, 0) as appraisal_participants,
        coalesce(appraisal_unqualified, 0) as appraisal_unqualified
    from {{ ref('int_current_party_orgs') }}
    where period_quarter = 4
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
    select
        q4.unit_code, q4.year, q4.party_org_code,
        case
            when
                sum(case when y.existed_whole_quarter then 1 else 0 end) >= 1
                and min(case when y.existed_whole_quarter and not y.k13_pass then 0 else 1 end) = 1
                then 1
            else 0
        end as study_every_quarter
    from poq as q4
    inner join poq as y on q4.unit_code = y.unit_code and q4.year = y.year and q4.party_org_code = y.party_org_code
    where q4.quarter = 4
    group by q4.unit_code, q4.year, q4.party_org_code
),
per_org as (
    select
        o.unit_code, o.year, o.party_org_code, o.org_life, o.appraisal, o.six_all, s.study_every_quarter,
        coalesce(p.has_venue, false) as has_venue,
        coalesce(p.appraisal_participants, 0) as appraisal_participants,
        coalesce(p.appraisal_unqualified, 0) as appraisal_unqualified
    from orgs as o
    inner join study as s on o.unit_code = s.unit_code and o.year = s.year and o.party_org_code = s.party_org_code
    left join q4po as p on o.unit_code = p.unit_code and o.year = p.year and o.party_org_code = p.party_org_code
),
agg as (
    select
        m.level, m.entity_code, p.year,
        count(*) as party_orgs,
        sum(p.study_every_quarter) as study_every_quarter,
        sum(p.org_life) as org_life_meeting,
        sum(p.appraisal) as appraisal_held,
        sum(p.appraisal_participants) as appraisal_participants,
        sum(p.appraisal_unqualified) as appraisal_unqualified,
        sum(p.six_all) as six_all,
        sum(case when p.has_venue then 1 else 0 end) as has_venue
    from per_org as p
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
        cast(case when e.has_q4 then coalesce(a.{{ c }}, 0) end as {{ dbt.type_bigint() }}) as {{ c }},
    {% endfor -%}
    cast(case when e.has_q4 then k.three_meetings_one_lecture end as {{ dbt.type_bigint() }})
        as three_meetings_one_lecture,
    cast(case when e.has_q4 then coalesce(a.six_all, 0) end as {{ dbt.type_bigint() }}) as six_all,
    cast(case when e.has_q4 then coalesce(a.has_venue, 0) end as {{ dbt.type_bigint() }}) as has_venue
from ent as e
left join agg as a on e.level = a.level and e.entity_code = a.entity_code and e.year = a.year
left join
    k15y as k
    on e.level = k.level and e.entity_code = k.entity_code and cast(e.year as {{ dbt.type_string() }}) = k.period
