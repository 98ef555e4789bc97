{#-
    R13: the median of a numeric expression, as an aggregate. Ordered-set
    aggregates are not portable and dbt has no cross-database macro for them, so
    this is dispatched per engine (SPEC section 8). Interpolated (continuous)
    median everywhere: the mean of the two middle values for an even count.
-#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'mau_warehouse')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__median(expression) -%}
    quantile_cont({{ expression }}, 0.5)
{%- endmacro %}

{% macro spark__median(expression) -%}
    percentile({{ expression }}, 0.5)
{%- endmacro %}
