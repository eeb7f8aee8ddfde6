{{ config(alias='streets') }}
{#-
  街道名册：种子 streets，加上名册（ref_communities）中出现而种子没有的街道（名称、所属区取自名册，
  排序号接在种子之后，按街道在名册中首次出现的顺序）。见 D55。
-#}
with seed as (
    select
        cast(street_code as {{ dbt.type_string() }}) as street_code,
        cast(street_name as {{ dbt.type_string() }}) as street_name,
        cast(district_code as {{ dbt.type_string() }}) as district_code,
        cast(district_name as {{ dbt.type_string() }}) as district_name,
        cast(sort_order as {{ dbt.type_int() }}) as sort_order
    from {{ ref('streets') }}
),
extra as (
    select
        c.street_code,
        min(c.street_name) as street_name,
        min(c.district_code) as district_code,
        min(c.district_name) as district_name,
        min(c.sort_order) as first_order
    from {{ ref('ref_communities') }} as c
    where c.street_code not in (select street_code from seed)
    group by c.street_code
)
select street_code, street_name, district_code, district_name, sort_order
from seed
union all
select
    e.street_code,
    e.street_name,
    e.district_code,
    e.district_name,
    cast(
        (select coalesce(max(sort_order), 0) from seed)
        + row_number() over (order by e.first_order, e.street_code) as {{ dbt.type_int() }}
    ) as sort_order
from extra as e
