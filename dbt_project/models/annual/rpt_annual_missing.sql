-- 缺报清单（规则 A0）：每个年份中名册社区缺少当前报送的（社区，季度）；年报审核结果页列出
select
    cy.year,
    cy.unit_code,
    cy.unit_name,
    cy.street_name,
    {{ dbt.concat([dbt.safe_cast('cy.year', dbt.type_string()), "'Q'",
                   dbt.safe_cast('q.quarter', dbt.type_string())]) }} as quarter
from {{ ref('ann_community_years') }} as cy
cross join (
    select 1 as quarter
    union all
    select 2
    union all
    select 3
    union all
    select 4
) as q
where
    (q.quarter = 1 and not cy.has_q1)
    or (q.quarter = 2 and not cy.has_q2)
    or (q.quarter = 3 and not cy.has_q3)
    or (q.quarter = 4 and not cy.has_q4)
