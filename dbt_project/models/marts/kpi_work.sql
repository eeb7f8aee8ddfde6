-- 工作与人员指标宽表（kpis.md “Work and people”）：K6b、K21、K22、K22w、K23、K24
{{ pivot_indicators(['K6b', 'K21', 'K22', 'K22w', 'K23', 'K24']) }}
