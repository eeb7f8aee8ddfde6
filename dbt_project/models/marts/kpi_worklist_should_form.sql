-- 应建未建工作清单（K3b）：E 口径中未单独建立党组织的单位，按 联合中应单建 / 功能型 / 未建立 分类
select
    u.unit_code,
    c.unit_name,
    c.street_code,
    c.street_name,
    u.period,
    u.uscc,
    u.org_name,
    u.org_category,
    u.members_formal,
    u.members_probationary,
    u.party_status,
    u.status,
    case
        when u.party_status in ('联合建立', '挂靠') then 'K3b_joint'
        when u.party_status = '功能型' then 'K3b_functional'
        else 'K3b_none'
    end as split_indicator_id,
    case
        when u.party_status in ('联合建立', '挂靠') then '联合中应单建'
        when u.party_status = '功能型' then '功能型'
        else '未建立'
    end as split_category
from {{ ref('int_unit_status') }} as u
left join {{ ref('dim_community') }} as c on u.unit_code = c.unit_code
where
    u.in_e
    and u.party_status <> '单独建立'
