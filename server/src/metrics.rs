//! `GET /metrics` in Prometheus text format: migrations by status, items and their
//! bytes by status, failed items by error kind, catalogued documents. Counts only —
//! no names, keys or secrets.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::ServerState;

fn family(name: &str) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match name {
        "jobs" => ("ferry_migrations", "status", "Migrations by status."),
        "items" => ("ferry_items", "status", "Migration items by status."),
        "item_bytes" => ("ferry_item_bytes", "status", "Bytes of migration items by status."),
        "failed_items" => ("ferry_failed_items", "kind", "Failed items by error kind."),
        "documents" => ("ferry_documents", "", "Documents in the catalog."),
        _ => return None,
    })
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The handler.
pub async fn handler(State(state): State<ServerState>) -> Response {
    let rows = match state.app.store.metrics().await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!(error = %e, "metrics unavailable");
            return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response();
        }
    };
    let mut out = String::new();
    let mut seen = Vec::new();
    for (fam, label, value) in &rows {
        let Some((name, label_name, help)) = family(fam) else { continue };
        if !seen.contains(&name) {
            seen.push(name);
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
        }
        if label_name.is_empty() {
            let _ = writeln!(out, "{name} {value}");
        } else {
            let _ = writeln!(out, "{name}{{{label_name}=\"{}\"}} {value}", escape(label));
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], out).into_response()
}
