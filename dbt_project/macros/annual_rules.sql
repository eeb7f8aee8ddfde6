{# 年报审核规则（audit-rules.md A1–A5）：每个宏返回违规行（列含 year），singular 测试与 rpt_audit 共用 #}

{# A1 单表：区级每个可加单元格 = 各社区同一单元格之和 #}
{% macro _rollup_violations(model, cols, keys, where='1 = 1') %}
select
    '{{ model }}' as table_name,
    coalesce(d.year, s.year) as year,
    {{ dbt.concat(["'" ~ model ~ "'"] + ["'|'", dbt.safe_cast('coalesce(d.' ~ keys[-1] ~ ', s.' ~ keys[-1] ~ ')', dbt.type_string())]) }} as row_key,
    c.column_name,
    case c.column_name
        {% for col in cols %}when '{{ col }}' then cast(d.{{ col }} as {{ type_double() }}) {% endfor %}
    end as district_value,
    case c.column_name
        {% for col in cols %}when '{{ col }}' then cast(s.{{ col }} as {{ type_double() }}) {% endfor %}
    end as community_sum
from (
    select {{ keys | join(', ') }}, {{ cols | join(', ') }}
    from {{ ref(model) }} where level = 'district' and {{ where }}
) as d
full outer join (
    select {{ keys | join(', ') }}{% for col in cols %}, sum({{ col }}) as {{ col }}{% endfor %}
    from {{ ref(model) }} where level = 'community' and {{ where }}
    group by {{ keys | join(', ') }}
) as s
    on {% for k in keys %}d.{{ k }} = s.{{ k }}{% if not loop.last %} and {% endif %}{% endfor %}
cross join (
    {% for col in cols %}select '{{ col }}' as column_name{% if not loop.last %} union all {% endif %}{% endfor %}
) as c
where abs(coalesce(case c.column_name
        {% for col in cols %}when '{{ col }}' then cast(d.{{ col }} as {{ type_double() }}) {% endfor %}
    end, 0) - coalesce(case c.column_name
        {% for col in cols %}when '{{ col }}' then cast(s.{{ col }} as {{ type_double() }}) {% endfor %}
    end, 0)) > 1e-6
{% endmacro %}

{% macro a1_violations() %}
{{ _rollup_violations('rpt_annual_t1', ['prev_year_end_total', 'increase_total', 'developed', 'restored', 'transferred_in',
    'in_whole_unit', 'decrease_total', 'exited', 'suspended', 'deceased', 'transferred_out', 'out_whole_unit',
    'year_end_should', 'year_end_actual', 'actual_minus_should'], ['year']) }}
union all
{{ _rollup_violations('rpt_annual_t2', ['total', 'employees_50_plus', 'employees_100_plus', 'legal_rep_member',
    'legal_rep_secretary', 'private_control', 'hk_macao_taiwan_control', 'foreign_control'], ['year', 'line_no']) }}
union all
{{ _rollup_violations('rpt_annual_t3', ['total', 'social_group', 'foundation', 'private_non_enterprise', 'law_firm',
    'accounting_firm', 'tax_firm'], ['year', 'line_no']) }}
union all
{{ _rollup_violations('rpt_annual_t4', ['developed', 'transferred_mobile', 'revealed', 'absorbed', 'total', 'quota'],
    ['year', 'period'], "period_type = 'year'") }}
union all
{{ _rollup_violations('rpt_annual_t5', ['community_cadre_classes', 'community_investor_classes', 'person_times',
    'person_hours'], ['year']) }}
union all
{{ _rollup_violations('rpt_annual_t6', ['party_orgs', 'study_every_quarter', 'org_life_meeting', 'appraisal_held',
    'appraisal_participants', 'appraisal_unqualified', 'three_meetings_one_lecture', 'six_all'], ['year']) }}
union all
{{ _rollup_violations('rpt_annual_t7', ['inflow_total', 'inflow_verified', 'inflow_hosted', 'inflow_certificate',
    'outflow_total', 'outflow_certificate', 'lost_contact'], ['year']) }}
union all
{{ _rollup_violations('rpt_annual_t8', ['enterprises_with_org', 'payroll_prev_year', 'party_funds', 'compliant',
    'above_pretax', 'dues_refund', 'fiscal_support', 'award_subsidy'], ['year']) }}
{% endmacro %}

{# A2 表一：应有数 = 上年底总数 + 本年增加 − 本年减少；增加、减少 = 各项之和；差 = 实有 − 应有 #}
{% macro a2_violations() %}
select 'rpt_annual_t1' as table_name, year, level, entity_code
from {{ ref('rpt_annual_t1') }}
where increase_total <> developed + restored + transferred_in
   or decrease_total <> exited + suspended + deceased + transferred_out
   or year_end_should <> prev_year_end_total + increase_total - decrease_total
   or actual_minus_should <> year_end_actual - year_end_should
   or in_whole_unit > transferred_in
   or out_whole_unit > transferred_out
{% endmacro %}

{# A3 表一：Y 年上年底总数 = Y−1 年本年底实有数（Y−1 有数据时） #}
{% macro a3_violations() %}
select 'rpt_annual_t1' as table_name, cur.year, cur.level, cur.entity_code,
       cur.prev_year_end_total, prev.year_end_actual as previous_year_end_actual
from {{ ref('rpt_annual_t1') }} as cur
inner join {{ ref('rpt_annual_t1') }} as prev
    on prev.year = cur.year - 1 and prev.level = cur.level and prev.entity_code = cur.entity_code
where cur.prev_year_end_total <> prev.year_end_actual
{% endmacro %}

{# 表二/表三按 年份 × 实体 × 列 展开各行 #}
{% macro _formation_pivot(model, cols) %}
{% set lines = ['units', 'instructor', 'formed_alone', 'alone_committee', 'alone_general', 'alone_branch', 'formed_joint',
                'joint_3plus', 'joint_orgs', 'not_formed', 'none_should', 'none_few', 'none_zero', 'none_instructor',
                'none_functional', 'employees', 'members', 'members_elsewhere'] %}
{% for col in cols %}
select '{{ model }}' as table_name, year, level, entity_code, '{{ col }}' as column_name
    {%- for l in lines %},
    max(case when line_code = '{{ l }}' then {{ col }} end) as {{ l }}
    {%- endfor %}
from {{ ref(model) }}
group by year, level, entity_code
{% if not loop.last %}union all{% endif %}
{% endfor %}
{% endmacro %}

{# A4 建立党组织情况表的行列关系 #}
{% macro a4_violations() %}
with p as (
    {{ _formation_pivot('rpt_annual_t2', ['total', 'employees_50_plus', 'employees_100_plus', 'legal_rep_member',
        'legal_rep_secretary', 'private_control', 'hk_macao_taiwan_control', 'foreign_control']) }}
    union all
    {{ _formation_pivot('rpt_annual_t3', ['total', 'social_group', 'foundation', 'private_non_enterprise', 'law_firm',
        'accounting_firm', 'tax_firm']) }}
),
rows_check as (
    select table_name, year, level, entity_code, column_name, 'rows' as check_kind
    from p
    where units <> formed_alone + formed_joint + not_formed
       or formed_alone <> alone_committee + alone_general + alone_branch
       or not_formed <> none_should + none_few + none_zero
       or joint_3plus > formed_joint
       or instructor > units
       or coalesce(none_instructor, 0) > not_formed
       or coalesce(none_functional, 0) > not_formed
       or coalesce(members_elsewhere, 0) > members
),
t2_cols as (
    select 'rpt_annual_t2' as table_name, year, level, entity_code, cast(line_code as {{ dbt.type_string() }}) as column_name,
           'columns' as check_kind
    from {{ ref('rpt_annual_t2') }}
    where total <> private_control + hk_macao_taiwan_control + foreign_control
       or employees_100_plus > employees_50_plus
       or employees_50_plus > total
       or legal_rep_secretary > legal_rep_member
       or legal_rep_member > total
),
t3_cols as (
    select 'rpt_annual_t3' as table_name, year, level, entity_code, cast(line_code as {{ dbt.type_string() }}) as column_name,
           'columns' as check_kind
    from {{ ref('rpt_annual_t3') }}
    where total <> social_group + foundation + private_non_enterprise + law_firm + accounting_firm + tax_firm
)
select * from rows_check
union all select * from t2_cols
union all select * from t3_cols
{% endmacro %}

{# A5（警告）：⌈联合覆盖单位数 ÷ 5⌉ ≤ 联合党支部数，即 联合覆盖单位数 ≤ 5 × 联合党支部数。
   联合覆盖单位数取指向联合党支部（党组织类别）的单位（挂靠于其他类别党组织的单位不计），联合党支部数同表二/表三第9行 #}
{% macro a5_violations() %}
select table_name, year, level, entity_code, joint_units, joint_orgs
from (
    select
        case when b.is_enterprise then 'rpt_annual_t2' else 'rpt_annual_t3' end as table_name,
        b.year,
        m.level,
        m.entity_code,
        count(*) as joint_units,
        count(distinct {{ dbt.concat(['b.unit_code', "'|'", 'b.party_org_code']) }}) as joint_orgs
    from {{ ref('int_annual_unit_base') }} as b
    inner join {{ ref('int_entity_membership') }} as m on b.unit_code = m.unit_code
    where b.in_b and (b.is_enterprise or b.is_social)
      and b.formed_joint and b.own_org_type = '联合党支部'
      and b.year in (select year from {{ ref('int_annual_entities') }})
    group by case when b.is_enterprise then 'rpt_annual_t2' else 'rpt_annual_t3' end, b.year, m.level, m.entity_code
) as p
where joint_units > 5 * joint_orgs
{% endmacro %}
