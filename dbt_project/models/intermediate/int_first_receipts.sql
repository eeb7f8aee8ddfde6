-- K20（D84）：名册社区 × 季度的**首份**已接收报送（按接收时间，其次更正序号）。接收时间以 UTC 存储，按 Asia/Shanghai
-- 取日期；历史补录（接收时标记 backfill）按其报出日期判断。以后的更正不会使按期报送变为逾期。
with subs as (
    select
        s.submission_id,
        s.unit_code,
        s.period,
        s.correction_no,
        s.received_at,
        s.submitted_on,
        coalesce({{ column_or_null(source('raw', 'submissions'), 's', 'backfill', dbt.type_boolean()) }}, false)
            as backfill,
        row_number() over (
            partition by s.unit_code, s.period order by s.received_at, s.correction_no, s.submission_id
        ) as rn
    from {{ source('raw', 'submissions') }} as s
    where
        s.outcome in ('accepted', 'accepted_with_warnings')
        and s.unit_code is not null
        and s.period is not null
)
select
    s.unit_code,
    s.period,
    s.submission_id,
    s.correction_no,
    s.received_at,
    cast(s.received_at + interval 8 hour as date) as received_on_shanghai,
    s.submitted_on,
    s.backfill,
    case when s.backfill then s.submitted_on else cast(s.received_at + interval 8 hour as date) end as judged_on,
    d.deadline,
    coalesce(
        case when s.backfill then s.submitted_on else cast(s.received_at + interval 8 hour as date) end
        <= d.deadline, false
    ) as on_time
from subs as s
left join {{ ref('deadlines') }} as d on s.period = d.period
where s.rn = 1
