-- Providers, run-time settings and the document catalog.
-- Provider settings are JSON text; secrets are sealed (XChaCha20-Poly1305) text.

create table provider (
    provider_id    uuid primary key not null,
    name           text not null,
    kind           text not null check (kind in ('local', 's3')),
    settings       text not null,
    secrets        text,
    status         text not null check (status in ('active', 'read_only', 'disabled')),
    is_primary     boolean not null default false,
    health         text not null default 'unknown' check (health in ('unknown', 'healthy', 'failing')),
    health_message text not null default '',
    last_check_at  timestamptz,
    created_at     timestamptz not null,
    updated_at     timestamptz not null
);
create unique index provider_name_key on provider (lower(name));

create table setting (
    key   text primary key not null,
    value text not null
);

create table document (
    document_id uuid primary key not null,
    title       text not null,
    created_at  timestamptz not null
);

create table document_copy (
    document_id  uuid not null references document (document_id) on delete cascade,
    provider_id  uuid not null references provider (provider_id) on delete restrict,
    key          text not null,
    sha256       text,
    size         bigint not null,
    revision     text,
    sync_status  text not null check (sync_status in ('canonical', 'mirror', 'conflict', 'archived')),
    last_seen_at timestamptz not null,
    primary key (document_id, provider_id)
);
create unique index document_copy_provider_key on document_copy (provider_id, key);
