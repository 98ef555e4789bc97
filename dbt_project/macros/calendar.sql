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
