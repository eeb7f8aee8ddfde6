{# 年报定稿存储（annual-return.md “定稿”）：finalized 模式不归 dbt 管理，任何重建都不覆盖；
   dbt 运行开始时（on-run-start）只在不存在时创建，使 source('finalized', …) 在首次定稿前也可读。
   表结构与 liangxin.finalize.DDL 一致（测试 test_annual_finalize 核对）。 #}
{% macro annual_finalized_ddl() -%}
create schema if not exists finalized;
create table if not exists finalized.annual_versions (
    year integer not null,
    version integer not null,
    verdict varchar not null,
    reasons varchar,
    communities_complete integer,
    communities_expected integer,
    finalized_by varchar not null,
    finalized_at timestamp not null,
    override_reason varchar,
    cells_sha256 varchar not null,
    signoff_unit varchar,
    signoff_head varchar,
    signoff_filled_by varchar,
    signoff_reviewed_by varchar,
    signoff_phone varchar,
    signoff_date date,
    primary key (year, version)
);
create table if not exists finalized.annual_cells (
    year integer not null,
    version integer not null,
    table_no integer not null,
    row_order bigint,
    row_label varchar,
    level varchar,
    entity_code varchar,
    col_order integer,
    col_group varchar,
    col_label varchar,
    column_name varchar,
    value double,
    is_ratio boolean,
    missing boolean
);
create table if not exists finalized.annual_verdict_log (
    year integer not null,
    verdict varchar not null,
    reasons varchar,
    failed_rules varchar,
    recorded_at timestamp not null
);
create table if not exists finalized.annual_seen_submissions (
    submission_id varchar primary key,
    seen_at timestamp not null
);
{%- endmacro %}

{% macro annual_finalized_storage() -%}
{{ return(adapter.dispatch('annual_finalized_storage', 'liangxin')()) }}
{%- endmacro %}

{% macro default__annual_finalized_storage() -%}
{% if execute and target.type == 'duckdb' %}
{% do run_query(annual_finalized_ddl()) %}
{% endif %}
{%- endmacro %}

{# spark: the same tables as Parquet (no constraints: Spark does not enforce them; liangxin.finalize, the only
   writer, runs against DuckDB — on a cluster the finalized tables are copied over, docs/scale-out.md) #}
{% macro spark__annual_finalized_storage() -%}
{% if execute %}
{%- set ddl = annual_finalized_ddl() | replace(',\n    primary key (year, version)', '') | replace(' primary key', '')
              | replace(' not null', '') | replace(' varchar', ' string') -%}
{% for stmt in ddl.split(';') if stmt | trim %}
{% do run_query(stmt ~ (' using parquet' if 'create table' in stmt else '')) %}
{% endfor %}
{% endif %}
{%- endmacro %}
