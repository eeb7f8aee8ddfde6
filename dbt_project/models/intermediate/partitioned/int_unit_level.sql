-- 各层级的单位口径（D80，kpis.md“跨社区计数”）：层级（社区/街道/区）× 实体 × 季度 × 统一社会信用代码，每个 U 内单位一行。
-- 两个社区当前报送都列为存续的同一单位（规则 I3）在各自社区各计一次，在街道、区只计一次：取社区编码最小的那一行。
with u as (
    select * from {{ ref('int_unit_status') }} where in_u and {{ in_build_periods('period') }}
),
ranked as (
    select
        m.level,
        m.entity_code,
        u.*,
        row_number()
            over (partition by m.level, m.entity_code, u.period, u.uscc order by u.unit_code, u.source_row)
            as rn
    from u
    inner join {{ ref('int_entity_membership') }} as m on u.unit_code = m.unit_code
)
-- the columns of int_unit_status by name (not `* exclude (rn)`, which Spark SQL lacks): same columns, same order
{%- set unit_cols = adapter.get_columns_in_relation(ref('int_unit_status')) | map(attribute='name') | list
    if execute else [] %}
select
    level,
    entity_code{% for c in unit_cols %},
    {{ c }}{% endfor %}
from ranked
where rn = 1
