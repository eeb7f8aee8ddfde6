{{ config(alias='dashboard_parameters') }}
{#-
  看板参数（表 ref.dashboard_parameters）：种子 dashboard_parameters（表 ref.dashboard_parameters_seed）原样发布，
  供看板读取报送完整阈值（服务契约，D140）。
-#}
select * from {{ ref('dashboard_parameters') }}
