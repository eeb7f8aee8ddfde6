-- K12 场次：年份 × 社区 × 培训编号（主办层级 = 区级，培训类型 ∈ {任职培训, 集中培训}）
select distinct
    period_year as year,
    unit_code,
    training_code
from {{ ref('int_current_trainings') }}
where
    organizer_level = '区级'
    and training_type in ('任职培训', '集中培训')
