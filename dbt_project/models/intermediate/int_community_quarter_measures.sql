-- 社区季度分量（宽表）：每个社区每个有当前报送的季度一行，各指标的分子、分母
with subs as (
    select submission_id, unit_code, period, period_year as year, period_quarter as quarter
    from {{ ref('int_current_submissions') }}
),
units as (
    select
        submission_id,
        count(*) as n_rows_t1,
        {{ count_if('in_u') }} as n_u,
        {{ count_if('in_b') }} as n_b,
        {{ count_if('in_e') }} as n_e,
        {{ count_if("in_b and party_status = '单独建立'") }} as k1_num,
        {{ count_if('in_b and covered_k2') }} as k2_num,
        {{ count_if("in_e and party_status = '单独建立'") }} as k3_num,
        {{ count_if("in_e and party_status <> '单独建立'") }} as k3b,
        {{ count_if("in_e and party_status in ('联合建立', '挂靠')") }} as k3b_joint,
        {{ count_if("in_e and party_status = '功能型'") }} as k3b_functional,
        {{ count_if("in_e and party_status = '未建立'") }} as k3b_none,
        {{ count_if("in_b and (covered_k2 or party_status = '功能型' or instructor or first_secretary"
                    ~ " or has_union or has_youth_league or has_women_org)") }} as k4_num,
        {{ count_if('in_b and covered_k2 and (instructor or first_secretary)') }} as k5_num,
        {{ count_if('in_b and covered_k2') }} as k5_den,
        {{ count_if('in_b and has_union') }} as k6_union_num,
        {{ count_if('in_b and has_youth_league') }} as k6_youth_num,
        {{ count_if('in_b and has_women_org') }} as k6_women_num,
        {{ count_if('in_b and is_enterprise and investor_trained') }} as k11_num,
        {{ count_if('in_b and is_enterprise') }} as k11_den,
        {{ count_if("in_u and is_enterprise and party_status = '单独建立' and payroll_prev_year > 0"
                    " and party_funds >= payroll_prev_year * " ~ kpi_param('funds_ratio_min')
                    ~ " and party_funds <= payroll_prev_year * " ~ kpi_param('funds_ratio_max')) }} as k17_num,
        {{ count_if("in_u and is_enterprise and party_status = '单独建立' and payroll_prev_year > 0") }} as k17_den,
        {{ count_if("in_u and is_enterprise and party_status = '单独建立' and payroll_prev_year > 0"
                    " and party_funds > payroll_prev_year * " ~ kpi_param('funds_ratio_pretax')
                    ~ " and party_funds <= payroll_prev_year * " ~ kpi_param('funds_ratio_max')) }} as k17f,
        {{ count_if("in_b and inspection_result = '合格'") }} as k19_num,
        {{ count_if("in_b and inspection_result is not null and inspection_result <> '未检'") }} as k19_den
    from {{ ref('int_unit_status') }}
    group by submission_id
),
flows as (
    select
        submission_id,
        sum(case when not is_functional then coalesce(closing_actual, 0) else 0 end) as m,
        sum(case when not is_functional then coalesce(opening, 0) else 0 end) as opening_sum,
        sum(case when not is_functional then coalesce(developed, 0) else 0 end) as k7a,
        sum(case when not is_functional then coalesce(in_mobile, 0) else 0 end) as k7b,
        sum(case when not is_functional then coalesce(revealed, 0) else 0 end) as k7c,
        sum(case when not is_functional then coalesce(absorbed, 0) else 0 end) as k7d
    from {{ ref('fct_member_flow') }}
    group by submission_id
),
orgs as (
    select
        submission_id,
        {{ count_if('existed_whole_quarter') }} as k13_den,
        {{ count_if('existed_whole_quarter and k13_pass') }} as k13_num,
        {{ count_if('existed_whole_quarter and k15_pass') }} as k15_num,
        {{ count_if('established_before_oct') }} as k14_den,
        {{ count_if('established_before_oct and org_life_meeting') }} as k14a_num,
        {{ count_if('established_before_oct and appraisal_held') }} as k14b_num,
        count(*) as k16_den,
        {{ count_if('six_count = 6') }} as k16_num,
        sum(six_count) as k16m_num,
        {{ count_if('has_venue') }} as k23_num,
        {{ count_if('enterprise_alone') }} as k21_den,
        {{ count_if('enterprise_alone and secretary_in_mgmt') }} as k21_num
    from (
        -- K21（D88）：组建方式为单独组建、且同一报送表1中有 U 内非公有制企业指向它的党组织
        select
            po.*,
            (po.formation_mode = '单独组建' and exists (
                select 1 from {{ ref('int_unit_status') }} as u
                where
                    u.submission_id = po.submission_id and u.party_org_code = po.party_org_code
                    and u.in_u and u.is_enterprise
            )) as enterprise_alone
        from {{ ref('int_party_org_quarter') }} as po
    ) as pox
    group by submission_id
),
-- 表6 是存量（D85）：K18 系列只计状态为在流动的行；K18e 计失去联系的行
mobile as (
    select
        submission_id,
        {{ count_if("direction = '流入' and status = '在流动'") }} as k18_den,
        {{ count_if("direction = '流入' and status = '在流动' and verified_on is not null") }} as k18_num,
        {{ count_if("direction = '流入' and status = '在流动'"
                    ~ " and host_party_org_code is not null and host_party_org_code <> ''") }} as k18b_num,
        {{ count_if("direction = '流入' and status = '在流动' and certificate") }} as k18c_in_num,
        {{ count_if("direction = '流出' and status = '在流动'") }} as k18c_out_den,
        {{ count_if("direction = '流出' and status = '在流动' and certificate") }} as k18c_out_num,
        {{ count_if("status = '失去联系'") }} as k18e
    from {{ ref('int_current_mobile_members') }}
    group by submission_id
),
classes as (
    select
        submission_id,
        {{ count_if("organizer_level = '社区党总支' and training_type = '党务干部培训'") }} as cadre_classes,
        {{ count_if("organizer_level = '社区党总支' and training_type = '出资人培训'") }} as investor_classes
    from {{ ref('int_current_trainings') }}
    group by submission_id
)
select
    s.unit_code,
    s.period,
    s.year,
    s.quarter,
    s.submission_id,
    {% for c in ['n_u', 'n_b', 'n_e', 'k1_num', 'k2_num', 'k3_num', 'k3b', 'k3b_joint', 'k3b_functional', 'k3b_none',
                 'k4_num', 'k5_num', 'k5_den', 'k6_union_num', 'k6_youth_num', 'k6_women_num', 'k11_num', 'k11_den',
                 'k17_num', 'k17_den', 'k17f', 'k19_num', 'k19_den'] -%}
        coalesce(u.{{ c }}, 0) as {{ c }},
    {% endfor -%}
    {% for c in ['m', 'opening_sum', 'k7a', 'k7b', 'k7c', 'k7d'] -%}
        coalesce(f.{{ c }}, 0) as {{ c }},
    {% endfor -%}
    {% for c in ['k13_den', 'k13_num', 'k15_num', 'k14_den', 'k14a_num', 'k14b_num', 'k16_den', 'k16_num',
                 'k16m_num', 'k23_num', 'k21_den', 'k21_num'] -%}
        coalesce(o.{{ c }}, 0) as {{ c }},
    {% endfor -%}
    {% for c in ['k18_den', 'k18_num', 'k18b_num', 'k18c_in_num', 'k18c_out_den', 'k18c_out_num', 'k18e'] -%}
        coalesce(mm.{{ c }}, 0) as {{ c }},
    {% endfor -%}
    coalesce(cl.cadre_classes, 0) as cadre_classes,
    coalesce(cl.investor_classes, 0) as investor_classes
from subs as s
left join units as u on s.submission_id = u.submission_id
left join flows as f on s.submission_id = f.submission_id
left join orgs as o on s.submission_id = o.submission_id
left join mobile as mm on s.submission_id = mm.submission_id
left join classes as cl on s.submission_id = cl.submission_id
