-- 年报审核结果（年报最后一页）：每年每条 A 规则的违规数与是否通过；以及本年当前报送中各 W 规则的命中数。
-- rule_name / status / detail 为工作簿直接使用的中文列。
with years as (
    select distinct year from {{ ref('int_annual_entities') }}
),
rules as (
    select 'A1' as rule_id, 'E' as severity, '区级可加单元格 = 各社区之和' as description
    union all select 'A2', 'E', '表一：应有数 = 上年底总数 + 本年增加 − 本年减少；增减 = 各项之和；差 = 实有 − 应有'
    union all select 'A3', 'E', '表一：本年上年底总数 = 上年本年底实有数'
    union all select 'A4', 'E', '表二、表三：单位数、单独建立、未建立的分项之和；其中 ≤ 所属项；总数 = 各类别之和'
    union all select 'A5', 'W', '⌈联合覆盖单位数 ÷ 5⌉ ≤ 联合党支部数'
),
hits as (
    select year, 'A1' as rule_id, count(*) as hit_count from ({{ a1_violations() }}) as v group by year
    union all
    select year, 'A2', count(*) from ({{ a2_violations() }}) as v group by year
    union all
    select year, 'A3', count(*) from ({{ a3_violations() }}) as v group by year
    union all
    select year, 'A4', count(*) from ({{ a4_violations() }}) as v group by year
    union all
    select year, 'A5', count(*) from ({{ a5_violations() }}) as v group by year
),
annual_rules as (
    select
        y.year,
        'annual_rule' as kind,
        r.rule_id,
        r.severity,
        r.description,
        cast(coalesce(h.hit_count, 0) as {{ dbt.type_bigint() }}) as hit_count,
        coalesce(h.hit_count, 0) = 0 as passed
    from years as y
    cross join rules as r
    left join hits as h on y.year = h.year and r.rule_id = h.rule_id
),
warning_hits as (
    select
        c.period_year as year,
        'warning_hits' as kind,
        rh.rule_id,
        'W' as severity,
        '本年当前报送中的警告命中数' as description,
        cast(count(*) as {{ dbt.type_bigint() }}) as hit_count,
        cast(null as {{ dbt.type_boolean() }}) as passed
    from {{ ref('stg_returns__rule_hits') }} as rh
    inner join {{ ref('int_current_submissions') }} as c on rh.submission_id = c.submission_id
    where rh.severity = 'W'
      and c.period_year in (select year from years)
    group by c.period_year, rh.rule_id
)
select
    u.*,
    u.description as rule_name,
    case
        when u.kind = 'warning_hits' then '有警告'
        when u.passed then '通过'
        when u.severity = 'W' then '警告'
        else '未通过'
    end as status,
    case
        when u.kind = 'warning_hits' then {{ dbt.concat(["'本年当前报送中命中 '", dbt.safe_cast('u.hit_count', dbt.type_string()), "' 次'"]) }}
        else {{ dbt.concat(["'违规 '", dbt.safe_cast('u.hit_count', dbt.type_string()), "' 处'"]) }}
    end as detail
from (
    select * from annual_rules
    union all
    select * from warning_hits
) as u
