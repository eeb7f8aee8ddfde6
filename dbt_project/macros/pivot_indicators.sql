{# 宽表：把 fct_indicators 中若干指标按 层级 × 实体 × 报告期 展开为列（<id>_value / _numerator / _denominator） #}
{# reasons：另外展开 <id>_null_reason（值为空的原因：未采集 / 分母为0）的指标 #}
{% macro pivot_indicators(ids, reasons=[]) -%}
select
    level,
    entity_code,
    max(entity_name) as entity_name,
    period,
    period_type,
    max(snapshot_date) as snapshot_date
    {%- for id in ids %},
    max(case when indicator_id = '{{ id }}' then value end) as {{ id | lower }}_value,
    max(case when indicator_id = '{{ id }}' then numerator end) as {{ id | lower }}_numerator,
    max(case when indicator_id = '{{ id }}' then denominator end) as {{ id | lower }}_denominator
    {%- if id in reasons %},
    max(case when indicator_id = '{{ id }}' then null_reason end) as {{ id | lower }}_null_reason
    {%- endif %}
    {%- endfor %}
from {{ ref('fct_indicators') }}
where indicator_id in ({% for id in ids %}'{{ id }}'{% if not loop.last %}, {% endif %}{% endfor %})
group by level, entity_code, period, period_type
{%- endmacro %}
