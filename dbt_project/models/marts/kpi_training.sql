-- 培训指标宽表：K9、K9b、K10、K11、K12（年度）
{{ pivot_indicators(['K9', 'K9b', 'K10', 'K11', 'K12']) }}
