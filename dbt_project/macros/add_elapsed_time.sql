{#-
    R4: shift a timestamp by the time elapsed between two other timestamps,
    to the microsecond: timestamp + (end_timestamp - start_timestamp).
    The default uses dbt's cross-database dateadd/datediff; DuckDB uses exact
    interval arithmetic (its integer-times-interval product is 32-bit and would
    overflow for skews beyond ~35 minutes at microsecond precision).
-#}
{% macro add_elapsed_time(timestamp, start_timestamp, end_timestamp) -%}
    {{ return(adapter.dispatch('add_elapsed_time', 'mau_warehouse')(timestamp, start_timestamp, end_timestamp)) }}
{%- endmacro %}

{% macro default__add_elapsed_time(timestamp, start_timestamp, end_timestamp) -%}
    {{ dbt.dateadd('microsecond', dbt.datediff(start_timestamp, end_timestamp, 'microsecond'), timestamp) }}
{%- endmacro %}

{% macro duckdb__add_elapsed_time(timestamp, start_timestamp, end_timestamp) -%}
    ({{ timestamp }} + ({{ end_timestamp }} - {{ start_timestamp }}))
{%- endmacro %}
