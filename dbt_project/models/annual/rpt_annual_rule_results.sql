-- 年报审核规则结果（audit-rules.md A0–A10）：每年每条规则一行——是否通过、违规数、中文说明（不通过时列出前 5 处）。
-- 规则作为数据计算：任何规则不通过都不阻止任何一年的任何表；不通过的 E 规则使该年 不得上报（rpt_annual_verdict）。
with years as (
    select distinct year from {{ ref('ann_community_years') }}
),
rules as (
    select 0 as rule_order, 'A0' as rule_id, 'E' as severity, '完整性：名册中每个社区本年四个季度都有已接收的报表' as rule_name
    union all
    select 1, 'A1', 'E', '区级、街道级可加单元格 = 各社区之和（单位按信用代码只计一次）'
    union all
    select 2, 'A2', 'E', '表一：应有数 = 上年底总数 + 本年增加 − 本年减少；增减 = 各项之和；差 = 实有 − 应有'
    union all
    select 3, 'A3', 'E', '表一：上年底总数 = 上年定稿（未定稿时为上年当前表）的本年底实有数'
    union all
    select 4, 'A4', 'E', '表二、表三：单位数、单独建立、未建立的分项之和；其中 ≤ 所属项；总数 = 各类别之和'
    union all
    select 5, 'A5', 'W', '⌈联合组建覆盖单位数 ÷ 5⌉ ≤ 联合党组织数'
    union all
    select 6, 'A6', 'E', '表一本年底实有数 = 第四季度表2非功能型党组织党员数之和'
    union all
    select 7, 'A7', 'E', '表二 + 表三单位数 = N_U；党建基数列 = N_B、K1 分子、K2 分子'
    union all
    select 8, 'A8', 'E', '表九每个党组织只计一次；表二 + 表三联合党组织数 − 同时覆盖两类的 = 表九联合党组织数'
    union all
    select 9, 'A9', 'E', '表八 比例在0.5%–2%的 ÷ 其中上年工资总额大于0的 = K17'
    union all
    select 10, 'A10', 'W', '填报出资人参加培训的单位在表5有出资人参训记录'
),
hits as (
    select year, 'A1' as rule_id, detail from ({{ a1_violations() }}) as v
    union all
    select year, 'A2', detail from ({{ a2_violations() }}) as v
    union all
    select year, 'A3', detail from ({{ a3_violations() }}) as v
    union all
    select year, 'A4', detail from ({{ a4_violations() }}) as v
    union all
    select year, 'A5', detail from ({{ a5_violations() }}) as v
    union all
    select year, 'A6', detail from ({{ a6_violations() }}) as v
    union all
    select year, 'A7', detail from ({{ a7_violations() }}) as v
    union all
    select year, 'A8', detail from ({{ a8_violations() }}) as v
    union all
    select year, 'A9', detail from ({{ a9_violations() }}) as v
    union all
    select year, 'A10', detail from ({{ a10_violations() }}) as v
),
ranked as (
    select h.*, row_number() over (partition by year, rule_id order by detail) as rn
    from hits as h
),
agg as (
    select
        year, rule_id, count(*) as hit_count,
        {{ string_agg_ordered('case when rn <= 5 then detail end', "'；'", 'detail') }} as sample
    from ranked
    group by year, rule_id
),
a0 as (
    select
        year, sum(n) as hit_count,
        {{ string_agg_ordered('summary', "'；'", 'quarter') }} as sample
    from (
        select
            year, quarter, count(*) as n,
            {{ dbt.concat([dbt.safe_cast('count(*)', dbt.type_string()), "' 个社区缺少 '", 'quarter', "' 报表'"]) }} as summary
        from {{ ref('rpt_annual_missing') }}
        group by year, quarter
    ) as q
    group by year
),
combined as (
    select year, rule_id, hit_count, sample from agg
    union all
    select year, 'A0', hit_count, sample from a0
)
select
    y.year,
    r.rule_id,
    r.rule_order,
    r.severity,
    r.rule_name,
    coalesce(c.hit_count, 0) = 0 as passed,
    cast(coalesce(c.hit_count, 0) as {{ dbt.type_bigint() }}) as hit_count,
    case
        when coalesce(c.hit_count, 0) = 0 then '通过'
        when r.rule_id = 'A0' then c.sample
        else {{ dbt.concat(['r.rule_id', "case when r.severity = 'E' then ' 不通过：' else ' 警告：' end", 'c.sample',
                            "case when c.hit_count > 5 then " ~ dbt.concat(["'，等 '", dbt.safe_cast('c.hit_count', dbt.type_string()), "' 处'"]) ~ " else '' end"]) }}
    end as detail
from years as y
cross join rules as r
left join combined as c on c.year = y.year and c.rule_id = r.rule_id
