-- 党员队伍（四个一批）指标宽表：M、K7a–K7d、K7、K7e–K7g（2021.1 起采集；此前为空，原因见 *_null_reason）、K7q、K8、K8r
{{ pivot_indicators(['M', 'K7a', 'K7b', 'K7c', 'K7d', 'K7', 'K7e', 'K7f', 'K7g', 'K7q', 'K8', 'K8r'],
                        reasons=['K7e', 'K7f', 'K7g']) }}
