//! API tokens, sign-in throttling and the audit log: the logic behind their
//! server functions and the JSON API's token check.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{DateTime, Duration, Utc};
use ferry_db::security::{NewTokenRecord, ThrottleRecord};
use ferry_db::{AuditEvent, DbError, Store};
use ferry_model::Role;
use ferry_model::security::{
    AuditEntry, AuditPage, AuditQuery, NewToken, SignInLock, TOKEN_PREFIX, TokenView, validate_token_name,
};
use uuid::Uuid;

use crate::error::AppError;
use crate::ssr::{Caller, csv_field, db_error, hex, require, sha256_hex, state};

/// Failed sign-ins for one account within [`WINDOW_MINUTES`] before it is locked.
pub const ACCOUNT_LIMIT: i64 = 5;
/// Failed sign-ins from one address within [`WINDOW_MINUTES`] before it is locked.
pub const ADDRESS_LIMIT: i64 = 20;
/// How long failures are counted together.
pub const WINDOW_MINUTES: i64 = 15;
/// How long a lock lasts.
pub const LOCK_MINUTES: i64 = 15;

/// Hex SHA-256 of a token: tokens are long and random, so a fast hash is enough
/// (nothing to guess), and the database never holds a usable token.
#[must_use]
pub fn token_hash(secret: &str) -> String {
    sha256_hex(secret.as_bytes())
}

/// The caller's own tokens, newest first.
///
/// # Errors
/// [`AppError::Unauthenticated`] without a session.
pub async fn my_tokens() -> Result<Vec<TokenView>, AppError> {
    let caller = require(Role::Viewer).await?;
    let state = state()?;
    let tokens = state.store.list_tokens(Some(caller.user.id)).await.map_err(db_error)?;
    Ok(tokens.into_iter().map(|r| r.token).collect())
}

/// Makes a token for the caller, at most as strong as the caller's role; the
/// secret is in the answer and nowhere else.
///
/// # Errors
/// [`AppError::Invalid`] for a bad name or a role above the caller's.
pub async fn create_token(name: String, role: Option<Role>) -> Result<NewToken, AppError> {
    let caller = require(Role::Viewer).await?;
    if caller.token.is_some() {
        return Err(AppError::Conflict("A token cannot make tokens; sign in to the console.".to_owned()));
    }
    let state = state()?;
    let name = validate_token_name(&name).map_err(|m| AppError::invalid("name", m))?;
    let role = role.unwrap_or(caller.user.role);
    if !caller.user.role.allows(role) {
        return Err(AppError::invalid(
            "role",
            format!("A token cannot do more than you: at most {}.", caller.user.role.label()),
        ));
    }
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let secret = format!("{TOKEN_PREFIX}{}", hex(&bytes));
    let hint = format!("{}…", &secret[..TOKEN_PREFIX.len() + 6]);
    let record = state
        .store
        .create_token(&NewTokenRecord {
            user_id: caller.user.id,
            name,
            role,
            token_hash: token_hash(&secret),
            hint,
        })
        .await
        .map_err(db_error)?;
    caller.audit(state.store.as_ref(), "token.created", &record.token.name, format!("role {role}")).await;
    Ok(NewToken { token: record.token, secret })
}

/// Revokes one of the caller's tokens (administrators may revoke anyone's).
///
/// # Errors
/// [`AppError::NotFound`] when there is no such live token.
pub async fn revoke_token(id: Uuid) -> Result<(), AppError> {
    let caller = require(Role::Viewer).await?;
    let state = state()?;
    let owner = (caller.user.role != Role::Admin).then_some(caller.user.id);
    if !state.store.revoke_token(id, owner, Utc::now()).await.map_err(db_error)? {
        return Err(AppError::NotFound("That token".to_owned()));
    }
    caller.audit(state.store.as_ref(), "token.revoked", &id.to_string(), String::new()).await;
    Ok(())
}

/// Why a bearer token is refused, in words for the JSON API's 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    /// Not a Ferry token, or not one this Ferry made.
    Unknown,
    /// Revoked by its owner or an administrator.
    Revoked,
    /// Its owner's account is disabled or gone.
    OwnerDisabled,
}

impl TokenRefusal {
    /// The message the client sees.
    #[must_use]
    pub fn message(self) -> &'static str {
        match self {
            TokenRefusal::Unknown => "That API token is not valid.",
            TokenRefusal::Revoked => "That API token was revoked.",
            TokenRefusal::OwnerDisabled => "The account that owns this API token is disabled.",
        }
    }
}

/// The caller a bearer token stands for: its owner, with the lower of the
/// token's and the owner's role. Notes the use (to the minute).
///
/// # Errors
/// `Ok(Err(refusal))` for a token that is not accepted; `Err` when the database fails.
pub async fn caller_of_token(
    store: &dyn Store,
    secret: &str,
    addr: Option<String>,
) -> Result<Result<Caller, TokenRefusal>, AppError> {
    if !secret.starts_with(TOKEN_PREFIX) || secret.len() > 200 {
        return Ok(Err(TokenRefusal::Unknown));
    }
    let (token, owner) = match store.token_by_hash(&token_hash(secret)).await {
        Ok(record) => (record.token, record.user_id),
        Err(DbError::NotFound) => return Ok(Err(TokenRefusal::Unknown)),
        Err(e) => return Err(db_error(e)),
    };
    if token.revoked_at.is_some() {
        return Ok(Err(TokenRefusal::Revoked));
    }
    let mut user = match store.user_by_id(owner).await {
        Ok(record) if !record.user.disabled => record.user,
        Ok(_) | Err(DbError::NotFound) => return Ok(Err(TokenRefusal::OwnerDisabled)),
        Err(e) => return Err(db_error(e)),
    };
    if user.role.allows(token.role) {
        user.role = token.role;
    }
    let now = Utc::now();
    if token.last_used_at.is_none_or(|at| now - at > Duration::minutes(1))
        && let Err(e) = store.touch_token(token.id, now).await
    {
        tracing::warn!(error = %e, "could not note a token's use");
    }
    Ok(Ok(Caller { user, addr, token: Some(token.name) }))
}

fn account_subject(name: &str) -> String {
    format!("account:{}", name.trim().to_lowercase().chars().take(64).collect::<String>())
}

fn address_subject(addr: &str) -> String {
    format!("address:{addr}")
}

/// Refuses a sign-in while the account or the address is locked.
///
/// # Errors
/// [`AppError::Throttled`] saying until when.
pub async fn check_sign_in_allowed(
    store: &dyn Store,
    name: &str,
    addr: Option<&str>,
) -> Result<(), AppError> {
    let now = Utc::now();
    let mut subjects = vec![account_subject(name)];
    subjects.extend(addr.map(address_subject));
    for subject in subjects {
        if let Some(until) = store.throttle(&subject).await.map_err(db_error)?.and_then(|t| t.locked_until)
            && until > now
        {
            return Err(AppError::Throttled(format!(
                "Too many failed sign-ins. Try again after {} UTC, or ask an administrator to unlock it.",
                until.format("%H:%M")
            )));
        }
    }
    Ok(())
}

/// The next state of a subject's count after one more failure.
#[must_use]
pub fn after_failure(
    subject: &str,
    previous: Option<ThrottleRecord>,
    now: DateTime<Utc>,
    limit: i64,
) -> ThrottleRecord {
    let window = Duration::minutes(WINDOW_MINUTES);
    let (failures, started) = match previous {
        Some(p) if now - p.window_started_at < window && p.locked_until.is_none_or(|u| u > now) => {
            (p.failures + 1, p.window_started_at)
        }
        _ => (1, now),
    };
    ThrottleRecord {
        subject: subject.to_owned(),
        failures,
        window_started_at: started,
        locked_until: (failures >= limit).then(|| now + Duration::minutes(LOCK_MINUTES)),
    }
}

/// Counts a failed sign-in against the account and the address; returns how long
/// to hold the answer (failures just under the limit slow down), and whether
/// this failure started a lock.
pub async fn record_sign_in_failure(
    store: &dyn Store,
    name: &str,
    addr: Option<&str>,
) -> (std::time::Duration, bool) {
    let now = Utc::now();
    let mut delay = std::time::Duration::ZERO;
    let mut locked = false;
    let mut subjects = vec![(account_subject(name), ACCOUNT_LIMIT)];
    subjects.extend(addr.map(|a| (address_subject(a), ADDRESS_LIMIT)));
    for (subject, limit) in subjects {
        let previous = store.throttle(&subject).await.unwrap_or_default();
        let next = after_failure(&subject, previous, now, limit);
        // Two failures are free; then each one waits a second longer, up to the lock.
        if next.failures > 2 && next.locked_until.is_none() {
            delay = delay
                .max(std::time::Duration::from_secs(u64::try_from(next.failures - 2).unwrap_or(0).min(4)));
        }
        locked |= next.failures == limit;
        if let Err(e) = store.save_throttle(&next).await {
            tracing::warn!(error = %e, "could not count a failed sign-in");
        }
    }
    (delay, locked)
}

/// Forgets an account's failures after it signed in.
pub async fn clear_account_failures(store: &dyn Store, name: &str) {
    if let Err(e) = store.clear_throttle(&account_subject(name)).await {
        tracing::warn!(error = %e, "could not clear failed sign-ins");
    }
}

/// Locks in force (administrators only).
///
/// # Errors
/// [`AppError::Forbidden`] for other roles.
pub async fn locks() -> Result<Vec<SignInLock>, AppError> {
    require(Role::Admin).await?;
    let state = state()?;
    let records = state.store.locked_subjects(Utc::now()).await.map_err(db_error)?;
    Ok(records
        .into_iter()
        .filter_map(|r| {
            let (kind, subject) = r.subject.split_once(':')?;
            Some(SignInLock {
                kind: kind.to_owned(),
                subject: subject.to_owned(),
                failures: r.failures,
                locked_until: r.locked_until?,
            })
        })
        .collect())
}

/// Lifts a lock at once (administrators only).
///
/// # Errors
/// [`AppError::NotFound`] when there was no such lock.
pub async fn unlock(kind: String, subject: String) -> Result<(), AppError> {
    let caller = require(Role::Admin).await?;
    let state = state()?;
    let key = match kind.as_str() {
        "account" => account_subject(&subject),
        "address" => address_subject(&subject),
        _ => return Err(AppError::invalid("kind", "A lock is on an account or an address.")),
    };
    if !state.store.clear_throttle(&key).await.map_err(db_error)? {
        return Err(AppError::NotFound("That lock".to_owned()));
    }
    caller
        .audit(state.store.as_ref(), "security.unlocked", &format!("{kind} {subject}"), String::new())
        .await;
    Ok(())
}

fn entry_of(event: AuditEvent) -> AuditEntry {
    AuditEntry {
        id: event.id,
        occurred_at: event.occurred_at,
        actor: event.actor_name,
        source_addr: event.source_addr,
        action: event.action,
        target: event.target,
        detail: event.detail,
    }
}

/// A page of the audit log (administrators only).
///
/// # Errors
/// [`AppError::Forbidden`] for other roles; [`AppError::Invalid`] for a time range
/// that ends before it starts.
pub async fn audit_page(query: AuditQuery) -> Result<AuditPage, AppError> {
    require(Role::Admin).await?;
    let state = state()?;
    audit_page_of(state.store.as_ref(), &query).await
}

/// A page of the audit log, for callers already checked.
///
/// # Errors
/// [`AppError::Invalid`] for a time range that ends before it starts.
pub async fn audit_page_of(store: &dyn Store, query: &AuditQuery) -> Result<AuditPage, AppError> {
    if let (Some(since), Some(until)) = (query.since, query.until)
        && until < since
    {
        return Err(AppError::invalid("until", "The end of the time range is before its start."));
    }
    let mut events = store.search_audit(query).await.map_err(db_error)?;
    let size = usize::try_from(query.page_size()).unwrap_or(100);
    let more = events.len() > size;
    events.truncate(size);
    Ok(AuditPage { entries: events.into_iter().map(entry_of).collect(), more })
}

/// The audit log as CSV, every entry matching the query (at most 100,000).
///
/// # Errors
/// As [`audit_page_of`].
pub async fn audit_csv(store: &dyn Store, query: &AuditQuery) -> Result<String, AppError> {
    let mut out = String::from("occurred_at,actor,source_addr,action,target,detail\n");
    let mut query = AuditQuery { limit: Some(1_000), before: None, ..query.clone() };
    for _ in 0..100 {
        let page = audit_page_of(store, &query).await?;
        for e in &page.entries {
            let cells = [
                e.occurred_at.to_rfc3339(),
                e.actor.clone(),
                e.source_addr.clone().unwrap_or_default(),
                e.action.clone(),
                e.target.clone().unwrap_or_default(),
                e.detail.clone(),
            ];
            let line: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
            out.push_str(&line.join(","));
            out.push('\n');
        }
        match (page.more, page.entries.last()) {
            (true, Some(last)) => query.before = Some(last.id),
            _ => break,
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_hash_to_hex_and_differ() {
        let a = token_hash("fry_a");
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, token_hash("fry_b"));
    }

    #[test]
    fn failures_lock_at_the_limit_and_windows_expire() {
        let now = Utc::now();
        let mut record = None;
        for n in 1..=4 {
            let next = after_failure("account:ada", record.take(), now, 5);
            assert_eq!(next.failures, n);
            assert!(next.locked_until.is_none());
            record = Some(next);
        }
        let locked = after_failure("account:ada", record, now, 5);
        assert_eq!(locked.locked_until, Some(now + Duration::minutes(LOCK_MINUTES)));
        // Long after the window, counting starts again.
        let later = now + Duration::minutes(WINDOW_MINUTES + LOCK_MINUTES + 1);
        let fresh = after_failure("account:ada", Some(locked), later, 5);
        assert_eq!((fresh.failures, fresh.locked_until), (1, None));
    }
}
