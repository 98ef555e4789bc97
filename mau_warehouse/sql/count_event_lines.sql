-- Per file and outcome of one batch (SPEC §5 ingest report). A valid line is
-- accepted when it is the first copy of its (tenant_id, event_id) in R2 order
-- and no earlier load holds that event; otherwise it is a duplicate.
with
valid as (
    select
        load_id,
        line_number,
        tenant_id,
        event_id,
        row_number() over (
            partition by tenant_id, event_id
            order by received_at nulls last, load_id, line_number
        ) as copy_rank,
    from batch_classified
    where reason is null
),

first_copies as (
    select valid.load_id, valid.line_number,
    from valid
    anti join raw.event_lines as loaded
        on valid.tenant_id = loaded.tenant_id and valid.event_id = loaded.event_id
    where valid.copy_rank = 1
)

select
    classified.load_id,
    classified.reason,
    count(*) as lines,
    count(first_copies.line_number) as accepted,
from batch_classified as classified
left join first_copies
    on classified.load_id = first_copies.load_id
    and classified.line_number = first_copies.line_number
group by all
order by all
