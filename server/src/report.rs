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

/// Query options.
#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    /// The plan (action and reason) rather than the results.
    #[serde(default)]
    plan: Option<u8>,
}

/// Quotes a CSV field when needed; a leading `=`, `+`, `-` or `@` is neutralised so
/// spreadsheets never run a key as a formula.
fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) { format!("'{value}") } else { value.to_owned() };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
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

/// The handler.
pub async fn csv(
    State(state): State<ServerState>,
    session: Session,
    Path(id): Path<String>,
    Query(query): Query<ReportQuery>,
) -> Response {
    let store = state.app.store.clone();
    match app::ssr::user_of_session(store.as_ref(), &session).await {
        // Every role may read reports.
        Ok(Some(_)) => {}
        Ok(_) => return (StatusCode::UNAUTHORIZED, "Sign in to download reports.").into_response(),
        Err(_) => {
            return (StatusCode::SERVICE_UNAVAILABLE, "Ferry cannot reach its database.").into_response();
        }
    }
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
    let plan = query.plan.unwrap_or(0) != 0;
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

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_are_quoted_and_formulas_neutralised() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=cmd()"), "'=cmd()");
        assert_eq!(field("line\nbreak"), "\"line\nbreak\"");
    }
}
