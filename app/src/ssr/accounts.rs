//! Sign-in, sign-out, first-run setup and account management: the logic behind
//! the account server functions.

use chrono::Utc;
use ferry_db::{DbError, NewAuditEvent, NewUser};
use ferry_model::{Role, UserSummary, validate_password, validate_username};

use crate::error::AppError;
use crate::ssr::{
    USER_ID_KEY, audit, client_addr, db_error, internal, password, require, security, session, state,
};

/// The one message for a wrong password, an unknown user and a disabled account.
pub const SIGN_IN_REFUSED: &str = "Wrong username or password.";

/// Where to go after signing in: a local path only, never another site.
#[must_use]
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.starts_with("/login")
                && !path.starts_with("/setup")
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn required<'a>(field: &str, value: Option<&'a str>, message: &str) -> Result<&'a str, AppError> {
    match value {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(AppError::invalid(field, message)),
    }
}

/// Checks the credentials, rotates the session id and stores the user in it.
///
/// # Errors
/// [`AppError::Invalid`] on the `password` field for every refusal, so the form
/// never tells whether the username exists.
pub async fn sign_in(
    username: Option<String>,
    password: Option<String>,
    next: Option<String>,
) -> Result<String, AppError> {
    let state = state()?;
    let raw_name = required("username", username.as_deref(), "Enter your username.")?;
    let pass = required("password", password.as_deref(), "Enter your password.")?.to_owned();
    let addr = client_addr().await;
    security::check_sign_in_allowed(state.store.as_ref(), raw_name, addr.as_deref()).await?;
    // A name that cannot exist is looked up as nothing, and still costs a hash check.
    let record = match validate_username(raw_name) {
        Ok(name) => match state.store.user_by_username(&name).await {
            Ok(record) => Some(record),
            Err(DbError::NotFound) => None,
            Err(e) => return Err(db_error(e)),
        },
        Err(_) => None,
    };
    let phc = record.as_ref().map_or_else(|| password::DECOY_HASH.to_owned(), |r| r.password_hash.clone());
    let matches = password::verify(pass, phc).await;
    let user = match record {
        Some(r) if matches && !r.user.disabled => r.user,
        other => {
            let (delay, locked) =
                security::record_sign_in_failure(state.store.as_ref(), raw_name, addr.as_deref()).await;
            let detail = if locked {
                format!("wrong username or password; sign-in locked for {} minutes", security::LOCK_MINUTES)
            } else {
                "wrong username or password".to_owned()
            };
            audit(
                state.store.as_ref(),
                NewAuditEvent {
                    actor_user_id: other.as_ref().map(|r| r.user.id),
                    actor_name: "anonymous".to_owned(),
                    source_addr: addr,
                    action: "user.sign_in_failed".to_owned(),
                    target: Some(raw_name.chars().take(64).collect()),
                    detail,
                },
            )
            .await;
            tokio::time::sleep(delay).await;
            return Err(AppError::invalid("password", SIGN_IN_REFUSED));
        }
    };
    security::clear_account_failures(state.store.as_ref(), raw_name).await;
    let session = session().await?;
    // A fresh id at sign-in: a session id planted before sign-in is worth nothing.
    session.cycle_id().await.map_err(|e| internal(format!("session cycle failed: {e}")))?;
    session.insert(USER_ID_KEY, user.id).await.map_err(|e| internal(format!("session write failed: {e}")))?;
    if let Err(e) = state.store.record_login(user.id, Utc::now()).await {
        tracing::warn!(error = %e, "could not record the sign-in time");
    }
    audit(
        state.store.as_ref(),
        NewAuditEvent {
            actor_user_id: Some(user.id),
            actor_name: user.username.clone(),
            source_addr: addr,
            action: "user.sign_in".to_owned(),
            target: Some(user.username.clone()),
            detail: String::new(),
        },
    )
    .await;
    Ok(safe_next(next.as_deref()))
}

/// Ends the session on the server, so the cookie is worthless afterwards.
///
/// # Errors
/// [`AppError::Internal`] when the session cannot be deleted.
pub async fn sign_out() -> Result<(), AppError> {
    let state = state()?;
    let session = session().await?;
    if let Ok(Some(user)) = crate::ssr::user_of_session(state.store.as_ref(), &session).await {
        audit(
            state.store.as_ref(),
            NewAuditEvent {
                actor_user_id: Some(user.id),
                actor_name: user.username.clone(),
                source_addr: client_addr().await,
                action: "user.sign_out".to_owned(),
                target: Some(user.username),
                detail: String::new(),
            },
        )
        .await;
    }
    session.flush().await.map_err(|e| internal(format!("session delete failed: {e}")))
}

struct ValidNewUser {
    username: String,
    password: String,
}

fn validate_new_user(
    username: Option<&str>,
    password: Option<&str>,
    confirm: Option<&str>,
) -> Result<ValidNewUser, AppError> {
    let username = validate_username(username.unwrap_or_default())
        .map_err(|e| AppError::invalid("username", e.to_string()))?;
    let password = password.unwrap_or_default();
    validate_password(password).map_err(|e| AppError::invalid("password", e.to_string()))?;
    if confirm != Some(password) {
        return Err(AppError::invalid("confirm", "The two passwords differ. Type the same password twice."));
    }
    Ok(ValidNewUser { username, password: password.to_owned() })
}

/// Creates the first administrator while no account exists, and signs them in.
///
/// # Errors
/// Field-level [`AppError::Invalid`]; [`AppError::Conflict`] once setup is done.
pub async fn first_run_setup(
    username: Option<String>,
    password: Option<String>,
    confirm: Option<String>,
) -> Result<String, AppError> {
    let state = state()?;
    let valid = validate_new_user(username.as_deref(), password.as_deref(), confirm.as_deref())?;
    let new = NewUser {
        username: valid.username,
        password_hash: password::hash(valid.password.clone()).await?,
        role: Role::Admin,
    };
    let record = state.store.create_first_user(&new).await.map_err(|e| match e {
        DbError::Conflict { .. } => {
            AppError::Conflict("Ferry is already set up. Sign in with an existing account.".to_owned())
        }
        other => db_error(other),
    })?;
    audit(
        state.store.as_ref(),
        NewAuditEvent {
            actor_user_id: Some(record.user.id),
            actor_name: record.user.username.clone(),
            source_addr: client_addr().await,
            action: "user.created".to_owned(),
            target: Some(record.user.username.clone()),
            detail: "first administrator, created by first-run setup".to_owned(),
        },
    )
    .await;
    sign_in(Some(record.user.username), Some(valid.password), None).await
}

/// Creates an account (administrators only).
///
/// # Errors
/// [`AppError::Forbidden`] for other roles, field-level [`AppError::Invalid`],
/// [`AppError::Invalid`] on `username` when the name is taken.
pub async fn create_account(
    username: Option<String>,
    password: Option<String>,
    confirm: Option<String>,
    role: Option<String>,
) -> Result<UserSummary, AppError> {
    let caller = require(Role::Admin).await?;
    let state = state()?;
    let role: Role = role
        .as_deref()
        .unwrap_or("viewer")
        .parse()
        .map_err(|e: ferry_model::account::UnknownRole| AppError::invalid("role", e.to_string()))?;
    let valid = validate_new_user(username.as_deref(), password.as_deref(), confirm.as_deref())?;
    let new =
        NewUser { username: valid.username, password_hash: password::hash(valid.password).await?, role };
    let record = state.store.create_user(&new).await.map_err(|e| match e {
        DbError::Conflict { .. } => AppError::invalid("username", "That username is taken. Choose another."),
        other => db_error(other),
    })?;
    caller
        .audit(
            state.store.as_ref(),
            "user.created",
            &record.user.username,
            format!("role {}", record.user.role),
        )
        .await;
    Ok(record.user)
}

/// Changes a user's role (administrators only). Nobody changes their own role, and
/// the last active administrator stays one.
///
/// # Errors
/// [`AppError::Forbidden`] for other roles, [`AppError::Conflict`] for the cases above.
pub async fn change_role(id: uuid::Uuid, role: Role) -> Result<UserSummary, AppError> {
    let caller = require(Role::Admin).await?;
    let state = state()?;
    if caller.user.id == id {
        return Err(AppError::Conflict(
            "You cannot change your own role; ask another administrator.".to_owned(),
        ));
    }
    let user = state.store.user_by_id(id).await.map_err(super::db_error_about("That user"))?.user;
    if user.role == Role::Admin && role != Role::Admin && !user.disabled {
        last_admin_guard(&state, "change the role of").await?;
    }
    state.store.set_user_role(id, role, chrono::Utc::now()).await.map_err(db_error)?;
    caller
        .audit(state.store.as_ref(), "user.role_changed", &user.username, format!("{} → {}", user.role, role))
        .await;
    Ok(state.store.user_by_id(id).await.map_err(db_error)?.user)
}

/// Disables (or enables again) a user (administrators only). A disabled user's
/// sessions stop working at once. Nobody disables themselves or the last active
/// administrator.
///
/// # Errors
/// [`AppError::Forbidden`] for other roles, [`AppError::Conflict`] for the cases above.
pub async fn set_disabled(id: uuid::Uuid, disabled: bool) -> Result<UserSummary, AppError> {
    let caller = require(Role::Admin).await?;
    let state = state()?;
    if caller.user.id == id && disabled {
        return Err(AppError::Conflict("You cannot disable your own account.".to_owned()));
    }
    let user = state.store.user_by_id(id).await.map_err(super::db_error_about("That user"))?.user;
    if disabled && user.role == Role::Admin && !user.disabled {
        last_admin_guard(&state, "disable").await?;
    }
    state.store.set_user_disabled(id, disabled, chrono::Utc::now()).await.map_err(db_error)?;
    let action = if disabled { "user.disabled" } else { "user.enabled" };
    caller.audit(state.store.as_ref(), action, &user.username, String::new()).await;
    Ok(state.store.user_by_id(id).await.map_err(db_error)?.user)
}

/// Refuses when only one active administrator is left.
async fn last_admin_guard(state: &super::AppState, what: &str) -> Result<(), AppError> {
    let users = state.store.list_users().await.map_err(db_error)?;
    let admins = users.iter().filter(|u| u.user.role == Role::Admin && !u.user.disabled).count();
    if admins <= 1 {
        return Err(AppError::Conflict(format!(
            "Ferry needs at least one active administrator: you cannot {what} the last one."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/migrations?x=1")), "/migrations?x=1");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("/login")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn new_users_are_checked_field_by_field() {
        let err = |u, p, c| validate_new_user(u, p, c).err().unwrap();
        assert!(
            err(None, Some("long enough pw"), Some("long enough pw")).field_message("username").is_some()
        );
        assert!(err(Some("ok"), Some("short"), Some("short")).field_message("password").is_some());
        assert!(
            err(Some("ok"), Some("long enough pw"), Some("other long pw")).field_message("confirm").is_some()
        );
        let ok = validate_new_user(Some(" Ada "), Some("long enough pw"), Some("long enough pw")).unwrap();
        assert_eq!(ok.username, "ada");
    }

    #[tokio::test]
    async fn decoy_hash_parses_and_never_matches() {
        assert!(argon2::PasswordHash::new(password::DECOY_HASH).is_ok());
        assert!(!password::verify("anything".into(), password::DECOY_HASH.into()).await);
        let phc = password::hash("correct horse".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(password::verify("correct horse".into(), phc.clone()).await);
        assert!(!password::verify("wrong horse".into(), phc).await);
    }
}
