{#-
    R5: convert a UTC instant to wall-clock time in an IANA time zone
    (daylight-saving changes included). Time-zone conversion has no dbt
    cross-database macro, so it is dispatched per engine (SPEC section 8).
    Returns a timestamp without time zone holding the local wall time.
-#}
{% macro to_local_timestamp(utc_timestamp, time_zone) -%}
    {{ return(adapter.dispatch('to_local_timestamp', 'mau_warehouse')(utc_timestamp, time_zone)) }}
{%- endmacro %}

{% macro default__to_local_timestamp(utc_timestamp, time_zone) -%}
    convert_timezone('UTC', {{ time_zone }}, {{ utc_timestamp }})
{%- endmacro %}

{% macro duckdb__to_local_timestamp(utc_timestamp, time_zone) -%}
    timezone({{ time_zone }}, {{ utc_timestamp }})
{%- endmacro %}

{% macro spark__to_local_timestamp(utc_timestamp, time_zone) -%}
    from_utc_timestamp({{ utc_timestamp }}, {{ time_zone }})
{%- endmacro %}

{#-
    R5: the UTC wall-clock time of an instant (timestamp without time zone). The
    same as to_local_timestamp(utc_timestamp, 'UTC'); DuckDB builds it from the
    instant's microseconds, without a time-zone lookup per row (several times
    faster: classifying every event needs it).
-#}
{% macro utc_wall_time(utc_timestamp) -%}
    {{ return(adapter.dispatch('utc_wall_time', 'mau_warehouse')(utc_timestamp)) }}
{%- endmacro %}

{% macro default__utc_wall_time(utc_timestamp) -%}
    {{ to_local_timestamp(utc_timestamp, "'UTC'") }}
{%- endmacro %}

{% macro duckdb__utc_wall_time(utc_timestamp) -%}
    make_timestamp(epoch_us({{ utc_timestamp }}))
{%- endmacro %}
