-- 社区季度指标（长表，未按 quarterly 标志筛选）：每个有当前报送的社区 × 季度 × 指标的分子、分母
{% set items = [
    ('M', 'm', none), ('N_U', 'n_u', none), ('N_B', 'n_b', none), ('N_E', 'n_e', none),
    ('K1', 'k1_num', 'n_b'), ('K2', 'k2_num', 'n_b'), ('K3', 'k3_num', 'n_e'),
    ('K3b', 'k3b', none), ('K3b_joint', 'k3b_joint', none), ('K3b_functional', 'k3b_functional', none),
    ('K3b_none', 'k3b_none', none),
    ('K4', 'k4_num', 'n_b'), ('K5', 'k5_num', 'k5_den'),
    ('K6_union', 'k6_union_num', 'n_b'), ('K6_youth', 'k6_youth_num', 'n_b'), ('K6_women', 'k6_women_num', 'n_b'),
    ('K7a', 'k7a', none), ('K7b', 'k7b', none), ('K7c', 'k7c', none), ('K7d', 'k7d', none),
    ('K7', 'k7a + k7b + k7c + k7d', none),
    ('K7q', 'k7a_ytd', 'quota'),
    ('K8', 'm - opening_sum', none), ('K8r', 'm - opening_sum', 'opening_sum'),
    ('K11', 'k11_num', 'k11_den'),
    ('K13', 'k13_num', 'k13_den'), ('K14a', 'k14a_num', 'k14_den'), ('K14b', 'k14b_num', 'k14_den'),
    ('K15', 'k15_num', 'k13_den'),
    ('K16', 'k16_num', 'k16_den'), ('K16m', 'k16m_num', 'k16_den'),
    ('K17', 'k17_num', 'k17_den'), ('K17f', 'k17f', none),
    ('K18', 'k18_num', 'k18_den'), ('K18b', 'k18b_num', 'k18_den'),
    ('K18c_in', 'k18c_in_num', 'k18_den'), ('K18c_out', 'k18c_out_num', 'k18c_out_den'),
    ('K19', 'k19_num', 'k19_den'),
    ('K18e', 'k18e', none), ('K21', 'k21_num', 'k21_den'), ('K23', 'k23_num', 'k16_den'),
] %}
with measures as (
    select
        m.*,
        sum(m.k7a) over (
            partition by m.unit_code, m.year order by m.quarter
            rows between unbounded preceding and current row
        ) as k7a_ytd,
        coalesce(q.quota, 0) as quota
    from {{ ref('int_community_quarter_measures') }} as m
    left join {{ ref('ref_development_quotas') }} as q
        on m.unit_code = q.unit_code and m.year = q.year
)
{% for id, num, den in items %}
    select
        '{{ id }}' as indicator_id,
        unit_code,
        period,
        year,
        quarter,
        cast({{ num }} as {{ dbt.type_bigint() }}) as numerator,
        cast({{ den if den else 'null' }} as {{ dbt.type_bigint() }}) as denominator
    from measures
    {% if not loop.last %}union all{% endif %}
{% endfor %}
