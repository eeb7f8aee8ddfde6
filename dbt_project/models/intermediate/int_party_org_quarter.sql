-- 党组织季度情况：当前报送表2的每一行（社区 × 报告期 × 党组织编码），附整季度存在、K13/K15 达标、“六有”项数等
with po as (
    select * from {{ ref('int_current_party_orgs') }}
),
periods as (
    select period, period_start from {{ ref('dim_period') }} where period_type = 'quarter'
)
select
    po.unit_code,
    po.period,
    po.period_year as year,
    po.period_quarter as quarter,
    po.submission_id,
    po.source_row,
    po.party_org_code,
    po.party_org_name,
    po.org_type,
    po.formation_mode,
    (po.formation_mode = '功能型') as is_functional,
    po.established_on,
    coalesce(po.members_formal, 0) as members_formal,
    coalesce(po.members_probationary, 0) as members_probationary,
    po.secretary_key,
    coalesce(po.secretary_in_mgmt, false) as secretary_in_mgmt,
    coalesce(po.has_venue, false) as has_venue,
    coalesce(po.general_meetings, 0) as general_meetings,
    coalesce(po.committee_meetings, 0) as committee_meetings,
    coalesce(po.lectures, 0) as lectures,
    coalesce(po.study_sessions, 0) as study_sessions,
    (po.established_on <= p.period_start) as existed_whole_quarter,
    (po.established_on < {{ date_in_year('po.period_year', '10-01') }}) as established_before_oct,
    (coalesce(po.study_sessions, 0) >= 1) as k13_pass,
    coalesce(
        coalesce(po.general_meetings, 0) >= 1
        and (po.members_formal < 7 or coalesce(po.committee_meetings, 0) >= 3), false
    ) as k15_pass,
    coalesce(po.org_life_meeting, false) as org_life_meeting,
    coalesce(po.appraisal_held, false) as appraisal_held,
    (
        case when po.six_premises then 1 else 0 end
        + case when po.six_facilities then 1 else 0 end
        + case when po.six_signage then 1 else 0 end
        + case when po.six_flag then 1 else 0 end
        + case when po.six_books then 1 else 0 end
        + case when po.six_rules then 1 else 0 end
    ) as six_count
from po
left join periods as p
    on po.period = p.period
