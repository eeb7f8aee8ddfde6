-- 年报表七 流动党员情况 [national 33/34]：12月31日存量，取第四季度当前报送表6（流动党员台账）。行 = 区、各街道、各社区。
-- 流入：在流动总数（状态为在流动）、已登记核实、已编入党组织、持活动证（均为在流动者中）、登记率（K18d，第四季度）；
-- 流出：在流动总数、持活动证；失去联系的；本年返回或转接关系的（状态为已返回、已转接关系）。
-- 街道、区按 person_key 每人只计一次（同一人同一方向）。没有第四季度报表的社区行为空（缺报）。
-- LT02 (indentation) is off in this file for now: `sqlfluff fix` corrupts its jinja loops; re-indent by hand.
-- noqa: disable=LT02
with ent as (
    select year, level, entity_code, entity_name, row_order, has_q4 from {{ ref('ann_entities') }}
),
ledger as (
    select m.level, m.entity_code, mm.period_year as year, mm.person_key, mm.direction, mm.status,
        mm.verified_on, mm.host_party_org_code, mm.certificate,
        row_number() over (partition by m.level, m.entity_code, mm.period_year, mm.person_key, mm.direction
                           order by mm.unit_code, mm.source_row) as person_rank
    from {{ ref('int_current_mobile_members') }} as mm
    inner join {{ ref('int_entity_membership') }} as m on mm.unit_code = m.unit_code
    where mm.period_quarter = 4
),
agg as (
    select level, entity_code, year,
        {{ count_if("direction = '流入' and status = '在流动'") }} as inflow_total,
        {{ count_if("direction = '流入' and status = '在流动' and verified_on is not null") }} as inflow_verified,
        {{ count_if("direction = '流入' and status = '在流动'"
                    ~ " and host_party_org_code is not null and host_party_org_code <> ''") }} as inflow_hosted,
        {{ count_if("direction = '流入' and status = '在流动' and certificate") }} as inflow_certificate,
        {{ count_if("direction = '流出' and status = '在流动'") }} as outflow_total,
        {{ count_if("direction = '流出' and status = '在流动' and certificate") }} as outflow_certificate,
        {{ count_if("status = '失去联系'") }} as lost_contact,
        {{ count_if("status in ('已返回', '已转接关系')") }} as returned_or_transferred
    from ledger
    where person_rank = 1
    group by level, entity_code, year
),
k18d as (
    select level, entity_code, period, value as inflow_registration_rate
    from {{ ref('fct_indicators') }}
    where indicator_id = 'K18d' and period_type = 'quarter'
)
select
    e.year, e.level, e.entity_code, e.entity_name, e.row_order
    {%- for c in ['inflow_total', 'inflow_verified', 'inflow_hosted', 'inflow_certificate'] %},
    cast(case when e.has_q4 then coalesce(a.{{ c }}, 0) end as {{ dbt.type_bigint() }}) as {{ c }}
    {%- endfor %},
    case when e.has_q4 then k.inflow_registration_rate end as inflow_registration_rate
    {%- for c in ['outflow_total', 'outflow_certificate', 'lost_contact', 'returned_or_transferred'] %},
    cast(case when e.has_q4 then coalesce(a.{{ c }}, 0) end as {{ dbt.type_bigint() }}) as {{ c }}
    {%- endfor %}
from ent as e
left join agg as a on e.level = a.level and e.entity_code = a.entity_code and e.year = a.year
left join k18d as k on e.level = k.level and e.entity_code = k.entity_code
    and k.period = {{ dbt.concat([dbt.safe_cast('e.year', dbt.type_string()), "'Q4'"]) }}
