//! The provider registry: list, read, save, test, enable/disable, delete.

use ferry_model::provider::{ProviderForm, ProviderStatus, ProviderView, TestReport};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

use crate::error::AppError;

/// Every provider, by name (viewers may look).
#[server(endpoint = "providers/list")]
pub async fn list_providers() -> Result<Vec<ProviderView>, AppError> {
    crate::ssr::respond(crate::ssr::providers::list()).await
}

/// One provider (viewers may look).
#[server(endpoint = "providers/get")]
pub async fn get_provider(id: Uuid) -> Result<ProviderView, AppError> {
    crate::ssr::respond(crate::ssr::providers::get(id)).await
}

/// Creates a provider (no `id`) or updates one; an empty secret keeps the stored one.
#[server(endpoint = "providers/save", input = Json)]
pub async fn save_provider(form: ProviderForm) -> Result<ProviderView, AppError> {
    crate::ssr::respond(crate::ssr::providers::save(form)).await
}

/// Tests the provider the form describes, without saving it.
#[server(endpoint = "providers/test", input = Json)]
pub async fn test_provider(form: ProviderForm) -> Result<TestReport, AppError> {
    crate::ssr::respond(crate::ssr::providers::test(form)).await
}

/// Sets a provider's status: active, read-only or disabled.
#[server(endpoint = "providers/status")]
pub async fn set_provider_status(id: Uuid, status: ProviderStatus) -> Result<ProviderView, AppError> {
    crate::ssr::respond(crate::ssr::providers::set_status(id, status)).await
}

/// Checks a saved provider's health now.
#[server(endpoint = "providers/check")]
pub async fn check_provider(id: Uuid) -> Result<ProviderView, AppError> {
    crate::ssr::respond(crate::ssr::providers::check_now(id)).await
}

/// Deletes a provider, refused while anything refers to it.
#[server(endpoint = "providers/delete")]
pub async fn delete_provider(id: Uuid) -> Result<(), AppError> {
    crate::ssr::respond(crate::ssr::providers::delete(id)).await
}
