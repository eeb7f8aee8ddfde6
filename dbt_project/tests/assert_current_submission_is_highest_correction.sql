{{ config(meta={'dagster': {'ref': {'name': 'int_current_submissions'}}}) }}
-- 当前报送是该社区该报告期已接收报送中更正序号最高的一份；拒收的报送从不成为当前报送
select c.*
from {{ ref('int_current_submissions') }} as c
inner join {{ ref('stg_returns__submissions') }} as s
    on c.unit_code = s.unit_code and c.period = s.period
where
    (s.outcome in ('accepted', 'accepted_with_warnings') and s.correction_no > c.correction_no)
    or c.outcome not in ('accepted', 'accepted_with_warnings')
