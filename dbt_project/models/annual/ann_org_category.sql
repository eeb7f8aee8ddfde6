-- 表一、表四的类别行：党组织本年的类别固定为其本年最后一份（有单位指向它的）当前报送中所覆盖单位的多数类别
-- （社会组织多于非公有制企业时为 social，否则——含持平与无单位指向——为 enterprise），年内不随单位构成变化而换行。
with cov as (
    select
        u.year,
        u.unit_code,
        u.party_org_code,
        u.quarter,
        sum(case when u.is_social then 1 else 0 end) as n_social,
        sum(case when u.is_social then 0 else 1 end) as n_enterprise
    from {{ ref('int_unit_status') }} as u
    where u.party_org_code is not null and u.party_org_code <> ''
    group by u.year, u.unit_code, u.party_org_code, u.quarter
),
ranked as (
    select c.*, row_number() over (partition by c.year, c.unit_code, c.party_org_code order by c.quarter desc) as rn
    from cov as c
)
select
    year,
    unit_code,
    party_org_code,
    quarter as decided_by_quarter,
    n_social,
    n_enterprise,
    case when n_social > n_enterprise then 'social' else 'enterprise' end as category
from ranked
where rn = 1
