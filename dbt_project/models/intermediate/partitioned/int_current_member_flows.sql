-- 当前报送的行：stg_returns__member_flows 中属于 int_current_submissions 的行
{{ current_rows('stg_returns__member_flows') }}
where {{ in_build_periods('c.period') }}
