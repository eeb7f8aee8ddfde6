-- 年报表五 党务干部和出资人培训情况：行 = 区、各街道、各社区（年度）。
-- 书记人数、参训书记人数、覆盖率取 K9（按人去重）；上级集中培训取 K9b；出资人培训覆盖率取 K11；
-- 副书记/党务工作者、出资人参训人数 = 本层级报送表5中该身份的不同人员数；社区办班次数 = 主办层级为社区党总支的不同培训；
-- 培训人次 = 表5行数；培训学时 = Σ 每人次的学时（人次 × 学时）。社区缺任一季度报表时该社区行为空（缺报），街道、区为已报部分。
-- 出资人参训人数（按参训记录，表5 身份为出资人的不同人员）与 出资人培训覆盖率（按单位填报，K11）口径不同，列名注明。
with ent as (
    select
        year, level, entity_code, entity_name, row_order,
        (complete and level = 'community') or (has_any and level <> 'community') as available
    from {{ ref('ann_entities') }}
),
mem as (
    select * from {{ ref('int_entity_membership') }}
),
ind as (
    select
        level, entity_code, period,
        max(case when indicator_id = 'K9' then denominator end) as secretaries,
        max(case when indicator_id = 'K9' then numerator end) as secretaries_trained,
        max(case when indicator_id = 'K9' then value end) as secretary_coverage,
        max(case when indicator_id = 'K9b' then numerator end) as secretaries_trained_above,
        max(case when indicator_id = 'K11' then value end) as investor_coverage
    from {{ ref('fct_indicators') }}
    where indicator_id in ('K9', 'K9b', 'K11') and period_type = 'year'
    group by level, entity_code, period
),
att as (
    select
        m.level, m.entity_code, a.year,
        count(distinct case when a.role in ('副书记', '党务工作者') then a.person_key end) as deputies_workers_trained,
        count(distinct case when a.role = '出资人' then a.person_key end) as investors_trained,
        count(*) as person_times,
        sum(coalesce(a.hours, 0)) as person_hours
    from {{ ref('fct_training_attendance') }} as a
    inner join mem as m on a.unit_code = m.unit_code
    group by m.level, m.entity_code, a.year
),
classes as (
    select
        m.level, m.entity_code, t.period_year as year,
        count(
            distinct case
                when t.training_type = '党务干部培训' then {{ dbt.concat(['t.unit_code', "'|'", 't.training_code']) }}
            end
        )
            as community_cadre_classes,
        count(
            distinct case
                when t.training_type = '出资人培训' then {{ dbt.concat(['t.unit_code', "'|'", 't.training_code']) }}
            end
        )
            as community_investor_classes
    from {{ ref('int_current_trainings') }} as t
    inner join mem as m on t.unit_code = m.unit_code
    where t.organizer_level = '社区党总支'
    group by m.level, m.entity_code, t.period_year
)
select
    e.year, e.level, e.entity_code, e.entity_name, e.row_order,
    case when e.available then cast(coalesce(i.secretaries, 0) as {{ dbt.type_bigint() }}) end as secretaries,
    case when e.available then cast(coalesce(i.secretaries_trained, 0) as {{ dbt.type_bigint() }}) end
        as secretaries_trained,
    case when e.available then i.secretary_coverage end as secretary_coverage,
    case when e.available then cast(coalesce(i.secretaries_trained_above, 0) as {{ dbt.type_bigint() }}) end
        as secretaries_trained_above,
    case when e.available then cast(coalesce(a.deputies_workers_trained, 0) as {{ dbt.type_bigint() }}) end
        as deputies_workers_trained,
    case when e.available then cast(coalesce(a.investors_trained, 0) as {{ dbt.type_bigint() }}) end
        as investors_trained,
    case when e.available then i.investor_coverage end as investor_coverage,
    case when e.available then cast(coalesce(c.community_cadre_classes, 0) as {{ dbt.type_bigint() }}) end
        as community_cadre_classes,
    case when e.available then cast(coalesce(c.community_investor_classes, 0) as {{ dbt.type_bigint() }}) end
        as community_investor_classes,
    case when e.available then cast(coalesce(a.person_times, 0) as {{ dbt.type_bigint() }}) end as person_times,
    case when e.available then cast(coalesce(a.person_hours, 0) as {{ type_double() }}) end as person_hours
from ent as e
left join
    ind as i
    on e.level = i.level and e.entity_code = i.entity_code and cast(e.year as {{ dbt.type_string() }}) = i.period
left join att as a on e.level = a.level and e.entity_code = a.entity_code and e.year = a.year
left join classes as c on e.level = c.level and e.entity_code = c.entity_code and e.year = c.year
