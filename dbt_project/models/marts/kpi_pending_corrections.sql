-- P6 待更正清单（audit-rules.md P6；D95）：某社区 q 季度的当前报送是一份更正（更正序号 > 0），而其 q+1 季度的当前报送中
-- 某党组织的期初党员数 ≠ 更正后 q 季度该党组织的期末实有数（q 中没有的党组织按 0 计）。每个这样的党组织一行，
-- 直到 q+1 季度的一份更正使二者一致（清单按当前报送计算，更正被接收后该行自然消失）。
with subs as (
    select * from {{ ref('int_current_submissions') }}
),
quarters as (
    select period, previous_period from {{ ref('dim_period') }} where period_type = 'quarter'
),
pairs as (
    select
        later.unit_code,
        q.period,
        q.previous_period,
        later.submission_id as later_submission_id,
        later.correction_no as later_correction_no,
        later.received_at as later_received_at,
        corr.submission_id as correction_submission_id,
        corr.correction_no,
        corr.correction_reason,
        corr.received_at as correction_received_at
    from subs as later
    inner join quarters as q on later.period = q.period
    inner join subs as corr
        on corr.unit_code = later.unit_code and corr.period = q.previous_period
    where corr.correction_no > 0
),
later_rows as (
    select submission_id, party_org_code, opening from {{ ref('int_current_member_flows') }}
),
closing_rows as (
    select submission_id, party_org_code, closing_actual from {{ ref('int_current_member_flows') }}
),
names as (
    select submission_id, party_org_code, party_org_name from {{ ref('int_current_party_orgs') }}
)
select
    p.unit_code,
    c.unit_name,
    c.street_code,
    c.street_name,
    p.period,
    p.previous_period,
    l.party_org_code,
    n.party_org_name,
    l.opening as opening_reported,
    coalesce(k.closing_actual, 0) as closing_corrected,
    coalesce(l.opening, 0) - coalesce(k.closing_actual, 0) as difference,
    p.later_submission_id,
    p.later_correction_no,
    p.later_received_at,
    p.correction_submission_id,
    p.correction_no,
    p.correction_reason,
    p.correction_received_at
from pairs as p
inner join later_rows as l on l.submission_id = p.later_submission_id
left join closing_rows as k
    on k.submission_id = p.correction_submission_id and k.party_org_code = l.party_org_code
left join names as n on n.submission_id = p.later_submission_id and n.party_org_code = l.party_org_code
inner join {{ ref('dim_community') }} as c on p.unit_code = c.unit_code
where coalesce(l.opening, -1) <> coalesce(k.closing_actual, 0)
