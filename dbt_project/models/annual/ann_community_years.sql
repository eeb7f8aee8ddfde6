-- 年报覆盖情况：每个有已接收报送的年份 × 名册中的每个社区，各季度是否有当前报送（第四季度报送编号供存量表使用）。
-- 年份 = 任何社区有当前（已接收）报送的年份，不论是否完整（annual-return.md：只要有报表就出年报）。
with years as (
    select distinct period_year as year from {{ ref('int_current_submissions') }}
),
subs as (
    select unit_code, period_year as year, period_quarter as quarter, submission_id
    from {{ ref('int_current_submissions') }}
)
select
    y.year,
    c.unit_code,
    c.unit_name,
    c.street_code,
    c.street_name,
    coalesce(max(case when s.quarter = 1 then 1 else 0 end), 0) = 1 as has_q1,
    coalesce(max(case when s.quarter = 2 then 1 else 0 end), 0) = 1 as has_q2,
    coalesce(max(case when s.quarter = 3 then 1 else 0 end), 0) = 1 as has_q3,
    coalesce(max(case when s.quarter = 4 then 1 else 0 end), 0) = 1 as has_q4,
    count(distinct s.quarter) = 4 as complete,
    max(case when s.quarter = 4 then s.submission_id end) as q4_submission_id
from years as y
cross join {{ ref('ref_communities') }} as c
left join subs as s on s.unit_code = c.unit_code and s.year = y.year
group by y.year, c.unit_code, c.unit_name, c.street_code, c.street_name
