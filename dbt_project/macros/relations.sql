{#
  ref() and source() without the database (catalog) part.

  dbt-duckdb names relations "<catalog>"."<schema>"."<table>", where the catalog is the database file's stem
  ("build" for build.duckdb).  Views keep that text, so in the serving copy (serve.duckdb, catalog "serve")
  every view would fail with 'Catalog "build" does not exist'.  Leaving the catalog out makes the SQL resolve
  in whichever database file it is read from — and is what a PostgreSQL target expects anyway.
#}
{% macro ref() -%}
  {%- set rel = builtins.ref(*varargs, **kwargs) -%}
  {%- if rel is string -%}{{ return(rel) }}{%- endif -%}
  {{ return(rel.include(database=False)) }}
{%- endmacro %}

{% macro source() -%}
  {%- set rel = builtins.source(*varargs, **kwargs) -%}
  {{ return(rel.include(database=False)) }}
{%- endmacro %}
