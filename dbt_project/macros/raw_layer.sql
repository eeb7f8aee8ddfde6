{#
  The raw layer on the spark target (docs/scale-out.md): raw.<t> are external Parquet tables over the files
  written by liangxin.raw_files.export_raw_parquet (var raw_parquet_dir), declared at the start of every run
  from the columns and data_type of models/staging/__sources.yml.  On DuckDB raw.* are the loader's tables and
  nothing is done.
#}
{% macro raw_layer_tables() -%}
{{ return(adapter.dispatch('raw_layer_tables', 'liangxin')()) }}
{%- endmacro %}

{% macro default__raw_layer_tables() -%}
{%- endmacro %}

{# DuckDB type names of liangxin.forms → Spark type names #}
{% macro spark_type(t) -%}
{%- set u = t | upper -%}
{%- if u == 'VARCHAR' -%}string{%- elif u == 'TIMESTAMP' -%}timestamp_ntz{%- else -%}{{ u | lower }}{%- endif -%}
{%- endmacro %}

{% macro spark__raw_layer_tables() -%}
{%- if execute -%}
{%- set base = var('raw_parquet_dir', '') -%}
{%- if not base -%}
{{ exceptions.raise_compiler_error("spark 目标需要 --vars '{raw_parquet_dir: ...}'（原始层 Parquet 目录，见 docs/scale-out.md）") }}
{%- endif -%}
{% do run_query('create database if not exists raw') %}
{%- for node in graph.sources.values() if node.source_name == 'raw' -%}
{%- set partitioned = node.name not in ('submissions', 'rule_hits') -%}
{%- set cols = [] -%}
{%- for c in node.columns.values() if not (partitioned and c.name == 'period') -%}
{%- do cols.append('`' ~ c.name ~ '` ' ~ spark_type(c.data_type)) -%}
{%- endfor -%}
{%- if partitioned -%}{%- do cols.append('`period` string') -%}{%- endif -%}
{% do run_query('drop table if exists raw.' ~ node.name) %}
{% do run_query('create table raw.' ~ node.name ~ ' (' ~ cols | join(', ') ~ ') using parquet'
                ~ (' partitioned by (period)' if partitioned else '')
                ~ " location '" ~ base ~ '/' ~ node.name ~ "'") %}
{%- if partitioned -%}{% do run_query('msck repair table raw.' ~ node.name) %}{%- endif -%}
{%- endfor -%}
{%- endif -%}
{%- endmacro %}
