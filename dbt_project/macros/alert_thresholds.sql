{#-
    R12: one row (threshold) per configured alert threshold, from var('alert_thresholds'):
    the one list that the alerts, their backtest and the dashboards' lines share.
-#}
{% macro alert_thresholds() -%}
    {%- for threshold in var('alert_thresholds') %}
        {%- if not loop.first %}
            union all
        {%- endif %}
        select cast({{ threshold }} as double) as threshold
    {%- endfor %}
{%- endmacro %}
