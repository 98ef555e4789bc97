{#-
    Not-null test for several columns of a model in one node (and one scan):
    fails with every row in which any of column_names is null. Replaces one
    not_null test per column, since dbt's overhead per test node outweighs the
    query. A column whose model enforces a not_null constraint (contract) needs
    no test; a primary key keeps unique + not_null on its column.
-#}
{% test not_null_columns(model, column_names) %}

select *
from {{ model }}
where
    {% for column_name in column_names -%}
        {{ column_name }} is null{% if not loop.last %} or{% endif %}
    {% endfor %}

{% endtest %}
