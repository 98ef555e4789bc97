{#-
    Primary-key test for composite keys: fails with one row per key value that
    occurs more than once. In-project replacement for dbt_utils (no packages).
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with keyed_rows as (
    select
        {{ combination_of_columns | join(',\n        ') }},
        count(*) as row_count
    from {{ model }}
    group by
        {{ combination_of_columns | join(',\n        ') }}
)

select *
from keyed_rows
where row_count > 1

{% endtest %}
