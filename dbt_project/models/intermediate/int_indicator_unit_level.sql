-- 单位口径指标（长表）：各层级（社区/街道/区）× 实体 × 报告期的分子、分母，单位按统一社会信用代码只计一次（D80）。
-- 季度值：其下有当前报送的季度；年度值：year_rule = Q4 取第四季度，sum（K7e）为四个季度之和。
-- 需要 LX-Q-2021.1 才采集的字段（indicators.requires_template）：其下任一当前报送的模板版本不采集时，分子为 NULL（未采集，D83）。
-- LT02 (indentation) is off in this file for now: `sqlfluff fix` corrupts its jinja loops; re-indent by hand.
-- noqa: disable=LT02
{% set items = [
    ('N_U', 'n_u', none), ('N_B', 'n_b', none), ('N_E', 'n_e', none),
    ('K1', 'k1_num', 'n_b'), ('K2', 'k2_num', 'n_b'), ('K3', 'k3_num', 'n_e'),
    ('K3b', 'k3b', none), ('K3b_joint', 'k3b_joint', none), ('K3b_functional', 'k3b_functional', none),
    ('K3b_none', 'k3b_none', none),
    ('K4', 'k4_num', 'n_b'), ('K5', 'k5_num', 'k2_num'),
    ('K6_union', 'k6_union_num', 'n_b'), ('K6_youth', 'k6_youth_num', 'n_b'), ('K6_women', 'k6_women_num', 'n_b'),
    ('K6b', 'k6b', none),
    ('K7e', 'k7e', none), ('K7f', 'k7f', none), ('K7g', 'k7g', none),
    ('K11', 'k11_num', 'k11_den'),
    ('K17', 'k17_num', 'k17_den'), ('K17f', 'k17f', none),
    ('K18d', 'k18d_num', 'k18d_den'),
    ('K19', 'k19_num', 'k19_den'),
    ('K22', 'k22_num', 'k22_den'), ('K22w', 'k22w', none),
    ('K24', 'k24_num', 'k24_den'),
] %}
with ind as (
    select indicator_id, quarterly, yearly, year_rule, requires_template from {{ ref('indicators') }}
),
mem as (
    select * from {{ ref('int_entity_membership') }}
),
-- 层级 × 实体 × 季度：其下当前报送（记录是否存在、模板版本）
level_quarters as (
    select m.level, m.entity_code, s.period, s.period_year as year, s.period_quarter as quarter,
           min(s.template_version) as min_template
    from {{ ref('int_current_submissions') }} as s
    inner join mem as m on s.unit_code = m.unit_code
    group by m.level, m.entity_code, s.period, s.period_year, s.period_quarter
),
units as (
    select
        level,
        entity_code,
        period,
        count(*) as n_u,
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
        {{ count_if('in_b and has_union') }} as k6_union_num,
        {{ count_if('in_b and has_youth_league') }} as k6_youth_num,
        {{ count_if('in_b and has_women_org') }} as k6_women_num,
        {{ count_if('in_b and covered_k2 and not (has_union or has_youth_league or has_women_org)') }} as k6b,
        sum(case when in_b and party_status = '未建立' then coalesce(developed_here, 0) else 0 end) as k7e,
        sum(case when in_b then coalesce(activists, 0) else 0 end) as k7f,
        sum(case when in_b then coalesce(applicants, 0) else 0 end) as k7g,
        {{ count_if('in_b and is_enterprise and investor_trained') }} as k11_num,
        {{ count_if('in_b and is_enterprise') }} as k11_den,
        {{ count_if("is_enterprise and party_status = '单独建立' and payroll_prev_year > 0"
                    " and coalesce(party_funds, 0) >= payroll_prev_year * " ~ kpi_param('funds_ratio_min')
                    ~ " and coalesce(party_funds, 0) <= payroll_prev_year * " ~ kpi_param('funds_ratio_max')) }} as k17_num,
        {{ count_if("is_enterprise and party_status = '单独建立' and payroll_prev_year > 0") }} as k17_den,
        {{ count_if("is_enterprise and party_status = '单独建立' and payroll_prev_year > 0"
                    " and coalesce(party_funds, 0) > payroll_prev_year * " ~ kpi_param('funds_ratio_pretax')
                    ~ " and coalesce(party_funds, 0) <= payroll_prev_year * " ~ kpi_param('funds_ratio_max')) }} as k17f,
        sum(least(ledger_inflow_active, members_relation_elsewhere)) as k18d_num,
        sum(members_relation_elsewhere) as k18d_den,
        {{ count_if("in_b and inspection_result = '合格'") }} as k19_num,
        {{ count_if("in_b and inspection_result is not null and inspection_result <> '未检'") }} as k19_den,
        {{ count_if('in_b and is_enterprise and above_scale and party_mass_dept') }} as k22_num,
        {{ count_if('in_b and is_enterprise and above_scale') }} as k22_den,
        sum(case when in_b then fulltime_party_workers else 0 end) as k22w,
        {{ count_if("in_b and party_status = '单独建立' and coalesce(double_strong, false)") }} as k24_num,
        {{ count_if("in_b and party_status = '单独建立'") }} as k24_den
    from {{ ref('int_unit_level') }}
    group by level, entity_code, period
),
measures as (
    select lq.level, lq.entity_code, lq.period, lq.year, lq.quarter, lq.min_template,
    {%- for c in ['n_u', 'n_b', 'n_e', 'k1_num', 'k2_num', 'k3_num', 'k3b', 'k3b_joint', 'k3b_functional',
                 'k3b_none', 'k4_num', 'k5_num', 'k6_union_num', 'k6_youth_num', 'k6_women_num', 'k6b', 'k7e',
                 'k7f', 'k7g', 'k11_num', 'k11_den', 'k17_num', 'k17_den', 'k17f', 'k18d_num', 'k18d_den',
                 'k19_num', 'k19_den', 'k22_num', 'k22_den', 'k22w', 'k24_num', 'k24_den'] %}
        coalesce(u.{{ c }}, 0) as {{ c }}{{ ',' if not loop.last }}
    {%- endfor %}
    from level_quarters as lq
    left join units as u on lq.level = u.level and lq.entity_code = u.entity_code and lq.period = u.period
),
quarterly as (
{% for id, num, den in items %}
    select '{{ id }}' as indicator_id, level, entity_code, period, year, quarter, min_template,
           cast({{ num }} as {{ dbt.type_bigint() }}) as numerator,
           cast({{ den if den else 'null' }} as {{ dbt.type_bigint() }}) as denominator
    from measures
    {% if not loop.last %}union all{% endif %}
{% endfor %}
),
collected as (
    select q.indicator_id, q.level, q.entity_code, q.period, q.year, q.quarter,
           case when i.requires_template is null or i.requires_template = ''
                     or q.min_template >= i.requires_template then q.numerator end as numerator,
           q.denominator
    from quarterly as q
    inner join ind as i on q.indicator_id = i.indicator_id
),
periods as (
    select period from {{ ref('dim_period') }}
)
select c.indicator_id, c.level, c.entity_code, c.period, 'quarter' as period_type, c.numerator, c.denominator
from collected as c
inner join ind as i on c.indicator_id = i.indicator_id
where i.quarterly and c.period in (select period from periods)
union all
select
    c.indicator_id, c.level, c.entity_code, cast(c.year as {{ dbt.type_string() }}), 'year', c.numerator, c.denominator
from collected as c
inner join ind as i on c.indicator_id = i.indicator_id
where i.yearly and i.year_rule = 'Q4' and c.quarter = 4
  and cast(c.year as {{ dbt.type_string() }}) in (select period from periods)
union all
select c.indicator_id, c.level, c.entity_code, cast(c.year as {{ dbt.type_string() }}), 'year',
       case when count(c.numerator) = count(*) then sum(c.numerator) end,
       cast(null as {{ dbt.type_bigint() }})
from collected as c
inner join ind as i on c.indicator_id = i.indicator_id
where i.yearly and i.year_rule = 'sum'
  and cast(c.year as {{ dbt.type_string() }}) in (select period from periods)
group by c.indicator_id, c.level, c.entity_code, c.year
