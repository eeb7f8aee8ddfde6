-- 党组织维度：每个党组织编码一行，取最近一个报告期当前报送表2中的信息
with ranked as (
    select
        p.*,
        row_number() over (partition by p.party_org_code order by p.period desc, p.unit_code) as rn,
        min(p.period) over (partition by p.party_org_code) as first_period,
        max(p.period) over (partition by p.party_org_code) as last_period
    from {{ ref('int_party_org_quarter') }} as p
)
select
    party_org_code,
    party_org_name,
    org_type,
    formation_mode,
    is_functional,
    established_on,
    unit_code,
    period as latest_period,
    first_period,
    last_period
from ranked
where rn = 1
