-- 年报单位口径：第四季度当前报送表1的每一行，附本单位党组织类别（党委/党总支/支部）与年报分类标志
select
    u.*,
    po.org_type as own_org_type,
    (u.party_status = '单独建立') as formed_alone,
    (u.party_status in ('联合建立', '挂靠')) as formed_joint,
    (u.party_status not in ('单独建立', '联合建立', '挂靠') or u.party_status is null) as not_formed,
    (u.party_status = '单独建立' and po.org_type = '党委') as alone_committee,
    (u.party_status = '单独建立' and po.org_type = '党总支') as alone_general,
    (u.party_status = '单独建立' and coalesce(po.org_type, '') not in ('党委', '党总支')) as alone_branch
from {{ ref('int_unit_status') }} as u
left join {{ ref('int_party_org_quarter') }} as po
    on u.submission_id = po.submission_id and u.party_org_code = po.party_org_code
where u.quarter = 4
