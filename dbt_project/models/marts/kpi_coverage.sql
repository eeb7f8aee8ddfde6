-- 覆盖指标宽表：N_U、N_B、N_E、K1–K6（各层级 × 报告期）
{{ pivot_indicators(['N_U', 'N_B', 'N_E', 'K1', 'K2', 'K3', 'K3b', 'K3b_joint', 'K3b_functional', 'K3b_none',
                        'K4', 'K5', 'K6_union', 'K6_youth', 'K6_women']) }}
