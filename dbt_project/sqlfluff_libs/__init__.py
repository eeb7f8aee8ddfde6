"""Stand-ins for dbt's compile-time context, for sqlfluff's jinja templater only (see .sqlfluff, docs/internals.md).

sqlfluff's jinja templater (``apply_dbt_builtins = True``) supplies ``ref``, ``source``, ``config``, ``var``, ``this``
and ``is_incremental``; it does not know dbt's ``return``, ``execute``, ``env_var``, ``run_query``, ``adapter``,
``target`` or the cross-database macros (``dbt.type_string()`` …, in ``dbt.py`` beside this file).  Every name at the
top level of this package becomes a variable of the template context; nothing here is used by dbt itself.

``execute`` is false, as in dbt's parse phase: the macros that look at the warehouse at compile time
(``relation_has_column``, ``column_or_null``, ``development_quotas_path``) take their offline branch, so linting
needs no database.
"""

import os

import jinja2.runtime


class _MacroReturn(Exception):
    """Raised by ``return(value)``; carries the value out of the macro, as dbt's MacroReturn does."""

    _liangxin_return = True

    def __init__(self, value):
        super().__init__()
        self.value = value


def _return(value):
    raise _MacroReturn(value)


# dbt's ``{{ return(x) }}`` makes the calling macro's value ``x`` (a dict, a bool …) instead of its rendered text; dbt
# catches its exception around every macro call.  Plain jinja has no such hook, so the macro call is wrapped here —
# inside the sqlfluff process only.  sqlfluff executes this module again for every file it lints, so the wrapper
# is installed once (marked by an attribute), not stacked; each execution defines a new _MacroReturn, so the wrapper
# recognises the exception by that marker attribute rather than by class.
if not getattr(jinja2.runtime.Macro._invoke, "_liangxin_return", False):
    _invoke = jinja2.runtime.Macro._invoke

    def _invoke_with_return(self, arguments, autoescape):
        try:
            return _invoke(self, arguments, autoescape)
        except Exception as exc:
            if getattr(exc, "_liangxin_return", False):
                return exc.value
            raise

    _invoke_with_return._liangxin_return = True
    jinja2.runtime.Macro._invoke = _invoke_with_return

globals()["return"] = _return  # ``return`` is a Python keyword: it can only be set this way

execute = False


def var(name, default=None):
    """dbt's var: no --vars while linting, so the default (the register-less build, as in a plain dbt run)."""
    return default


def env_var(name, default=""):
    """dbt's env_var: the environment, else the default (the register-less build when unset)."""
    return os.environ.get(name, default)


def run_query(sql):  # only reached when execute is true
    raise RuntimeError("run_query is not available while linting (execute is false)")


class _Target:
    type = "duckdb"
    name = "dev"
    schema = "main"
    database = "build"


target = _Target()


def _exact_ratio(num, den):
    return (
        f"case when {den} is null or {den} = 0 or {num} is null then null else cast(sign({num}) * "
        f"((abs(cast({num} as hugeint)) * 20000000000 + abs({den})) // (2 * abs({den}))) * sign({den}) "
        "as decimal(38, 0)) * cast(0.0000000001 as decimal(11, 10)) end"
    )


# adapter.dispatch (issue 18, docs/scale-out.md): the DuckDB (default__) rendering of the project's dispatched
# macros, since this templater cannot look up default__<name> in the project's macro files
_DISPATCH_DEFAULTS = {
    "type_double": lambda: "double precision",
    "exact_ratio": _exact_ratio,
    "string_agg_ordered": lambda expr, sep, order_by: f"string_agg({expr}, {sep} order by {order_by})",
    "raw_layer_tables": lambda: "",
    "annual_finalized_storage": lambda: "",
}


class _Adapter:
    def get_columns_in_relation(self, relation):  # only reached when execute is true
        return []

    def dispatch(self, name, macro_namespace=None):  # noqa: ARG002
        return _DISPATCH_DEFAULTS[name]


adapter = _Adapter()


def type_double():
    """Project macro type_double() (macros/params.sql) for the macros of files loaded before params.sql.

    sqlfluff binds each macro file to the context as it stood when that file was loaded (alphabetical order), so
    annual_rules.sql would not see params.sql's type_double; the models themselves get the project macro.
    """
    return "double precision"
