-- 党员队伍变动事实表：当前报送表3的每一行，附表2组建方式（功能型党组织不计入党员数，D4）
select
    mf.unit_code,
    mf.period,
    mf.period_year as year,
    mf.period_quarter as quarter,
    mf.submission_id,
    mf.source_row,
    mf.party_org_code,
    po.formation_mode,
    (coalesce(po.formation_mode, '') = '功能型') as is_functional,
    mf.opening, mf.developed, mf.restored, mf.transferred_in, mf.in_mobile, mf.in_whole_unit,
    mf.exited, mf.suspended, mf.deceased, mf.transferred_out, mf.out_whole_unit,
    mf.closing_should, mf.closing_actual, mf.revealed, mf.absorbed, mf.difference_note
from {{ ref('int_current_member_flows') }} as mf
left join {{ ref('int_current_party_orgs') }} as po
    on
        mf.submission_id = po.submission_id
        and mf.party_org_code = po.party_org_code
