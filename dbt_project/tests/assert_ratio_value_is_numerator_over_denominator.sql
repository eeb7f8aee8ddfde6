-- 比率/均值指标：value = numerator / denominator（精确到 10 位小数，D81）；当且仅当分母为 0（或缺失）时 value 为 NULL。
-- 计数指标：value = numerator，denominator 为 NULL。
-- value 为 NULL 当且仅当 null_reason 非空：分子为 NULL 时为“未采集”（D83），否则分母为 0 时为“分母为0”。
select f.*
from {{ ref('fct_indicators') }} as f
where
    (f.value is null) <> (f.null_reason is not null)
    or (f.numerator is null and coalesce(f.null_reason, '') <> '未采集')
    or (f.numerator is not null and f.null_reason = '未采集')
    or (
        f.numerator is not null and f.kind in ('ratio', 'mean')
        and (
            ((f.denominator is null or f.denominator = 0) and (f.value is not null or f.null_reason <> '分母为0'))
            or (f.denominator <> 0 and f.value is null)
            or (f.denominator <> 0 and abs(f.value - cast(f.numerator as {{ type_double() }}) / f.denominator) > 1e-9)
        )
    ) or (
        f.numerator is not null and f.kind = 'count'
        and (f.denominator is not null or f.value is null or f.value <> f.numerator)
    )
