-- 年报单元格（长表）：表一至表八每个公布单元格一行（年份、表号、行序、行名、列序、列组、列名、值、是否比率），
-- 供年报工作簿（liangxin.annual）按官方格式排版。表二、表三每个实体一组行（区为首，行名前缀实体名称）。
{% set tables = {
    1: ('rpt_annual_t1', [
        ('', '上年底总数', 'prev_year_end_total', false),
        ('本年增加', '合计', 'increase_total', false), ('本年增加', '发展党员', 'developed', false),
        ('本年增加', '恢复党籍', 'restored', false), ('本年增加', '转入组织关系', 'transferred_in', false),
        ('本年增加', '其中整建制转入', 'in_whole_unit', false),
        ('本年减少', '合计', 'decrease_total', false), ('本年减少', '出党', 'exited', false),
        ('本年减少', '停止党籍', 'suspended', false), ('本年减少', '死亡', 'deceased', false),
        ('本年减少', '转出组织关系', 'transferred_out', false), ('本年减少', '其中整建制转出', 'out_whole_unit', false),
        ('', '本年底应有数', 'year_end_should', false), ('', '本年底实有数', 'year_end_actual', false),
        ('', '实有数与应有数之差', 'actual_minus_should', false)]),
    2: ('rpt_annual_t2', [
        ('', '总数', 'total', false), ('', '从业人员50人以上', 'employees_50_plus', false),
        ('', '从业人员100人以上', 'employees_100_plus', false), ('', '法定代表人是党员的', 'legal_rep_member', false),
        ('', '其中兼任企业党组织书记的', 'legal_rep_secretary', false), ('控制类型', '私有经济控制', 'private_control', false),
        ('控制类型', '港澳台商经济控制', 'hk_macao_taiwan_control', false), ('控制类型', '外商经济控制', 'foreign_control', false)]),
    3: ('rpt_annual_t3', [
        ('', '总数', 'total', false), ('', '社会团体', 'social_group', false), ('', '基金会', 'foundation', false),
        ('', '民办非企业单位', 'private_non_enterprise', false), ('', '律师事务所', 'law_firm', false),
        ('', '会计师事务所', 'accounting_firm', false), ('', '税务师事务所', 'tax_firm', false)]),
    4: ('rpt_annual_t4', [
        ('', '发展一批', 'developed', false), ('', '接转一批', 'transferred_mobile', false), ('', '亮出一批', 'revealed', false),
        ('', '吸收一批', 'absorbed', false), ('', '合计', 'total', false), ('', '发展计划数', 'quota', false),
        ('', '完成率', 'completion_rate', true)]),
    5: ('rpt_annual_t5', [
        ('书记', '书记人数', 'secretaries', false), ('书记', '参加培训书记人数', 'secretaries_trained', false),
        ('书记', '书记培训覆盖率', 'secretary_coverage', true), ('书记', '参加上级集中培训书记人数', 'secretaries_trained_above', false),
        ('', '副书记、党务工作者参训人数', 'deputies_workers_trained', false), ('出资人', '出资人参训人数', 'investors_trained', false),
        ('出资人', '出资人培训覆盖率', 'investor_coverage', true), ('社区办班次数', '党务干部', 'community_cadre_classes', false),
        ('社区办班次数', '出资人', 'community_investor_classes', false), ('', '培训人次', 'person_times', false),
        ('', '培训学时', 'person_hours', false)]),
    6: ('rpt_annual_t6', [
        ('', '党组织数', 'party_orgs', false), ('', '每季度学习达标的', 'study_every_quarter', false),
        ('', '召开组织生活会的', 'org_life_meeting', false), ('', '开展民主评议的', 'appraisal_held', false),
        ('', '参加评议党员数', 'appraisal_participants', false), ('', '评定不合格党员数', 'appraisal_unqualified', false),
        ('', '“三会一课”达标的', 'three_meetings_one_lecture', false), ('', '“六有”达标的', 'six_all', false)]),
    7: ('rpt_annual_t7', [
        ('流入', '总数', 'inflow_total', false), ('流入', '已登记核实', 'inflow_verified', false),
        ('流入', '已编入党组织', 'inflow_hosted', false), ('流入', '持活动证', 'inflow_certificate', false),
        ('流出', '总数', 'outflow_total', false), ('流出', '持活动证', 'outflow_certificate', false),
        ('', '失去联系的', 'lost_contact', false)]),
    8: ('rpt_annual_t8', [
        ('', '建立党组织的非公企业数', 'enterprises_with_org', false), ('', '上年工资总额', 'payroll_prev_year', false),
        ('', '提取经费', 'party_funds', false), ('', '提取比例', 'funds_ratio', true),
        ('', '比例在0.5%–2%的', 'compliant', false), ('', '其中超过1%的', 'above_pretax', false),
        ('', '党费返还', 'dues_refund', false), ('', '财政支持', 'fiscal_support', false), ('', '以奖代补', 'award_subsidy', false)]),
} %}
{% for table_no, (model, cols) in tables.items() %}
{% if table_no in (2, 3) %}
    {% set row_order = 'row_order * 100 + line_no' %}
    {% set row_label = "case when level = 'district' then line_label else " ~ dbt.concat(['entity_name', "'：'", 'line_label']) ~ " end" %}
{% elif table_no == 4 %}
    {% set row_order = 'row_order' %}
    {% set row_label = "case when period_type = 'quarter' then " ~ dbt.concat(["'总计（'", 'period', "'）'"]) ~ " when level = 'district' then '总计' else entity_name end" %}
{% else %}
    {% set row_order = 'row_order' %}
    {% set row_label = "case when level = 'district' then '总计' else entity_name end" %}
{% endif %}
{% for group, label, column, is_ratio in cols %}
select
    year,
    {{ table_no }} as table_no,
    cast({{ row_order }} as {{ dbt.type_bigint() }}) as row_order,
    {{ row_label }} as row_label,
    level,
    entity_code,
    {{ loop.index }} as col_order,
    '{{ group }}' as col_group,
    '{{ label }}' as col_label,
    '{{ column }}' as column_name,
    cast({{ column }} as {{ type_double() }}) as value,
    {{ 'true' if is_ratio else 'false' }} as is_ratio
from {{ ref(model) }}
{% if not (loop.last and table_no == 8) %}union all{% endif %}
{% endfor %}
{% endfor %}
