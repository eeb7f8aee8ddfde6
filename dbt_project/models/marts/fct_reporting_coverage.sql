-- 报送覆盖（已报 N/M）：每个层级（社区/街道/区）× 实体 × 报告期（季度 YYYYQn、年度 YYYY）
--   已报社区数 N：名册中本期有当前（已接收，含有警告）报送的社区；年度为四个季度都有当前报送的社区；
--   应报社区数 M：名册中属于该实体的社区数（与 K10、K20 的分母同一名册）；
--   已报比例 = N ÷ M；N ÷ M ≥ 种子 dashboard_parameters 的 coverage_complete_min 时为完整（看板的默认报告期）。
-- 报告期取 dim_period（与 fct_indicators 同一序列）；名册中每个社区在每个报告期都有一行（未报为 0/1）。
with mem as (
    select * from {{ ref('int_entity_membership') }}
),
periods as (
    select period, period_type, period_end from {{ ref('dim_period') }}
),
cur as (
    select unit_code, period, period_year from {{ ref('int_current_submissions') }}
),
reported as (
    select unit_code, period from cur
    union all
    select unit_code, cast(period_year as {{ dbt.type_string() }}) as period
    from cur
    group by unit_code, period_year
    having count(distinct period) = 4
),
threshold as (
    select cast(value as decimal(18, 6)) as complete_threshold
    from {{ ref('dashboard_parameters') }}
    where parameter = 'coverage_complete_min'
),
counted as (
    select
        m.level,
        m.entity_code,
        m.entity_name,
        p.period,
        p.period_type,
        p.period_end,
        cast(count(r.unit_code) as {{ dbt.type_bigint() }}) as reported_communities,
        cast(count(*) as {{ dbt.type_bigint() }}) as expected_communities
    from mem as m
    cross join periods as p
    left join reported as r on r.unit_code = m.unit_code and r.period = p.period
    group by m.level, m.entity_code, m.entity_name, p.period, p.period_type, p.period_end
)
select
    c.level,
    c.entity_code,
    c.entity_name,
    c.period,
    c.period_type,
    c.reported_communities,
    c.expected_communities,
    {{ safe_ratio('c.reported_communities', 'c.expected_communities') }} as reported_share,
    t.complete_threshold,
    c.expected_communities > 0
    and c.reported_communities >= t.complete_threshold * c.expected_communities as is_complete,
    '已报 ' || cast(c.reported_communities as {{ dbt.type_string() }}) || '/'
    || cast(c.expected_communities as {{ dbt.type_string() }}) as coverage_label,
    c.period_end as snapshot_date
from counted as c
cross join threshold as t
