//! The PostgreSQL store: for several Ferry processes sharing one database.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool, Postgres, Transaction};

use crate::security::security_store;
use crate::shared::shared_store;
use crate::{DbError, Dialect, Result, redact_url};

/// Ferry's state in PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to and migrates the PostgreSQL database at `url`.
    ///
    /// A `?options=-c search_path=NAME` parameter puts Ferry's tables in a schema of
    /// their own (the schema must exist).
    ///
    /// # Errors
    /// [`DbError::InvalidUrl`] for a malformed URL, [`DbError::Unavailable`] when the
    /// server cannot be reached, [`DbError::Migration`] when migrating fails.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| DbError::InvalidUrl(format!("{}: {e}", redact_url(url))))?;
        let where_ = format!("{}:{}", options.get_host(), options.get_port());
        // One direct attempt first: a refused connection fails at once with a clear
        // message instead of the pool retrying until its timeout.
        let probe = options
            .connect()
            .await
            .map_err(|e| DbError::Unavailable(format!("cannot reach PostgreSQL at {where_}: {e}")))?;
        let _ = probe.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| DbError::Unavailable(format!("cannot reach PostgreSQL at {where_}: {e}")))?;
        sqlx::migrate!("../../migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }

    /// PostgreSQL handles concurrent writers itself: one pool serves both.
    fn writer(&self) -> &PgPool {
        &self.pool
    }
}

/// Two transactions could both see an empty table under read committed; a
/// transaction-scoped advisory lock makes first-run setup happen once.
async fn lock_users_for_setup(tx: &mut Transaction<'_, Postgres>) -> Result<()> {
    sqlx::query("select pg_advisory_xact_lock(7284110021)").execute(&mut **tx).await?;
    Ok(())
}

/// The channel live pages listen on; the payload is a job id.
const CHANNEL: &str = "ferry_events";

async fn notify_in(tx: &mut Transaction<'_, Postgres>, job_id: uuid::Uuid) -> Result<()> {
    sqlx::query("select pg_notify($1, $2)").bind(CHANNEL).bind(job_id.to_string()).execute(&mut **tx).await?;
    Ok(())
}

async fn notify_job(pool: &PgPool, job_id: uuid::Uuid) -> Result<()> {
    sqlx::query("select pg_notify($1, $2)").bind(CHANNEL).bind(job_id.to_string()).execute(pool).await?;
    Ok(())
}

/// Job ids from NOTIFY on a connection of its own; the stream ends when the
/// connection is lost (the caller listens again).
async fn listen_jobs(pool: &PgPool) -> Result<Option<crate::JobIds>> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    let ids = futures::stream::unfold(listener, |mut listener| async move {
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) => {
                    if let Ok(id) = n.payload().parse::<uuid::Uuid>() {
                        return Some((id, listener));
                    }
                }
                Ok(None) | Err(_) => return None,
            }
        }
    });
    Ok(Some(Box::pin(ids)))
}

// Workers in several processes skip rows another claim holds instead of waiting.
shared_store!(PgStore, sqlx::postgres::PgRow, Dialect::Postgres, "for update skip locked", "BEGIN");
security_store!(PgStore, sqlx::postgres::PgRow);
