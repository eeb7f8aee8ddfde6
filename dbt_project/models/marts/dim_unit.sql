-- 两新组织单位维度：每个统一社会信用代码一行，取最近一个报告期当前报送中的信息
with ranked as (
    select
        u.*,
        row_number() over (partition by u.uscc order by u.period desc, u.unit_code) as rn,
        min(u.period) over (partition by u.uscc) as first_period,
        max(u.period) over (partition by u.uscc) as last_period
    from {{ ref('int_unit_status') }} as u
)
select
    uscc,
    org_name,
    org_category,
    control_type,
    industry_section,
    is_enterprise,
    is_social,
    unit_code,
    period as latest_period,
    party_status,
    status,
    first_period,
    last_period
from ranked
where rn = 1
