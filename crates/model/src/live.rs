//! What the dashboard shows and what the server pushes over the websocket.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Figures the dashboard reads from the database.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardCounts {
    /// Accounts, enabled or not.
    pub users: i64,
    /// Accounts per role: admins, operators, viewers.
    pub admins: i64,
    /// Operators.
    pub operators: i64,
    /// Viewers.
    pub viewers: i64,
    /// Sessions that have not expired.
    pub active_sessions: i64,
    /// Entries in the audit log.
    pub audit_events: i64,
    /// Which database holds the state: `sqlite` or `postgres`.
    pub database: String,
    /// Objects copied in the last seven days.
    #[serde(default)]
    pub moved_week_objects: i64,
    /// Their bytes.
    #[serde(default)]
    pub moved_week_bytes: i64,
    /// The most recent failed items, newest first.
    #[serde(default)]
    pub recent_failures: Vec<RecentFailure>,
}

/// One failed item, for the dashboard.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentFailure {
    /// The migration.
    pub job_id: uuid::Uuid,
    /// Its name.
    pub job_name: String,
    /// The item's key and what went wrong.
    pub detail: String,
    /// When.
    pub at: Option<DateTime<Utc>>,
}

/// A message the server sends on `/ws`. Messages are hints: the page refetches the
/// real state through a server function whenever it (re)connects.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveMessage {
    /// Sent once a second: the server's clock and a counter since the socket opened.
    Heartbeat {
        /// The server's time.
        server_time: DateTime<Utc>,
        /// Increases by one with every heartbeat on this socket.
        seq: u64,
    },
    /// A watched migration's progress: pushed a few times a second while it
    /// changes, and once when it is first watched.
    Progress(crate::ProgressView),
    /// A watched migration does not exist (any more).
    Gone {
        /// The migration.
        job_id: uuid::Uuid,
    },
}

/// What a page asks of `/ws`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum LiveRequest {
    /// Push progress for these migrations (replaces the earlier list; at most 50).
    Watch {
        /// The migrations.
        jobs: Vec<uuid::Uuid>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_is_tagged_json() {
        let msg = LiveMessage::Heartbeat {
            server_time: DateTime::from_timestamp(0, 0).unwrap_or_default(),
            seq: 7,
        };
        let text = serde_json::to_string(&msg).unwrap();
        assert!(text.contains("\"type\":\"heartbeat\""), "{text}");
        assert_eq!(serde_json::from_str::<LiveMessage>(&text).unwrap(), msg);
    }
}
