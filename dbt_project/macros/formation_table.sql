{# 年报表二、表三（建立党组织情况）：行 = 指标行（line），列 = 总数、党建基数、单位类别；每个 年份 × 层级 × 实体 一组行。
   population：单位口径条件（ann_units 的列）；columns：[(列名, 条件[, 是否划分列])]；
   lines：[(行号, 行代码, 中文行名（SQL 表达式）, 'sum' 时为每单位取值表达式 / 'distinct' 时为计数的党组织条件)]。
   街道、区按统一社会信用代码每个单位只计一次（kpis.md “Counting across communities”；两个社区都报的单位由 A1 报出）。
   'distinct' 行（联合党组织数）按 (社区, 党组织编码) 去重，即覆盖至少一个本表单位的联合组建方式党组织数；在划分列
   （columns 第三项为 true，如控制类型）中每个联合党组织只计一次，归入指向它的信用代码最小的单位所在的列（D46），
   使 总数 = Σ 划分列。没有第四季度报表的实体整组为空（缺报）。 #}
{% macro formation_table(population, columns, lines) %}
{%- set distinct_exprs = [] -%}
{%- for no, code, label, kind, expr in lines if kind == 'distinct' -%}{%- do distinct_exprs.append(expr) -%}{%- endfor %}
with population as (
    select * from {{ ref('ann_units') }} where {{ population }}
),
leveled as (
    select
        p.*,
        m.level,
        m.entity_code,
        row_number() over (partition by p.year, m.level, m.entity_code, p.uscc order by p.unit_code, p.source_row) as uscc_rank
    from population as p
    inner join {{ ref('int_entity_membership') }} as m on p.unit_code = m.unit_code
),
base as (
    select
        l.*,
        {% if distinct_exprs -%}
        min(case when {{ distinct_exprs[0] }} then l.uscc end)
            over (partition by l.year, l.level, l.entity_code, l.unit_code, l.party_org_code)
        {%- else -%}cast(null as {{ dbt.type_string() }}){%- endif %} as joint_owner_uscc
    from leveled as l
    where l.uscc_rank = 1
),
entities as (
    select year, level, entity_code, entity_name, row_order, has_q4
    from {{ ref('ann_entities') }}
),
lines as (
    {% for no, code, label, kind, expr in lines -%}
    select {{ no }} as line_no, '{{ code }}' as line_code, {{ label }} as line_label
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),
agg as (
    {% for no, code, label, kind, expr in lines -%}
    select
        b.year, b.level, b.entity_code, {{ no }} as line_no
        {%- for c in columns %}{% set col, cond = c[0], c[1] %},
        {% if kind == 'distinct' -%}
        count(distinct case when ({{ expr }}) and ({{ cond }}){% if c | length > 2 and c[2] %} and b.uscc = b.joint_owner_uscc{% endif %}
            then {{ dbt.concat(['b.unit_code', "'|'", 'b.party_org_code']) }} end)
        {%- else -%}
        sum(case when {{ cond }} then {{ expr }} end)
        {%- endif %} as {{ col }}
        {%- endfor %}
    from base as b
    group by b.year, b.level, b.entity_code
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
    cast(case when not e.has_q4 then null
              when l.line_code in ('applicants', 'activists') then a.{{ c[0] }}  -- 2021.1 字段：未采集时为空
              else coalesce(a.{{ c[0] }}, 0) end as {{ dbt.type_bigint() }}) as {{ c[0] }}
    {%- endfor %}
from entities as e
cross join lines as l
left join agg as a
    on e.year = a.year and e.level = a.level and e.entity_code = a.entity_code and l.line_no = a.line_no
{% endmacro %}
