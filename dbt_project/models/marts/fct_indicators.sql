-- 指标事实表（长表）：每个指标 × 层级（社区/街道/区）× 实体 × 报告期（季度 YYYYQn / 年度 YYYY）
-- 比率在每一层级用合计的分子、分母重新计算（D8）；单位口径指标在每一层级按统一社会信用代码只计一次（D80，
-- int_indicator_unit_level）；其余街道、区的分子分母为社区之和（D9），K9/K9b 按层级去重计人、K12 按层级去重计场次；
-- K10、K20 分母为名册社区数，K10 分子为其下主办达标的名册社区数（D82）。
-- value 为精确小数 DECIMAL(38,10)（D81，不经浮点）；value 为空时 null_reason 说明原因：未采集（模板版本不采集所需字段，
-- D83）或 分母为0。
-- 记录存在与否（D7、D40、D41）：社区无当前报送则无记录（K20 除外）；街道、区当其下至少一个社区有记录时才有记录；
-- 年度值只对四个季度都在报告期序列中的完整年份计算（dim_period）。
-- 计数指标：numerator = value，denominator 为空；比率/均值：value = numerator ÷ denominator，分母为 0 时为空。
with ind as (
    select * from {{ ref('indicators') }}
),
comm as (
    select * from {{ ref('int_indicator_community') }}
),
mem as (
    select * from {{ ref('int_entity_membership') }}
),
register_counts as (
    select level, entity_code, count(*) as n_communities
    from mem
    group by level, entity_code
),
additive as (
    select
        c.indicator_id,
        m.level,
        m.entity_code,
        c.period,
        c.period_type,
        sum(c.numerator) as numerator,
        sum(c.denominator) as denominator
    from comm as c
    inner join mem as m on c.unit_code = m.unit_code
    where
        c.indicator_id not in ('K9', 'K9b', 'K12')
        and c.indicator_id not in {{ unit_indicator_ids() }}
    group by c.indicator_id, m.level, m.entity_code, c.period, c.period_type
),
-- K10：其下名册社区中本年主办达标的社区数（无报送的社区也按其主办的培训计，D82）
k10_level as (
    select m.level, m.entity_code, o.year, {{ count_if('o.passes') }} as n_pass
    from {{ ref('int_k10_organizers') }} as o
    inner join mem as m on o.unit_code = m.unit_code
    group by m.level, m.entity_code, o.year
),
additive_fixed as (
    select
        a.indicator_id,
        a.level,
        a.entity_code,
        a.period,
        a.period_type,
        case when a.indicator_id = 'K10' then coalesce(k10.n_pass, 0) else a.numerator end as numerator,
        case when a.indicator_id = 'K10' then r.n_communities else a.denominator end as denominator
    from additive as a
    inner join register_counts as r on a.level = r.level and a.entity_code = r.entity_code
    left join k10_level as k10
        on
            a.indicator_id = 'K10' and a.level = k10.level and a.entity_code = k10.entity_code
            and a.period = cast(k10.year as {{ dbt.type_string() }})
),
-- 层级 × 年份：其下至少一个社区本年有当前报送
level_years as (
    select distinct m.level, m.entity_code, s.period_year as year
    from {{ ref('int_current_submissions') }} as s
    inner join mem as m on s.unit_code = m.unit_code
),
secretaries as (
    select
        m.level,
        m.entity_code,
        s.year,
        count(distinct s.person_key) as n_secretaries,
        count(distinct case when s.k9_trained then s.person_key end) as n_k9,
        count(distinct case when s.k9b_trained then s.person_key end) as n_k9b
    from {{ ref('int_secretaries') }} as s
    inner join mem as m on s.unit_code = m.unit_code
    group by m.level, m.entity_code, s.year
),
events as (
    select m.level, m.entity_code, e.year, count(distinct e.training_code) as n_events
    from {{ ref('int_k12_events') }} as e
    inner join mem as m on e.unit_code = m.unit_code
    group by m.level, m.entity_code, e.year
),
distinct_based as (
    select
        'K9' as indicator_id, ly.level, ly.entity_code, ly.year,
        coalesce(s.n_k9, 0) as numerator, coalesce(s.n_secretaries, 0) as denominator
    from level_years as ly
    left join secretaries as s on ly.level = s.level and ly.entity_code = s.entity_code and ly.year = s.year
    union all
    select
        'K9b', ly.level, ly.entity_code, ly.year,
        coalesce(s.n_k9b, 0), coalesce(s.n_secretaries, 0)
    from level_years as ly
    left join secretaries as s on ly.level = s.level and ly.entity_code = s.entity_code and ly.year = s.year
    union all
    select
        'K12', ly.level, ly.entity_code, ly.year,
        coalesce(e.n_events, 0), null
    from level_years as ly
    left join events as e on ly.level = e.level and ly.entity_code = e.entity_code and ly.year = e.year
),
distinct_rows as (
    select
        d.indicator_id,
        d.level,
        d.entity_code,
        cast(d.year as {{ dbt.type_string() }}) as period,
        'year' as period_type,
        cast(d.numerator as {{ dbt.type_bigint() }}) as numerator,
        cast(d.denominator as {{ dbt.type_bigint() }}) as denominator
    from distinct_based as d
    inner join ind on d.indicator_id = ind.indicator_id
    where
        ind.yearly
        and cast(d.year as {{ dbt.type_string() }}) in (
            select period from {{ ref('dim_period') }} where period_type = 'year'
        )
),
all_rows as (
    select
        indicator_id, level, entity_code, period, period_type,
        cast(numerator as {{ dbt.type_bigint() }}) as numerator,
        cast(denominator as {{ dbt.type_bigint() }}) as denominator
    from additive_fixed
    union all
    select * from distinct_rows
    union all
    select indicator_id, level, entity_code, period, period_type, numerator, denominator
    from {{ ref('int_indicator_unit_level') }}
),
entities as (
    select distinct level, entity_code, entity_name from mem
)
select
    r.indicator_id,
    ind.name_zh as indicator_name,
    r.level,
    r.entity_code,
    e.entity_name,
    r.period,
    r.period_type,
    r.numerator,
    case when ind.kind = 'count' then null else r.denominator end as denominator,
    case
        when ind.kind = 'count' then cast(r.numerator as decimal(38, 10))
        else {{ exact_ratio('r.numerator', 'r.denominator') }}
    end as value,
    case
        when r.numerator is null then '未采集'
        when ind.kind <> 'count' and coalesce(r.denominator, 0) = 0 then '分母为0'
    end as null_reason,
    ind.denominator_name,
    p.period_end as snapshot_date,
    ind.kind,
    ind.sort_order,
    ind.spec_id
from all_rows as r
inner join ind on r.indicator_id = ind.indicator_id
inner join entities as e on r.level = e.level and r.entity_code = e.entity_code
inner join {{ ref('dim_period') }} as p on r.period = p.period
