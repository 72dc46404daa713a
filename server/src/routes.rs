//! The HTTP surface: health probes, the live channel, the console and its server
//! functions, static assets, and the layers around them.

use app::{App, shell};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::get;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::session_store::DbSessionStore;
use crate::state::ServerState;
use crate::{api, guard, metrics, report, shield, ws};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "ferry_session";

/// Options for the router that do not live in the state.
#[derive(Debug, Clone, Copy)]
pub struct RouterOptions {
    /// Mark cookies `Secure`.
    pub secure_cookies: bool,
    /// Minutes of inactivity that end a session.
    pub idle_minutes: u32,
}

/// Builds the whole application router.
pub fn router(state: ServerState, options: RouterOptions) -> Router {
    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.app.store.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(options.secure_cookies)
        .with_path("/")
        // Saving on every request moves the stored expiry along with the cookie's.
        .with_always_save(true)
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(i64::from(options.idle_minutes))));

    let app_state = state.app.clone();
    let leptos_options = state.app.leptos_options.clone();
    let routes = generate_route_list(App);

    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::handler))
        .route("/ws", get(ws::handler))
        .route("/migrations/{id}/report.csv", get(report::csv))
        .route("/audit.csv", get(report::audit_csv))
        .merge(api::router())
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(app_state.clone()),
            move || shell(leptos_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<ServerState, _>(shell))
        .layer(middleware::from_fn_with_state(state.clone(), guard::pages))
        .layer(middleware::from_fn_with_state(state.clone(), shield::same_site_only))
        .layer(sessions)
        .layer(middleware::from_fn_with_state(state.clone(), shield::headers))
        .with_state(state)
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers.
async fn readyz(State(state): State<ServerState>) -> impl IntoResponse {
    let dialect = state.app.store.dialect();
    match state.app.store.ping().await {
        Ok(()) => (StatusCode::OK, format!("ready ({dialect})")),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, format!("database unavailable ({dialect})"))
        }
    }
}
