-- 年报行实体：每个年份 × 层级（区/街道/社区）× 名册中的实体（不论是否报送：未报的社区行留空，标“缺报”）。
-- has_q4：其下至少一个社区有第四季度报送（存量表有数）；complete：其下每个社区四个季度都有报送；
-- has_any：其下至少一个社区本年有报送。
select
    cy.year,
    m.level,
    m.entity_code,
    max(m.entity_name) as entity_name,
    bool_or(cy.has_q4) as has_q4,
    bool_and(cy.complete) as complete,
    bool_or(cy.has_q1 or cy.has_q2 or cy.has_q3 or cy.has_q4) as has_any,
    min(case
        when m.level = 'district' then 0
        when m.level = 'street' then c.street_sort_order * 1000
        else c.street_sort_order * 1000 + c.sort_order
    end) as row_order
from {{ ref('ann_community_years') }} as cy
inner join {{ ref('int_entity_membership') }} as m on cy.unit_code = m.unit_code
inner join {{ ref('dim_community') }} as c on cy.unit_code = c.unit_code
group by cy.year, m.level, m.entity_code
