//! API tokens, sign-in locks and the audit log.

use ferry_model::Role;
use ferry_model::security::{AuditPage, AuditQuery, NewToken, SignInLock, TokenView};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

use crate::error::AppError;

/// The caller's own API tokens.
#[server(endpoint = "tokens/list")]
pub async fn list_tokens() -> Result<Vec<TokenView>, AppError> {
    crate::ssr::respond(crate::ssr::security::my_tokens()).await
}

/// Makes an API token; its secret is in this answer only.
#[server(endpoint = "tokens/create")]
pub async fn create_token(name: String, role: Option<Role>) -> Result<NewToken, AppError> {
    crate::ssr::respond(crate::ssr::security::create_token(name, role)).await
}

/// Revokes an API token.
#[server(endpoint = "tokens/revoke")]
pub async fn revoke_token(id: Uuid) -> Result<(), AppError> {
    crate::ssr::respond(crate::ssr::security::revoke_token(id)).await
}

/// A page of the audit log (administrators).
#[server(endpoint = "audit/list", input = Json)]
pub async fn audit_log(query: AuditQuery) -> Result<AuditPage, AppError> {
    crate::ssr::respond(crate::ssr::security::audit_page(query)).await
}

/// Sign-in locks in force (administrators).
#[server(endpoint = "locks/list")]
pub async fn sign_in_locks() -> Result<Vec<SignInLock>, AppError> {
    crate::ssr::respond(crate::ssr::security::locks()).await
}

/// Lifts a sign-in lock (administrators).
#[server(endpoint = "locks/clear")]
pub async fn unlock_sign_in(kind: String, subject: String) -> Result<(), AppError> {
    crate::ssr::respond(crate::ssr::security::unlock(kind, subject)).await
}
