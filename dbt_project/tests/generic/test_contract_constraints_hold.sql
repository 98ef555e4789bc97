{#-
    The rows that break a constraint of the model's contract. DuckDB enforces the
    contracts' CHECK and NOT NULL constraints on insert; Spark's Parquet tables take
    none (SPEC §8), so on Spark this test checks them, read from the model's own YAML:
    the two engines hold every mart to the same rules, written once. A CHECK passes
    unless its expression is false, as in SQL.
-#}
{% test contract_constraints_hold(model) %}
    {%- set violations = [] -%}
    {%- if execute -%}
        {%- set node = graph.nodes.values()
            | selectattr('resource_type', 'equalto', 'model')
            | selectattr('name', 'equalto', model.identifier)
            | first -%}
        {%- for constraint in node.constraints if constraint.type == 'check' -%}
            {%- do violations.append('not coalesce((' ~ constraint.expression ~ '), true)') -%}
        {%- endfor -%}
        {%- for column in node.columns.values() -%}
            {%- for constraint in column.constraints -%}
                {%- if constraint.type == 'check' -%}
                    {%- do violations.append('not coalesce((' ~ constraint.expression ~ '), true)') -%}
                {%- elif constraint.type == 'not_null' -%}
                    {%- do violations.append(column.name ~ ' is null') -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif %}
    select *
    from {{ model }}
    where
        {% for violation in violations -%}
            {{ violation }} or
        {% endfor -%}
        false
{% endtest %}
