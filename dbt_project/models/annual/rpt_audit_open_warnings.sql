-- 需要说明的问题：本年当前报送中的全部警告命中（社区、工作表、行、规则、说明），供年报审核结果页列出
select
    c.period_year as year,
    c.unit_code,
    d.unit_name as community_name,
    c.period,
    rh.sheet,
    rh.row as row_no,
    rh.column_header,
    rh.rule_id,
    rh.message,
    rh.submission_id
from {{ ref('stg_returns__rule_hits') }} as rh
inner join {{ ref('int_current_submissions') }} as c on rh.submission_id = c.submission_id
left join {{ ref('dim_community') }} as d on c.unit_code = d.unit_code
where
    rh.severity = 'W'
    and c.period_year in (select year from {{ ref('ann_community_years') }})
