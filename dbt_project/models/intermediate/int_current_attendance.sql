-- 当前报送的行：stg_returns__attendance 中属于 int_current_submissions 的行（按报告期增量：只重算本次构建的报告期，D210）
{{ config(
    materialized=period_partitioned_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_build_periods() }}"
) }}
{{ current_rows('stg_returns__attendance') }}
where {{ in_build_periods('c.period') }}
