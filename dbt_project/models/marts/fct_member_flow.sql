-- 党员队伍变动事实表：当前报送表3每行（社区 × 季度 × 党组织），功能型党组织已标出
select * from {{ ref('int_member_flow') }}
