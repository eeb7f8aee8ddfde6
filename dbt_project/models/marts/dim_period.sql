-- 报告期维度（报告期序列）：种子 deadlines 中介于已加载当前报送最小、最大报告期之间的季度，及四个季度都在序列中的年份（不完整的年份无年度值）
with bounds as (
    select min(period) as lo, max(period) as hi
    from {{ ref('int_current_submissions') }}
),
all_quarters as (
    select
        d.period,
        cast(substring(d.period, 1, 4) as {{ dbt.type_int() }}) as year,
        cast(substring(d.period, 6, 1) as {{ dbt.type_int() }}) as quarter,
        d.period_start,
        d.period_end,
        d.deadline,
        lag(d.period) over (order by d.period) as previous_period
    from {{ ref('deadlines') }} as d
),
quarters as (
    select q.*
    from all_quarters as q
    cross join bounds as b
    where q.period >= b.lo and q.period <= b.hi
),
years as (
    select
        cast(q.year as {{ dbt.type_string() }}) as period,
        q.year,
        cast(null as {{ dbt.type_int() }}) as quarter,
        min(q.period_start) as period_start,
        max(q.period_end) as period_end,
        cast(null as date) as deadline,
        cast(cast(q.year - 1 as {{ dbt.type_int() }}) as {{ dbt.type_string() }}) as previous_period
    from all_quarters as q
    where q.year in (select year from quarters group by year having count(*) = 4)
    group by q.year
)
select period, 'quarter' as period_type, year, quarter, period_start, period_end, deadline, previous_period
from quarters
union all
select period, 'year' as period_type, year, quarter, period_start, period_end, deadline, previous_period
from years
