-- 报告期维度：季度（YYYYQn）与年度（YYYY），含起止日期、报送截止日期、上一报告期
select * from {{ ref('int_periods') }}
