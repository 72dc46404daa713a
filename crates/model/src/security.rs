//! API tokens, sign-in locks and the audit log as the console shows them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Role;

/// What every API token starts with, so a leaked one is easy to recognise.
pub const TOKEN_PREFIX: &str = "fry_";

/// An API token as its owner sees it: never the secret itself.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    /// Its id.
    pub id: Uuid,
    /// The owner's name for it ("nightly backup script").
    pub name: String,
    /// The most it may do; never more than its owner's role at the time of use.
    pub role: Role,
    /// The first characters of the token, to tell tokens apart.
    pub hint: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was last used (to the minute), if ever.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A token just made: the secret is shown this once and never again.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    /// The token as stored.
    pub token: TokenView,
    /// The secret to put in `Authorization: Bearer …`.
    pub secret: String,
}

/// Checks a token's name: 1 to 64 characters, no control characters.
///
/// # Errors
/// A sentence for the form.
pub fn validate_token_name(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim();
    if name.is_empty() {
        return Err("Give the token a name that says what uses it.");
    }
    if name.chars().count() > 64 {
        return Err("A token name is at most 64 characters.");
    }
    if name.chars().any(char::is_control) {
        return Err("A token name cannot contain control characters.");
    }
    Ok(name.to_owned())
}

/// A sign-in lock in force: an account or an address that failed too often.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInLock {
    /// `account` or `address`.
    pub kind: String,
    /// The username or the address.
    pub subject: String,
    /// Failures counted in the current window.
    pub failures: i64,
    /// When the lock ends by itself.
    pub locked_until: DateTime<Utc>,
}

/// One entry of the audit log.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Its id (ordered by time).
    pub id: Uuid,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// Who acted: a username, with the token's name when a token was used.
    pub actor: String,
    /// The client's address, if the change came over the network.
    pub source_addr: Option<String>,
    /// What happened, dotted (`provider.created`).
    pub action: String,
    /// What it happened to.
    pub target: Option<String>,
    /// Details in a sentence; never a secret.
    pub detail: String,
}

/// Which audit entries to show: every field narrows, none means everything.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct AuditQuery {
    /// Part of the actor's name, any case.
    #[serde(default)]
    pub actor: Option<String>,
    /// The action or the start of one (`provider.` for every provider change).
    #[serde(default)]
    pub action: Option<String>,
    /// Part of the target or the details, any case.
    #[serde(default)]
    pub text: Option<String>,
    /// Only entries at or after this time.
    #[serde(default)]
    pub since: Option<DateTime<Utc>>,
    /// Only entries before this time.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
    /// Only entries older than this one (the next page).
    #[serde(default)]
    pub before: Option<Uuid>,
    /// At most this many (1 to 1,000; 100 when absent).
    #[serde(default)]
    pub limit: Option<i64>,
}

impl AuditQuery {
    /// The page size asked for, within 1..=1,000.
    #[must_use]
    pub fn page_size(&self) -> i64 {
        self.limit.unwrap_or(100).clamp(1, 1_000)
    }
}

/// A page of the audit log, newest first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    /// The entries.
    pub entries: Vec<AuditEntry>,
    /// Whether older entries match too.
    pub more: bool,
}

/// The actions people and tokens leave in the audit log, for the page's filter.
pub const AUDIT_ACTIONS: [(&str, &str); 9] = [
    ("user.sign_in", "Signed in"),
    ("user.sign_in_failed", "Sign-in failed"),
    ("user.", "Users and roles"),
    ("provider.", "Providers"),
    ("job.", "Migrations"),
    ("token.", "API tokens"),
    ("prices.", "Price table"),
    ("document.", "Documents"),
    ("security.", "Security"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_names_are_trimmed_and_bounded() {
        assert_eq!(validate_token_name("  nightly backup ").unwrap(), "nightly backup");
        assert!(validate_token_name("   ").is_err());
        assert!(validate_token_name(&"x".repeat(65)).is_err());
        assert!(validate_token_name("a\u{0}b").is_err());
        assert_eq!(validate_token_name(&"é".repeat(64)).unwrap().chars().count(), 64);
    }

    #[test]
    fn audit_pages_stay_within_bounds() {
        assert_eq!(AuditQuery::default().page_size(), 100);
        assert_eq!(AuditQuery { limit: Some(0), ..AuditQuery::default() }.page_size(), 1);
        assert_eq!(AuditQuery { limit: Some(i64::MAX), ..AuditQuery::default() }.page_size(), 1_000);
    }
}
