{#
  市级、省级名册（LIANGXIN_REGISTER，见 models/ref 与 decisions D55）。The pipeline passes the register as the dbt
  vars ``liangxin_register`` / ``liangxin_development_quotas`` (absolute paths, from its Settings, D151); a hand-run
  dbt without those vars falls back to the environment variables.

  register_csv(path, columns): DuckDB read_csv with explicit column types (every value read as written, no type
  sniffing: a code such as 330201001001 stays text).
  register_quotas_path(): the quota CSV of the register — LIANGXIN_DEVELOPMENT_QUOTAS, else
  development_quotas.csv beside LIANGXIN_REGISTER — or '' when there is none (checked when the model runs).
#}
{% macro register_csv(path, columns) -%}
read_csv('{{ path | replace("'", "''") }}', header = true, auto_detect = false, delim = ',', quote = '"',
         columns = { {%- for name, type in columns.items() %}'{{ name }}': '{{ type }}'{{ ', ' if not loop.last }}{% endfor -%} })
{%- endmacro %}

{% macro register_quotas_path() -%}
  {%- set explicit = var('liangxin_development_quotas', env_var('LIANGXIN_DEVELOPMENT_QUOTAS', '')) | trim -%}
  {%- set register = var('liangxin_register', env_var('LIANGXIN_REGISTER', '')) | trim -%}
  {%- if explicit -%}
    {{ return(explicit) }}
  {%- elif not register -%}
    {{ return('') }}
  {%- endif -%}
  {%- set beside = (register.rsplit('/', 1)[0] if '/' in register else '.') ~ '/development_quotas.csv' -%}
  {%- if not execute -%}
    {{ return('') }}
  {%- endif -%}
  {%- set found = run_query("select count(*) from glob('" ~ (beside | replace("'", "''")) ~ "')") -%}
  {{ return(beside if found.columns[0].values()[0] > 0 else '') }}
{%- endmacro %}
