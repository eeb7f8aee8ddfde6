-- 年报单元格（长表）：表一至表九每个公布单元格一行（年份、表号、行序、行名、层级、实体、列序、列组、列名、值、是否比率、是否缺报），
-- 供年报工作簿（liangxin.annual）、定稿（liangxin.finalize）与更正对照表使用。表二、表三、表九每个实体一组行（区为首，行名前缀实体名称）。
-- missing（缺报）：值为空且该实体缺少所需报表——存量列（取第四季度）缺第四季度报表，流量列（四个季度之和）缺任一季度报表，
-- 表一上年底总数既无上年定稿数又无第一季度报表；比率、未采集（2021.1 前的新字段）与无计划数造成的空值不是缺报。
-- LT02 (indentation) is off in this file for now: `sqlfluff fix` corrupts its jinja loops; re-indent by hand.
-- noqa: disable=LT02
{% set tables = annual_tables() %}
with cells as (
{% for table_no, (model, cols) in tables.items() %}
{% if table_no in (2, 3, 9) %}
    {% set row_order = 't.row_order * 100 + t.line_no' %}
    {% set row_label = "case when t.level = 'district' then t.line_label else "
                       ~ dbt.concat(['t.entity_name', "'：'", 't.line_label']) ~ " end" %}
{% elif table_no == 4 %}
    {% set row_order = 't.row_order' %}
    {% set row_label = "case when t.period_type = 'quarter' then " ~ dbt.concat(["'总计（'", 't.period', "'）'"])
                       ~ " when t.level = 'district' then '总计' else t.entity_name end" %}
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
            when 'flow' then not (e.complete and c.level = 'community')
            when 'any' then true
            else false
        end, false) as missing
from cells as c
left join {{ ref('ann_entities') }} as e
    on c.year = e.year and c.level = e.level and c.entity_code = e.entity_code
