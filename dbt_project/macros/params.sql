{# 口径参数：来自种子 kpi_parameters（标量子查询），cast_to 为目标类型 #}
{% macro kpi_param(name, cast_to='numeric') -%}
(select cast(value as {{ 'decimal(18, 6)' if cast_to == 'numeric' else cast_to }}) from {{ ref('kpi_parameters') }} where parameter = '{{ name }}')
{%- endmacro %}

{# 当前报送的行：某表中属于当前报送（每社区每季度最高更正序号的已接收报送）的行 #}
{% macro current_rows(stg_model) -%}
select f.*
from {{ ref(stg_model) }} as f
inner join {{ ref('int_current_submissions') }} as c
    on f.submission_id = c.submission_id
{%- endmacro %}

{# 布尔计数：条件为真计 1，否则 0（NULL 视为否） #}
{% macro count_if(cond) -%}
sum(case when {{ cond }} then 1 else 0 end)
{%- endmacro %}

{# 比率：分母为 0 或 NULL 时为 NULL #}
{% macro safe_ratio(num, den) -%}
case when {{ den }} is null or {{ den }} = 0 then null else cast({{ num }} as {{ type_double() }}) / {{ den }} end
{%- endmacro %}

{# 年份 Y 的某日（如 10 月 1 日）：cast('YYYY-MM-DD' as date) #}
{% macro date_in_year(year_expr, mmdd) -%}
cast({{ dbt.concat([dbt.safe_cast(year_expr, dbt.type_string()), "'-" ~ mmdd ~ "'"]) }} as date)
{%- endmacro %}

{# 双精度浮点：dbt.type_float() 在 DuckDB 上是 4 字节 FLOAT，故自定义；'double precision' 在 DuckDB 与 PostgreSQL 均可用 #}
{% macro type_double() -%}
{{ return(adapter.dispatch('type_double', 'liangxin')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
double precision
{%- endmacro %}

{# Spark: 'double' (Spark's parser has no 'double precision'); the same IEEE 754 binary64 #}
{% macro spark__type_double() -%}
double
{%- endmacro %}
