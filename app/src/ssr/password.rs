//! Password hashing with argon2id, off the async threads.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::error::AppError;
use crate::ssr::internal;

/// A PHC string for `password` (argon2id, the crate's recommended parameters).
///
/// # Errors
/// [`AppError::Internal`] if hashing fails.
pub async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| internal(format!("password hashing task failed: {e}")))?
}

/// Whether `password` matches `phc`. A malformed stored hash never matches.
pub async fn verify(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&phc)
            .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash of nothing in particular, verified against when the username is unknown
/// so that unknown names and wrong passwords take the same time.
pub const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$ZmVycnlkZWNveXNhbHQ$GJtcZDuiW9X7Zk2D0vQ4c9mXwqLHsYQ3Zc6b8Nf1nD4";
