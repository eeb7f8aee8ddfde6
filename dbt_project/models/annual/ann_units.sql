-- 年报单位口径：第四季度当前报送表1的每一行（社区 × 统一社会信用代码），附所指向党组织的类别、组建方式与年报分类标志。
-- 已单独建立 = 单独建立；已建立联合党组织的（含挂靠）= 联合建立、挂靠；其余（含功能型、空）= 未建立党组织。
{% set has_applicants = relation_has_column(ref('int_unit_status'), 'applicants') %}
{% set has_activists = relation_has_column(ref('int_unit_status'), 'activists') %}
select
    u.unit_code,
    u.year,
    u.submission_id,
    u.source_row,
    u.uscc,
    u.org_name,
    u.org_category,
    u.control_type,
    u.reg_status,
    u.employees,
    u.legal_rep_member,
    u.legal_rep_secretary,
    u.members_formal,
    u.members_probationary,
    u.members_relation_elsewhere,
    u.party_status,
    u.party_org_code,
    u.instructor,
    u.payroll_prev_year,
    u.party_funds,
    u.investor_trained,
    u.is_enterprise,
    u.is_social,
    u.in_u,
    u.in_b,
    {% if has_applicants %}u.applicants{% else %}cast(null as {{ dbt.type_bigint() }}){% endif %} as applicants,
    {% if has_activists %}u.activists{% else %}cast(null as {{ dbt.type_bigint() }}){% endif %} as activists,
    po.org_type as own_org_type,
    po.formation_mode as own_formation_mode,
    coalesce(po.formation_mode in {{ joint_modes_sql() }}, false) as org_joint_mode,
    (u.party_status = '单独建立') as formed_alone,
    (u.party_status in ('联合建立', '挂靠')) as formed_joint,
    (u.party_status not in ('单独建立', '联合建立', '挂靠') or u.party_status is null) as not_formed,
    (u.party_status = '单独建立' and po.org_type = '党委') as alone_committee,
    (u.party_status = '单独建立' and po.org_type = '党总支') as alone_general,
    (u.party_status = '单独建立' and coalesce(po.org_type, '') not in ('党委', '党总支')) as alone_branch,
    (u.members_formal >= {{ kpi_param('eligible_min_formal_members', dbt.type_int()) }}) as formal_at_threshold
from {{ ref('int_unit_status') }} as u
left join {{ ref('int_party_org_quarter') }} as po
    on u.submission_id = po.submission_id and u.party_org_code = po.party_org_code
where u.quarter = 4
