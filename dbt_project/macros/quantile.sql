{#-
    R13: a quantile (0 to 1) of a numeric expression, as an aggregate: the error of
    the projection measured by the backtest (int_projection_errors_measured).
    Ordered-set aggregates are not portable, so this is dispatched per engine like
    the median macro (SPEC section 8). Interpolated (continuous) everywhere.
-#}
{% macro quantile(expression, fraction) -%}
    {{ return(adapter.dispatch('quantile', 'mau_warehouse')(expression, fraction)) }}
{%- endmacro %}

{% macro default__quantile(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__quantile(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro spark__quantile(expression, fraction) -%}
    percentile({{ expression }}, {{ fraction }})
{%- endmacro %}
