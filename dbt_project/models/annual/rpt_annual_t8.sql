-- 年报表八 经费保障情况（第四季度当前报送）：总体 = K17 的总体，即 U 中党组织建立情况为单独建立的非公有制企业
-- （街道、区按统一社会信用代码每个单位只计一次）。其中上年工资总额大于0的 = K17 的分母；提取比例 = Σ 提取经费 ÷ Σ 上年工资总额
-- （均只取工资总额大于0的单位）；比例在0.5%–2%的 = 比例落在 [funds_ratio_min, funds_ratio_max] 的单位数（K17 分子，本表自行计算，
-- 规则 A9 与指标 K17 比对）；其中超过1%的 = 其中比例大于 funds_ratio_pretax 的。党费返还、财政支持、以奖代补为第四季度表2
-- 全部党组织之和（D52）。没有第四季度报表的社区行为空（缺报）。
with ent as (
    select year, level, entity_code, entity_name, row_order, has_q4 from {{ ref('ann_entities') }}
),
pop as (
    select
        u.*,
        coalesce(u.payroll_prev_year, 0) > 0 as has_payroll,
        cast(coalesce(u.party_funds, 0) as decimal(18, 2)) as funds  -- 比例用乘法比较（小数精确，无浮点误差）
    from {{ ref('ann_units') }} as u
    where u.in_u and u.is_enterprise and u.party_status = '单独建立'
),
leveled as (
    select
        p.*, m.level, m.entity_code,
        row_number() over (
            partition by p.year, m.level, m.entity_code, p.uscc order by p.unit_code, p.source_row
        ) as uscc_rank
    from pop as p
    inner join {{ ref('int_entity_membership') }} as m on p.unit_code = m.unit_code
),
units as (
    select
        level, entity_code, year,
        count(*) as enterprises_with_org,
        {{ count_if('has_payroll') }} as with_payroll,
        sum(case when has_payroll then payroll_prev_year else 0 end) as payroll_prev_year,
        sum(case when has_payroll then coalesce(party_funds, 0) else 0 end) as party_funds,
        {{ count_if("has_payroll and funds >= payroll_prev_year * " ~ kpi_param('funds_ratio_min')
                    ~ " and funds <= payroll_prev_year * " ~ kpi_param('funds_ratio_max')) }} as compliant,
        {{ count_if("has_payroll and funds > payroll_prev_year * " ~ kpi_param('funds_ratio_pretax')
                    ~ " and funds <= payroll_prev_year * " ~ kpi_param('funds_ratio_max')) }} as above_pretax
    from leveled
    where uscc_rank = 1
    group by level, entity_code, year
),
money as (
    select
        m.level, m.entity_code, po.period_year as year,
        sum(coalesce(po.dues_refund, 0)) as dues_refund,
        sum(coalesce(po.fiscal_support, 0)) as fiscal_support,
        sum(coalesce(po.award_subsidy, 0)) as award_subsidy
    from {{ ref('int_current_party_orgs') }} as po
    inner join {{ ref('int_entity_membership') }} as m on po.unit_code = m.unit_code
    where po.period_quarter = 4
    group by m.level, m.entity_code, po.period_year
)
select
    e.year, e.level, e.entity_code, e.entity_name, e.row_order,
    cast(
        case when e.has_q4 then coalesce(u.enterprises_with_org, 0) end as {{ dbt.type_bigint() }}
    ) as enterprises_with_org,
    cast(case when e.has_q4 then coalesce(u.with_payroll, 0) end as {{ dbt.type_bigint() }}) as with_payroll,
    cast(case when e.has_q4 then coalesce(u.payroll_prev_year, 0) end as decimal(18, 2)) as payroll_prev_year,
    cast(case when e.has_q4 then coalesce(u.party_funds, 0) end as decimal(18, 2)) as party_funds,
    case when e.has_q4 then {{ safe_ratio('u.party_funds', 'u.payroll_prev_year') }} end as funds_ratio,
    cast(case when e.has_q4 then coalesce(u.compliant, 0) end as {{ dbt.type_bigint() }}) as compliant,
    cast(case when e.has_q4 then coalesce(u.above_pretax, 0) end as {{ dbt.type_bigint() }}) as above_pretax,
    cast(case when e.has_q4 then coalesce(mo.dues_refund, 0) end as decimal(18, 2)) as dues_refund,
    cast(case when e.has_q4 then coalesce(mo.fiscal_support, 0) end as decimal(18, 2)) as fiscal_support,
    cast(case when e.has_q4 then coalesce(mo.award_subsidy, 0) end as decimal(18, 2)) as award_subsidy
from ent as e
left join units as u on e.level = u.level and e.entity_code = u.entity_code and e.year = u.year
left join money as mo on e.level = mo.level and e.entity_code = mo.entity_code and e.year = mo.year
