//! The page guard: every console page but sign-in and setup needs a session.
//! Server functions and the websocket check for themselves.

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use crate::state::ServerState;

/// Paths any visitor may fetch.
fn is_open(path: &str) -> bool {
    path.starts_with("/pkg/")
        || path.starts_with("/api/")
        || matches!(
            path,
            "/ws" | "/healthz" | "/readyz" | "/metrics" | "/favicon.svg" | "/favicon.ico" | "/robots.txt"
        )
}

/// Redirects page requests to sign-in or first-run setup as needed.
pub async fn pages(State(state): State<ServerState>, session: Session, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if !matches!(*req.method(), Method::GET | Method::HEAD) || is_open(&path) {
        return next.run(req).await;
    }
    let store = state.app.store.as_ref();
    let (user, users) = match (app::ssr::user_of_session(store, &session).await, store.count_users().await) {
        (Ok(user), Ok(users)) => (user, users),
        _ => {
            return (StatusCode::SERVICE_UNAVAILABLE, "Ferry cannot reach its database right now.")
                .into_response();
        }
    };
    let signed_in = user.is_some();
    match path.as_str() {
        "/setup" if users > 0 => Redirect::to(if signed_in { "/" } else { "/login" }).into_response(),
        "/setup" => next.run(req).await,
        "/login" if signed_in => Redirect::to("/").into_response(),
        "/login" if users == 0 => Redirect::to("/setup").into_response(),
        "/login" => next.run(req).await,
        _ if signed_in => next.run(req).await,
        _ if users == 0 => Redirect::to("/setup").into_response(),
        _ => {
            let wanted = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
            let next: String = url::form_urlencoded::byte_serialize(wanted.as_bytes()).collect();
            Redirect::to(&format!("/login?next={next}")).into_response()
        }
    }
}
