-- The outbox: a job's state changes and failed items, written in the same
-- transaction as the change itself. SQLite serves one process, so nothing is
-- notified: pages look again now and then.
create table job_event (
    event_id    blob primary key not null,
    job_id      blob not null references job (job_id) on delete cascade,
    kind        text not null check (kind in ('status', 'item_failed')),
    detail      text not null,
    occurred_at text not null
);
create index job_event_job_idx on job_event (job_id, event_id);
create index job_event_kind_idx on job_event (kind, event_id);
-- The most recently finished items of a job, for live pages.
create index job_item_finished_idx on job_item (job_id, finished_at);
