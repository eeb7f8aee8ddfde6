{{ config(meta={'dagster': {'ref': {'name': 'int_annual_unit_base'}}}) }}
-- 年报审核规则 A5（警告）：⌈联合覆盖单位数 ÷ 5⌉ ≤ 联合党支部数
{{ config(severity='warn') }}
{{ a5_violations() }}
