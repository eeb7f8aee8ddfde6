-- 年报表二 非公有制企业建立党组织情况 [national 27]：总体 = U 中全部非公有制企业（第四季度当前报送），
-- 另列“其中：列入党建基数的”（B），使 K1、K2 可从同一张表读出。挂靠计入“已建立联合党组织的（含挂靠）”；
-- 功能型与未建立一并计入“未建立党组织”（企业报功能型时 R16 警告）。门槛来自种子（kpi_parameters、annual_parameters）。
-- 联合党组织数 = 覆盖至少一个本表企业的联合组建方式党组织数（不是单位数），控制类型列中归入信用代码最小的指向单位（D46）。
{% set threshold = kpi_param('eligible_min_formal_members', dbt.type_int()) %}
{% set not_formed_few = "not_formed and not formal_at_threshold and members_formal + members_probationary >= 1" %}
{{ formation_table(
    population="in_u and is_enterprise",
    columns=[
        ('total', '1 = 1'),
        ('in_base', 'in_b'),
        ('employees_50_plus', 'employees >= ' ~ annual_param('t2_employees_large')),
        ('employees_100_plus', 'employees >= ' ~ annual_param('t2_employees_larger')),
        ('legal_rep_member', 'legal_rep_member'),
        ('legal_rep_secretary', 'legal_rep_member and legal_rep_secretary'),
        ('private_control', "control_type = '私有经济控制'", true),
        ('hk_macao_taiwan_control', "control_type = '港澳台商经济控制'", true),
        ('foreign_control', "control_type = '外商经济控制'", true),
    ],
    lines=[
        (1, 'units', "'单位数'", 'sum', '1'),
        (2, 'instructor', "'党建工作指导员联系的'", 'sum', 'case when instructor then 1 else 0 end'),
        (3, 'formed_alone', "'已单独建立党组织'", 'sum', 'case when formed_alone then 1 else 0 end'),
        (4, 'alone_committee', "'建立党委的'", 'sum', 'case when alone_committee then 1 else 0 end'),
        (5, 'alone_general', "'建立总支部的'", 'sum', 'case when alone_general then 1 else 0 end'),
        (6, 'alone_branch', "'建立支部的'", 'sum', 'case when alone_branch then 1 else 0 end'),
        (7, 'formed_joint', "'已建立联合党组织的（含挂靠）'", 'sum', 'case when formed_joint then 1 else 0 end'),
        (8, 'joint_3plus', dbt.concat(["'其中具有'", dbt.safe_cast(threshold, dbt.type_string()), "'名以上正式党员的'"]), 'sum', 'case when formed_joint and formal_at_threshold then 1 else 0 end'),
        (9, 'joint_orgs', "'联合党组织数'", 'distinct', "org_joint_mode and party_org_code is not null"),
        (10, 'not_formed', "'未建立党组织'", 'sum', 'case when not_formed then 1 else 0 end'),
        (11, 'none_should', "'应建尚未建立党组织的'", 'sum', 'case when not_formed and formal_at_threshold then 1 else 0 end'),
        (12, 'none_few', "'仅有个别党员的'", 'sum', 'case when ' ~ not_formed_few ~ ' then 1 else 0 end'),
        (13, 'none_zero', "'没有党员的'", 'sum', 'case when not_formed and members_formal + members_probationary = 0 then 1 else 0 end'),
        (14, 'employees', "'补充：从业人员'", 'sum', 'coalesce(employees, 0)'),
        (15, 'members', "'补充：其中党员'", 'sum', 'members_formal + members_probationary'),
        (16, 'applicants', "'补充：入党申请人'", 'sum', 'applicants'),
        (17, 'activists', "'补充：入党积极分子'", 'sum', 'activists'),
    ]
) }}
