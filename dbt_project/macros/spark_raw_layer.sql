{#-
    On Spark (SPEC §8): name every source as a table over the Parquet folder the raw
    layer was written to (mau_warehouse/spark/raw_layer.py), dropped and named again
    on every run so that a table always reads what its folder holds now. The tables
    are external: dropping one leaves its files. DuckDB reads its own raw schema.
-#}
{% macro register_spark_raw_layer() -%}
    {%- if target.type == 'spark' and execute -%}
        {%- set raw_dir = env_var('MAU_SPARK_RAW_DIR') -%}
        {%- for source in graph.sources.values() if source.package_name == project_name -%}
            {%- set relation = source.schema ~ '.' ~ source.identifier -%}
            {%- do run_query('create database if not exists ' ~ source.schema) -%}
            {%- do run_query('drop table if exists ' ~ relation) -%}
            {%- do run_query(
                'create table ' ~ relation ~ " using parquet location '"
                ~ raw_dir ~ '/' ~ source.schema ~ '/' ~ source.identifier ~ "'"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
