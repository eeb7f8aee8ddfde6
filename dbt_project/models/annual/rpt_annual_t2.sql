-- 年报表二 非公有制企业建立党组织情况：党建基数 B 中的非公有制企业（第四季度当前报送）；
-- 挂靠计入“已建立联合党支部的”；功能型与未建立一并计入“未建立党组织”；联合党支部数 = 被指向的党组织类别为联合党支部的党组织数，
-- 在控制类型列中归入信用代码最小的指向单位的控制类型（D46）。
{% set not_formed_few = "not_formed and members_formal < 3 and members_formal + members_probationary >= 1" %}
{{ formation_table(
    population="in_b and is_enterprise",
    columns=[
        ('total', '1 = 1'),
        ('employees_50_plus', 'employees >= 50'),
        ('employees_100_plus', 'employees >= 100'),
        ('legal_rep_member', 'legal_rep_member'),
        ('legal_rep_secretary', 'legal_rep_member and legal_rep_secretary'),
        ('private_control', "control_type = '私有经济控制'", true),
        ('hk_macao_taiwan_control', "control_type = '港澳台商经济控制'", true),
        ('foreign_control', "control_type = '外商经济控制'", true),
    ],
    lines=[
        (1, 'units', '单位数', 'sum', '1'),
        (2, 'instructor', '党建工作指导员联系的', 'sum', 'case when instructor then 1 else 0 end'),
        (3, 'formed_alone', '已单独建立党组织', 'sum', 'case when formed_alone then 1 else 0 end'),
        (4, 'alone_committee', '建立党委的', 'sum', 'case when alone_committee then 1 else 0 end'),
        (5, 'alone_general', '建立总支部的', 'sum', 'case when alone_general then 1 else 0 end'),
        (6, 'alone_branch', '建立支部的', 'sum', 'case when alone_branch then 1 else 0 end'),
        (7, 'formed_joint', '已建立联合党支部的', 'sum', 'case when formed_joint then 1 else 0 end'),
        (8, 'joint_3plus', '其中具有3名以上党员的', 'sum', 'case when formed_joint and members_formal >= 3 then 1 else 0 end'),
        (9, 'joint_orgs', '联合党支部数', 'distinct', "formed_joint and own_org_type = '联合党支部'"),
        (10, 'not_formed', '未建立党组织', 'sum', 'case when not_formed then 1 else 0 end'),
        (11, 'none_should', '应建尚未建立党组织的', 'sum', 'case when not_formed and members_formal >= 3 then 1 else 0 end'),
        (12, 'none_few', '仅有个别党员的', 'sum', 'case when ' ~ not_formed_few ~ ' then 1 else 0 end'),
        (13, 'none_zero', '没有党员的', 'sum', 'case when not_formed and members_formal + members_probationary = 0 then 1 else 0 end'),
        (14, 'employees', '补充：从业人员', 'sum', 'coalesce(employees, 0)'),
        (15, 'members', '补充：其中党员', 'sum', 'members_formal + members_probationary'),
    ]
) }}
