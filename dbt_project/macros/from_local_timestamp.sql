{#-
    R16: the inverse of to_local_timestamp — the UTC instant at which a wall-clock
    time (timestamp without time zone) occurs in an IANA time zone, daylight-saving
    changes included (e.g. local midnight of 1 November in Europe/Paris is
    23:00 UTC on 31 October, one hour off October's summer offset).
    Time-zone conversion has no dbt cross-database macro, so it is dispatched per
    engine (SPEC section 8). Returns a timestamp with time zone.
-#}
{% macro from_local_timestamp(local_timestamp, time_zone) -%}
    {{ return(adapter.dispatch('from_local_timestamp', 'mau_warehouse')(local_timestamp, time_zone)) }}
{%- endmacro %}

{% macro default__from_local_timestamp(local_timestamp, time_zone) -%}
    convert_timezone({{ time_zone }}, 'UTC', {{ local_timestamp }})
{%- endmacro %}

{% macro duckdb__from_local_timestamp(local_timestamp, time_zone) -%}
    timezone({{ time_zone }}, cast({{ local_timestamp }} as timestamp))
{%- endmacro %}

{% macro spark__from_local_timestamp(local_timestamp, time_zone) -%}
    to_utc_timestamp({{ local_timestamp }}, {{ time_zone }})
{%- endmacro %}
