{{ config(alias='development_quotas') }}
{#-
  发展党员计划数（社区 × 年度，K7q 分母）：种子 development_quotas，加上名册旁的 development_quotas.csv
  （liangxin generate 为市级、省级写在 register.csv 旁；也可用 LIANGXIN_DEVELOPMENT_QUOTAS 指定）中种子没有的
  (社区, 年度)。文件不存在时只用种子。见 D55。
-#}
{%- set quotas = register_quotas_path() %}
select
    cast(unit_code as {{ dbt.type_string() }}) as unit_code,
    cast(year as {{ dbt.type_int() }}) as year,
    cast(quota as {{ dbt.type_int() }}) as quota
from {{ ref('development_quotas') }}
{%- if quotas %}
union all
select q.unit_code, q.year, q.quota
from {{ register_csv(quotas, {'unit_code': 'varchar', 'year': 'integer', 'quota': 'integer'}) }} as q
where not exists (
    select 1 from {{ ref('development_quotas') }} as s
    where cast(s.unit_code as {{ dbt.type_string() }}) = q.unit_code and s.year = q.year
)
{%- endif %}
