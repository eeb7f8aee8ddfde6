-- 参训事实表：当前报送表5的每一行，附同一报送表4的主办层级、培训类型、学时
select
    a.unit_code,
    a.period,
    a.period_year as year,
    a.period_quarter as quarter,
    a.submission_id,
    a.source_row,
    a.training_code,
    a.person_key,
    a.person_birth_year,
    a.person_sex,
    a.role,
    a.party_org_code,
    a.uscc,
    t.training_name,
    t.organizer_level,
    t.organizer,
    t.training_type,
    t.start_on,
    t.end_on,
    t.hours
from {{ ref('int_current_attendance') }} as a
left join {{ ref('int_current_trainings') }} as t
    on
        a.submission_id = t.submission_id
        and a.training_code = t.training_code
