-- 比率/均值指标：value = numerator / denominator；当且仅当分母为 0（或缺失）时 value 为 NULL。
-- 计数指标：value = numerator，denominator 为 NULL。
select f.*
from {{ ref('fct_indicators') }} as f
where (
    f.kind in ('ratio', 'mean')
    and (
        ((f.denominator is null or f.denominator = 0) and f.value is not null)
        or (f.denominator <> 0 and f.value is null)
        or (f.denominator <> 0 and abs(f.value - cast(f.numerator as {{ type_double() }}) / f.denominator) > 1e-9)
    )
) or (
    f.kind = 'count'
    and (f.denominator is not null or f.value is null or f.value <> f.numerator)
)
