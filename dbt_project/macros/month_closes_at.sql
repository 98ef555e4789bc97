{#-
    R16: the close time of a tenant-month — the instant the month ends in the
    tenant's time zone (local midnight of the next month's 1st, daylight-saving
    changes included), plus var('close_after_hours'). One definition for the usage
    mart's closes_at and for the events that arrive too late for the snapshot.
-#}
{% macro month_closes_at(month_start, time_zone) -%}
    {{ dbt.dateadd(
        'hour',
        var('close_after_hours'),
        from_local_timestamp(dbt.dateadd('month', 1, month_start), time_zone)
    ) }}
{%- endmacro %}
