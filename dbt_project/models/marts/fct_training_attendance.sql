-- 参训事实表：当前报送表5每行，附表4培训信息
select * from {{ ref('int_training_attendance') }}
