-- 当前报送：每个社区（unit_code）每个报告期，已接收（含有警告）报送中更正序号最高的一份
with accepted as (
    select
        s.*,
        row_number() over (
            partition by s.unit_code, s.period
            order by s.correction_no desc, s.received_at desc, s.submission_id
        ) as rn
    from {{ ref('stg_returns__submissions') }} as s
    where
        s.outcome in ('accepted', 'accepted_with_warnings')
        and s.unit_code is not null
        and s.period is not null
        and s.period_year is not null
)
select
    submission_id,
    unit_code,
    unit_name,
    period,
    period_year,
    period_quarter,
    correction_no,
    correction_reason,
    template_version,
    outcome,
    warning_count,
    received_at,
    submitted_on
from accepted
where rn = 1
