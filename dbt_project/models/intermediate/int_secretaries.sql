-- 本年书记（K9/K9b 分母）：年份 × 社区 × 人员键（表2任一季度），附全区范围的受训标志
select distinct
    rh.year,
    rh.unit_code,
    rh.person_key,
    coalesce(tp.k9_trained, false) as k9_trained,
    coalesce(tp.k9b_trained, false) as k9b_trained
from {{ ref('int_role_holders') }} as rh
left join {{ ref('int_trained_persons') }} as tp
    on rh.year = tp.year and rh.person_key = tp.person_key
where rh.source_form = 'party_orgs'
