//! The new-migration wizard: folders, the live preview, the review's estimate,
//! and the price table behind it.

use ferry_model::job::{FilterSpec, JobForm};
use ferry_model::wizard::{Estimate, FolderList, PriceTable, SelectionPreview};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

use crate::error::AppError;

/// The folders directly under `prefix` on a provider.
#[server(endpoint = "wizard/folders")]
pub async fn list_folders(provider_id: Uuid, prefix: String) -> Result<FolderList, AppError> {
    crate::ssr::respond(crate::ssr::wizard::folders(provider_id, prefix)).await
}

/// What the filters select from the source: count, size and a sample of keys.
#[server(endpoint = "wizard/preview", input = Json)]
pub async fn preview_selection(
    source_id: Uuid,
    source_prefix: String,
    filter: FilterSpec,
) -> Result<SelectionPreview, AppError> {
    crate::ssr::respond(crate::ssr::wizard::preview(source_id, source_prefix, filter)).await
}

/// The review: the dry-run plan's counts, an estimated duration and cost.
#[server(endpoint = "wizard/estimate", input = Json)]
pub async fn estimate_migration(form: JobForm) -> Result<Estimate, AppError> {
    crate::ssr::respond(crate::ssr::wizard::estimate(form)).await
}

/// The prices estimates use.
#[server(endpoint = "prices/get")]
pub async fn load_prices() -> Result<PriceTable, AppError> {
    crate::ssr::respond(crate::ssr::wizard::prices()).await
}

/// Replaces the prices (administrators).
#[server(endpoint = "prices/save", input = Json)]
pub async fn save_prices(table: PriceTable) -> Result<PriceTable, AppError> {
    crate::ssr::respond(crate::ssr::wizard::save_prices(table)).await
}
