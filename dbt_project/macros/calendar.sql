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
    The day treated as "today": var('as_of_date') when set (tests, backfills),
    else the current UTC date. Open-ended subscriptions run up to its month.
-#}
{% macro as_of_date() -%}
    {%- if var('as_of_date', none) -%}
        cast('{{ var("as_of_date") }}' as date)
    {%- else -%}
        cast({{ dbt.current_timestamp() }} as date)
    {%- endif -%}
{%- endmacro %}

{#-
    "Today" in a tenant's time zone (R5, R12, R13): var('as_of_date') when set
    (tests, backfills: the pinned day is taken as every tenant's local day), else
    the current date on the wall clock of time_zone. The month containing it is
    the tenant's open month.
-#}
{% macro local_as_of_date(time_zone) -%}
    {%- if var('as_of_date', none) -%}
        cast('{{ var("as_of_date") }}' as date)
    {%- else -%}
        cast({{ to_local_timestamp(dbt.current_timestamp(), time_zone) }} as date)
    {%- endif -%}
{%- endmacro %}
