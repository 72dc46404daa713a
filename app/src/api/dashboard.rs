//! Figures for the dashboard.

use ferry_model::DashboardCounts;
use leptos::prelude::*;

use crate::error::AppError;

/// Counts read from the database.
#[server(endpoint = "dashboard/counts")]
pub async fn load_dashboard() -> Result<DashboardCounts, AppError> {
    crate::ssr::respond(async {
        crate::ssr::require(ferry_model::Role::Viewer).await?;
        let store = crate::ssr::state()?.store;
        let db = crate::ssr::db_error;
        let mut counts = DashboardCounts {
            users: store.count_users().await.map_err(db)?,
            active_sessions: store.count_active_sessions(chrono::Utc::now().timestamp()).await.map_err(db)?,
            audit_events: store.count_audit().await.map_err(db)?,
            database: store.dialect().to_string(),
            ..DashboardCounts::default()
        };
        let week = chrono::Utc::now() - chrono::Duration::days(7);
        (counts.moved_week_objects, counts.moved_week_bytes) = store.moved_since(week).await.map_err(db)?;
        let mut names = std::collections::HashMap::new();
        for event in store.job_events(None, Some("item_failed"), 8).await.map_err(db)? {
            let name = match names.get(&event.job_id) {
                Some(name) => String::clone(name),
                None => {
                    let name = store.job_by_id(event.job_id).await.map(|j| j.spec.name).unwrap_or_default();
                    names.insert(event.job_id, name.clone());
                    name
                }
            };
            counts.recent_failures.push(ferry_model::RecentFailure {
                job_id: event.job_id,
                job_name: name,
                detail: event.detail,
                at: Some(event.occurred_at),
            });
        }
        for (role, n) in store.count_users_by_role().await.map_err(db)? {
            match role {
                ferry_model::Role::Admin => counts.admins = n,
                ferry_model::Role::Operator => counts.operators = n,
                ferry_model::Role::Viewer => counts.viewers = n,
            }
        }
        Ok(counts)
    })
    .await
}
