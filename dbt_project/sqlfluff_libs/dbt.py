"""dbt's cross-database macros as ``dbt.<name>()`` for sqlfluff's jinja templater.

Each returns the SQL the real macro renders on the DuckDB adapter (dbt-core's default__ implementations with
DuckDBColumn.translate_type), in the project's lower case: e.g. dbt.type_string() is ``text`` there ('TEXT').
"""


def type_string():
    return "text"


def type_int():
    return "integer"


def type_bigint():
    return "bigint"


def type_boolean():
    return "boolean"


def type_float():
    return "float"


def type_timestamp():
    return "timestamp"


def type_numeric():
    return "numeric(28,6)"


def concat(fields):
    return " || ".join(fields)


def safe_cast(field, type):  # noqa: A002 - dbt's parameter name
    return f"cast({field} as {type})"
