{{ config(alias='indicators') }}
{#-
  指标目录（表 ref.indicators）：种子 indicators（表 ref.indicators_seed）原样发布。看板、Superset 与
  liangxin sql 读这张表（服务契约，D140）；种子本身不发布。
-#}
select * from {{ ref('indicators') }}
