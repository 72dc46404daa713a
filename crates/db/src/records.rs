//! Rows as the store hands them out and takes them in.

use chrono::{DateTime, Utc};
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
