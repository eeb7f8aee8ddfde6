-- 社区级指标（长表）：季度值与年度值（按 indicators 种子的 quarterly / yearly 标志与 year_rule，D5–D7）
with ind as (
    select indicator_id, quarterly, yearly, year_rule from {{ ref('indicators') }}
),
cq as (
    select * from {{ ref('int_indicator_community_quarter') }}
),
periods as (
    select * from {{ ref('dim_period') }}
),
quarter_rows as (
    select cq.indicator_id, cq.unit_code, cq.period, 'quarter' as period_type, cq.numerator, cq.denominator
    from cq
    inner join ind on cq.indicator_id = ind.indicator_id
    where ind.quarterly
),
-- year_rule = Q4 / ytd：第四季度当前报送上的值
year_q4 as (
    select
        cq.indicator_id, cq.unit_code, cast(cq.year as {{ dbt.type_string() }}) as period, 'year' as period_type,
        cq.numerator, cq.denominator
    from cq
    inner join ind on cq.indicator_id = ind.indicator_id
    where ind.yearly and ind.year_rule in ('Q4', 'ytd') and cq.quarter = 4
),
-- year_rule = sum：四个季度分子之和
year_sum as (
    select
        cq.indicator_id, cq.unit_code, cast(cq.year as {{ dbt.type_string() }}) as period, 'year' as period_type,
        sum(cq.numerator) as numerator, cast(null as {{ dbt.type_bigint() }}) as denominator
    from cq
    inner join ind on cq.indicator_id = ind.indicator_id
    where ind.yearly and ind.year_rule = 'sum'
    group by cq.indicator_id, cq.unit_code, cq.year
),
-- year_rule = span（K8、K8r）：Σ Q4 期末实有数 − Σ Q1 期初党员数；需 Q1 与 Q4 均有当前报送
span_base as (
    select
        unit_code,
        year,
        max(case when quarter = 1 then opening_sum end) as q1_opening,
        max(case when quarter = 4 then m end) as q4_closing
    from {{ ref('int_community_quarter_measures') }}
    group by unit_code, year
),
year_span as (
    select
        'K8' as indicator_id, unit_code, cast(year as {{ dbt.type_string() }}) as period, 'year' as period_type,
        cast(q4_closing - q1_opening as {{ dbt.type_bigint() }}) as numerator,
        cast(null as {{ dbt.type_bigint() }}) as denominator
    from span_base where q1_opening is not null and q4_closing is not null
    union all
    select
        'K8r', unit_code, cast(year as {{ dbt.type_string() }}), 'year',
        cast(q4_closing - q1_opening as {{ dbt.type_bigint() }}),
        cast(q1_opening as {{ dbt.type_bigint() }})
    from span_base where q1_opening is not null and q4_closing is not null
),
-- 本年有任一当前报送的社区
community_years as (
    select distinct unit_code, period_year as year
    from {{ ref('int_current_submissions') }}
),
-- K9 / K9b：本社区本年书记（表2），受训判断在全区范围（int_trained_persons）
secretaries as (
    select * from {{ ref('int_secretaries') }}
),
k9 as (
    select
        cy.unit_code, cy.year,
        {{ count_if('s.k9_trained') }} as k9_num,
        {{ count_if('s.k9b_trained') }} as k9b_num,
        count(s.person_key) as sec_den
    from community_years as cy
    left join secretaries as s on cy.unit_code = s.unit_code and cy.year = s.year
    group by cy.unit_code, cy.year
),
-- K10：本社区本年主办了党务干部培训和出资人培训（按主办社区归属，int_k10_organizers，D82）
k10 as (
    select cy.unit_code, cy.year, case when coalesce(o.passes, false) then 1 else 0 end as passes
    from community_years as cy
    left join {{ ref('int_k10_organizers') }} as o on cy.unit_code = o.unit_code and cy.year = o.year
),
-- K12：区级任职/集中培训的不同培训编号
k12_events as (
    select * from {{ ref('int_k12_events') }}
),
k12 as (
    select cy.unit_code, cy.year, count(distinct e.training_code) as k12
    from community_years as cy
    left join k12_events as e on cy.unit_code = e.unit_code and cy.year = e.year
    group by cy.unit_code, cy.year
),
-- K15y：Q4 当前报送中 10 月 1 日前成立的党组织；各整季度存在的季度均 K15 达标，且全年党课次数合计 ≥ 1
poq as (
    select * from {{ ref('int_party_org_quarter') }}
),
k15y_orgs as (
    select
        q4.unit_code,
        q4.year,
        q4.party_org_code,
        case
            when
                min(case when y.existed_whole_quarter and not y.k15_pass then 0 else 1 end) = 1
                and sum(y.lectures) >= 1 then 1
            else 0
        end as passes
    from poq as q4
    inner join poq as y
        on q4.unit_code = y.unit_code and q4.year = y.year and q4.party_org_code = y.party_org_code
    where q4.quarter = 4 and q4.established_before_oct
    group by q4.unit_code, q4.year, q4.party_org_code
),
k15y as (
    select
        cy.unit_code, cy.year,
        coalesce(sum(o.passes), 0) as k15y_num,
        count(o.party_org_code) as k15y_den
    from community_years as cy
    left join k15y_orgs as o on cy.unit_code = o.unit_code and cy.year = o.year
    group by cy.unit_code, cy.year
),
year_rule_year as (
    select 'K9' as indicator_id, unit_code, year, k9_num as numerator, sec_den as denominator from k9
    union all
    select 'K9b', unit_code, year, k9b_num, sec_den from k9
    union all
    select 'K10', unit_code, year, passes, 1 from k10
    union all
    select 'K12', unit_code, year, k12, null from k12
    union all
    select 'K15y', unit_code, year, k15y_num, k15y_den from k15y
),
year_year as (
    select
        y.indicator_id, y.unit_code, cast(y.year as {{ dbt.type_string() }}) as period, 'year' as period_type,
        cast(y.numerator as {{ dbt.type_bigint() }}) as numerator,
        cast(y.denominator as {{ dbt.type_bigint() }}) as denominator
    from year_rule_year as y
    inner join ind on y.indicator_id = ind.indicator_id
    where ind.yearly and ind.year_rule = 'year'
),
-- K20：名册中每个社区 × 每个季度；首份已接收报送按期（接收日期，补录按报出日期）为 1（int_first_receipts，D84）
k20 as (
    select
        'K20' as indicator_id,
        c.unit_code,
        p.period,
        'quarter' as period_type,
        cast(case when r.on_time then 1 else 0 end as {{ dbt.type_bigint() }}) as numerator,
        cast(1 as {{ dbt.type_bigint() }}) as denominator
    from {{ ref('ref_communities') }} as c
    cross join periods as p
    left join {{ ref('int_first_receipts') }} as r
        on c.unit_code = r.unit_code and p.period = r.period
    where p.period_type = 'quarter'
)
select u.*
from (
    select * from quarter_rows
    union all
    select * from year_q4
    union all
    select * from year_sum
    union all
    select * from year_span
    union all
    select * from year_year
    union all
    select * from k20
) as u
where u.period in (select period from periods)
