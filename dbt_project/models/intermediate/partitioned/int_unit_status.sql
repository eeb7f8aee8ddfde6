-- 单位状态：当前报送表1的每一行（社区 × 报告期 × 统一社会信用代码），标出 U / B / E 口径与建立情况分类（D1–D3），
-- 附同一报送表6中指向本单位的在流动流入台账行数（K18d，D85）
with orgs as (
    select * from {{ ref('int_current_organizations') }} where {{ in_build_periods('period') }}
),
ledger as (
    select submission_id, uscc, count(*) as ledger_inflow_active
    from {{ ref('int_current_mobile_members') }}
    where
        {{ in_build_periods('period') }}
        and direction = '流入' and status = '在流动' and uscc is not null and uscc <> ''
    group by submission_id, uscc
),
flagged as (
    select
        o.unit_code,
        o.period,
        o.period_year as year,
        o.period_quarter as quarter,
        o.submission_id,
        o.source_row,
        o.uscc,
        o.org_name,
        o.org_category,
        o.control_type,
        o.industry_section,
        o.reg_status,
        o.employees,
        coalesce(o.operating, false) as operating,
        coalesce(o.fixed_premises, false) as fixed_premises,
        coalesce(o.legal_rep_member, false) as legal_rep_member,
        coalesce(o.legal_rep_secretary, false) as legal_rep_secretary,
        coalesce(o.members_relation_elsewhere, 0) as members_relation_elsewhere,
        coalesce(o.members_formal, 0) as members_formal,
        coalesce(o.members_probationary, 0) as members_probationary,
        o.party_status,
        o.party_org_code,
        coalesce(o.instructor, false) as instructor,
        coalesce(o.first_secretary, false) as first_secretary,
        coalesce(o.has_union, false) as has_union,
        coalesce(o.has_youth_league, false) as has_youth_league,
        coalesce(o.has_women_org, false) as has_women_org,
        o.payroll_prev_year,
        o.party_funds,
        coalesce(o.investor_trained, false) as investor_trained,
        o.inspection_result,
        o.double_strong,
        coalesce(o.above_scale, false) as above_scale,
        coalesce(o.party_mass_dept, false) as party_mass_dept,
        coalesce(o.fulltime_party_workers, 0) as fulltime_party_workers,
        coalesce(l.ledger_inflow_active, 0) as ledger_inflow_active,
        {%- for c in ['applicants', 'activists', 'developed_here'] %}
            {{ column_or_null(ref('int_current_organizations'), 'o', c, dbt.type_bigint()) }} as {{ c }},
        {%- endfor %}
        (o.org_category = '非公有制企业') as is_enterprise,
        (o.org_category in ('社会团体', '民办非企业单位', '基金会', '律师事务所', '会计师事务所', '税务师事务所')) as is_social,
        (coalesce(o.reg_status, '') = '存续' and coalesce(substring(o.uscc, 1, 2), '') <> '92') as in_u,
        (
            coalesce(o.operating, false) and coalesce(o.fixed_premises, false)
            and coalesce(o.employees, 0) >= {{ kpi_param('base_min_employees', dbt.type_int()) }}
        ) as three_have
    from orgs as o
    left join ledger as l on o.submission_id = l.submission_id and o.uscc = l.uscc
),
populations as (
    select
        f.*,
        (f.in_u and (f.three_have or f.is_social)) as in_b
    from flagged as f
)
select
    p.*,
    (p.in_b and p.members_formal >= {{ kpi_param('eligible_min_formal_members', dbt.type_int()) }}) as in_e,
    (p.party_status in ('单独建立', '联合建立', '挂靠')) as covered_k2,
    case
        when p.party_status = '单独建立' then 'STANDALONE'
        when p.party_status = '联合建立' then 'JOINT'
        when p.party_status = '挂靠' then 'AFFILIATED'
        when p.party_status = '功能型' then 'FUNCTIONAL'
        when p.members_formal >= {{ kpi_param('eligible_min_formal_members', dbt.type_int()) }} then 'NONE_SHOULD'
        when p.members_formal + p.members_probationary >= 1 then 'NONE_FEW'
        else 'NONE_ZERO'
    end as status
from populations as p
