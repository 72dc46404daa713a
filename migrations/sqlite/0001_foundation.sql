-- Accounts, sessions and the audit log.
-- UUIDs are 16-byte BLOBs; times are RFC 3339 text in UTC; session expiry is unix seconds.

create table "user" (
    user_id       blob primary key not null,
    username      text not null,
    password_hash text not null,
    role          text not null check (role in ('admin', 'operator', 'viewer')),
    disabled      boolean not null default false,
    created_at    text not null,
    updated_at    text not null,
    last_login_at text
);
create unique index user_username_key on "user" (username);

create table session (
    session_id text primary key not null,
    data       text not null,
    expires_at bigint not null
);
create index session_expires_at_idx on session (expires_at);

create table audit_event (
    audit_event_id blob primary key not null,
    occurred_at    text not null,
    actor_user_id  blob,
    actor_name     text not null,
    source_addr    text,
    action         text not null,
    target         text,
    detail         text not null default ''
);
create index audit_event_occurred_at_idx on audit_event (occurred_at);
