//! `/ws`: the live channel. Signed-in, same-origin browsers only. Today it carries
//! a heartbeat with the server's clock; migration progress will ride on it.

use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ferry_model::LiveMessage;
use futures::{SinkExt, StreamExt};
use tokio::sync::watch;
use tower_sessions::Session;

use crate::origin::same_origin;
use crate::state::ServerState;

const HEARTBEAT: Duration = Duration::from_secs(1);

/// Checks origin and session, then upgrades.
pub async fn handler(
    State(state): State<ServerState>,
    session: Session,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !same_origin(&headers, state.public_origin.as_deref()) {
        return (StatusCode::FORBIDDEN, "Cross-origin websocket refused.").into_response();
    }
    match app::ssr::user_of_session(state.app.store.as_ref(), &session).await {
        Ok(Some(_)) => {}
        Ok(None) => return (StatusCode::UNAUTHORIZED, "Sign in first.").into_response(),
        Err(_) => return (StatusCode::SERVICE_UNAVAILABLE, "Try again shortly.").into_response(),
    }
    let shutdown = state.shutdown.clone();
    upgrade.on_upgrade(move |socket| live(socket, shutdown))
}

async fn live(socket: WebSocket, mut shutdown: watch::Receiver<bool>) {
    let (mut tx, mut rx) = socket.split();
    let mut tick = tokio::time::interval(HEARTBEAT);
    let mut seq = 0u64;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                seq += 1;
                let msg = LiveMessage::Heartbeat { server_time: chrono::Utc::now(), seq };
                let Ok(text) = serde_json::to_string(&msg) else { break };
                if tx.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
            incoming = rx.next() => match incoming {
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            _ = shutdown.changed() => {
                let frame = CloseFrame { code: 1001, reason: "Ferry is restarting".into() };
                let _ = tx.send(Message::Close(Some(frame))).await;
                break;
            }
        }
    }
}
