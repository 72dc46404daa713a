//! Rows as the store hands them out and takes them in.

use chrono::{DateTime, Utc};
use ferry_model::job::{FilterSpec, ItemAction, ItemStatus, JobStatus, OverwritePolicy, Strategy};
use ferry_model::provider::{Health, ProviderKind, ProviderStatus};
use ferry_model::{Role, UserSummary};
use uuid::Uuid;

/// An account with its password hash; only the sign-in code needs the hash.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// What the console may see.
    pub user: UserSummary,
    /// An argon2id PHC string.
    pub password_hash: String,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord").field("user", &self.user).field("password_hash", &"<redacted>").finish()
    }
}

/// An account to create.
#[derive(Clone)]
pub struct NewUser {
    /// Normalised username.
    pub username: String,
    /// An argon2id PHC string.
    pub password_hash: String,
    /// Its role.
    pub role: Role,
}

/// A stored web session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The session id from the cookie.
    pub id: String,
    /// The session's data, JSON.
    pub data: String,
    /// Unix seconds after which the session is gone.
    pub expires_at: i64,
}

/// An audit entry to append.
#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    /// The account that acted, if known.
    pub actor_user_id: Option<Uuid>,
    /// Who acted, as shown: a username, `cli` or `anonymous`.
    pub actor_name: String,
    /// The client address, if the change came over the network.
    pub source_addr: Option<String>,
    /// What happened, dotted: `user.sign_in`, `user.created`.
    pub action: String,
    /// What it happened to, for example a username.
    pub target: Option<String>,
    /// A sentence with details; never a secret.
    pub detail: String,
}

/// A change to the catalog recorded with an item's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogChange {
    /// A document's copy on a provider (the document is created when new).
    Record(CopyRecord),
    /// The copy at this key is gone (deleted or moved away).
    Forget {
        /// The provider.
        provider_id: Uuid,
        /// The key.
        key: String,
    },
}

/// How one item's attempt ended, for [`crate::Store::finish_items`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFinish {
    /// The item.
    pub source_key: String,
    /// The lease token it was claimed with.
    pub token: String,
    /// How it ended.
    pub outcome: ItemOutcome,
    /// What the catalog learns from it.
    pub catalog: Vec<CatalogChange>,
}

/// What a worker notes on an item while it works it (`None` leaves a field alone).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemMark {
    /// The destination's version before it is replaced.
    pub prior_version: Option<String>,
    /// Where the destination's object was backed up before it is replaced or deleted.
    pub prior_backup: Option<String>,
    /// The copy is written and verified with this SHA-256.
    pub copied_sha256: Option<String>,
}

/// An outbox entry: a job's state change or a failed item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobEvent {
    /// Its id (UUIDv7, so ordered by time).
    pub id: Uuid,
    /// The job.
    pub job_id: Uuid,
    /// `status` or `item_failed`.
    pub kind: String,
    /// The new state (with the error, if any), or the item's key and error.
    pub detail: String,
    /// When.
    pub occurred_at: DateTime<Utc>,
}

/// An audit entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Its id (UUIDv7, so ordered by time).
    pub id: Uuid,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// The account that acted, if known.
    pub actor_user_id: Option<Uuid>,
    /// Who acted, as shown.
    pub actor_name: String,
    /// The client address.
    pub source_addr: Option<String>,
    /// What happened.
    pub action: String,
    /// What it happened to.
    pub target: Option<String>,
    /// Details.
    pub detail: String,
}

/// A provider as stored: settings as JSON, secrets sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderRecord {
    /// Its id; also the associated data its sealed secrets are bound to.
    pub id: Uuid,
    /// Unique name (case-insensitively).
    pub name: String,
    /// Its kind.
    pub kind: ProviderKind,
    /// [`ferry_model::provider::ProviderSettings`] as JSON.
    pub settings: String,
    /// Sealed secrets, if any.
    pub secrets: Option<String>,
    /// Active, read-only or disabled.
    pub status: ProviderStatus,
    /// The preferred destination; at most one provider is.
    pub primary: bool,
    /// The last health check's verdict.
    pub health: Health,
    /// What the last check found.
    pub health_message: String,
    /// When it was checked.
    pub last_check_at: Option<DateTime<Utc>>,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
    /// Catalogued documents with a copy here.
    pub documents: i64,
    /// Their bytes.
    pub bytes: i64,
}

impl std::fmt::Debug for ProviderRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("status", &self.status)
            .field("secrets", &self.secrets.as_ref().map(|_| "<sealed>"))
            .finish_non_exhaustive()
    }
}

/// A provider to create or the new state of one to update.
#[derive(Clone)]
pub struct ProviderWrite {
    /// Chosen by the caller, so secrets can be sealed to it before the insert.
    pub id: Uuid,
    /// Unique name.
    pub name: String,
    /// Its kind.
    pub kind: ProviderKind,
    /// Settings JSON.
    pub settings: String,
    /// Sealed secrets.
    pub secrets: Option<String>,
    /// Status.
    pub status: ProviderStatus,
    /// Primary flag; setting it clears it on every other provider.
    pub primary: bool,
}

/// A migration as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    /// Its id.
    pub id: Uuid,
    /// Its settings.
    pub spec: JobSpec,
    /// Where it stands.
    pub status: JobStatus,
    /// How many times it has run.
    pub run_no: i32,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// Who created it.
    pub created_by: Option<Uuid>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When the current run started.
    pub started_at: Option<DateTime<Utc>>,
    /// When the last run ended.
    pub finished_at: Option<DateTime<Utc>>,
}

/// A migration's settings: what to move, where, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpec {
    /// Unique name.
    pub name: String,
    /// The source provider.
    pub source_id: Uuid,
    /// Only keys under this prefix ("" for all).
    pub source_prefix: String,
    /// The destination provider.
    pub dest_id: Uuid,
    /// Keys are written under this prefix.
    pub dest_prefix: String,
    /// Which objects.
    pub filter: FilterSpec,
    /// Copy, move or mirror.
    pub strategy: Strategy,
    /// What to do with existing destination objects.
    pub overwrite: OverwritePolicy,
    /// Prove every copy by hash.
    pub verify: bool,
    /// Plan only.
    pub dry_run: bool,
    /// Objects in flight at once.
    pub concurrency: i32,
    /// Bytes per second, when limited.
    pub bandwidth_limit: Option<i64>,
    /// Attempts per item before it fails.
    pub max_attempts: i32,
    /// Mirror: delete destination objects the source no longer has.
    pub mirror_deletes: bool,
    /// Mirror: the most deletions one run may make before it stops and asks.
    pub max_deletes: i32,
    /// `manual`, `at <RFC 3339>` or `cron <expr>`.
    pub schedule: String,
}

/// One planned object of a migration, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRecord {
    /// The migration.
    pub job_id: Uuid,
    /// The source key (relative to the source provider's root).
    pub source_key: String,
    /// The destination key.
    pub dest_key: String,
    /// What the plan says.
    pub action: ItemAction,
    /// Why, for skips and deletes.
    pub reason: Option<String>,
    /// Size in bytes.
    pub size: i64,
    /// The source's etag when planned.
    pub source_etag: Option<String>,
    /// The source version when planned.
    pub source_version: Option<String>,
    /// The source's modification time.
    pub source_modified: Option<DateTime<Utc>>,
    /// Where it stands.
    pub status: ItemStatus,
    /// Attempts so far.
    pub attempts: i32,
    /// Not before this (unix ms).
    pub next_attempt_at: i64,
    /// The current lease's token.
    pub lease_token: Option<String>,
    /// The worker that holds the item, or that finished it.
    pub lease_owner: Option<String>,
    /// SHA-256 of what was read.
    pub source_sha256: Option<String>,
    /// SHA-256 of what the destination holds.
    pub dest_sha256: Option<String>,
    /// The destination's etag after the write.
    pub dest_etag: Option<String>,
    /// The destination's version after the write.
    pub dest_version: Option<String>,
    /// The version the destination held before (versioned destinations).
    pub prior_version: Option<String>,
    /// Where the prior destination object was kept (unversioned destinations).
    pub prior_backup: Option<String>,
    /// The catalog document.
    pub document_id: Option<Uuid>,
    /// Failure kind.
    pub error_kind: Option<String>,
    /// Failure in words.
    pub error_message: Option<String>,
    /// When it settled.
    pub finished_at: Option<DateTime<Utc>>,
    /// How its rollback ended: `undone`, `kept` (changed since; left alone) or `failed`.
    pub rollback_status: Option<String>,
    /// The rollback's result in words.
    pub rollback_message: Option<String>,
}

/// An item the planner adds (or refreshes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewItem {
    /// Source key.
    pub source_key: String,
    /// Destination key.
    pub dest_key: String,
    /// What to do.
    pub action: ItemAction,
    /// Why (skips).
    pub reason: Option<String>,
    /// Bytes.
    pub size: i64,
    /// Source etag.
    pub source_etag: Option<String>,
    /// Source version.
    pub source_version: Option<String>,
    /// Source modification time.
    pub source_modified: Option<DateTime<Utc>>,
}

/// How a worker's attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemOutcome {
    /// Copied and verified (or copied, when verification is off: `verified` false).
    Done {
        /// Whether the copy was proven by hash.
        verified: bool,
        /// SHA-256 of the bytes.
        sha256: String,
        /// Destination etag.
        dest_etag: Option<String>,
        /// Destination version.
        dest_version: Option<String>,
        /// What the destination held before, for rollback.
        prior_version: Option<String>,
        /// Where the prior object was kept, for rollback.
        prior_backup: Option<String>,
        /// The catalog document.
        document_id: Option<Uuid>,
    },
    /// A temporary failure: try again at `at` (unix ms).
    Retry {
        /// When.
        at: i64,
        /// Error kind.
        kind: String,
        /// Error message.
        message: String,
    },
    /// A permanent failure.
    Failed {
        /// Error kind.
        kind: String,
        /// Error message.
        message: String,
    },
}

/// One copy of a document on one provider, for the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyRecord {
    /// The document.
    pub document_id: Uuid,
    /// A title for people: the file name when first seen.
    pub title: String,
    /// The provider holding the copy.
    pub provider_id: Uuid,
    /// Its key there.
    pub key: String,
    /// SHA-256 of its bytes.
    pub sha256: Option<String>,
    /// Bytes.
    pub size: i64,
    /// Version id, else etag.
    pub revision: Option<String>,
    /// `canonical`, `mirror`, `conflict` or `archived`.
    pub sync_status: String,
    /// When Ferry last saw it.
    pub last_seen_at: DateTime<Utc>,
}

/// A document as the catalog list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRow {
    /// Its id.
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// One of its copies' keys (the smallest).
    pub key: String,
    /// Copies catalogued.
    pub copies: i64,
    /// Bytes of the largest copy.
    pub size: i64,
    /// Distinct recorded SHA-256 values among its copies.
    pub hashes: i64,
    /// Copies marked as a conflict.
    pub conflicts: i64,
}
