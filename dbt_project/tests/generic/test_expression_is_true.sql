{#-
    Row-level assertion: fails with every row where the SQL expression is not
    true. Used for invariants of the rules (e.g. R8: mau = identified + anonymous).
-#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not ({{ expression }})

{% endtest %}
