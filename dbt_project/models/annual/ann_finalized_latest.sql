{{ config(materialized='view') }}
-- 每年最新定稿版本的单元格（finalized.annual_cells，定稿存储不归 dbt 管理）；视图：定稿后无需重建即可读到
with latest as (
    select year, max(version) as version
    from {{ source('finalized', 'annual_versions') }}
    group by year
)
select c.*
from {{ source('finalized', 'annual_cells') }} as c
inner join latest as l on c.year = l.year and c.version = l.version
