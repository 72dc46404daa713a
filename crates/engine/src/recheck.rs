//! Drift: re-reads a catalogued copy and compares its SHA-256 with the one Ferry
//! recorded. A copy whose bytes changed, or that is gone, is marked `conflict` in
//! the catalog; an intact one has its last-seen time refreshed.

use chrono::Utc;
use ferry_db::{CopyRecord, Store};
use ferry_storage::{GetOptions, ObjectKey, Provider, ProviderError};
use futures::TryStreamExt;
use sha2::{Digest, Sha256};

use crate::EngineError;

/// What a re-check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// The bytes still have the recorded SHA-256.
    Intact,
    /// The bytes changed: their SHA-256 now.
    Changed(String),
    /// The copy is no longer there.
    Missing,
}

/// Reads an object through and returns its SHA-256 (lowercase hex).
///
/// # Errors
/// The provider's failure (not found included).
pub async fn hash_object(provider: &dyn Provider, key: &ObjectKey) -> Result<String, ProviderError> {
    let got = provider.get(key, GetOptions::default()).await?;
    let mut hasher = Sha256::new();
    let mut body = got.body;
    while let Some(chunk) = body.try_next().await? {
        hasher.update(&chunk);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Re-checks one copy on its provider and records the verdict.
///
/// # Errors
/// Provider failures other than "not found"; store failures.
pub async fn recheck_copy(
    store: &dyn Store,
    copy: &CopyRecord,
    provider: &dyn Provider,
) -> Result<Drift, EngineError> {
    let key = ObjectKey::new(copy.key.clone()).map_err(|e| EngineError::Invalid(e.to_string()))?;
    let drift = match hash_object(provider, &key).await {
        Ok(actual) if copy.sha256.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(&actual)) => {
            Drift::Intact
        }
        Ok(actual) => Drift::Changed(actual),
        Err(e) if e.is_not_found() => Drift::Missing,
        Err(e) => return Err(e.into()),
    };
    let status = if drift == Drift::Intact { copy.sync_status.as_str() } else { "conflict" };
    store.set_copy_status(copy.document_id, copy.provider_id, status, Utc::now()).await?;
    Ok(drift)
}
