-- K10 社区办班（D82）：名册社区 × 完整年份，该社区本年是否**主办**了党务干部培训和出资人培训。
-- 主办层级 = 社区党总支的培训属于其主办社区：主办单位编码（LX-Q-2021.1）；编码为空（早期模板）时为名称等于主办单位的
-- 名册社区；都不匹配则不属于任何社区。培训出现在哪个社区的报送中无关紧要：列为参加不计入列出的社区。
with ev as (
    select distinct
        t.period_year as year,
        t.training_type,
        t.organizer,
        nullif(trim({{ column_or_null(ref('int_current_trainings'), 't', 'organizer_code', dbt.type_string()) }}), '')
            as organizer_code
    from {{ ref('int_current_trainings') }} as t
    where
        t.organizer_level = '社区党总支'
        and t.training_type in ('党务干部培训', '出资人培训')
),
owners as (
    select e.year, e.training_type, c.unit_code
    from ev as e
    inner join {{ ref('ref_communities') }} as c
        on
            (e.organizer_code is not null and c.unit_code = e.organizer_code)
            or (e.organizer_code is null and c.unit_name = e.organizer)
),
years as (
    select year from {{ ref('dim_period') }} where period_type = 'year'
)
select
    c.unit_code,
    y.year,
    coalesce(count(distinct o.training_type) = 2, false) as passes
from {{ ref('ref_communities') }} as c
cross join years as y
left join owners as o on c.unit_code = o.unit_code and y.year = o.year
group by c.unit_code, y.year
