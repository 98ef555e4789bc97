{#-
    The columns of a grain, written once for the models that carry them unchanged
    through a CTE. `relation` qualifies each column (e.g. 'ranked').
-#}

{%- macro _column_list(columns, relation) -%}
    {%- for column in columns %}
        {{ relation ~ '.' if relation }}{{ column }}{{ ',' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{#- One staged event line (stg_sdk__event_lines), as int_event_lines_ranked ranks it (R2). -#}
{%- macro event_line_columns(relation=none) -%}
    {{ _column_list([
        'tenant_id', 'event_id', 'load_id', 'line_number', 'event_type', 'session_id',
        'page_url', 'user_pseudonym', 'anonymous_pseudonym', 'device_type', 'user_agent',
        'user_agent_device_class', 'is_preview', 'occurred_at', 'sent_at', 'received_at',
        'loaded_at', 'content_fingerprint',
    ], relation) }}
{%- endmacro %}

{#- One tenant-day of the open month's curve, before its R13 projection columns. -#}
{%- macro tenant_day_columns(relation=none) -%}
    {{ _column_list([
        'tenant_id', 'billing_timezone', 'month_start', 'month_end', 'days_in_month',
        'is_month_ended', 'month_mau', 'plan_id', 'mau_limit', 'activity_date',
        'day_of_month', 'daily_active_persons', 'new_persons', 'mtd_mau',
    ], relation) }}
{%- endmacro %}
