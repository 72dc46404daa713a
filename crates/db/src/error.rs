//! The store's error type: what went wrong, in terms the caller can act on.

/// A store result.
pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A unique or check constraint refused the change.
    #[error("conflicts with existing data ({constraint})")]
    Conflict {
        /// The constraint's name, or a short description.
        constraint: String,
    },
    /// The database URL is not one Ferry can use.
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    /// The database cannot be reached, opened or created.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Applying the migrations failed.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// A stored value could not be read back (for example an unknown role).
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// Anything else the driver reported.
    #[error("database error")]
    Other(#[source] sqlx::Error),
}

impl DbError {
    /// Whether this is [`DbError::NotFound`].
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(self, DbError::NotFound)
    }

    /// Whether this is [`DbError::Conflict`].
    #[must_use]
    pub fn is_conflict(&self) -> bool {
        matches!(self, DbError::Conflict { .. })
    }
}

impl From<sqlx::Error> for DbError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => DbError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() || db.is_check_violation() => {
                DbError::Conflict { constraint: db.constraint().unwrap_or("unique").to_owned() }
            }
            // SQLite reports ON DELETE RESTRICT with the trigger code, not the foreign-key one.
            sqlx::Error::Database(db)
                if db.is_foreign_key_violation()
                    || db.message().contains("FOREIGN KEY constraint failed") =>
            {
                DbError::Conflict { constraint: db.constraint().unwrap_or("still referenced").to_owned() }
            }
            sqlx::Error::Io(e) => DbError::Unavailable(e.to_string()),
            sqlx::Error::PoolTimedOut => {
                DbError::Unavailable("timed out waiting for a database connection".to_owned())
            }
            sqlx::Error::PoolClosed => DbError::Unavailable("the store is closed".to_owned()),
            sqlx::Error::Tls(e) => DbError::Unavailable(format!("TLS: {e}")),
            other => DbError::Other(other),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for DbError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        DbError::Migration(err.to_string())
    }
}
