-- 年报表三 社会组织建立党组织情况 [national 30]：总体 = U 中全部社会组织（第四季度当前报送），另列“其中：列入党建基数的”。
-- 仅有功能型党组织的单位不算组织覆盖：计入“未建立党组织”（按党员数分入三类），并在“其中建立功能型党组织的”再计一次。
-- 联合党组织数 = 覆盖至少一个本表社会组织的联合组建方式党组织数；同时覆盖企业的联合党组织在表二也计，由表九与 A8 对账。
{% set threshold = kpi_param('eligible_min_formal_members', dbt.type_int()) %}
{% set not_formed_few = "not_formed and not formal_at_threshold and members_formal + members_probationary >= 1" %}
{{ formation_table(
    population="in_u and is_social",
    columns=[
        ('total', '1 = 1'),
        ('in_base', 'in_b'),
        ('social_group', "org_category = '社会团体'", true),
        ('foundation', "org_category = '基金会'", true),
        ('private_non_enterprise', "org_category = '民办非企业单位'", true),
        ('law_firm', "org_category = '律师事务所'", true),
        ('accounting_firm', "org_category = '会计师事务所'", true),
        ('tax_firm', "org_category = '税务师事务所'", true),
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
        (14, 'none_instructor', "'已派党建工作指导员的'", 'sum', 'case when not_formed and instructor then 1 else 0 end'),
        (15, 'none_functional', "'其中建立功能型党组织的'", 'sum', "case when party_status = '功能型' then 1 else 0 end"),
        (16, 'employees', "'补充：从业人员'", 'sum', 'coalesce(employees, 0)'),
        (17, 'members', "'补充：党员'", 'sum', 'members_formal + members_probationary'),
        (18, 'members_elsewhere', "'补充：其中未转入组织关系的'", 'sum', 'members_relation_elsewhere'),
    ]
) }}
