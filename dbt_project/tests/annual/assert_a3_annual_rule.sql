-- 年报审核规则 A3（错误）：见 shared/spec/audit-rules.md；返回违规行
{{ a3_violations() }}
