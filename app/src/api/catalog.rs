//! The document catalog: search, one document, re-check.

use ferry_model::catalog::{DocumentDetail, DocumentPage};
use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Documents whose title or a copy's key contains `search`, after `after`.
#[server(endpoint = "documents/list")]
pub async fn list_documents(
    search: Option<String>,
    after: Option<Uuid>,
    limit: Option<i64>,
) -> Result<DocumentPage, AppError> {
    crate::ssr::respond(crate::ssr::catalog::list(search, after, limit)).await
}

/// One document and its copies.
#[server(endpoint = "documents/get")]
pub async fn get_document(id: Uuid) -> Result<DocumentDetail, AppError> {
    crate::ssr::respond(crate::ssr::catalog::get(id)).await
}

/// Reads every copy again and records any drift (operators).
#[server(endpoint = "documents/recheck")]
pub async fn recheck_document(id: Uuid) -> Result<DocumentDetail, AppError> {
    crate::ssr::respond(crate::ssr::catalog::recheck(id)).await
}
