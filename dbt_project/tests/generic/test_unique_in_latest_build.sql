{#-
    Primary-key test for the big incremental models (SPEC §6): the keys of the rows
    written by the latest build occur once in the whole table, so a replaced row
    that was not removed is found, while the history is only probed for those keys.
    stamped_by names the incremental model whose build stamps the rows (a view
    carries its upstream model's stamps); by default the tested model itself.
    Fails with one row per key value that occurs more than once.
-#}
{% test unique_in_latest_build(model, combination_of_columns, stamped_by=none) %}

{%- set keys = combination_of_columns | join(', ') %}

with latest_keys as (
    select distinct {{ keys }}
    from {{ model }}
    where _built_at = (
        select max(stamps.built_at)
        from {{ build_stamps_relation() }} as stamps
        where stamps.model_name = '{{ stamped_by or model.identifier }}'
    )
),

keyed_rows as (
    select
        {{ keys }},
        count(*) as row_count
    from {{ model }}
    where ({{ keys }}) in (select {{ keys }} from latest_keys)
    group by {{ keys }}
)

select *
from keyed_rows
where row_count > 1

{% endtest %}
