-- API tokens (stored as SHA-256, never the token), sign-in throttling, and an
-- index for filtering the audit log by action.

create table api_token (
    api_token_id uuid primary key not null,
    user_id      uuid not null references "user" (user_id) on delete cascade,
    name         text not null,
    role         text not null check (role in ('admin', 'operator', 'viewer')),
    token_hash   text not null,
    hint         text not null,
    created_at   timestamptz not null,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
create unique index api_token_hash_key on api_token (token_hash);
create index api_token_user_idx on api_token (user_id);

create table sign_in_throttle (
    subject           text primary key not null,
    failures          bigint not null,
    window_started_at timestamptz not null,
    locked_until      timestamptz
);

create index audit_event_action_idx on audit_event (action);
