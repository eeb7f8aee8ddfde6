-- 年报审核结果（年报最后一页）：每年每条 A 规则（rpt_annual_rule_results）的违规数与是否通过；以及本年当前报送中各 W 规则的命中数。
-- rule_name / status / detail 为工作簿直接使用的中文列。
with years as (
    select distinct year from {{ ref('ann_community_years') }}
),
annual_rules as (
    select
        r.year,
        'annual_rule' as kind,
        r.rule_id,
        r.severity,
        r.rule_name as description,
        r.hit_count,
        r.passed,
        r.detail
    from {{ ref('rpt_annual_rule_results') }} as r
),
warning_hits as (
    select
        c.period_year as year,
        'warning_hits' as kind,
        rh.rule_id,
        'W' as severity,
        '本年当前报送中的警告命中数' as description,
        cast(count(*) as {{ dbt.type_bigint() }}) as hit_count,
        cast(null as {{ dbt.type_boolean() }}) as passed,
        {{ dbt.concat(["'本年当前报送中命中 '", dbt.safe_cast('count(*)', dbt.type_string()), "' 次'"]) }} as detail
    from {{ ref('stg_returns__rule_hits') }} as rh
    inner join {{ ref('int_current_submissions') }} as c on rh.submission_id = c.submission_id
    where
        rh.severity = 'W'
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
    end as status
from (
    select * from annual_rules
    union all
    select * from warning_hits
) as u
