-- 年报表七 流动党员情况（第四季度当前报送表6）：行 = 区、各街道、各社区
with ent as (
    select year, level, entity_code, entity_name, row_order from {{ ref('int_annual_entities') }} where has_q4
),
agg as (
    select m.level, m.entity_code, mm.period_year as year,
        {{ count_if("mm.direction = '流入'") }} as inflow_total,
        {{ count_if("mm.direction = '流入' and mm.verified_on is not null") }} as inflow_verified,
        {{ count_if("mm.direction = '流入' and mm.host_party_org_code is not null and mm.host_party_org_code <> ''") }} as inflow_hosted,
        {{ count_if("mm.direction = '流入' and mm.certificate") }} as inflow_certificate,
        {{ count_if("mm.direction = '流出'") }} as outflow_total,
        {{ count_if("mm.direction = '流出' and mm.certificate") }} as outflow_certificate,
        {{ count_if("mm.status = '失去联系'") }} as lost_contact
    from {{ ref('int_current_mobile_members') }} as mm
    inner join {{ ref('int_entity_membership') }} as m on mm.unit_code = m.unit_code
    where mm.period_quarter = 4
    group by m.level, m.entity_code, mm.period_year
)
select
    e.year, e.level, e.entity_code, e.entity_name, e.row_order
    {%- for c in ['inflow_total', 'inflow_verified', 'inflow_hosted', 'inflow_certificate', 'outflow_total',
                  'outflow_certificate', 'lost_contact'] %},
    cast(coalesce(a.{{ c }}, 0) as {{ dbt.type_bigint() }}) as {{ c }}
    {%- endfor %}
from ent as e
left join agg as a on e.level = a.level and e.entity_code = a.entity_code and e.year = a.year
