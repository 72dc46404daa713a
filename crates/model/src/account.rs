//! Accounts: roles, what a signed-in user looks like to the console, and the rules
//! for usernames and passwords.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a person may do in Ferry. Each role includes everything below it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Sees everything, changes nothing.
    Viewer,
    /// Creates and runs migrations.
    Operator,
    /// Manages providers, users and settings.
    Admin,
}

impl Role {
    /// Every role, from the least to the most powerful.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Operator, Role::Admin];

    /// The name stored in the database and used on the command line.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    /// A capitalised name for the console.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Role::Viewer => "Viewer",
            Role::Operator => "Operator",
            Role::Admin => "Administrator",
        }
    }

    /// Whether a user with this role may do what `needed` requires.
    #[must_use]
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of `admin`, `operator`, `viewer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRole(pub String);

impl fmt::Display for UnknownRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown role `{}` (expected admin, operator or viewer)", self.0)
    }
}

impl std::error::Error for UnknownRole {}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "viewer" => Ok(Role::Viewer),
            "operator" => Ok(Role::Operator),
            "admin" | "administrator" => Ok(Role::Admin),
            _ => Err(UnknownRole(s.to_owned())),
        }
    }
}

/// A user as the console shows it: never carries the password hash.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    /// Stable id.
    pub id: Uuid,
    /// Sign-in name, lowercase.
    pub username: String,
    /// What the user may do.
    pub role: Role,
    /// A disabled user cannot sign in.
    pub disabled: bool,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// The last successful sign-in, if any.
    pub last_login_at: Option<DateTime<Utc>>,
}

/// Why a username or password was refused; the message is meant for the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountError(pub &'static str);

impl fmt::Display for AccountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for AccountError {}

/// Longest accepted username, in bytes.
pub const USERNAME_MAX: usize = 64;
/// Shortest accepted password, in characters.
pub const PASSWORD_MIN: usize = 10;
/// Longest accepted password, in bytes (argon2 accepts more; nobody types more).
pub const PASSWORD_MAX: usize = 1024;

/// Normalises and checks a username: trimmed, lowercase, 1–64 of `a-z 0-9 . _ - @`.
///
/// # Errors
/// Returns a message for the form when the name is empty, too long or has other characters.
pub fn validate_username(raw: &str) -> Result<String, AccountError> {
    let name = raw.trim().to_lowercase();
    if name.is_empty() {
        return Err(AccountError("Enter a username."));
    }
    if name.len() > USERNAME_MAX {
        return Err(AccountError("Use at most 64 characters for the username."));
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-@".contains(c);
    if !name.chars().all(allowed) {
        return Err(AccountError("Use only letters, digits and . _ - @ in the username."));
    }
    Ok(name)
}

/// Checks a new password: 10 to 1024 characters, not only spaces.
///
/// # Errors
/// Returns a message for the form when the password is too short, too long or blank.
pub fn validate_password(password: &str) -> Result<(), AccountError> {
    if password.trim().is_empty() {
        return Err(AccountError("Enter a password."));
    }
    if password.chars().count() < PASSWORD_MIN {
        return Err(AccountError("Use at least 10 characters for the password."));
    }
    if password.len() > PASSWORD_MAX {
        return Err(AccountError("Use at most 1024 characters for the password."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_include_the_ones_below() {
        assert!(Role::Admin.allows(Role::Operator));
        assert!(Role::Admin.allows(Role::Viewer));
        assert!(Role::Operator.allows(Role::Viewer));
        assert!(!Role::Viewer.allows(Role::Operator));
        assert!(!Role::Operator.allows(Role::Admin));
        for role in Role::ALL {
            assert!(role.allows(role));
        }
    }

    #[test]
    fn roles_round_trip_through_text() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert_eq!(" Admin ".parse::<Role>(), Ok(Role::Admin));
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(validate_username("  Alice.B "), Ok("alice.b".to_owned()));
        assert!(validate_username("").is_err());
        assert!(validate_username("   ").is_err());
        assert!(validate_username("a b").is_err());
        assert!(validate_username("<script>").is_err());
        assert!(validate_username(&"x".repeat(65)).is_err());
        assert!(validate_username(&"x".repeat(64)).is_ok());
    }

    #[test]
    fn passwords_need_length() {
        assert!(validate_password("short").is_err());
        assert!(validate_password("          ").is_err());
        assert!(validate_password("long enough").is_ok());
        assert!(validate_password(&"p".repeat(1025)).is_err());
    }
}
