-- 本年任职人员：年份 × 社区 × 人员键 × 身份（表2书记，或表5参训身份）
select distinct
    period_year as year,
    unit_code,
    secretary_key as person_key,
    '书记' as role,
    'party_orgs' as source_form
from {{ ref('int_current_party_orgs') }}
where secretary_key is not null
union all
select distinct
    period_year as year,
    unit_code,
    person_key,
    role,
    'attendance' as source_form
from {{ ref('int_current_attendance') }}
where person_key is not null
