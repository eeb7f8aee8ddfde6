-- 年报行实体：每个年份 × 层级（区/街道/社区）× 名册中的实体（不论是否报送：未报的社区行留空，标“缺报”）。
-- has_q4：其下至少一个社区有第四季度报送（存量表有数）；complete：其下每个社区四个季度都有报送；
-- has_any：其下至少一个社区本年有报送。
with entities as (
    select
        cy.year,
        m.level,
        m.entity_code,
        max(m.entity_name) as entity_name,
        bool_or(cy.has_q4) as has_q4,
        bool_and(cy.complete) as complete,
        bool_and(cy.has_q1) as all_q1,
        bool_or(cy.has_q1 or cy.has_q2 or cy.has_q3 or cy.has_q4) as has_any,
        -- print order: each district, then its streets each followed by its communities (unique within a year,
        -- also for a city or province register with several districts)
        min(c.district_code) as district_key,
        case m.level when 'district' then 0 else min(c.street_sort_order) end as street_key,
        case m.level when 'district' then '' else min(c.street_code) end as street_code_key,
        case m.level when 'community' then min(c.sort_order) else 0 end as community_key
    from {{ ref('ann_community_years') }} as cy
    inner join {{ ref('int_entity_membership') }} as m on cy.unit_code = m.unit_code
    inner join {{ ref('dim_community') }} as c on cy.unit_code = c.unit_code
    group by cy.year, m.level, m.entity_code
)
select
    year, level, entity_code, entity_name, has_q4, complete, all_q1, has_any,
    -- row_number() is BIGINT in DuckDB, INT in Spark: the cast keeps the contract type on both
    cast(row_number() over (
        partition by year
        order by district_key, street_key, street_code_key, community_key, entity_code
    ) * 10 - 10 as {{ dbt.type_bigint() }}) as row_order  -- district 0, then steps of 10: 表一's category rows: 1, 2
from entities
