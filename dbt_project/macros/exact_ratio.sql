{# 精确比率（D81）：分子 ÷ 分母，以整数运算四舍五入到 10 位小数，类型 DECIMAL(38, 10)；分母为 0 或 NULL 时为 NULL。
   不经过浮点，故 0.1 存为 0.1000000000，两个比率之差（通报的“较上季度变化”）也没有浮点误差。 #}
{% macro exact_ratio(num, den) -%}
{{ return(adapter.dispatch('exact_ratio', 'liangxin')(num, den)) }}
{%- endmacro %}

{% macro default__exact_ratio(num, den) -%}
case when {{ den }} is null or {{ den }} = 0 or {{ num }} is null then null else
    cast(
        sign({{ num }}) * ((abs(cast({{ num }} as hugeint)) * 20000000000 + abs({{ den }})) // (2 * abs({{ den }})))
        * sign({{ den }})
    as decimal(38, 0)) * cast(0.0000000001 as decimal(11, 10))
end
{%- endmacro %}

{# Spark: no hugeint and no '//'; 'div' is the integral division (truncates toward zero, as '//' on positive
   operands); sign() returns a double in Spark, so the sign is applied with a case; the scaled quotient is cast
   to decimal(26, 0) so that × decimal(11, 10) stays within 38 digits at scale 10 (Spark would otherwise cut the
   scale to 6, docs/scale-out.md) #}
{% macro spark__exact_ratio(num, den) -%}
case when {{ den }} is null or {{ den }} = 0 or {{ num }} is null then null else
    cast(
        cast(
            (case when ({{ num }} < 0) <> ({{ den }} < 0) then -1 else 1 end)
            * ((abs(cast({{ num }} as decimal(38, 0))) * 20000000000 + abs({{ den }})) div (2 * abs({{ den }})))
        as decimal(26, 0)) * cast(0.0000000001 as decimal(11, 10))
    as decimal(38, 10))
end
{%- endmacro %}

{# 某列存在则取之，否则为类型化的 NULL（模板版本新增字段在原始表加列之前也能构建） #}
{% macro column_or_null(relation, alias, column, type) -%}
{%- if execute -%}
{%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
{%- if column in names -%}cast({{ alias }}.{{ column }} as {{ type }}){%- else -%}cast(null as {{ type }}){%- endif -%}
{%- else -%}cast(null as {{ type }}){%- endif -%}
{%- endmacro %}

{# 单位口径指标（D80）：在各层级按统一社会信用代码只计一次，由 int_indicator_unit_level 计算 #}
{% macro unit_indicator_ids() -%}
('N_U', 'N_B', 'N_E', 'K1', 'K2', 'K3', 'K3b', 'K3b_joint', 'K3b_functional', 'K3b_none', 'K4', 'K5', 'K6_union',
 'K6_youth', 'K6_women', 'K6b', 'K7e', 'K7f', 'K7g', 'K11', 'K17', 'K17f', 'K18d', 'K19', 'K22', 'K22w', 'K24')
{%- endmacro %}
