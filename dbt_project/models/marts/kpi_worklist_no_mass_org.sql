-- K6b 有党组织未建群团组织单位清单（kpis.md K6b，D92）：每个社区 × 季度，党建基数中已有党组织覆盖（单独建立、联合建立、
-- 挂靠）但工会、共青团、妇联都没有建立的单位，按名称列出（“已有党组织但没有群团组织的，要抓紧建立”）
select
    u.unit_code,
    c.unit_name,
    c.street_code,
    c.street_name,
    u.period,
    u.year,
    u.quarter,
    u.uscc,
    u.org_name,
    u.org_category,
    u.party_status,
    u.party_org_code,
    u.employees
from {{ ref('int_unit_status') }} as u
inner join {{ ref('dim_community') }} as c on u.unit_code = c.unit_code
where u.in_b and u.covered_k2 and not (u.has_union or u.has_youth_league or u.has_women_org)
