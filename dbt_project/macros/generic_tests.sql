{# 组合唯一：若干列的组合在模型中唯一（不依赖 dbt_utils） #}
{% test unique_combination(model, combination_of_columns) %}
select {{ combination_of_columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endtest %}

{# 代码取值：列值须在种子 code_lists 的某个代码表中（NULL 不检查） #}
{% test in_code_list(model, column_name, list_id) %}
select {{ column_name }} as bad_value
from {{ model }}
where {{ column_name }} is not null
  and {{ column_name }} not in (
      select code from {{ ref('code_lists') }} where list_id = '{{ list_id }}'
  )
{% endtest %}

{# 指标编号须在种子 indicators 中 #}
{% test in_indicator_seed(model, column_name) %}
select {{ column_name }} as bad_value
from {{ model }}
where {{ column_name }} not in (select indicator_id from {{ ref('indicators') }})
{% endtest %}

{# 非空（一个模型的多列合并为一个查询，issue 17，D215）：所列各列均无 NULL；失败行给出列名与 NULL 行数。
   与逐列的 not_null 等价，但一次扫描、一个节点 #}
{% test not_null_columns(model, columns) %}
with null_counts as (
    select
    {%- for c in columns %}
        {{ count_if(c ~ ' is null') }} as n_{{ loop.index }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)
{%- for c in columns %}
select '{{ c }}' as null_column, n_{{ loop.index }} as null_rows from null_counts where n_{{ loop.index }} > 0
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{% endtest %}
