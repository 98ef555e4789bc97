-- Per file and outcome (event, quarantine, suppressed) of one batch (SPEC §5 ingest
-- report), once all its chunks are in the raw tables. The batch's rows are those from its first load id on:
-- ids come from a sequence and only one process writes (SPEC §7). A valid line is
-- accepted when it is the first copy of its (tenant_id, event_id) in R2 order and
-- no earlier load holds that event; otherwise it is a duplicate (R2).
with
ranked as (
    select
        load_id,
        line_number,
        tenant_id,
        event_id,
        row_number() over (
            partition by tenant_id, event_id
            order by received_at nulls last, load_id, line_number
        ) as copy_rank,
    from raw.event_lines
    where load_id >= $first_load_id
),

-- The batch's events that an earlier load already holds. The semi join hashes the
-- batch's keys and streams the history past them, so memory follows the batch, not
-- the history: hashing every loaded key ran out of a 512MB limit on L (100 M lines).
batch_events as (
    select distinct tenant_id, event_id,
    from ranked
),

loaded_before as (
    select distinct loaded.tenant_id, loaded.event_id,
    from raw.event_lines as loaded
    semi join batch_events
        on loaded.tenant_id = batch_events.tenant_id
        and loaded.event_id = batch_events.event_id
    where loaded.load_id < $first_load_id
),

first_copies as (
    select ranked.load_id, ranked.line_number,
    from ranked
    anti join loaded_before
        on ranked.tenant_id = loaded_before.tenant_id
        and ranked.event_id = loaded_before.event_id
    where ranked.copy_rank = 1
)

select
    ranked.load_id,
    'event' as outcome,
    null as reason,
    count(*) as lines,
    count(first_copies.line_number) as accepted,
from ranked
left join first_copies
    on ranked.load_id = first_copies.load_id
    and ranked.line_number = first_copies.line_number
group by all

union all

select load_id, 'quarantine' as outcome, reason, count(*) as lines, 0 as accepted,
from raw.quarantine
where load_id >= $first_load_id
group by all

union all

-- lines of erased persons, suppressed before they were stored (R17)
select load_id, 'suppressed' as outcome, null as reason, count(*) as lines, 0 as accepted,
from raw.line_removals
where load_id >= $first_load_id and cause = 'suppression'
group by all

order by all
