-- 年度受训人员（全区）：K9 以书记身份参加任职/集中培训；K9b 同上且主办层级为区级、街道或社区党总支（D44 修订）
select
    year,
    person_key,
    max(case when role = '书记' and training_type in ('任职培训', '集中培训') then 1 else 0 end) = 1 as k9_trained,
    max(case
        when
            role = '书记' and training_type in ('任职培训', '集中培训')
            and organizer_level in ('区级', '街道', '社区党总支') then 1
        else 0
    end) = 1 as k9b_trained
from {{ ref('fct_training_attendance') }}
where person_key is not null
group by year, person_key
