//! `ferry admin …`: account tasks for scripts and first installs.

use std::io::{BufRead, IsTerminal};

use ferry_db::{NewAuditEvent, NewUser, Store};
use ferry_model::{Role, validate_password, validate_username};

/// Why an admin task failed; printed as one line.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Bad input.
    #[error("{0}")]
    Invalid(String),
    /// The store refused.
    #[error("{0}")]
    Store(#[from] ferry_db::DbError),
}

/// Reads the password: asked twice on a terminal, else the first line of stdin.
///
/// # Errors
/// [`AdminError::Invalid`] when it cannot be read or the two entries differ.
pub fn read_password() -> Result<String, AdminError> {
    if std::io::stdin().is_terminal() {
        let first =
            rpassword::prompt_password("Password: ").map_err(|e| AdminError::Invalid(e.to_string()))?;
        let second =
            rpassword::prompt_password("Repeat: ").map_err(|e| AdminError::Invalid(e.to_string()))?;
        if first != second {
            return Err(AdminError::Invalid("the two passwords differ".to_owned()));
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| AdminError::Invalid(format!("cannot read the password from standard input: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Creates an account from the command line.
///
/// # Errors
/// [`AdminError::Invalid`] for a bad name, role or password, or a taken name.
pub async fn create_user(
    store: &dyn Store,
    username: &str,
    role: &str,
    password: String,
) -> Result<NewUserDone, AdminError> {
    let username = validate_username(username).map_err(|e| AdminError::Invalid(format!("username: {e}")))?;
    let role: Role = role.parse().map_err(|e| AdminError::Invalid(format!("role: {e}")))?;
    validate_password(&password).map_err(|e| AdminError::Invalid(format!("password: {e}")))?;
    let hash = app::ssr::password::hash(password)
        .await
        .map_err(|e| AdminError::Invalid(format!("password hashing failed: {e}")))?;
    let record = store
        .create_user(&NewUser { username: username.clone(), password_hash: hash, role })
        .await
        .map_err(|e| match e {
            ferry_db::DbError::Conflict { .. } => {
                AdminError::Invalid(format!("username: `{username}` is taken"))
            }
            other => AdminError::Store(other),
        })?;
    let _ = store
        .append_audit(&NewAuditEvent {
            actor_user_id: None,
            actor_name: "cli".to_owned(),
            source_addr: None,
            action: "user.created".to_owned(),
            target: Some(record.user.username.clone()),
            detail: format!("role {}, created with ferry admin create-user", record.user.role),
        })
        .await;
    Ok(NewUserDone { username: record.user.username, role: record.user.role })
}

/// What `create_user` made.
#[derive(Debug)]
pub struct NewUserDone {
    /// The normalised name.
    pub username: String,
    /// The role.
    pub role: Role,
}
