-- 层级映射：每个社区属于自身（community）、所在街道（street）和区（district）
select 'community' as level, unit_code as entity_code, unit_name as entity_name, unit_code
from {{ ref('ref_communities') }}
union all
select 'street' as level, street_code as entity_code, street_name as entity_name, unit_code
from {{ ref('ref_communities') }}
union all
select 'district' as level, district_code as entity_code, district_name as entity_name, unit_code
from {{ ref('ref_communities') }}
