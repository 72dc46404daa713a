//! `GET /migrations/{id}/report.csv`: every item of a migration as CSV (keys, sizes,
//! SHA-256 on both sides, status, error, rollback result), written page by page so
//! a migration of any size streams without being held in memory. `?plan=1` gives
//! the plan instead: what each item would do and why.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ferry_db::ItemRecord;
use futures::{StreamExt, stream};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use crate::state::ServerState;

use app::ssr::csv_field as field;

/// Query options.
#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    /// The plan (action and reason) rather than the results.
    #[serde(default)]
    plan: Option<u8>,
}

fn row(item: &ItemRecord, plan: bool) -> String {
    let opt = |v: &Option<String>| field(v.as_deref().unwrap_or_default());
    let cells = if plan {
        vec![
            field(&item.source_key),
            field(&item.dest_key),
            item.size.to_string(),
            item.action.as_str().to_owned(),
            opt(&item.reason),
        ]
    } else {
        vec![
            field(&item.source_key),
            field(&item.dest_key),
            item.size.to_string(),
            item.action.as_str().to_owned(),
            item.status.as_str().to_owned(),
            item.attempts.to_string(),
            opt(&item.source_sha256),
            opt(&item.dest_sha256),
            opt(&item.error_kind),
            opt(&item.error_message),
            opt(&item.rollback_status),
            opt(&item.rollback_message),
        ]
    };
    format!("{}\r\n", cells.join(","))
}

/// The session's user may `what` with at least the role `needed`; otherwise the
/// answer to send instead (401, 403, or 503 when the database is down).
async fn allowed(
    store: &dyn ferry_db::Store,
    session: &Session,
    needed: ferry_model::Role,
    what: &str,
) -> Result<(), Response> {
    match app::ssr::user_of_session(store, session).await {
        Ok(Some(user)) if user.role.allows(needed) => Ok(()),
        Ok(Some(_)) => {
            Err((StatusCode::FORBIDDEN, format!("Only a {} or above may {what}.", needed.label()))
                .into_response())
        }
        Ok(None) => Err((StatusCode::UNAUTHORIZED, format!("Sign in to {what}.")).into_response()),
        Err(_) => Err((StatusCode::SERVICE_UNAVAILABLE, "Ferry cannot reach its database.").into_response()),
    }
}

/// The handler.
pub async fn csv(
    State(state): State<ServerState>,
    session: Session,
    Path(id): Path<String>,
    Query(query): Query<ReportQuery>,
) -> Response {
    let store = state.app.store.clone();
    // Every role may read reports.
    if let Err(refused) =
        allowed(store.as_ref(), &session, ferry_model::Role::Viewer, "download reports").await
    {
        return refused;
    }
    job_csv(store, &id, query.plan.unwrap_or(0) != 0).await
}

/// A migration's report (or plan) as streamed CSV, for a caller already allowed to read it.
pub async fn job_csv(store: std::sync::Arc<dyn ferry_db::Store>, id: &str, plan: bool) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return (StatusCode::BAD_REQUEST, "That is not a migration id.").into_response();
    };
    let job = match store.job_by_id(id).await {
        Ok(job) => job,
        Err(e) if e.is_not_found() => {
            return (StatusCode::NOT_FOUND, "That migration was not found.").into_response();
        }
        Err(_) => {
            return (StatusCode::SERVICE_UNAVAILABLE, "Ferry cannot reach its database.").into_response();
        }
    };
    let header_row = if plan {
        "source_key,dest_key,size,action,reason\r\n"
    } else {
        "source_key,dest_key,size,action,status,attempts,source_sha256,dest_sha256,error_kind,error_message,rollback_status,rollback_message\r\n"
    };
    // Pages of 1,000 items in key order; the cursor is the last key sent.
    let pages = stream::unfold((store, Some(None::<String>)), move |(store, cursor)| async move {
        let after = cursor?;
        match store.list_items(id, None, after.as_deref(), 1000).await {
            Ok(items) if items.is_empty() => None,
            Ok(items) => {
                let next = items.last().map(|i| i.source_key.clone());
                let text: String = items.iter().map(|i| row(i, plan)).collect();
                Some((Ok::<_, std::io::Error>(text), (store, Some(next))))
            }
            Err(e) => Some((Err(std::io::Error::other(e.to_string())), (store, None))),
        }
    });
    let body = stream::iter([Ok::<_, std::io::Error>(header_row.to_owned())]).chain(pages);
    let name: String =
        job.spec.name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    let file = format!("{name}-{}.csv", if plan { "plan" } else { "report" });
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// `GET /audit.csv`: the audit log as CSV for administrators, filtered like the
/// audit page (`actor`, `action`, `text`, `since`, `until`).
pub async fn audit_csv(
    State(state): State<ServerState>,
    session: Session,
    Query(query): Query<ferry_model::security::AuditQuery>,
) -> Response {
    let store = state.app.store.clone();
    if let Err(refused) =
        allowed(store.as_ref(), &session, ferry_model::Role::Admin, "read the audit log").await
    {
        return refused;
    }
    match app::ssr::security::audit_csv(store.as_ref(), &query).await {
        Ok(text) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"ferry-audit.csv\""),
            ],
            text,
        )
            .into_response(),
        Err(e) => (
            StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            e.to_string(),
        )
            .into_response(),
    }
}
