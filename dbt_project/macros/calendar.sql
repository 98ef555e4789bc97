{#- Calendar helpers built on dbt cross-database macros (SPEC section 8). -#}

{#- First day of the month containing a date or timestamp, as a DATE (R5, R11). -#}
{% macro first_day_of_month(date_expression) -%}
    cast({{ dbt.date_trunc('month', date_expression) }} as date)
{%- endmacro %}

{#- Last day of the month containing a date, as a DATE (R11). -#}
{% macro last_day_of_month(date_expression) -%}
    cast({{ dbt.last_day(date_expression, 'month') }} as date)
{%- endmacro %}

{#-
    The instant treated as "now": var('as_of_time') when set (an ISO instant, e.g.
    "2026-11-30T10:30:00Z": tests and replays), else the current time. Only local
    days are derived from it (local_as_of_date): no figure takes the UTC date as
    "today", since a tenant east or west of UTC lives in another day for hours.
-#}
{% macro as_of_instant() -%}
    {%- if var('as_of_time', none) -%}
        cast('{{ var("as_of_time") }}' as {{ type_timestamptz() }})
    {%- else -%}
        {{ dbt.current_timestamp() }}
    {%- endif -%}
{%- endmacro %}

{#-
    "Today" in a tenant's time zone (R5, R11, R12, R13): var('as_of_date') when set
    (tests, backfills: the pinned day is taken as every tenant's local day), else
    the day on the wall clock of time_zone at as_of_instant(). The month containing
    it is the tenant's open month: a tenant at UTC+14 enters its new month 14 hours
    before UTC does, and gets its month's row (MAU 0 when subscribed) from its own
    local midnight.
-#}
{% macro local_as_of_date(time_zone) -%}
    {%- if var('as_of_date', none) -%}
        cast('{{ var("as_of_date") }}' as date)
    {%- else -%}
        cast({{ to_local_timestamp(as_of_instant(), time_zone) }} as date)
    {%- endif -%}
{%- endmacro %}
