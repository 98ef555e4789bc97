{#-
    Column types whose names differ between the engines (SPEC §8). Text is `string`
    in the models themselves: DuckDB reads it as varchar and Spark as its own string.
    Decided by target.type rather than adapter.dispatch, like inline_cte(): a
    dispatched macro cannot stand where a type name goes under the SQL linter.
-#}

{#- An instant (R4). DuckDB's timestamptz; Spark's timestamp is one already (the session
    time zone is UTC). -#}
{% macro type_timestamptz() -%}
    {%- if target.type == 'spark' -%}timestamp{%- else -%}timestamp with time zone{%- endif -%}
{%- endmacro %}

{#- A JSON document: DuckDB's json type; Spark keeps the text and parses it where read. -#}
{% macro type_json() -%}
    {%- if target.type == 'spark' -%}string{%- else -%}json{%- endif -%}
{%- endmacro %}
