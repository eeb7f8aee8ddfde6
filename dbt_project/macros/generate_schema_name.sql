{# 自定义 schema 名原样使用（staging / intermediate / marts / annual / ref），不加目标 schema 前缀 #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
