-- 年报表八 经费保障情况（第四季度当前报送）：建立党组织的非公企业 = U 中单独建立党组织的非公有制企业；
-- 工资总额、提取经费为其合计，提取比例 = 提取经费 ÷ 工资总额；合规（K17 分子）与超过1%（K17f）按单位计；
-- 党费返还、财政支持、以奖代补为表2全部党组织之和。行 = 区、各街道、各社区。
with ent as (
    select year, level, entity_code, entity_name, row_order from {{ ref('int_annual_entities') }} where has_q4
),
mem as (
    select * from {{ ref('int_entity_membership') }}
),
units as (
    select m.level, m.entity_code, u.year,
        {{ count_if("u.in_u and u.is_enterprise and u.party_status = '单独建立'") }} as enterprises_with_org,
        sum(case when u.in_u and u.is_enterprise and u.party_status = '单独建立' then coalesce(u.payroll_prev_year, 0) else 0 end) as payroll_prev_year,
        sum(case when u.in_u and u.is_enterprise and u.party_status = '单独建立' then coalesce(u.party_funds, 0) else 0 end) as party_funds
    from {{ ref('int_annual_unit_base') }} as u
    inner join mem as m on u.unit_code = m.unit_code
    group by m.level, m.entity_code, u.year
),
money as (
    select m.level, m.entity_code, po.period_year as year,
        sum(coalesce(po.dues_refund, 0)) as dues_refund,
        sum(coalesce(po.fiscal_support, 0)) as fiscal_support,
        sum(coalesce(po.award_subsidy, 0)) as award_subsidy
    from {{ ref('int_current_party_orgs') }} as po
    inner join mem as m on po.unit_code = m.unit_code
    where po.period_quarter = 4
    group by m.level, m.entity_code, po.period_year
),
k17 as (
    select level, entity_code, period,
        max(case when indicator_id = 'K17' then numerator end) as compliant,
        max(case when indicator_id = 'K17f' then numerator end) as above_pretax
    from {{ ref('fct_indicators') }}
    where indicator_id in ('K17', 'K17f')
    group by level, entity_code, period
)
select
    e.year, e.level, e.entity_code, e.entity_name, e.row_order,
    cast(coalesce(u.enterprises_with_org, 0) as {{ dbt.type_bigint() }}) as enterprises_with_org,
    cast(coalesce(u.payroll_prev_year, 0) as decimal(18, 2)) as payroll_prev_year,
    cast(coalesce(u.party_funds, 0) as decimal(18, 2)) as party_funds,
    {{ safe_ratio('u.party_funds', 'u.payroll_prev_year') }} as funds_ratio,
    cast(coalesce(k.compliant, 0) as {{ dbt.type_bigint() }}) as compliant,
    cast(coalesce(k.above_pretax, 0) as {{ dbt.type_bigint() }}) as above_pretax,
    cast(coalesce(mo.dues_refund, 0) as decimal(18, 2)) as dues_refund,
    cast(coalesce(mo.fiscal_support, 0) as decimal(18, 2)) as fiscal_support,
    cast(coalesce(mo.award_subsidy, 0) as decimal(18, 2)) as award_subsidy
from ent as e
left join units as u on e.level = u.level and e.entity_code = u.entity_code and e.year = u.year
left join money as mo on e.level = mo.level and e.entity_code = mo.entity_code and e.year = mo.year
left join k17 as k on e.level = k.level and e.entity_code = k.entity_code and cast(e.year as {{ dbt.type_string() }}) = k.period
