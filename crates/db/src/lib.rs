//! Ferry's state. [`Store`] is the one interface the rest of Ferry uses; SQLite
//! (the default, a file in the data directory) and PostgreSQL (for several Ferry
//! processes sharing one queue) implement it with the same SQL wherever the two
//! dialects agree, and with the same migration versions.

mod error;
mod postgres;
mod records;
pub mod seal;
pub mod security;
mod shared;
mod sqlite;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ferry_model::Role;
use ferry_model::job::{ItemStatus, JobCounts, JobStatus};
use ferry_model::provider::{Health, ProviderStatus};
use uuid::Uuid;

pub use error::{DbError, Result};
pub use postgres::PgStore;
pub use records::{
    AuditEvent, CatalogChange, CopyRecord, DocumentRow, ItemFinish, ItemMark, ItemOutcome, ItemRecord,
    JobEvent, JobRecord, JobSpec, NewAuditEvent, NewItem, NewUser, ProviderRecord, ProviderWrite, SessionRow,
    UserRecord,
};
pub use security::SecurityStore;
pub use sqlite::SqliteStore;

/// Job ids heard from other processes.
pub type JobIds = futures::stream::BoxStream<'static, Uuid>;

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Dialect {
    /// `sqlite` or `postgres`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }

    /// The dialect a database URL asks for, from its scheme.
    ///
    /// # Errors
    /// [`DbError::InvalidUrl`] when the URL does not parse or names another database.
    pub fn from_url(url: &str) -> Result<Self> {
        let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or_default();
        match scheme {
            "sqlite" => Ok(Dialect::Sqlite),
            "postgres" | "postgresql" => Ok(Dialect::Postgres),
            _ => Err(DbError::InvalidUrl(format!(
                "expected a sqlite:// or postgres:// URL, got `{}`",
                redact_url(url)
            ))),
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything Ferry keeps in its database.
#[async_trait]
pub trait Store: SecurityStore + Send + Sync + fmt::Debug + 'static {
    /// Which database this is.
    fn dialect(&self) -> Dialect;

    /// Checks that the database answers.
    async fn ping(&self) -> Result<()>;

    /// Closes the connection pool; later calls fail.
    async fn close(&self);

    /// How many accounts exist.
    async fn count_users(&self) -> Result<i64>;

    /// How many accounts have each role (roles without accounts are left out).
    async fn count_users_by_role(&self) -> Result<Vec<(Role, i64)>>;

    /// Creates an account. The username must already be normalised.
    ///
    /// Fails with [`DbError::Conflict`] when the username is taken.
    async fn create_user(&self, new: &NewUser) -> Result<UserRecord>;

    /// Creates the first account, only while no account exists at all.
    ///
    /// Fails with [`DbError::Conflict`] once any account exists, so first-run setup
    /// happens once even when two browsers try at the same moment.
    async fn create_first_user(&self, new: &NewUser) -> Result<UserRecord>;

    /// One account by id.
    async fn user_by_id(&self, id: Uuid) -> Result<UserRecord>;

    /// One account by its (normalised) username.
    async fn user_by_username(&self, username: &str) -> Result<UserRecord>;

    /// Every account, ordered by username.
    async fn list_users(&self) -> Result<Vec<UserRecord>>;

    /// Notes a successful sign-in.
    async fn record_login(&self, id: Uuid, at: DateTime<Utc>) -> Result<()>;

    /// Changes an account's role.
    async fn set_user_role(&self, id: Uuid, role: Role, at: DateTime<Utc>) -> Result<()>;

    /// Enables or disables an account.
    async fn set_user_disabled(&self, id: Uuid, disabled: bool, at: DateTime<Utc>) -> Result<()>;

    /// A session by id, if it exists and expires after `now` (unix seconds).
    async fn session_load(&self, id: &str, now: i64) -> Result<Option<SessionRow>>;

    /// Inserts a session only if its id is new; returns whether it was inserted.
    async fn session_create(&self, row: &SessionRow) -> Result<bool>;

    /// Inserts or replaces a session.
    async fn session_save(&self, row: &SessionRow) -> Result<()>;

    /// Deletes a session; deleting a missing one is not an error.
    async fn session_delete(&self, id: &str) -> Result<()>;

    /// Deletes sessions that expired at or before `now`; returns how many.
    async fn session_delete_expired(&self, now: i64) -> Result<u64>;

    /// Sessions that expire after `now`.
    async fn count_active_sessions(&self, now: i64) -> Result<i64>;

    /// Appends to the audit log.
    async fn append_audit(&self, event: &NewAuditEvent) -> Result<AuditEvent>;

    /// The newest audit entries first.
    async fn list_audit(&self, limit: i64) -> Result<Vec<AuditEvent>>;

    /// How many audit entries exist.
    async fn count_audit(&self) -> Result<i64>;

    /// Adds a provider. Fails with [`DbError::Conflict`] when the name is taken
    /// (names compare without case).
    async fn create_provider(&self, new: &ProviderWrite) -> Result<ProviderRecord>;

    /// Replaces a provider's name, settings, secrets, status and primary flag.
    async fn update_provider(&self, change: &ProviderWrite) -> Result<ProviderRecord>;

    /// One provider, with its catalog counts.
    async fn provider_by_id(&self, id: Uuid) -> Result<ProviderRecord>;

    /// Every provider, by name, with catalog counts.
    async fn list_providers(&self) -> Result<Vec<ProviderRecord>>;

    /// Changes only the status (disable, enable, read-only).
    async fn set_provider_status(&self, id: Uuid, status: ProviderStatus, at: DateTime<Utc>) -> Result<()>;

    /// Records a health check's verdict.
    async fn set_provider_health(
        &self,
        id: Uuid,
        health: Health,
        message: &str,
        at: DateTime<Utc>,
    ) -> Result<()>;

    /// Deletes a provider. Fails with [`DbError::Conflict`] while anything (a
    /// catalogued copy, a migration) still refers to it.
    async fn delete_provider(&self, id: Uuid) -> Result<()>;

    /// A run-time setting.
    async fn setting(&self, key: &str) -> Result<Option<String>>;

    /// Stores a setting unless one exists; returns whether it was stored.
    async fn insert_setting_if_absent(&self, key: &str, value: &str) -> Result<bool>;

    /// Sets a setting, replacing what it held.
    async fn set_setting(&self, key: &str, value: &str) -> Result<()>;

    /// Creates a migration in `draft`. Fails with [`DbError::Conflict`] when the
    /// name is taken or a provider does not exist.
    async fn create_job(&self, spec: &JobSpec, created_by: Option<Uuid>) -> Result<JobRecord>;

    /// One migration.
    async fn job_by_id(&self, id: Uuid) -> Result<JobRecord>;

    /// Every migration, newest first.
    async fn list_jobs(&self) -> Result<Vec<JobRecord>>;

    /// Moves a job from `from` to `to` only if it is still in `from` (compare and
    /// set); returns whether it moved. Sets the start time on entering `running`
    /// from `planning` or `ready`, the end time on a final status, and the error.
    async fn transition_job(
        &self,
        id: Uuid,
        from: JobStatus,
        to: JobStatus,
        error: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool>;

    /// Adds planned items, or refreshes them on a re-plan. Items a worker holds,
    /// and items already done whose source has not changed, are left alone.
    async fn upsert_items(&self, job_id: Uuid, items: &[NewItem]) -> Result<()>;

    /// Leases up to `limit` workable items of a job to `owner` until `lease_until`
    /// (unix ms): pending ones, ones whose retry time has come, and ones whose
    /// previous lease expired (a crashed worker). Each claim counts an attempt.
    async fn claim_items(
        &self,
        job_id: Uuid,
        owner: &str,
        token: &str,
        lease_until: i64,
        now: i64,
        limit: i64,
    ) -> Result<Vec<ItemRecord>>;

    /// Extends a lease; false when the lease was lost.
    async fn renew_lease(&self, job_id: Uuid, source_key: &str, token: &str, until: i64) -> Result<bool>;

    /// Records how several items' attempts ended, in one transaction: each fenced
    /// by its own lease token and written together with what the catalog learns
    /// from it. Returns, in order, whether each was recorded (false: the lease was
    /// lost, and the worker that holds it now records the item).
    async fn finish_items(
        &self,
        job_id: Uuid,
        finishes: &[ItemFinish],
        at: DateTime<Utc>,
    ) -> Result<Vec<bool>>;

    /// [`Store::finish_items`] for one item.
    async fn finish_item(
        &self,
        job_id: Uuid,
        source_key: &str,
        token: &str,
        outcome: &ItemOutcome,
        at: DateTime<Utc>,
        catalog: &[CatalogChange],
    ) -> Result<bool> {
        let finish = ItemFinish {
            source_key: source_key.to_owned(),
            token: token.to_owned(),
            outcome: outcome.clone(),
            catalog: catalog.to_vec(),
        };
        Ok(self
            .finish_items(job_id, std::slice::from_ref(&finish), at)
            .await?
            .first()
            .copied()
            .unwrap_or(false))
    }

    /// Notes on an item that its worker holds (fenced by the lease token) what a
    /// retry after a crash must know: the prior destination object kept before it
    /// is replaced, and that the copy is written and verified. Returns false when
    /// the lease was lost.
    async fn mark_item(&self, job_id: Uuid, source_key: &str, token: &str, mark: &ItemMark) -> Result<bool>;

    /// Items of a job by status (all when `None`), in key order after `after`.
    async fn list_items(
        &self,
        job_id: Uuid,
        status: Option<ItemStatus>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ItemRecord>> {
        self.search_items(job_id, status, None, after, limit).await
    }

    /// Items of a job by status, whose source key contains `search` (any case;
    /// `%` and `_` are plain characters), in key order after `after`.
    async fn search_items(
        &self,
        job_id: Uuid,
        status: Option<ItemStatus>,
        search: Option<&str>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ItemRecord>>;

    /// What a job's plan holds, by action, with its hash-verification tally.
    async fn plan_counts(&self, job_id: Uuid) -> Result<ferry_model::job::PlanCounts>;

    /// Documents in id order after `after`, whose title or a copy's key contains
    /// `search` (any case): `(id, title, a key, copies, largest size, distinct hashes, conflicts)`.
    async fn search_documents(
        &self,
        search: Option<&str>,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<DocumentRow>>;

    /// Objects and bytes copied (and verified) since `since`, across every job.
    async fn moved_since(&self, since: DateTime<Utc>) -> Result<(i64, i64)>;

    /// How a job's rollback stands: the items it wrote, and their rollback results.
    async fn rollback_counts(&self, job_id: Uuid) -> Result<ferry_model::job::RollbackCounts>;

    /// A job's progress from its items.
    async fn job_counts(&self, job_id: Uuid) -> Result<JobCounts>;

    /// A job's most recently finished items, newest first.
    async fn recent_items(&self, job_id: Uuid, limit: i64) -> Result<Vec<ItemRecord>>;

    /// Outbox entries, newest first: one job's or every job's, of one kind or all.
    async fn job_events(&self, job_id: Option<Uuid>, kind: Option<&str>, limit: i64)
    -> Result<Vec<JobEvent>>;

    /// Tells listeners in other processes that a job's progress changed
    /// (PostgreSQL NOTIFY; nothing on SQLite).
    async fn notify(&self, job_id: Uuid) -> Result<()>;

    /// Job ids other processes notify about, or `None` where a store has one
    /// process (SQLite). The stream ends when the connection is lost.
    async fn listen(&self) -> Result<Option<JobIds>>;

    /// Puts failed items back in the queue with fresh attempts — all of them, or
    /// those with these source keys; returns how many.
    async fn retry_failed_items(&self, job_id: Uuid, keys: Option<&[String]>) -> Result<u64>;

    /// Changes a job's bandwidth limit (bytes per second; `None` for none); a
    /// running job follows within moments.
    async fn set_job_bandwidth(&self, id: Uuid, limit: Option<i64>, at: DateTime<Utc>) -> Result<()>;

    /// Returns every leased item to the queue (attempts kept); for a restart of a
    /// store only one process uses. Returns how many.
    async fn release_all_leases(&self) -> Result<u64>;

    /// Done items whose rollback has not run yet, in key order.
    async fn items_to_roll_back(&self, job_id: Uuid, limit: i64) -> Result<Vec<ItemRecord>>;

    /// Records how an item's rollback ended.
    async fn set_rollback(&self, job_id: Uuid, source_key: &str, status: &str, message: &str) -> Result<()>;

    /// Records a document's copy on a provider (creating the document when new).
    /// A copy of another document at the same key is forgotten: it was replaced.
    async fn record_copy(&self, copy: &CopyRecord) -> Result<()>;

    /// Forgets the copy at `key` on a provider (it was deleted or moved away).
    async fn forget_copy(&self, provider_id: Uuid, key: &str) -> Result<()>;

    /// Records a re-check: the copy's sync status and when it was seen.
    async fn set_copy_status(
        &self,
        document_id: Uuid,
        provider_id: Uuid,
        sync_status: &str,
        at: DateTime<Utc>,
    ) -> Result<()>;

    /// The catalogued copy at `key` on a provider, if any.
    async fn find_copy(&self, provider_id: Uuid, key: &str) -> Result<Option<CopyRecord>>;

    /// The catalogued copies at any of `keys` on a provider (those it knows).
    async fn find_copies(&self, provider_id: Uuid, keys: &[String]) -> Result<Vec<CopyRecord>>;

    /// Every copy of a document, by provider.
    async fn document_copies(&self, document_id: Uuid) -> Result<Vec<CopyRecord>>;

    /// Figures for `/metrics`: `(family, label, value)` rows — jobs by status, items
    /// and their bytes by status, failed items by error kind.
    async fn metrics(&self) -> Result<Vec<(String, String, i64)>>;

    /// How many documents the catalog holds.
    async fn count_documents(&self) -> Result<i64>;
}

/// Opens the database a URL names, creating (SQLite) and migrating it.
///
/// `sqlite://path/to/file.db` or `postgres://user@host:port/db`.
///
/// # Errors
/// [`DbError::InvalidUrl`] for a URL of another kind; [`DbError::Unavailable`] when the
/// database cannot be reached or created; [`DbError::Migration`] when migrating fails.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>> {
    Ok(match Dialect::from_url(url)? {
        Dialect::Sqlite => Arc::new(SqliteStore::connect(url).await?),
        Dialect::Postgres => Arc::new(PgStore::connect(url).await?),
    })
}

/// A database URL with any password replaced by `***`, for logs and errors.
#[must_use]
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut parsed) if parsed.password().is_some() => {
            if parsed.set_password(Some("***")).is_ok() {
                parsed.to_string()
            } else {
                "<unprintable url>".to_owned()
            }
        }
        Ok(parsed) => parsed.to_string(),
        // An unparsable URL may still hold a password: show only its scheme.
        Err(_) => match raw.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://…"),
            None => "<unparsable url>".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialect_follows_the_scheme() {
        assert_eq!(Dialect::from_url("sqlite://data/ferry.db").unwrap(), Dialect::Sqlite);
        assert_eq!(Dialect::from_url("postgres://u@h/db").unwrap(), Dialect::Postgres);
        assert_eq!(Dialect::from_url("postgresql://u@h/db").unwrap(), Dialect::Postgres);
        let err = Dialect::from_url("mysql://root:hunter2@h/db").unwrap_err().to_string();
        assert!(err.contains("sqlite:// or postgres://"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn passwords_never_reach_printed_urls() {
        let shown = redact_url("postgres://ferry:s3cret@db.example:5432/ferry");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("***"), "{shown}");
        assert!(!redact_url("postgres://ferry:s3cret@[bad/x").contains("s3cret"));
    }
}
