//! `/ws`: the live channel. Signed-in, same-origin browsers only. It carries a
//! heartbeat with the server's clock every second and, for the migrations a page
//! asks to watch, their progress: at most a few updates a second each, read from
//! the database (the truth) whenever the engine — in this process, or another one
//! through PostgreSQL NOTIFY — says something changed, and once a second anyway.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ferry_db::{DbError, Store};
use ferry_engine::{EventKind, Events};
use ferry_model::job::JobStatus;
use ferry_model::progress::RecentItem;
use ferry_model::{LiveMessage, LiveRequest, ProgressView, RateWindow};
use futures::{SinkExt, StreamExt};
use tokio::sync::{broadcast, watch};
use tower_sessions::Session;
use uuid::Uuid;

use crate::origin::same_origin;
use crate::state::ServerState;

const HEARTBEAT: Duration = Duration::from_secs(1);
/// The shortest gap between two progress messages for one migration.
const PUSH_EVERY: Duration = Duration::from_millis(250);
/// The most migrations one socket watches.
const MAX_WATCHED: usize = 50;
/// Recent items per progress message.
const RECENT: usize = 8;

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
    let store = state.app.store.clone();
    let events = state.app.runner.options().events.clone();
    upgrade.on_upgrade(move |socket| live(socket, shutdown, store, events))
}

/// One watched migration.
#[derive(Default)]
struct Watched {
    window: RateWindow,
    recent: VecDeque<RecentItem>,
    last: Option<ProgressView>,
    dirty: bool,
    /// Items are heard from this process's engine (else read from the database).
    local: bool,
}

/// Reads the migration's progress; `None` when it does not exist.
async fn snapshot(
    store: &dyn Store,
    id: Uuid,
    watched: &mut Watched,
) -> Result<Option<ProgressView>, DbError> {
    let job = match store.job_by_id(id).await {
        Ok(job) => job,
        Err(DbError::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let counts = store.job_counts(id).await?;
    let now = chrono::Utc::now();
    watched.window.record(
        now.timestamp_millis(),
        counts.done + counts.failed,
        counts.done_bytes + counts.failed_bytes,
    );
    let (objects_per_sec, bytes_per_sec) = watched.window.rates();
    let active = matches!(
        job.status,
        JobStatus::Planning | JobStatus::Running | JobStatus::Verifying | JobStatus::RollingBack
    );
    // Items another process finishes are only in the database.
    if !watched.local || watched.recent.is_empty() {
        watched.recent.clear();
        for item in store.recent_items(id, i64::try_from(RECENT).unwrap_or(8)).await? {
            let status = match item.status.as_str() {
                "verified" | "copied" => "done",
                other => other,
            };
            watched.recent.push_back(RecentItem {
                key: item.source_key,
                status: status.to_owned(),
                size: item.size,
            });
        }
    }
    let elapsed = job.started_at.map(|t| {
        let end = if active { now } else { job.finished_at.unwrap_or(now) };
        u64::try_from((end - t).num_seconds()).unwrap_or(0)
    });
    let rollback = if matches!(job.status, JobStatus::RollingBack | JobStatus::RolledBack) {
        Some(store.rollback_counts(id).await?)
    } else {
        None
    };
    Ok(Some(ProgressView {
        job_id: id,
        rollback,
        status: job.status,
        eta_secs: if active { watched.window.eta_secs(&counts) } else { None },
        counts,
        objects_per_sec: if active { objects_per_sec } else { 0.0 },
        bytes_per_sec: if active { bytes_per_sec } else { 0.0 },
        elapsed_secs: elapsed,
        recent: watched.recent.iter().cloned().collect(),
    }))
}

async fn send(tx: &mut futures::stream::SplitSink<WebSocket, Message>, msg: &LiveMessage) -> bool {
    match serde_json::to_string(msg) {
        Ok(text) => tx.send(Message::Text(text.into())).await.is_ok(),
        Err(_) => false,
    }
}

async fn live(socket: WebSocket, mut shutdown: watch::Receiver<bool>, store: Arc<dyn Store>, events: Events) {
    let (mut tx, mut rx) = socket.split();
    let mut heard = events.subscribe();
    let mut tick = tokio::time::interval(HEARTBEAT);
    let mut push = tokio::time::interval(PUSH_EVERY);
    push.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut watching: HashMap<Uuid, Watched> = HashMap::new();
    let mut seq = 0u64;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                seq += 1;
                if !send(&mut tx, &LiveMessage::Heartbeat { server_time: chrono::Utc::now(), seq }).await {
                    break;
                }
                // Once a second anyway: changes made where no event reaches us count too.
                for w in watching.values_mut() {
                    w.dirty = true;
                }
            }
            _ = push.tick() => {
                let mut gone = Vec::new();
                for (id, w) in watching.iter_mut().filter(|(_, w)| w.dirty) {
                    w.dirty = false;
                    let msg = match snapshot(store.as_ref(), *id, w).await {
                        Ok(Some(view)) if w.last.as_ref() != Some(&view) => {
                            w.last = Some(view.clone());
                            LiveMessage::Progress(view)
                        }
                        Ok(Some(_)) => continue,
                        Ok(None) => {
                            gone.push(*id);
                            LiveMessage::Gone { job_id: *id }
                        }
                        // The database is away for a moment: try again on the next tick.
                        Err(e) => {
                            tracing::debug!(job = %id, error = %e, "progress snapshot failed");
                            continue;
                        }
                    };
                    if !send(&mut tx, &msg).await {
                        return;
                    }
                }
                for id in gone {
                    watching.remove(&id);
                }
            }
            event = heard.recv() => match event {
                Ok(event) => {
                    if let Some(w) = watching.get_mut(&event.job_id) {
                        w.dirty = true;
                        if let EventKind::Item { key, status, size } = event.kind {
                            w.local = true;
                            w.recent.push_front(RecentItem { key, status, size });
                            w.recent.truncate(RECENT);
                        }
                    }
                }
                // Too slow to keep up: every watched migration is read again.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    for w in watching.values_mut() {
                        w.dirty = true;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => heard = events.subscribe(),
            },
            incoming = rx.next() => match incoming {
                Some(Ok(Message::Text(text))) => match serde_json::from_str::<LiveRequest>(&text) {
                    Ok(LiveRequest::Watch { jobs }) => {
                        let jobs: Vec<Uuid> = jobs.into_iter().take(MAX_WATCHED).collect();
                        watching.retain(|id, _| jobs.contains(id));
                        for id in jobs {
                            watching.entry(id).or_insert_with(|| Watched { dirty: true, ..Watched::default() });
                        }
                    }
                    // A request this server does not understand ends the conversation plainly.
                    Err(_) => {
                        let frame = CloseFrame { code: 1003, reason: "Ferry did not understand that request".into() };
                        let _ = tx.send(Message::Close(Some(frame))).await;
                        break;
                    }
                },
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
