-- 年报单元格（长表）：表一至表九每个公布单元格一行（年份、表号、行序、行名、层级、实体、列序、列组、列名、值、是否比率、是否缺报），
-- 供年报工作簿（liangxin.annual）、定稿（liangxin.finalize）与更正对照表使用。表二、表三、表九每个实体一组行（区为首，行名前缀实体名称）。
-- missing（缺报）：值为空且该实体缺少所需报表——存量列（取第四季度）缺第四季度报表，流量列（四个季度之和）缺任一季度报表，
-- 表一上年底总数既无上年定稿数又无第一季度报表；比率、未采集（2021.1 前的新字段）与无计划数造成的空值不是缺报。
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
with cells as (
{% for table_no, (model, cols) in tables.items() %}
{% if table_no in (2, 3, 9) %}
    {% set row_order = 't.row_order * 100 + t.line_no' %}
    {% set row_label = "case when t.level = 'district' then t.line_label else " ~ dbt.concat(['t.entity_name', "'：'", 't.line_label']) ~ " end" %}
{% elif table_no == 4 %}
    {% set row_order = 't.row_order' %}
    {% set row_label = "case when t.period_type = 'quarter' then " ~ dbt.concat(["'总计（'", 't.period', "'）'"]) ~ " when t.level = 'district' then '总计' else t.entity_name end" %}
{% else %}
    {% set row_order = 't.row_order' %}
    {% set row_label = "case when t.level = 'district' then '总计' else t.entity_name end" %}
{% endif %}
{% for group, label, column, is_ratio, kind in cols %}
select
    t.year,
    {{ table_no }} as table_no,
    cast({{ row_order }} as {{ dbt.type_bigint() }}) as row_order,
    {{ row_label }} as row_label,
    t.level,
    t.entity_code,
    {{ loop.index }} as col_order,
    '{{ group }}' as col_group,
    {% if label.startswith('=') %}{{ label[1:] }}{% else %}'{{ label }}'{% endif %} as col_label,
    '{{ column }}' as column_name,
    cast(t.{{ column }} as {{ type_double() }}) as value,
    {{ 'true' if is_ratio else 'false' }} as is_ratio,
    '{{ kind }}' as kind{% if table_no == 4 %},
    t.period_type = 'quarter' as is_quarter_row{% else %},
    false as is_quarter_row{% endif %}
from {{ ref(model) }} as t
{% if not (loop.last and table_no == 9) %}union all{% endif %}
{% endfor %}
{% endfor %}
)
select
    c.year, c.table_no, c.row_order, c.row_label, c.level, c.entity_code, c.col_order, c.col_group, c.col_label,
    c.column_name, c.value, c.is_ratio,
    coalesce(
        c.value is null and c.level <> 'category' and not c.is_quarter_row
        and case c.kind
            when 'stock' then not e.has_q4
            when 'flow' then not (e.complete or (c.level <> 'community' and e.has_any))
            when 'any' then true
            else false
        end, false) as missing
from cells as c
left join {{ ref('ann_entities') }} as e
    on c.year = e.year and c.level = e.level and c.entity_code = e.entity_code
