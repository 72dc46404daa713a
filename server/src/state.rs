//! The router's state.

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use tokio::sync::watch;

/// What handlers reach: the console's state plus what only the server needs.
#[derive(Clone, Debug)]
pub struct ServerState {
    /// Shared with the server functions.
    pub app: app::ssr::AppState,
    /// Flips to `true` when Ferry is shutting down; long-lived connections close.
    pub shutdown: watch::Receiver<bool>,
    /// The configured public origin (`scheme://host[:port]`), if any.
    pub public_origin: Option<String>,
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(state: &ServerState) -> Self {
        state.app.leptos_options.clone()
    }
}

impl FromRef<ServerState> for app::ssr::AppState {
    fn from_ref(state: &ServerState) -> Self {
        state.app.clone()
    }
}
