{#-
    R12 status of a usage figure against the plan's limit, shared by the monthly
    and the daily marts: 'no_plan' without a plan, 'unlimited' without a limit,
    'ok' below var('approaching_threshold'), 'approaching' from it to
    var('over_threshold') inclusive, 'over' above. A zero limit is 'over' as soon
    as anybody is active. utilization is usage / mau_limit.
-#}
{% macro usage_status(plan_id, mau_limit, usage, utilization) -%}
    case
        when {{ plan_id }} is null then 'no_plan'
        when {{ mau_limit }} is null then 'unlimited'
        when {{ mau_limit }} = 0 and {{ usage }} > 0 then 'over'
        when {{ mau_limit }} = 0 then 'ok'
        when {{ utilization }} > {{ var('over_threshold') }} then 'over'
        when {{ utilization }} >= {{ var('approaching_threshold') }} then 'approaching'
        else 'ok'
    end
{%- endmacro %}
