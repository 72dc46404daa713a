//! The PostgreSQL store: for several Ferry processes sharing one database.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool, Postgres, Transaction};

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
}

/// Two transactions could both see an empty table under read committed; a
/// transaction-scoped advisory lock makes first-run setup happen once.
async fn lock_users_for_setup(tx: &mut Transaction<'_, Postgres>) -> Result<()> {
    sqlx::query("select pg_advisory_xact_lock(7284110021)").execute(&mut **tx).await?;
    Ok(())
}

// Workers in several processes skip rows another claim holds instead of waiting.
shared_store!(PgStore, sqlx::postgres::PgRow, Dialect::Postgres, "for update skip locked", "BEGIN");
