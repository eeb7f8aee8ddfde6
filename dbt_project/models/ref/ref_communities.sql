{{ config(alias='communities') }}
{#-
  名册（社区党总支）：种子 communities（示范区60个社区），加上环境变量 LIANGXIN_REGISTER 指向的名册 CSV
  （市级、省级名册，列与种子相同）中种子没有的社区——与校验器（liangxin.seeds.communities）同一口径，见 D55。
  未设置 LIANGXIN_REGISTER 时就是种子本身。
-#}
{%- set register = var('liangxin_register', env_var('LIANGXIN_REGISTER', '')) | trim %}
select
    cast(unit_code as {{ dbt.type_string() }}) as unit_code,
    cast(unit_name as {{ dbt.type_string() }}) as unit_name,
    cast(street_code as {{ dbt.type_string() }}) as street_code,
    cast(street_name as {{ dbt.type_string() }}) as street_name,
    cast(district_code as {{ dbt.type_string() }}) as district_code,
    cast(district_name as {{ dbt.type_string() }}) as district_name,
    cast(sort_order as {{ dbt.type_int() }}) as sort_order
from {{ ref('communities') }}
{%- if register %}
union all
select r.unit_code, r.unit_name, r.street_code, r.street_name, r.district_code, r.district_name, r.sort_order
from {{ register_csv(register, {'unit_code': 'varchar', 'unit_name': 'varchar', 'street_code': 'varchar',
                                'street_name': 'varchar', 'district_code': 'varchar', 'district_name': 'varchar',
                                'sort_order': 'integer'}) }} as r
where r.unit_code not in (select unit_code from {{ ref('communities') }})
{%- endif %}
