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
