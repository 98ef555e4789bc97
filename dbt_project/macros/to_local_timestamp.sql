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
