//! Sign-in, sign-out, first-run setup and user management.

use ferry_model::UserSummary;
use leptos::prelude::*;

use crate::error::AppError;

/// Signs in; returns the local path to open next.
#[server(endpoint = "login")]
pub async fn login(
    username: Option<String>,
    password: Option<String>,
    next: Option<String>,
) -> Result<String, AppError> {
    crate::ssr::respond(crate::ssr::accounts::sign_in(username, password, next)).await
}

/// Signs out and ends the session on the server.
#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    crate::ssr::respond(crate::ssr::accounts::sign_out()).await
}

/// Creates the first administrator (only while there are no accounts) and signs in.
#[server(endpoint = "setup")]
pub async fn setup(
    username: Option<String>,
    password: Option<String>,
    confirm: Option<String>,
) -> Result<String, AppError> {
    crate::ssr::respond(crate::ssr::accounts::first_run_setup(username, password, confirm)).await
}

/// The signed-in user, or `None`.
#[server(endpoint = "me")]
pub async fn current_user() -> Result<Option<UserSummary>, AppError> {
    crate::ssr::respond(async {
        let state = crate::ssr::state()?;
        let session = crate::ssr::session().await?;
        crate::ssr::user_of_session(state.store.as_ref(), &session).await
    })
    .await
}

/// Every account (any signed-in user may look).
#[server(endpoint = "users/list")]
pub async fn list_users() -> Result<Vec<UserSummary>, AppError> {
    crate::ssr::respond(async {
        crate::ssr::require(ferry_model::Role::Viewer).await?;
        let state = crate::ssr::state()?;
        let users = state.store.list_users().await.map_err(crate::ssr::db_error)?;
        Ok(users.into_iter().map(|r| r.user).collect())
    })
    .await
}

/// Creates an account (administrators only).
#[server(endpoint = "users/create")]
pub async fn create_user(
    username: Option<String>,
    password: Option<String>,
    confirm: Option<String>,
    role: Option<String>,
) -> Result<UserSummary, AppError> {
    crate::ssr::respond(crate::ssr::accounts::create_account(username, password, confirm, role)).await
}

/// Changes a user's role (administrators only).
#[server(endpoint = "users/role")]
pub async fn change_user_role(id: uuid::Uuid, role: ferry_model::Role) -> Result<UserSummary, AppError> {
    crate::ssr::respond(crate::ssr::accounts::change_role(id, role)).await
}

/// Disables or enables a user (administrators only).
#[server(endpoint = "users/disable")]
pub async fn set_user_disabled(id: uuid::Uuid, disabled: bool) -> Result<UserSummary, AppError> {
    crate::ssr::respond(crate::ssr::accounts::set_disabled(id, disabled)).await
}
