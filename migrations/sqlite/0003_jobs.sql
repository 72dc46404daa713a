-- Migrations (jobs) and their items: the engine's queue.
-- Lease and retry times are unix milliseconds so both dialects compare them alike.

create table job (
    job_id            blob primary key not null,
    name              text not null,
    source_id         blob not null references provider (provider_id) on delete restrict,
    source_prefix     text not null default '',
    dest_id           blob not null references provider (provider_id) on delete restrict,
    dest_prefix       text not null default '',
    filter            text not null default '{}',
    strategy          text not null check (strategy in ('copy', 'move', 'mirror')),
    overwrite         text not null check (overwrite in ('skip-existing', 'overwrite', 'if-newer', 'if-different')),
    verify            boolean not null default true,
    dry_run           boolean not null default false,
    concurrency       integer not null default 8,
    bandwidth_limit   bigint,
    max_attempts      integer not null default 5,
    mirror_deletes    boolean not null default false,
    max_deletes       integer not null default 100,
    schedule          text not null default 'manual',
    status            text not null,
    run_no            integer not null default 0,
    error             text,
    created_by        blob,
    created_at        text not null,
    updated_at        text not null,
    started_at        text,
    finished_at       text
);
create unique index job_name_key on job (lower(name));

create table job_item (
    job_id          blob not null references job (job_id) on delete cascade,
    source_key      text not null,
    dest_key        text not null,
    action          text not null check (action in ('copy', 'overwrite', 'skip', 'delete')),
    reason          text,
    size            bigint not null,
    source_etag     text,
    source_version  text,
    source_modified text,
    status          text not null,
    attempts        integer not null default 0,
    next_attempt_at bigint not null default 0,
    lease_token     text,
    lease_owner     text,
    lease_until     bigint,
    source_sha256   text,
    dest_sha256     text,
    dest_etag       text,
    dest_version    text,
    prior_version   text,
    prior_backup    text,
    document_id     blob,
    error_kind      text,
    error_message   text,
    finished_at     text,
    primary key (job_id, source_key)
);
create index job_item_queue on job_item (job_id, status, next_attempt_at);
