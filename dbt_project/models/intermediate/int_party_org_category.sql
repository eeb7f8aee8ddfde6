-- 党组织所属单位类别（年报表一、表四的“非公有制企业 / 社会组织”行）：同一报送表1中指向该党组织的单位
-- 全部为社会组织时记为 social，否则（含无单位指向）记为 enterprise
select
    po.submission_id,
    po.unit_code,
    po.period,
    po.party_org_code,
    case
        when count(u.uscc) > 0 and min(case when u.is_social then 1 else 0 end) = 1 then 'social'
        else 'enterprise'
    end as category
from {{ ref('int_current_party_orgs') }} as po
left join {{ ref('int_unit_status') }} as u
    on po.submission_id = u.submission_id and po.party_org_code = u.party_org_code
group by po.submission_id, po.unit_code, po.period, po.party_org_code
