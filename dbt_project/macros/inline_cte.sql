{#-
    Marks a CTE that a query reads more than once to be evaluated where it is
    read. DuckDB otherwise materializes such a CTE in full before any filter or
    aggregate of its readers applies: for the event-level models that is a copy
    of every event of the history, which took the full build of
    int_events_classified from 31 s to 72 s on M (docs/benchmarks.md). Spark
    inlines CTEs already, so other engines get nothing.
    Usage: `events as {{ inline_cte() }} (`.
-#}
{% macro inline_cte() -%}
    {%- if target.type == 'duckdb' %}not materialized{% endif -%}
{%- endmacro %}
