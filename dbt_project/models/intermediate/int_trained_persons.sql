-- 年度受训人员（全区）：K9 任职/集中培训（以书记身份）、K9b 参加非本党组织举办的培训
select
    year,
    person_key,
    max(case when role = '书记' and training_type in ('任职培训', '集中培训') then 1 else 0 end) = 1 as k9_trained,
    max(case when organizer_level <> '本党组织' then 1 else 0 end) = 1 as k9b_trained
from {{ ref('int_training_attendance') }}
where person_key is not null
group by year, person_key
