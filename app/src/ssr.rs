//! Server-only support for the server functions: the shared state, the one place
//! that decides who the caller is and what they may do, and error mapping.

pub mod accounts;
pub mod catalog;
pub mod migrations;
pub mod password;
pub mod providers;
pub mod security;
pub mod wizard;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRef};
use ferry_db::{DbError, NewAuditEvent, Store};
use ferry_model::{Role, UserSummary};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use tower_sessions::Session;
use uuid::Uuid;

use crate::error::AppError;

/// The session key holding the signed-in user's id.
pub const USER_ID_KEY: &str = "ferry.user_id";

/// Settings the console needs at run time.
#[derive(Debug, Clone, Default)]
pub struct ConsoleSettings {
    /// Whether cookies are marked `Secure` (Ferry is served over https).
    pub secure_cookies: bool,
    /// Which provider endpoints are allowed.
    pub endpoint_policy: ferry_model::provider::EndpointPolicy,
}

/// Everything a server function or handler may reach. Built once at start-up.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Leptos's own options (site root, output name, address).
    pub leptos_options: LeptosOptions,
    /// The database.
    pub store: Arc<dyn Store>,
    /// Run-time console settings.
    pub settings: Arc<ConsoleSettings>,
    /// Seals and opens provider secrets.
    pub sealer: Arc<ferry_db::seal::Sealer>,
    /// Runs migrations in this process.
    pub runner: Arc<migrations::Runner>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// Who is calling a server function.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The signed-in user.
    pub user: UserSummary,
    /// The client's address.
    pub addr: Option<String>,
    /// The API token's name, when the call came with a token instead of a session.
    pub token: Option<String>,
}

/// A caller the JSON API has already recognised by its token; [`require`] takes
/// it from the context instead of looking for a session.
#[derive(Debug, Clone)]
pub struct TokenCaller(pub Caller);

impl Caller {
    /// Who acted, as the audit log shows it: the username, and the token's name
    /// when a token was used.
    #[must_use]
    pub fn actor_name(&self) -> String {
        match &self.token {
            Some(token) => format!("{} (token \"{token}\")", self.user.username),
            None => self.user.username.clone(),
        }
    }

    /// Appends a change this caller made to the audit log (never a secret).
    pub async fn audit(&self, store: &dyn Store, action: &str, target: &str, detail: String) {
        audit(
            store,
            NewAuditEvent {
                actor_user_id: Some(self.user.id),
                actor_name: self.actor_name(),
                source_addr: self.addr.clone(),
                action: action.to_owned(),
                target: Some(target.to_owned()),
                detail,
            },
        )
        .await;
    }
}

/// Who made a change: a signed-in person, or someone at the server's own command line.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// A signed-in person (console or API).
    Person(&'a Caller),
    /// `ferry migrate` and other commands run on the server's host.
    CommandLine,
}

impl Actor<'_> {
    /// Appends a change this actor made to the audit log (never a secret).
    pub async fn audit(&self, store: &dyn Store, action: &str, target: &str, detail: String) {
        match self {
            Actor::Person(caller) => caller.audit(store, action, target, detail).await,
            Actor::CommandLine => {
                let user = std::env::var("USER").unwrap_or_else(|_| "unknown user".to_owned());
                let event = NewAuditEvent {
                    actor_user_id: None,
                    actor_name: format!("command line ({user})"),
                    source_addr: None,
                    action: action.to_owned(),
                    target: Some(target.to_owned()),
                    detail,
                };
                audit(store, event).await;
            }
        }
    }

    /// The account behind the change, when a person made it.
    #[must_use]
    pub fn user_id(&self) -> Option<uuid::Uuid> {
        match self {
            Actor::Person(caller) => Some(caller.user.id),
            Actor::CommandLine => None,
        }
    }
}

/// The state, from the server function's context.
///
/// # Errors
/// [`AppError::Unavailable`] when called outside a request's context (a page
/// abandoned while loading).
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        // A page's data loader can outlive its render when the browser leaves
        // mid-page: its owner (and so the context) is gone and nobody waits for the
        // answer. Every request path provides the state, so this is that case.
        tracing::debug!("a loader ran after its page was abandoned; nothing to do");
        AppError::Unavailable
    })
}

/// The caller's session.
///
/// # Errors
/// [`AppError::Internal`] when the session layer is missing.
pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| internal(format!("session unavailable: {e}")))
}

/// The client's address, when the server was started with connection info.
pub async fn client_addr() -> Option<String> {
    leptos_axum::extract::<ConnectInfo<SocketAddr>>()
        .await
        .ok()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
}

/// The enabled user a session belongs to, if any. Pages and the websocket use
/// this too, so every entry point agrees on who is signed in.
///
/// # Errors
/// [`AppError::Unavailable`] or [`AppError::Internal`] when the lookup fails.
pub async fn user_of_session(store: &dyn Store, session: &Session) -> Result<Option<UserSummary>, AppError> {
    let id: Option<Uuid> =
        session.get(USER_ID_KEY).await.map_err(|e| internal(format!("session read failed: {e}")))?;
    let Some(id) = id else { return Ok(None) };
    match store.user_by_id(id).await {
        Ok(record) if !record.user.disabled => Ok(Some(record.user)),
        Ok(_) | Err(DbError::NotFound) => Ok(None),
        Err(e) => Err(db_error(e)),
    }
}

/// The one gate every server function and API call passes: a signed-in, enabled
/// user (or an API token the JSON API has checked) whose role allows `needed`.
///
/// # Errors
/// [`AppError::Unauthenticated`] without a valid session, [`AppError::Forbidden`]
/// when the role is too low.
pub async fn require(needed: Role) -> Result<Caller, AppError> {
    if let Some(TokenCaller(caller)) = use_context::<TokenCaller>() {
        if !caller.user.role.allows(needed) {
            return Err(AppError::Forbidden(needed));
        }
        return Ok(caller);
    }
    let state = state()?;
    let session = session().await?;
    let user = user_of_session(state.store.as_ref(), &session).await?.ok_or(AppError::Unauthenticated)?;
    if !user.role.allows(needed) {
        return Err(AppError::Forbidden(needed));
    }
    Ok(Caller { user, addr: client_addr().await, token: None })
}

/// Runs a server function's body and gives its error the right HTTP status.
///
/// # Errors
/// Whatever the body returns.
pub async fn respond<T>(body: impl Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let result = body.await;
    if let Err(error) = &result {
        set_status(error);
    }
    result
}

/// Sets the response status for `error`, when called inside a request.
pub fn set_status(error: &AppError) {
    if let Some(options) = use_context::<ResponseOptions>()
        && let Ok(code) = axum::http::StatusCode::from_u16(error.status_code())
    {
        options.set_status(code);
    }
}

/// Sets a console page's Content-Security-Policy: scripts only from Ferry itself
/// plus the inline scripts carrying this response's nonce, the wasm module, styles
/// and images from Ferry, connections back to Ferry only, and never in a frame.
pub fn set_page_policy() {
    let Some(options) = use_context::<ResponseOptions>() else { return };
    let nonce = leptos::nonce::use_nonce().map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    let policy = format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = axum::http::HeaderValue::from_str(&policy) {
        options.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// Logs a server fault with a fresh reference and returns the opaque error.
pub fn internal(detail: impl std::fmt::Display) -> AppError {
    let id = Uuid::now_v7().simple().to_string()[20..].to_owned();
    tracing::error!(reference = %id, "{detail}");
    AppError::Internal { id }
}

/// Maps a store error for the console.
pub fn db_error(err: DbError) -> AppError {
    match err {
        DbError::NotFound => AppError::NotFound("That record".to_owned()),
        DbError::Conflict { constraint } => {
            AppError::Conflict(format!("That conflicts with existing data ({constraint})."))
        }
        DbError::Unavailable(detail) => {
            tracing::warn!(%detail, "database unavailable");
            AppError::Unavailable
        }
        other => internal(format_args!("{other}: {:?}", std::error::Error::source(&other))),
    }
}

/// Maps a store error for the console, naming what was not found ("That provider").
pub fn db_error_about(what: &'static str) -> impl Fn(DbError) -> AppError {
    move |err| match err {
        DbError::NotFound => AppError::NotFound(what.to_owned()),
        other => db_error(other),
    }
}

/// Appends to the audit log; a failure is logged, never shown to the person.
pub async fn audit(store: &dyn Store, event: NewAuditEvent) {
    if let Err(e) = store.append_audit(&event).await {
        tracing::error!(error = %e, action = %event.action, "audit append failed");
    }
}

/// Lowercase hex of some bytes (digests, random tokens).
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// Hex SHA-256 of some bytes.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex(&sha2::Sha256::digest(bytes))
}

/// One CSV field: quoted when needed, and a leading `=`, `+`, `-`, `@`, tab or
/// carriage return neutralised so a spreadsheet never runs it as a formula.
#[must_use]
pub fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-1,2"), "\"'-1,2\"");
    }
}
