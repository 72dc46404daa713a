//! The SQLite store: one file, no set-up, the default.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

use crate::security::security_store;
use crate::shared::shared_store;
use crate::{DbError, Dialect, Result};

/// Ferry's state in a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Readers (WAL lets them run beside the writer).
    pool: SqlitePool,
    /// The one connection that writes: writers queue for it in order instead of
    /// meeting a locked database and sleeping in SQLite's busy handler.
    writer: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the SQLite database at `url`.
    ///
    /// # Errors
    /// [`DbError::InvalidUrl`] for a malformed URL, [`DbError::Unavailable`] when the
    /// file cannot be opened or created, [`DbError::Migration`] when migrating fails.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| DbError::InvalidUrl(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await
            .map_err(|e| DbError::Unavailable(format!("cannot open SQLite database: {e}")))?;
        sqlx::migrate!("../../migrations/sqlite").run(&writer).await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| DbError::Unavailable(format!("cannot open SQLite database: {e}")))?;
        Ok(Self { pool, writer })
    }

    fn writer(&self) -> &SqlitePool {
        &self.writer
    }
}

/// SQLite serialises writers: the insert-if-empty in one transaction is enough.
async fn lock_users_for_setup(_tx: &mut Transaction<'_, Sqlite>) -> Result<()> {
    Ok(())
}

/// One process uses a SQLite store: in-process events reach its pages, so there
/// is nothing to notify or to listen to.
async fn notify_in(_tx: &mut Transaction<'_, Sqlite>, _job_id: uuid::Uuid) -> Result<()> {
    Ok(())
}

async fn notify_job(_pool: &sqlx::SqlitePool, _job_id: uuid::Uuid) -> Result<()> {
    Ok(())
}

async fn listen_jobs(_pool: &sqlx::SqlitePool) -> Result<Option<crate::JobIds>> {
    Ok(None)
}

// SQLite runs one writer at a time: the claim's single UPDATE is atomic as it is.
shared_store!(SqliteStore, sqlx::sqlite::SqliteRow, Dialect::Sqlite, "", "BEGIN IMMEDIATE");
security_store!(SqliteStore, sqlx::sqlite::SqliteRow);
