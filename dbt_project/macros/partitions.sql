{#
  增量构建（按报告期，issue 17，D210–D213）：只重算当前报送有变化的报告期，其余报告期的行保持不变。
  计划由 liangxin.partitions 在 dbt 启动前写入 meta.build_plan：
    无行 = 全部报告期（手工 dbt build 总是全量）；'*' = 全部报告期；否则为所列报告期。
  模型在 models/intermediate/partitioned/（dbt_project.yml 设物化与预钩子）；Spark 目标不做增量（表物化，全量）。
#}

{# on-run-start: the plan table exists (empty = every period) even in a database liangxin.partitions never saw;
   the same definition as liangxin.partitions._DDL #}
{% macro build_plan_storage() -%}
{% if execute and target.type == 'duckdb' %}
{% do run_query("create schema if not exists meta") %}
{% do run_query("create table if not exists meta.build_plan (period varchar not null)") %}
{% endif %}
{%- endmacro %}

{# true for the rows of the periods this build recomputes (every row in a full build or outside an incremental run);
   the data tests of models/intermediate/partitioned use the same rule (dbt_project.yml, data_tests: +where) #}
{% macro in_build_periods(period_col) -%}
{%- if is_incremental() -%}
(
    {{ period_col }} in (select p.period from meta.build_plan as p)
    or exists (select 1 from meta.build_plan as p where p.period = '*')
    or not exists (select 1 from meta.build_plan as p)
)
{%- else -%}
(1 = 1)
{%- endif -%}
{%- endmacro %}

{# pre-hook of a period-partitioned model: drop the rows of the periods this build recomputes #}
{% macro delete_build_periods() -%}
{%- if is_incremental() -%}
delete from {{ this }} where {{ in_build_periods('period') }}
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}
