{{ config(materialized='view') }}
-- 更正对照表：已定稿年份中，最新定稿版本与当前单元格不同的每个单元格（表号、行、列、定稿值、当前值），
-- 附造成差异的报送——定稿之后接收的、属于该行实体（社区本身，或街道、区下属社区）本年的最新当前报送。
-- 视图：定稿（finalized 模式，不归 dbt 管理）后立即反映，无需重建。
with versions as (
    select year, max(version) as version from {{ source('finalized', 'annual_versions') }} group by year
),
latest as (
    select v.year, v.version, a.finalized_at
    from versions as v
    inner join {{ source('finalized', 'annual_versions') }} as a on a.year = v.year and a.version = v.version
),
fin as (
    select c.*, l.finalized_at
    from {{ source('finalized', 'annual_cells') }} as c
    inner join latest as l on c.year = l.year and c.version = l.version
),
cur as (
    select c.* from {{ ref('rpt_annual_cells') }} as c where c.year in (select year from latest)
),
diff as (
    select
        coalesce(f.year, c.year) as year,
        l.version as finalized_version,
        l.finalized_at,
        coalesce(f.table_no, c.table_no) as table_no,
        coalesce(f.row_order, c.row_order) as row_order,
        coalesce(f.row_label, c.row_label) as row_label,
        coalesce(f.level, c.level) as level,
        coalesce(f.entity_code, c.entity_code) as entity_code,
        coalesce(f.col_order, c.col_order) as col_order,
        coalesce(f.col_group, c.col_group) as col_group,
        coalesce(f.col_label, c.col_label) as col_label,
        f.value as finalized_value,
        c.value as current_value
    from fin as f
    full outer join cur as c
        on
            f.year = c.year and f.table_no = c.table_no and f.row_label = c.row_label
            and f.col_group = c.col_group and f.col_label = c.col_label
    inner join latest as l on l.year = coalesce(f.year, c.year)
    where
        (f.value is null) <> (c.value is null)
        or abs(f.value - c.value) > 1e-9
),
later as (
    select s.submission_id, s.unit_code, s.period, s.period_year, s.correction_no, s.received_at
    from {{ ref('int_current_submissions') }} as s
),
candidates as (
    select
        d.year, d.table_no, d.row_label, d.col_group, d.col_label,
        s.submission_id, s.unit_code, s.period, s.correction_no,
        row_number() over (
            partition by d.year, d.table_no, d.row_label, d.col_group, d.col_label
            order by s.received_at desc, s.submission_id
        ) as rn
    from diff as d
    inner join later as s
        on s.period_year = d.year and s.received_at > d.finalized_at
    -- membership as a join, not a correlated IN in the join condition (Spark cannot plan a subquery that
    -- references both join inputs); (level, entity_code, unit_code) is unique in int_entity_membership
    left join {{ ref('int_entity_membership') }} as m
        on m.level = d.level and m.entity_code = d.entity_code and m.unit_code = s.unit_code
    where d.level = 'category' or m.unit_code is not null
)
select
    d.year,
    d.finalized_version,
    d.table_no,
    d.row_order,
    d.row_label,
    d.level,
    d.entity_code,
    d.col_order,
    d.col_group,
    d.col_label,
    d.finalized_value,
    d.current_value,
    c.submission_id as causing_submission_id,
    c.unit_code as causing_unit_code,
    c.period as causing_period,
    c.correction_no as causing_correction_no
from diff as d
left join candidates as c
    on
        c.rn = 1 and c.year = d.year and c.table_no = d.table_no and c.row_label = d.row_label
        and c.col_group = d.col_group and c.col_label = d.col_label
