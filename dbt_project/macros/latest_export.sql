{#-
    The rows of the latest export of a billing-system table (SPEC 2.2: each load
    replaces the previous version), for the `latest_export` CTE of its staging
    model. `rows` is the model's `source` CTE: staging models stay the only ones
    calling source(). A no-op when the loader already replaced the table's content.
-#}
{% macro latest_export(rows='source') -%}
    select {{ rows }}.*
    from {{ rows }}
    where {{ rows }}.loaded_at = (
        select max(loads.loaded_at) as latest_loaded_at
        from {{ rows }} as loads
    )
{%- endmacro %}
