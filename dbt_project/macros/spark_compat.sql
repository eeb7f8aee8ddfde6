{#
  Model contracts (decisions D140) declare DuckDB type names (VARCHAR, HUGEINT, …).  On the spark target the
  contract check builds its empty reference schema from these names, translated to the Spark type the same SQL
  yields there (docs/scale-out.md, "Types"): the contract is still enforced, column for column, on both engines.
#}
{% macro spark_contract_type(t) -%}
{%- set u = t | upper | replace(' ', '') -%}
{%- if u == 'VARCHAR' -%}string
{%- elif u == 'HUGEINT' -%}bigint  {#- DuckDB sum(integer) is HUGEINT, Spark's is BIGINT (same values below 2^63) -#}
{%- elif u == 'INTEGER' -%}int
{%- elif u == 'DOUBLE' -%}double
{%- else -%}{{ u | lower }}
{%- endif -%}
{%- endmacro %}

{% macro spark__get_empty_schema_sql(columns) %}
    select
    {% for i in columns %}
      {%- set col = columns[i] -%}
      {% set col_name = adapter.quote(col['name']) if col.get('quote') else col['name'] %}
      cast(null as {{ spark_contract_type(col['data_type']) }}) as {{ col_name }}{{ ", " if not loop.last }}
    {%- endfor -%}
{% endmacro %}

{#
  string_agg(expr, sep order by key): the non-NULL values of expr joined with sep in the order of key; NULL
  when there is none.  Spark has no ordered string_agg: collect (key, value) pairs, sort them (by key, then
  value), join the values; count(expr) = 0 gives NULL as in DuckDB (array_join of nothing would be '').
#}
{% macro string_agg_ordered(expr, sep, order_by) -%}
{{ return(adapter.dispatch('string_agg_ordered', 'liangxin')(expr, sep, order_by)) }}
{%- endmacro %}

{% macro default__string_agg_ordered(expr, sep, order_by) -%}
string_agg({{ expr }}, {{ sep }} order by {{ order_by }})
{%- endmacro %}

{% macro spark__string_agg_ordered(expr, sep, order_by) -%}
case when count({{ expr }}) = 0 then null else array_join(transform(array_sort(collect_list(
    case when ({{ expr }}) is not null then named_struct('k', {{ order_by }}, 'v', {{ expr }}) end)), x -> x.v), {{ sep }}) end
{%- endmacro %}

{#
  a − b of two DECIMAL(38, 10) values at scale 10.  Spark gives the difference one more integer digit and,
  past 38 digits, cuts the scale (decimal(38, 9)); at 37 digits both engines return DECIMAL(38, 10) exactly.
#}
{% macro decimal_change(a, b) -%}
cast({{ a }} as decimal(37, 10)) - cast({{ b }} as decimal(37, 10))
{%- endmacro %}

{#
  dbt.safe_cast on Spark is a plain cast, which under ANSI mode (Spark 4's default) fails the whole query on
  one bad value; DuckDB's is try_cast (NULL).  A rejected return may have an unreadable period
  (substring(period, 1, 4) → int), so the spark target uses try_cast too: same NULLs on both engines.
#}
{% macro spark__safe_cast(field, type) -%}
try_cast({{ field }} as {{ type }})
{%- endmacro %}

{#
  Seeds on Spark: dbt-spark 1.11's load_csv_rows passes the values as bindings, and the session cursor renders
  an empty cell (None) as the text 'None' (seen in indicators.requires_template: every unit indicator became
  未采集).  The rows are written as literals instead: NULL for an empty cell, otherwise the text cast to the
  column type, quotes and backslashes escaped for Spark's string literals.
#}
{% macro spark__load_csv_rows(model, agate_table) %}
  {% set batch_size = get_batch_size() %}
  {% set column_override = model['config'].get('column_types', {}) %}
  {% set statements = [] %}
  {% for chunk in agate_table.rows | batch(batch_size) %}
      {% set sql %}
          insert into {{ this.render() }} values
          {% for row in chunk -%}
              ({%- for col_name in agate_table.column_names -%}
                  {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                  {%- set type = column_override.get(col_name, inferred_type) -%}
                  {%- set v = row[loop.index0] -%}
                  {%- if v is none -%}cast(null as {{ type }})
                  {%- else -%}cast('{{ v | string | replace("\\", "\\\\") | replace("'", "\\'") }}' as {{ type }})
                  {%- endif -%}
                  {%- if not loop.last %},{% endif -%}
              {%- endfor -%})
              {%- if not loop.last %},{% endif %}
          {%- endfor %}
      {% endset %}
      {% do adapter.add_query(sql, abridge_sql_log=True) %}
      {% if loop.index0 == 0 %}{% do statements.append(sql) %}{% endif %}
  {% endfor %}
  {{ return(statements[0]) }}
{% endmacro %}
