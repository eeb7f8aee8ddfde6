-- fct_reporting_coverage 自洽：0 ≤ 已报 ≤ 应报；应报 = 名册社区数；区、街道的已报 = 其下社区已报之和；
-- 季度的已报 = 名册社区中本期有当前报送的社区数。返回的每一行都是一处不一致。
with cov as (
    select * from {{ ref('fct_reporting_coverage') }}
),
register as (
    select level, entity_code, count(*) as n from {{ ref('int_entity_membership') }} group by level, entity_code
),
community_sum as (
    select m.level, m.entity_code, c.period, sum(c.reported_communities) as n
    from cov as c
    inner join {{ ref('int_entity_membership') }} as m on c.entity_code = m.unit_code
    where c.level = 'community'
    group by m.level, m.entity_code, c.period
),
current_count as (  -- per district of the register (a city or province register has several)
    select m.entity_code, s.period, count(distinct s.unit_code) as n
    from {{ ref('int_current_submissions') }} as s
    inner join {{ ref('int_entity_membership') }} as m on s.unit_code = m.unit_code and m.level = 'district'
    group by m.entity_code, s.period
)
select c.level, c.entity_code, c.period, 'bounds' as problem
from cov as c
where c.reported_communities < 0 or c.reported_communities > c.expected_communities
union all
select c.level, c.entity_code, c.period, 'register'
from cov as c
left join register as r on c.level = r.level and c.entity_code = r.entity_code
where r.n is null or r.n <> c.expected_communities
union all
select c.level, c.entity_code, c.period, 'rollup'
from cov as c
left join community_sum as s on c.level = s.level and c.entity_code = s.entity_code and c.period = s.period
where s.n is null or s.n <> c.reported_communities
union all
select c.level, c.entity_code, c.period, 'current'
from cov as c
left join current_count as q on c.entity_code = q.entity_code and c.period = q.period
where c.level = 'district' and c.period_type = 'quarter' and coalesce(q.n, 0) <> c.reported_communities
