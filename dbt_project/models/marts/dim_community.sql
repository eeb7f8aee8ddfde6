-- 社区维度：名册（社区党总支）及所属街道、区
select
    c.unit_code,
    c.unit_name,
    c.street_code,
    c.street_name,
    c.district_code,
    c.district_name,
    c.sort_order,
    s.sort_order as street_sort_order
from {{ ref('ref_communities') }} as c
left join {{ ref('ref_streets') }} as s on c.street_code = s.street_code
