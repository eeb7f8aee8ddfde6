-- 组织生活与“六有”指标宽表：K13、K14a、K14b、K15、K15y、K16、K16m
{{ pivot_indicators(['K13', 'K14a', 'K14b', 'K15', 'K15y', 'K16', 'K16m']) }}
