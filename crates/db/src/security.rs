//! API tokens, sign-in throttling and audit-log search: the part of the store the
//! security features need, kept apart from the engine's tables. Both dialects
//! share the SQL through `security_store!`, as they do for [`Store`](crate::Store).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ferry_model::Role;
use ferry_model::security::{AuditQuery, TokenView};
use uuid::Uuid;

use crate::{AuditEvent, Result};

/// An API token as stored (its SHA-256, never the token): what its owner sees,
/// and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// The token as the console shows it.
    pub token: TokenView,
    /// The account it acts for.
    pub user_id: Uuid,
}

/// A token to store.
#[derive(Debug, Clone)]
pub struct NewTokenRecord {
    /// The account it acts for.
    pub user_id: Uuid,
    /// Its name.
    pub name: String,
    /// The most it may do.
    pub role: Role,
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    /// The first characters of the token.
    pub hint: String,
}

/// Failed sign-ins counted for one account or one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleRecord {
    /// `account:<name>` or `address:<ip>`.
    pub subject: String,
    /// Failures in the current window.
    pub failures: i64,
    /// When the current window began.
    pub window_started_at: DateTime<Utc>,
    /// Until when sign-in is refused, if it is.
    pub locked_until: Option<DateTime<Utc>>,
}

/// What the security features keep in the database.
#[async_trait]
pub trait SecurityStore: Send + Sync {
    /// Stores a new token.
    async fn create_token(&self, new: &NewTokenRecord) -> Result<TokenRecord>;

    /// The token with this hash, revoked or not; `NotFound` when none.
    async fn token_by_hash(&self, token_hash: &str) -> Result<TokenRecord>;

    /// Tokens of one account (or of all accounts), newest first.
    async fn list_tokens(&self, user_id: Option<Uuid>) -> Result<Vec<TokenRecord>>;

    /// Notes that a token was used.
    async fn touch_token(&self, id: Uuid, at: DateTime<Utc>) -> Result<()>;

    /// Revokes a token, only if it belongs to `user_id` when one is given; false
    /// when there was no such live token.
    async fn revoke_token(&self, id: Uuid, user_id: Option<Uuid>, at: DateTime<Utc>) -> Result<bool>;

    /// The failure count for a subject, if any.
    async fn throttle(&self, subject: &str) -> Result<Option<ThrottleRecord>>;

    /// Writes a subject's failure count.
    async fn save_throttle(&self, record: &ThrottleRecord) -> Result<()>;

    /// Forgets a subject's failures (a good sign-in, or an administrator's unlock).
    async fn clear_throttle(&self, subject: &str) -> Result<bool>;

    /// Subjects locked at `now`.
    async fn locked_subjects(&self, now: DateTime<Utc>) -> Result<Vec<ThrottleRecord>>;

    /// Audit entries matching a query, newest first (one more than the page size,
    /// so the caller knows whether there are more).
    async fn search_audit(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>>;
}

/// Expands to `impl SecurityStore for $store` for a store with `pool` and `writer()`;
/// it uses the helpers `shared_store!` defines in the same module (`like_pattern`,
/// `parse_role`, `audit_from_row`).
macro_rules! security_store {
    ($store:ty, $row:ty) => {
        #[async_trait::async_trait]
        impl $crate::security::SecurityStore for $store {
            async fn create_token(
                &self,
                new: &$crate::security::NewTokenRecord,
            ) -> $crate::Result<$crate::security::TokenRecord> {
                let stored = $crate::security::TokenRecord {
                    token: ferry_model::security::TokenView {
                        id: uuid::Uuid::now_v7(),
                        name: new.name.clone(),
                        role: new.role,
                        hint: new.hint.clone(),
                        created_at: chrono::Utc::now(),
                        last_used_at: None,
                        revoked_at: None,
                    },
                    user_id: new.user_id,
                };
                sqlx::query(
                    "insert into api_token (api_token_id, user_id, name, role, token_hash, hint, created_at)
                     values ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(stored.token.id)
                .bind(stored.user_id)
                .bind(&stored.token.name)
                .bind(stored.token.role.as_str())
                .bind(&new.token_hash)
                .bind(&stored.token.hint)
                .bind(stored.token.created_at)
                .execute(self.writer())
                .await?;
                Ok(stored)
            }

            async fn token_by_hash(&self, token_hash: &str) -> $crate::Result<$crate::security::TokenRecord> {
                let row = sqlx::query("select * from api_token where token_hash = $1")
                    .bind(token_hash)
                    .fetch_one(&self.pool)
                    .await?;
                token_from_row(&row)
            }

            async fn list_tokens(
                &self,
                user_id: Option<uuid::Uuid>,
            ) -> $crate::Result<Vec<$crate::security::TokenRecord>> {
                let rows = sqlx::query(
                    "select * from api_token where ($1 is null or user_id = $1) order by api_token_id desc",
                )
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(token_from_row).collect()
            }

            async fn touch_token(&self, id: uuid::Uuid, at: chrono::DateTime<chrono::Utc>) -> $crate::Result<()> {
                sqlx::query("update api_token set last_used_at = $2 where api_token_id = $1")
                    .bind(id)
                    .bind(at)
                    .execute(self.writer())
                    .await?;
                Ok(())
            }

            async fn revoke_token(
                &self,
                id: uuid::Uuid,
                user_id: Option<uuid::Uuid>,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "update api_token set revoked_at = $3
                     where api_token_id = $1 and ($2 is null or user_id = $2) and revoked_at is null",
                )
                .bind(id)
                .bind(user_id)
                .bind(at)
                .execute(self.writer())
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn throttle(&self, subject: &str) -> $crate::Result<Option<$crate::security::ThrottleRecord>> {
                let row = sqlx::query("select * from sign_in_throttle where subject = $1")
                    .bind(subject)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(throttle_from_row).transpose()
            }

            async fn save_throttle(&self, record: &$crate::security::ThrottleRecord) -> $crate::Result<()> {
                sqlx::query(
                    "insert into sign_in_throttle (subject, failures, window_started_at, locked_until)
                     values ($1, $2, $3, $4)
                     on conflict (subject) do update set failures = excluded.failures,
                       window_started_at = excluded.window_started_at, locked_until = excluded.locked_until",
                )
                .bind(&record.subject)
                .bind(record.failures)
                .bind(record.window_started_at)
                .bind(record.locked_until)
                .execute(self.writer())
                .await?;
                Ok(())
            }

            async fn clear_throttle(&self, subject: &str) -> $crate::Result<bool> {
                let done = sqlx::query("delete from sign_in_throttle where subject = $1")
                    .bind(subject)
                    .execute(self.writer())
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn locked_subjects(
                &self,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Vec<$crate::security::ThrottleRecord>> {
                let rows = sqlx::query(
                    "select * from sign_in_throttle where locked_until is not null and locked_until > $1
                     order by subject",
                )
                .bind(now)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(throttle_from_row).collect()
            }

            async fn search_audit(
                &self,
                query: &ferry_model::security::AuditQuery,
            ) -> $crate::Result<Vec<$crate::AuditEvent>> {
                // An action ending in `.` is a family (`provider.`); otherwise the exact action.
                let action = query.action.as_deref().filter(|a| !a.is_empty()).map(|a| {
                    let escaped = a.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
                    if a.ends_with('.') { format!("{escaped}%") } else { escaped }
                });
                let rows = sqlx::query(
                    r"select * from audit_event
                     where ($1 is null or lower(actor_name) like $1 escape '\')
                       and ($2 is null or action like $2 escape '\')
                       and ($3 is null or lower(coalesce(target, '')) like $3 escape '\'
                                       or lower(detail) like $3 escape '\')
                       and ($4 is null or occurred_at >= $4)
                       and ($5 is null or occurred_at < $5)
                       and ($6 is null or audit_event_id < $6)
                     order by audit_event_id desc
                     limit $7",
                )
                .bind(like_pattern(query.actor.as_deref()))
                .bind(action)
                .bind(like_pattern(query.text.as_deref()))
                .bind(query.since)
                .bind(query.until)
                .bind(query.before)
                .bind(query.page_size() + 1)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(audit_from_row).collect()
            }
        }

        fn token_from_row(row: &$row) -> $crate::Result<$crate::security::TokenRecord> {
            let role: String = sqlx::Row::try_get(row, "role")?;
            Ok($crate::security::TokenRecord {
                token: ferry_model::security::TokenView {
                    id: sqlx::Row::try_get(row, "api_token_id")?,
                    name: sqlx::Row::try_get(row, "name")?,
                    role: parse_role(&role)?,
                    hint: sqlx::Row::try_get(row, "hint")?,
                    created_at: sqlx::Row::try_get(row, "created_at")?,
                    last_used_at: sqlx::Row::try_get(row, "last_used_at")?,
                    revoked_at: sqlx::Row::try_get(row, "revoked_at")?,
                },
                user_id: sqlx::Row::try_get(row, "user_id")?,
            })
        }

        fn throttle_from_row(row: &$row) -> $crate::Result<$crate::security::ThrottleRecord> {
            Ok($crate::security::ThrottleRecord {
                subject: sqlx::Row::try_get(row, "subject")?,
                failures: sqlx::Row::try_get(row, "failures")?,
                window_started_at: sqlx::Row::try_get(row, "window_started_at")?,
                locked_until: sqlx::Row::try_get(row, "locked_until")?,
            })
        }
    };
}

pub(crate) use security_store;
