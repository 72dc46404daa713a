//! Sign-in sessions kept in Ferry's own database (the `session` table), so they
//! survive restarts and are shared by every Ferry process on one PostgreSQL.

use std::sync::Arc;

use async_trait::async_trait;
use ferry_db::{SessionRow, Store};
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// A `tower-sessions` store over [`Store`].
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    store: Arc<dyn Store>,
}

impl DbSessionStore {
    /// Wraps the store.
    #[must_use]
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Deletes expired sessions every `period`, for as long as the process runs.
    pub fn spawn_cleanup(&self, period: std::time::Duration) -> tokio::task::JoinHandle<()> {
        let store = self.store.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tick.tick().await;
                match store.session_delete_expired(OffsetDateTime::now_utc().unix_timestamp()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(deleted = n, "expired sessions removed"),
                    Err(e) => tracing::warn!(error = %e, "expired session cleanup failed"),
                }
            }
        })
    }
}

fn to_row(record: &Record) -> session_store::Result<SessionRow> {
    Ok(SessionRow {
        id: record.id.to_string(),
        data: serde_json::to_string(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))?,
        expires_at: record.expiry_date.unix_timestamp(),
    })
}

fn backend(err: ferry_db::DbError) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // 128 random bits collide in theory only; draw again rather than overwrite.
        for _ in 0..8 {
            if self.store.session_create(&to_row(record)?).await.map_err(backend)? {
                return Ok(());
            }
            record.id = Id::default();
        }
        Err(session_store::Error::Backend("could not allocate a session id".to_owned()))
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.store.session_save(&to_row(record)?).await.map_err(backend)
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let Some(row) = self.store.session_load(&session_id.to_string(), now).await.map_err(backend)? else {
            return Ok(None);
        };
        let data =
            serde_json::from_str(&row.data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = OffsetDateTime::from_unix_timestamp(row.expires_at)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record { id: *session_id, data, expiry_date }))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        self.store.session_delete(&session_id.to_string()).await.map_err(backend)
    }
}
