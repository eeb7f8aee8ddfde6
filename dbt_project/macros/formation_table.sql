{# 年报表二、表三（建立党组织情况）：行 = 指标行（line），列 = 单位类别；每个 年份 × 层级 × 实体 一组行。
   population：单位口径条件（int_annual_unit_base 的列）；columns：[(列名, 条件)]；
   lines：[(行号, 行代码, 中文行名, 'sum' 时为每单位取值表达式 / 'distinct' 时为计数的党组织条件)]。
   'distinct' 行（联合党支部数）按 (社区, 党组织编码) 去重；在划分列（columns 第三项为 true，如控制类型）中每个
   联合党支部只计一次，归入指向它的信用代码最小的单位所在的列（decisions.md D46），使 总数 = Σ 划分列 #}
{% macro formation_table(population, columns, lines) %}
{%- set distinct_exprs = [] -%}
{%- for no, code, label, kind, expr in lines if kind == 'distinct' -%}{%- do distinct_exprs.append(expr) -%}{%- endfor %}
with population as (
    select * from {{ ref('int_annual_unit_base') }} where {{ population }}
),
base as (
    select
        p.*,
        {% if distinct_exprs -%}
        min(case when {{ distinct_exprs[0] }} then p.uscc end) over (partition by p.submission_id, p.party_org_code)
        {%- else -%}cast(null as {{ dbt.type_string() }}){%- endif %} as joint_owner_uscc
    from population as p
),
entities as (
    select year, level, entity_code, entity_name, row_order
    from {{ ref('int_annual_entities') }}
    where has_q4
),
lines as (
    {% for no, code, label, kind, expr in lines -%}
    select {{ no }} as line_no, '{{ code }}' as line_code, '{{ label }}' as line_label
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),
agg as (
    {% for no, code, label, kind, expr in lines -%}
    select
        b.year, m.level, m.entity_code, {{ no }} as line_no
        {%- for c in columns %}{% set col, cond = c[0], c[1] %},
        {% if kind == 'distinct' -%}
        count(distinct case when ({{ expr }}) and ({{ cond }}){% if c | length > 2 and c[2] %} and b.uscc = b.joint_owner_uscc{% endif %}
            then {{ dbt.concat(['b.unit_code', "'|'", 'b.party_org_code']) }} end)
        {%- else -%}
        sum(case when {{ cond }} then {{ expr }} else 0 end)
        {%- endif %} as {{ col }}
        {%- endfor %}
    from base as b
    inner join {{ ref('int_entity_membership') }} as m on b.unit_code = m.unit_code
    group by b.year, m.level, m.entity_code
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)
select
    e.year,
    e.level,
    e.entity_code,
    e.entity_name,
    e.row_order,
    l.line_no,
    l.line_code,
    l.line_label
    {%- for c in columns %},
    cast(coalesce(a.{{ c[0] }}, 0) as {{ dbt.type_bigint() }}) as {{ c[0] }}
    {%- endfor %}
from entities as e
cross join lines as l
left join agg as a
    on e.year = a.year and e.level = a.level and e.entity_code = a.entity_code and l.line_no = a.line_no
{% endmacro %}
