{# 年报审核规则（audit-rules.md A0–A10）：每个宏返回违规行（列含 year 与中文 detail），由 rpt_annual_rule_results 汇总为数据；
   任何规则不通过都不阻止任何一年的任何表（不是 dbt 测试）。 #}

{# A1 单表：区级（及街道级）每个可加单元格 = 所属社区同一单元格之和；区、街道按信用代码每单位只计一次，故两个社区
   都报的单位在此报出 #}
{% macro _rollup_violations(model, table_label, cols, keys, where='1 = 1', row_expr="''") %}
{%- set labels = {} -%}
{%- for no, (m, tcols) in annual_tables().items() if m == model -%}
{%- for group, label, column, is_ratio, kind in tcols -%}
{%- do labels.update({column: (group ~ label if not label.startswith('=') else column)}) -%}
{%- endfor -%}
{%- endfor %}
select
    '{{ model }}' as table_name,
    p.year,
    p.level,
    p.entity_code,
    c.column_name,
    case c.column_name
        {% for col in cols %}when '{{ col }}' then cast(p.{{ col }} as {{ type_double() }}) {% endfor %}
    end as level_value,
    case c.column_name
        {% for col in cols %}when '{{ col }}' then cast(s.{{ col }} as {{ type_double() }}) {% endfor %}
    end as community_sum,
    {{ dbt.concat(["'" ~ table_label ~ "'", "'（'", 'p.entity_name', "'）'", row_expr, "'「'", 'c.column_label', "'」本级 '",
                   _num_text('coalesce(' ~ _pick('p', cols) ~ ', 0)'), "' ≠ 所属社区之和 '",
                   _num_text('coalesce(' ~ _pick('s', cols) ~ ', 0)')]) }} as detail
from (
    select *
    from {{ ref(model) }} where level in ('district', 'street') and {{ where }}
) as p
inner join (
    select {{ keys | join(', ') }}, m.level as parent_level, m.entity_code as parent_code
        {%- for col in cols %}, sum({{ col }}) as {{ col }}{% endfor %}
    from {{ ref(model) }} as t
    inner join {{ ref('int_entity_membership') }} as m on t.entity_code = m.unit_code and m.level in ('district', 'street')
    where t.level = 'community' and {{ where }}
    group by {{ keys | join(', ') }}, m.level, m.entity_code
) as s
    on p.level = s.parent_level and p.entity_code = s.parent_code
    {% for k in keys %}and p.{{ k }} = s.{{ k }} {% endfor %}
cross join (
    {% for col in cols %}select '{{ col }}' as column_name, '{{ labels.get(col, col) }}' as column_label{% if not loop.last %} union all {% endif %}{% endfor %}
) as c
where abs(coalesce(case c.column_name
        {% for col in cols %}when '{{ col }}' then cast(p.{{ col }} as {{ type_double() }}) {% endfor %}
    end, 0) - coalesce(case c.column_name
        {% for col in cols %}when '{{ col }}' then cast(s.{{ col }} as {{ type_double() }}) {% endfor %}
    end, 0)) > 1e-6
{% endmacro %}

{# 数值的中文说明文本：去掉多余的小数零（33.00 → 33，0.50 → 0.5） #}
{% macro _num_text(expr) -%}
rtrim(rtrim(cast(cast({{ expr }} as decimal(18, 2)) as {{ dbt.type_string() }}), '0'), '.')
{%- endmacro %}

{% macro _pick(alias, cols) -%}
case c.column_name {% for col in cols %}when '{{ col }}' then cast({{ alias }}.{{ col }} as {{ type_double() }}) {% endfor %}end
{%- endmacro %}

{% macro a1_violations() %}
{{ _rollup_violations('rpt_annual_t1', '表一', ['prev_year_end_total', 'increase_total', 'developed', 'restored', 'transferred_in',
    'in_whole_unit', 'decrease_total', 'exited', 'suspended', 'deceased', 'transferred_out', 'out_whole_unit',
    'year_end_should', 'year_end_actual', 'actual_minus_should'], ['year']) }}
union all
{{ _rollup_violations('rpt_annual_t2', '表二', ['total', 'in_base', 'employees_50_plus', 'employees_100_plus', 'legal_rep_member',
    'legal_rep_secretary', 'private_control', 'hk_macao_taiwan_control', 'foreign_control'], ['year', 'line_no'],
    "line_code not in ('joint_orgs')", 'p.line_label') }}
union all
{{ _rollup_violations('rpt_annual_t3', '表三', ['total', 'in_base', 'social_group', 'foundation', 'private_non_enterprise', 'law_firm',
    'accounting_firm', 'tax_firm'], ['year', 'line_no'], "line_code not in ('joint_orgs')", 'p.line_label') }}
union all
{{ _rollup_violations('rpt_annual_t4', '表四', ['developed', 'transferred_mobile', 'revealed', 'absorbed', 'total', 'quota'],
    ['year', 'period'], "period_type = 'year'") }}
union all
{{ _rollup_violations('rpt_annual_t5', '表五', ['community_cadre_classes', 'community_investor_classes', 'person_times',
    'person_hours'], ['year']) }}
union all
{{ _rollup_violations('rpt_annual_t6', '表六', ['party_orgs', 'study_every_quarter', 'org_life_meeting', 'appraisal_held',
    'appraisal_participants', 'appraisal_unqualified', 'six_all', 'has_venue'], ['year']) }}
union all
{{ _rollup_violations('rpt_annual_t7', '表七', ['inflow_total', 'inflow_verified', 'inflow_hosted', 'inflow_certificate',
    'outflow_total', 'outflow_certificate', 'lost_contact', 'returned_or_transferred'], ['year']) }}
union all
{{ _rollup_violations('rpt_annual_t8', '表八', ['enterprises_with_org', 'with_payroll', 'payroll_prev_year', 'party_funds', 'compliant',
    'above_pretax', 'dues_refund', 'fiscal_support', 'award_subsidy'], ['year']) }}
union all
{{ _rollup_violations('rpt_annual_t9', '表九', ['total', 'covers_enterprise', 'covers_social', 'covers_both', 'members_formal',
    'members_probationary', 'new_this_year', 'secretary_trained'], ['year', 'line_no'], '1 = 1', 'p.line_label') }}
{% endmacro %}

{# A2 表一：应有数 = 上年底总数 + 本年增加 − 本年减少；增加、减少 = 各项之和；差 = 实有 − 应有；其中 ≤ 所属项 #}
{% macro a2_violations() %}
select 'rpt_annual_t1' as table_name, year, level, entity_code,
       {{ dbt.concat(["'表一（'", 'entity_name', "'）行内关系不成立'"]) }} as detail
from {{ ref('rpt_annual_t1') }}
where increase_total <> developed + restored + transferred_in
   or decrease_total <> exited + suspended + deceased + transferred_out
   or year_end_should <> prev_year_end_total + increase_total - decrease_total
   or actual_minus_should <> year_end_actual - year_end_should
   or in_whole_unit > transferred_in
   or out_whole_unit > transferred_out
{% endmacro %}

{# A3 表一：Y 年第一季度期初（上年底）总数 = Y−1 年最新定稿版本的本年底实有数；Y−1 未定稿时 = Y−1 当前表的本年底实有数。
   社区各行在两边都有数时比对；街道、区只在其下社区上年四季齐全、本年四季齐全时比对（不完整年份的合计不可比）。 #}
{% macro a3_violations() %}
with finalized_years as (
    select distinct year from {{ source('finalized', 'annual_versions') }}
),
reference as (
    select f.year + 1 as year, f.level, f.entity_code, f.value as reference_value, true as from_finalized
    from {{ ref('ann_finalized_latest') }} as f
    where f.table_no = 1 and f.column_name = 'year_end_actual' and f.level in ('district', 'street', 'community')
    union all
    select t.year + 1, t.level, t.entity_code, cast(t.year_end_actual as {{ type_double() }}), false
    from {{ ref('rpt_annual_t1') }} as t
    where t.level in ('district', 'street', 'community')
      and t.year not in (select year from finalized_years)
)
select 'rpt_annual_t1' as table_name, cur.year, cur.level, cur.entity_code,
       cur.opening_q1, r.reference_value, r.from_finalized,
       {{ dbt.concat(["case when cur.level = 'district' then '' else " ~ dbt.concat(["cur.entity_name", "'：'"]) ~ " end",
                      "'上年底总数（第一季度期初）与'", dbt.safe_cast('cur.year - 1', dbt.type_string()),
                      "case when r.from_finalized then '年定稿数' else '年本年底实有数' end",
                      "'相差 '", dbt.safe_cast(dbt.safe_cast('abs(cur.opening_q1 - r.reference_value)', dbt.type_bigint()), dbt.type_string()),
                      "' 名'"]) }} as detail
from {{ ref('rpt_annual_t1') }} as cur
inner join reference as r on r.year = cur.year and r.level = cur.level and r.entity_code = cur.entity_code
inner join {{ ref('ann_entities') }} as prev_e
    on prev_e.year = cur.year - 1 and prev_e.level = cur.level and prev_e.entity_code = cur.entity_code
inner join {{ ref('ann_entities') }} as cur_e
    on cur_e.year = cur.year and cur_e.level = cur.level and cur_e.entity_code = cur.entity_code
where cur.opening_q1 is not null and r.reference_value is not null
  -- a street or the district is compared only when every community below it reported the whole of both years'
  -- relevant quarters (Y−1 complete, Y's Q1 everywhere); a community is always compared
  and (cur.level = 'community' or (prev_e.complete and cur_e.all_q1))
  and cur.opening_q1 <> r.reference_value
{% endmacro %}

{# 表二/表三按 年份 × 实体 × 列 展开各行 #}
{% macro _formation_pivot(model, cols) %}
{% set lines = ['units', 'instructor', 'formed_alone', 'alone_committee', 'alone_general', 'alone_branch', 'formed_joint',
                'joint_3plus', 'joint_orgs', 'not_formed', 'none_should', 'none_few', 'none_zero', 'none_instructor',
                'none_functional', 'employees', 'members', 'members_elsewhere'] %}
{% for col in cols %}
select '{{ model }}' as table_name, year, level, entity_code, max(entity_name) as entity_name, '{{ col }}' as column_name
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
    {{ _formation_pivot('rpt_annual_t2', ['total', 'in_base', 'employees_50_plus', 'employees_100_plus', 'legal_rep_member',
        'legal_rep_secretary', 'private_control', 'hk_macao_taiwan_control', 'foreign_control']) }}
    union all
    {{ _formation_pivot('rpt_annual_t3', ['total', 'in_base', 'social_group', 'foundation', 'private_non_enterprise', 'law_firm',
        'accounting_firm', 'tax_firm']) }}
),
rows_check as (
    select table_name, year, level, entity_code,
           {{ dbt.concat(["case when table_name = 'rpt_annual_t2' then '表二' else '表三' end", "'（'", 'entity_name', "'）列 '", 'column_name', "'：行间关系不成立'"]) }} as detail
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
    select 'rpt_annual_t2' as table_name, year, level, entity_code,
           {{ dbt.concat(["'表二（'", 'entity_name', "'）'", 'line_label', "'：列间关系不成立'"]) }} as detail
    from {{ ref('rpt_annual_t2') }}
    where total <> private_control + hk_macao_taiwan_control + foreign_control
       or in_base > total
       or employees_100_plus > employees_50_plus
       or employees_50_plus > total
       or legal_rep_secretary > legal_rep_member
       or legal_rep_member > total
),
t3_cols as (
    select 'rpt_annual_t3' as table_name, year, level, entity_code,
           {{ dbt.concat(["'表三（'", 'entity_name', "'）'", 'line_label', "'：列间关系不成立'"]) }} as detail
    from {{ ref('rpt_annual_t3') }}
    where total <> social_group + foundation + private_non_enterprise + law_firm + accounting_firm + tax_firm
       or in_base > total
)
select * from rows_check
union all select * from t2_cols
union all select * from t3_cols
{% endmacro %}

{# A5（警告）：⌈联合组建方式党组织覆盖的单位数 ÷ 5⌉ ≤ 联合党组织数（表二、表三各自，按社区） #}
{% macro a5_violations() %}
select table_name, year, 'community' as level, unit_code as entity_code, joint_units, joint_orgs,
       {{ dbt.concat(["case when table_name = 'rpt_annual_t2' then '表二' else '表三' end", "'（'", 'unit_code', "'）联合覆盖 '",
                      dbt.safe_cast('joint_units', dbt.type_string()), "' 个单位，联合党组织 '",
                      dbt.safe_cast('joint_orgs', dbt.type_string()), "' 个'"]) }} as detail
from (
    select
        case when u.is_enterprise then 'rpt_annual_t2' else 'rpt_annual_t3' end as table_name,
        u.year,
        u.unit_code,
        count(distinct u.uscc) as joint_units,
        count(distinct u.party_org_code) as joint_orgs
    from {{ ref('ann_units') }} as u
    where u.in_u and (u.is_enterprise or u.is_social) and u.org_joint_mode
    group by case when u.is_enterprise then 'rpt_annual_t2' else 'rpt_annual_t3' end, u.year, u.unit_code
) as p
where cast(ceil(joint_units / 5.0) as {{ dbt.type_bigint() }}) > joint_orgs
{% endmacro %}

{# A6 表一 本年底实有数 = 第四季度表2中非功能型党组织 正式党员 + 预备党员 之和（独立来源：表2 而非表3） #}
{% macro a6_violations() %}
with t2_members as (
    select m.level, m.entity_code, po.period_year as year,
           sum(coalesce(po.members_formal, 0) + coalesce(po.members_probationary, 0)) as members
    from {{ ref('int_current_party_orgs') }} as po
    inner join {{ ref('int_entity_membership') }} as m on po.unit_code = m.unit_code
    where po.period_quarter = 4 and coalesce(po.formation_mode, '') <> '功能型'
    group by m.level, m.entity_code, po.period_year
)
select 'rpt_annual_t1' as table_name, t.year, t.level, t.entity_code, t.year_end_actual, coalesce(x.members, 0) as table2_members,
       {{ dbt.concat(["case when t.level = 'district' then '总计' else t.entity_name end",
                      "'：本年底实有数 '", dbt.safe_cast('t.year_end_actual', dbt.type_string()),
                      "'，第四季度表2党员数 '", dbt.safe_cast('coalesce(x.members, 0)', dbt.type_string())]) }} as detail
from {{ ref('rpt_annual_t1') }} as t
left join t2_members as x on t.level = x.level and t.entity_code = x.entity_code and t.year = x.year
where t.level in ('district', 'street', 'community')
  and t.year_end_actual is not null
  and t.year_end_actual <> coalesce(x.members, 0)
{% endmacro %}

{# A7 表二 + 表三 单位数 = N_U（区）；党建基数列之和 = N_B；已单独建立（基数列）= K1 分子；已单独建立 + 已建立联合党组织的（基数列）= K2 分子。
   N_U 由第四季度表1直接按信用代码去重计数；N_B、K1、K2 取指标（fct_indicators 第四季度区级）。 #}
{% macro a7_violations() %}
with tables as (
    select year, entity_code,
        sum(case when line_code = 'units' then total end) as units_total,
        sum(case when line_code = 'units' then in_base end) as units_base,
        sum(case when line_code = 'formed_alone' then in_base end) as alone_base,
        sum(case when line_code in ('formed_alone', 'formed_joint') then in_base end) as covered_base
    from (
        select year, level, entity_code, line_code, total, in_base from {{ ref('rpt_annual_t2') }}
        union all
        select year, level, entity_code, line_code, total, in_base from {{ ref('rpt_annual_t3') }}
    ) as t
    where level = 'district'
    group by year, entity_code
),
n_u as (
    select u.year, m.entity_code, count(distinct u.uscc) as n_u
    from {{ ref('int_unit_status') }} as u
    inner join {{ ref('int_entity_membership') }} as m on u.unit_code = m.unit_code and m.level = 'district'
    where u.quarter = 4 and u.in_u
    group by u.year, m.entity_code
),
ind as (
    select cast(substring(period, 1, 4) as {{ dbt.type_int() }}) as year, entity_code,
        max(case when indicator_id = 'K1' then denominator end) as n_b,
        max(case when indicator_id = 'K1' then numerator end) as k1_num,
        max(case when indicator_id = 'K2' then numerator end) as k2_num
    from {{ ref('fct_indicators') }}
    where level = 'district' and period_type = 'quarter' and period like '%Q4' and indicator_id in ('K1', 'K2')
    group by period, entity_code
),
checks as (
    select t.year, t.entity_code, '表二、表三单位数之和' as item, t.units_total as table_value, cast(coalesce(n.n_u, 0) as {{ dbt.type_bigint() }}) as source_value, 'N_U（第四季度表1存续单位数）' as source_name
    from tables as t left join n_u as n on t.year = n.year and t.entity_code = n.entity_code
    union all
    select t.year, t.entity_code, '党建基数列单位数之和', t.units_base, i.n_b, 'N_B（K1 分母）'
    from tables as t inner join ind as i on t.year = i.year and t.entity_code = i.entity_code
    union all
    select t.year, t.entity_code, '党建基数列已单独建立之和', t.alone_base, i.k1_num, 'K1 分子'
    from tables as t inner join ind as i on t.year = i.year and t.entity_code = i.entity_code
    union all
    select t.year, t.entity_code, '党建基数列已单独建立与已建立联合党组织的之和', t.covered_base, i.k2_num, 'K2 分子'
    from tables as t inner join ind as i on t.year = i.year and t.entity_code = i.entity_code
)
select 'rpt_annual_t2' as table_name, year, 'district' as level, entity_code, item, table_value, source_value,
       {{ dbt.concat(['item', "' '", dbt.safe_cast('table_value', dbt.type_string()), "' ≠ '", 'source_name', "' '", dbt.safe_cast('source_value', dbt.type_string())]) }} as detail
from checks
where table_value is not null and source_value is not null and table_value <> source_value
{% endmacro %}

{# A8 表九每个党组织只计一次；表二 联合党组织数 + 表三 联合党组织数 − 表九 联合党组织 同时覆盖两类的 = 表九 联合党组织 总数（区） #}
{% macro a8_violations() %}
with t2 as (select year, entity_code, total as joint_orgs from {{ ref('rpt_annual_t2') }} where level = 'district' and line_code = 'joint_orgs'),
t3 as (select year, entity_code, total as joint_orgs from {{ ref('rpt_annual_t3') }} where level = 'district' and line_code = 'joint_orgs'),
t9 as (select year, entity_code, total, covers_both from {{ ref('rpt_annual_t9') }} where level = 'district' and line_code = 'joint'),
t9_once as (
    select p.year, count(*) - count(distinct {{ dbt.concat(['p.unit_code', "'|'", 'p.party_org_code']) }}) as duplicates
    from {{ ref('int_party_org_quarter') }} as p where p.quarter = 4 group by p.year
)
select 'rpt_annual_t9' as table_name, t9.year, 'district' as level, t9.entity_code,
       {{ dbt.concat(["'表二联合党组织数 '", dbt.safe_cast('t2.joint_orgs', dbt.type_string()), "' + 表三 '", dbt.safe_cast('t3.joint_orgs', dbt.type_string()),
                      "' − 表九同时覆盖两类的 '", dbt.safe_cast('t9.covers_both', dbt.type_string()), "' ≠ 表九联合党组织总数 '",
                      dbt.safe_cast('t9.total', dbt.type_string())]) }} as detail
from t9
inner join t2 on t9.year = t2.year and t9.entity_code = t2.entity_code
inner join t3 on t9.year = t3.year and t9.entity_code = t3.entity_code
where t2.joint_orgs + t3.joint_orgs - t9.covers_both <> t9.total
union all
select 'rpt_annual_t9', o.year, 'district', cast(null as {{ dbt.type_string() }}),
       {{ dbt.concat(["'表九有 '", dbt.safe_cast('o.duplicates', dbt.type_string()), "' 个党组织重复'"]) }}
from t9_once as o
where o.duplicates > 0
{% endmacro %}

{# A9 表八 比例在0.5%–2%的 ÷ 其中上年工资总额大于0的 = K17（年度值，按第四季度报表计算）：分子、分母分别与指标比对（各层级；
   K17 只在完整年份有年度值） #}
{% macro a9_violations() %}
with k17 as (
    select level, entity_code, cast(period as {{ dbt.type_int() }}) as year, numerator, denominator
    from {{ ref('fct_indicators') }}
    where indicator_id = 'K17' and period_type = 'year'  -- K17 of Y is computed on the Q4 return
)
select 'rpt_annual_t8' as table_name, t.year, t.level, t.entity_code,
       {{ dbt.concat(["case when t.level = 'district' then '总计' else t.entity_name end",
                      "'：表八 '", dbt.safe_cast('t.compliant', dbt.type_string()), "'/'", dbt.safe_cast('t.with_payroll', dbt.type_string()),
                      "' ≠ K17 '", dbt.safe_cast('coalesce(k.numerator, 0)', dbt.type_string()), "'/'", dbt.safe_cast('coalesce(k.denominator, 0)', dbt.type_string())]) }} as detail
from {{ ref('rpt_annual_t8') }} as t
inner join k17 as k on t.level = k.level and t.entity_code = k.entity_code and t.year = k.year
where t.compliant is not null
  and (t.compliant <> coalesce(k.numerator, 0) or t.with_payroll <> coalesce(k.denominator, 0))
{% endmacro %}

{# A10（警告）：出资人本年参加培训 = 是 的单位，本区本年表5中至少有一条以其信用代码登记的出资人参训记录 #}
{% macro a10_violations() %}
select 'rpt_annual_t5' as table_name, u.year, 'community' as level, u.unit_code as entity_code,
       {{ dbt.concat(['u.unit_code', "'：'", "coalesce(u.org_name, u.uscc)", "' 填报出资人参加培训，但表5无其出资人参训记录'"]) }} as detail
from {{ ref('ann_units') }} as u
where u.in_u and u.investor_trained
  and not exists (
      select 1 from {{ ref('fct_training_attendance') }} as a
      where a.year = u.year and a.role = '出资人' and a.uscc = u.uscc
  )
{% endmacro %}

{# 年报各表的公布列：{表号: (模型, [(列组, 列名（'=' 开头为 SQL 表达式）, 来源列, 是否比率, 类型 stock/flow/any/none)])}；
   rpt_annual_cells 与规则 A1 的中文说明共用 #}
{% macro annual_tables() %}
{% set emp_a = annual_param('t2_employees_large') %}
{% set emp_b = annual_param('t2_employees_larger') %}
{% set tables = {
    1: ('rpt_annual_t1', [
        ('', '上年底总数', 'prev_year_end_total', false, 'any'),
        ('本年增加', '合计', 'increase_total', false, 'flow'), ('本年增加', '发展党员', 'developed', false, 'flow'),
        ('本年增加', '恢复党籍', 'restored', false, 'flow'), ('本年增加', '转入组织关系', 'transferred_in', false, 'flow'),
        ('本年增加', '其中整建制转入', 'in_whole_unit', false, 'flow'),
        ('本年减少', '合计', 'decrease_total', false, 'flow'), ('本年减少', '出党', 'exited', false, 'flow'),
        ('本年减少', '停止党籍', 'suspended', false, 'flow'), ('本年减少', '死亡', 'deceased', false, 'flow'),
        ('本年减少', '转出组织关系', 'transferred_out', false, 'flow'), ('本年减少', '其中整建制转出', 'out_whole_unit', false, 'flow'),
        ('', '本年底应有数', 'year_end_should', false, 'any'), ('', '本年底实有数', 'year_end_actual', false, 'stock'),
        ('', '实有数与应有数之差', 'actual_minus_should', false, 'any')]),
    2: ('rpt_annual_t2', [
        ('', '总数', 'total', false, 'stock'), ('', '其中：列入党建基数的', 'in_base', false, 'stock'),
        ('', "=" ~ dbt.concat(["'从业人员'", dbt.safe_cast(emp_a, dbt.type_string()), "'人以上'"]), 'employees_50_plus', false, 'stock'),
        ('', "=" ~ dbt.concat(["'从业人员'", dbt.safe_cast(emp_b, dbt.type_string()), "'人以上'"]), 'employees_100_plus', false, 'stock'),
        ('', '法定代表人是党员的', 'legal_rep_member', false, 'stock'),
        ('', '其中兼任企业党组织书记的', 'legal_rep_secretary', false, 'stock'), ('控制类型', '私有经济控制', 'private_control', false, 'stock'),
        ('控制类型', '港澳台商经济控制', 'hk_macao_taiwan_control', false, 'stock'), ('控制类型', '外商经济控制', 'foreign_control', false, 'stock')]),
    3: ('rpt_annual_t3', [
        ('', '总数', 'total', false, 'stock'), ('', '其中：列入党建基数的', 'in_base', false, 'stock'),
        ('', '社会团体', 'social_group', false, 'stock'), ('', '基金会', 'foundation', false, 'stock'),
        ('', '民办非企业单位', 'private_non_enterprise', false, 'stock'), ('', '律师事务所', 'law_firm', false, 'stock'),
        ('', '会计师事务所', 'accounting_firm', false, 'stock'), ('', '税务师事务所', 'tax_firm', false, 'stock')]),
    4: ('rpt_annual_t4', [
        ('', '发展一批', 'developed', false, 'flow'), ('', '接转一批', 'transferred_mobile', false, 'flow'),
        ('', '亮出一批', 'revealed', false, 'flow'), ('', '吸收一批', 'absorbed', false, 'flow'),
        ('', '合计', 'total', false, 'flow'), ('', '发展计划数', 'quota', false, 'none'),
        ('', '完成率', 'completion_rate', true, 'none'), ('', '未建党组织单位发展党员数', 'developed_unformed', false, 'none'),
        ('', '入党积极分子', 'activists', false, 'none'), ('', '入党申请人', 'applicants', false, 'none')]),
    5: ('rpt_annual_t5', [
        ('书记', '书记人数', 'secretaries', false, 'flow'), ('书记', '参加培训书记人数', 'secretaries_trained', false, 'flow'),
        ('书记', '书记培训覆盖率', 'secretary_coverage', true, 'flow'),
        ('书记', '参加上级集中培训书记人数', 'secretaries_trained_above', false, 'flow'),
        ('', '副书记、党务工作者参训人数', 'deputies_workers_trained', false, 'flow'),
        ('出资人', '出资人参训人数（按参训记录）', 'investors_trained', false, 'flow'),
        ('出资人', '出资人培训覆盖率（按单位填报）', 'investor_coverage', true, 'flow'),
        ('社区办班次数', '党务干部', 'community_cadre_classes', false, 'flow'),
        ('社区办班次数', '出资人', 'community_investor_classes', false, 'flow'), ('', '培训人次', 'person_times', false, 'flow'),
        ('', '培训学时', 'person_hours', false, 'flow')]),
    6: ('rpt_annual_t6', [
        ('', '党组织数', 'party_orgs', false, 'stock'), ('', '每季度学习达标的', 'study_every_quarter', false, 'stock'),
        ('', '召开组织生活会的', 'org_life_meeting', false, 'stock'), ('', '开展民主评议的', 'appraisal_held', false, 'stock'),
        ('', '参加评议党员数', 'appraisal_participants', false, 'stock'), ('', '评定不合格党员数', 'appraisal_unqualified', false, 'stock'),
        ('', '“三会一课”达标的', 'three_meetings_one_lecture', false, 'none'), ('', '“六有”达标的', 'six_all', false, 'stock'),
        ('', '有活动场所的', 'has_venue', false, 'stock')]),
    7: ('rpt_annual_t7', [
        ('流入', '在流动总数', 'inflow_total', false, 'stock'), ('流入', '已登记核实', 'inflow_verified', false, 'stock'),
        ('流入', '已编入党组织', 'inflow_hosted', false, 'stock'), ('流入', '持活动证', 'inflow_certificate', false, 'stock'),
        ('流入', '登记率', 'inflow_registration_rate', true, 'stock'),
        ('流出', '在流动总数', 'outflow_total', false, 'stock'), ('流出', '持活动证', 'outflow_certificate', false, 'stock'),
        ('', '失去联系的', 'lost_contact', false, 'stock'), ('', '本年返回或转接关系的', 'returned_or_transferred', false, 'stock')]),
    8: ('rpt_annual_t8', [
        ('', '建立党组织的非公企业数', 'enterprises_with_org', false, 'stock'),
        ('', '其中上年工资总额大于0的', 'with_payroll', false, 'stock'), ('', '上年工资总额', 'payroll_prev_year', false, 'stock'),
        ('', '提取经费', 'party_funds', false, 'stock'), ('', '提取比例', 'funds_ratio', true, 'stock'),
        ('', '比例在0.5%–2%的', 'compliant', false, 'stock'), ('', '其中超过1%的', 'above_pretax', false, 'stock'),
        ('', '党费返还', 'dues_refund', false, 'stock'), ('', '财政支持', 'fiscal_support', false, 'stock'),
        ('', '以奖代补', 'award_subsidy', false, 'stock')]),
    9: ('rpt_annual_t9', [
        ('', '总数', 'total', false, 'stock'), ('', '覆盖非公有制企业的', 'covers_enterprise', false, 'stock'),
        ('', '覆盖社会组织的', 'covers_social', false, 'stock'), ('', '其中同时覆盖两类的', 'covers_both', false, 'stock'),
        ('', '正式党员', 'members_formal', false, 'stock'), ('', '预备党员', 'members_probationary', false, 'stock'),
        ('', '本年新成立的', 'new_this_year', false, 'stock'), ('', '书记参加培训的', 'secretary_trained', false, 'stock')]),
} %}
{{ return(tables) }}
{% endmacro %}

{# 年报口径参数：种子 annual_parameters（表二从业人员分档等），与 kpi_param 同形 #}
{% macro annual_param(name, cast_to='integer') -%}
(select cast(value as {{ cast_to }}) from {{ ref('annual_parameters') }} where parameter = '{{ name }}')
{%- endmacro %}

{# 联合组建方式（R6）：{联合组建, 行业组建, 区域组建, 挂靠组建, 网上组建} #}
{% macro joint_modes_sql() -%}
('联合组建', '行业组建', '区域组建', '挂靠组建', '网上组建')
{%- endmacro %}

{# 上游关系是否有某列（编译时；2021.1 新字段在合并前可能不存在时返回 false，对应单元格为空、“未采集”） #}
{% macro relation_has_column(relation, column) -%}
{%- if execute -%}
{%- set cols = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
{{- return(column | lower in cols) -}}
{%- else -%}
{{- return(false) -}}
{%- endif -%}
{%- endmacro %}
