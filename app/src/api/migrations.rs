//! Migrations: create, list, read, start, pause, resume, cancel, retry, items.

use ferry_model::job::{ItemPage, ItemStatus, JobForm, JobView};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

use crate::error::AppError;

/// Creates a migration (not started).
#[server(endpoint = "migrations/create", input = Json)]
pub async fn create_migration(form: JobForm) -> Result<JobView, AppError> {
    crate::ssr::respond(crate::ssr::migrations::create(form)).await
}

/// Every migration, running ones first.
#[server(endpoint = "migrations/list")]
pub async fn list_migrations() -> Result<Vec<JobView>, AppError> {
    crate::ssr::respond(crate::ssr::migrations::list()).await
}

/// One migration with its progress.
#[server(endpoint = "migrations/get")]
pub async fn get_migration(id: Uuid) -> Result<JobView, AppError> {
    crate::ssr::respond(crate::ssr::migrations::get(id)).await
}

/// Plans and runs a migration (a dry run only plans).
#[server(endpoint = "migrations/start")]
pub async fn start_migration(id: Uuid) -> Result<JobView, AppError> {
    crate::ssr::respond(crate::ssr::migrations::start(id)).await
}

/// Pauses a running migration.
#[server(endpoint = "migrations/pause")]
pub async fn pause_migration(id: Uuid) -> Result<JobView, AppError> {
    crate::ssr::respond(crate::ssr::migrations::pause(id)).await
}

/// Resumes a paused migration.
#[server(endpoint = "migrations/resume")]
pub async fn resume_migration(id: Uuid) -> Result<JobView, AppError> {
    crate::ssr::respond(crate::ssr::migrations::resume(id)).await
}

/// Cancels a migration.
#[server(endpoint = "migrations/cancel")]
pub async fn cancel_migration(id: Uuid) -> Result<JobView, AppError> {
    crate::ssr::respond(crate::ssr::migrations::cancel(id)).await
}

/// Queues failed items again and runs the migration: all of them (planning again,
/// so changed sources are seen), or only those with the given source keys.
#[server(endpoint = "migrations/retry", input = Json)]
pub async fn retry_migration(id: Uuid, keys: Option<Vec<String>>) -> Result<JobView, AppError> {
    crate::ssr::respond(crate::ssr::migrations::retry_failed(id, keys)).await
}

/// Changes the bandwidth limit (bytes per second, none when absent), also while running.
#[server(endpoint = "migrations/bandwidth")]
pub async fn set_migration_bandwidth(id: Uuid, bytes_per_second: Option<i64>) -> Result<JobView, AppError> {
    crate::ssr::respond(crate::ssr::migrations::set_bandwidth(id, bytes_per_second)).await
}

/// Undoes what a finished migration did.
#[server(endpoint = "migrations/rollback")]
pub async fn rollback_migration(id: Uuid) -> Result<JobView, AppError> {
    crate::ssr::respond(crate::ssr::migrations::roll_back(id)).await
}

/// A page of a migration's items: by status, by part of the key, after a key.
#[server(endpoint = "migrations/items", input = Json)]
pub async fn migration_items(
    id: Uuid,
    status: Option<ItemStatus>,
    search: Option<String>,
    after: Option<String>,
    limit: Option<i64>,
) -> Result<ItemPage, AppError> {
    crate::ssr::respond(crate::ssr::migrations::items(
        id,
        ferry_model::job::ItemQuery { status, search, after, limit },
    ))
    .await
}
