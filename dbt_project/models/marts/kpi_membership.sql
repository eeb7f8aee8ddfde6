-- 党员队伍（四个一批）指标宽表：M、K7a–K7d、K7、K7q、K8、K8r
{{ pivot_indicators(['M', 'K7a', 'K7b', 'K7c', 'K7d', 'K7', 'K7q', 'K8', 'K8r']) }}
