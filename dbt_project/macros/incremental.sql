{#-
    Incremental builds (SPEC §6: one new day costs about the same whatever the
    history). Event-level and person-level models are incremental: each run
    stamps the rows it writes with build_stamp() (the invocation's start), and a
    downstream model reads only upstream rows stamped after its own last
    successful build, last_build_stamp(). Build stamps live in one small table,
    written by record_build_stamp() as a post-hook inside the model's own
    transaction, so a model that fails or is killed keeps its previous stamp and
    its next run picks up everything it missed. `dbt build --full-refresh`
    (`mau run --full-refresh`) rebuilds every figure from the raw layer and gives
    the same figures (tests/test_incremental.py).
-#}

{#- Spark's Parquet tables cannot delete rows, which every incremental build here
    does (delete+insert, or a pre-hook that empties changed tenant-months), so on
    Spark these models are rebuilt whole on every run (SPEC §8): the same figures as
    a full refresh, by construction. -#}
{% macro incremental_materialization() -%}
    {{- 'table' if target.type == 'spark' else 'incremental' -}}
{%- endmacro %}

{#- The table of build stamps, one row per incremental model, beside the models. -#}
{% macro build_stamps_relation() -%}
    intermediate.incremental_build_stamps
{%- endmacro %}

{#- on-run-start: create the stamps table before any model reads it (two hooks: Spark
    runs one statement at a time). -#}
{% macro create_build_stamps_schema() -%}
    create schema if not exists intermediate
{%- endmacro %}

{% macro create_build_stamps_table() -%}
    create table if not exists {{ build_stamps_relation() }} (
        model_name string not null,
        built_at {{ type_timestamptz() }} not null
    )
{%- endmacro %}

{#- When this invocation started: the stamp of every row it writes. -#}
{% macro build_stamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}+00:00' as {{ type_timestamptz() }})
{%- endmacro %}

{#- When this model last built successfully; long ago when it never did. -#}
{% macro last_build_stamp() -%}
    (
        select coalesce(max(stamps.built_at), cast('1900-01-01 00:00:00+00:00' as {{ type_timestamptz() }}))
        from {{ build_stamps_relation() }} as stamps
        where stamps.model_name = '{{ this.identifier }}'
    )
{%- endmacro %}

{#- Post-hooks of every incremental model: its new stamp, in its own transaction. -#}
{% macro record_build_stamp() -%}
    {%- if target.type != 'spark' -%}
        delete from {{ build_stamps_relation() }} where model_name = '{{ this.identifier }}';
        insert into {{ build_stamps_relation() }} (model_name, built_at)
        values ('{{ this.identifier }}', {{ build_stamp() }})
    {%- endif -%}
{%- endmacro %}

{#-
    Pre-hook of the models partitioned by tenant-month: remove the partitions that
    changed since this model's last build (int_tenant_months_changed) before the
    model appends their recomputed rows. A partition that lost all its rows (an
    event moved to another month by a time-zone change, R5) is emptied too.
-#}
{% macro delete_changed_tenant_months(month_column='activity_month') -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where exists (
            select 1
            from {{ ref('int_tenant_months_changed') }} as changed
            where
                changed.tenant_id = {{ this }}.tenant_id
                and changed.activity_month = {{ this }}.{{ month_column }}
                and changed._built_at > {{ last_build_stamp() }}
        )
    {%- endif -%}
{%- endmacro %}

{#-
    The events a model partitioned by tenant-month recounts (SPEC §6): on an
    incremental run, the events of int_events_classified in the tenant-months of
    int_tenant_months_changed stamped after this model's last build (the partitions
    its pre-hook, delete_changed_tenant_months, removed), with their persons (R7,
    persons_behind_events); on a first or full-refresh build, every event of
    int_events_attributed_to_persons. `condition` keeps the events the model counts;
    it names their columns as `events.<column>`. The incremental branch's relations
    are referenced at the top as well: dbt records at parse time only the refs it
    renders, and is_incremental() is false then.
-#}
{% macro events_of_changed_tenant_months(condition) -%}
    {%- set classified_events = ref('int_events_classified') -%}
    {%- set changed_tenant_months = ref('int_tenant_months_changed') -%}
    {%- set identity_links = ref('int_identity_links_resolved') -%}
    {%- if is_incremental() %}
        {%- set changed_events -%}
            (
                select classified_events.*
                from {{ classified_events }} as classified_events
                inner join {{ changed_tenant_months }} as changed_months
                    on
                        classified_events.tenant_id = changed_months.tenant_id
                        and classified_events.activity_month = changed_months.activity_month
                where changed_months._built_at > {{ last_build_stamp() }}
            )
        {%- endset %}
    select events.*
    from ({{ persons_behind_events(changed_events) }}) as events
    {%- else %}
    select events.*
    from {{ ref('int_events_attributed_to_persons') }} as events
    {%- endif %}
    where {{ condition }}
{%- endmacro %}
