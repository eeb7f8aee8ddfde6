-- 年报审核规则 A2（错误）：见 shared/spec/audit-rules.md；返回违规行
{{ a2_violations() }}
