{# on-run-start: tables of models that no longer exist, left in an older build file (dbt never drops a removed
   model's table). int_periods, int_member_flow and int_training_attendance became dim_period, fct_member_flow and
   fct_training_attendance (D222); the last held person keys, so it must not linger. #}
{% macro drop_retired_models() -%}
{% if execute and target.type == 'duckdb' %}
{% for name in ['int_periods', 'int_member_flow', 'int_training_attendance'] %}
{% do run_query("drop table if exists intermediate." ~ name) %}
{% endfor %}
{% endif %}
{%- endmacro %}
