//! Rollback: undoes what a job's runs did, item by item, and records each item's
//! result so a rollback interrupted by a crash carries on where it stopped.
//!
//! - a copy Ferry created is deleted, but only while the destination still holds
//!   the bytes Ferry wrote (a copy changed since is kept and reported);
//! - an overwritten object is restored: the version Ferry wrote is deleted on a
//!   versioned destination, else the backup is copied back;
//! - a mirror deletion is restored from its backup;
//! - a moved document is copied back to the source (verified) before anything on
//!   the destination is removed.

use std::sync::Arc;

use chrono::Utc;
use ferry_db::{CopyRecord, ItemRecord, JobRecord, Store};
use ferry_model::job::{ItemAction, JobStatus, Strategy};
use ferry_storage::{
    DeleteOptions, ErrorKind, GetOptions, HashKind, ObjectKey, Provider, ProviderError, Result,
};
use futures::TryStreamExt;
use sha2::{Digest, Sha256};

use crate::{EngineError, TransferOptions, copy_object};

/// How a rollback went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RollbackSummary {
    /// Items undone.
    pub undone: u64,
    /// Items left alone because the destination changed since Ferry wrote it.
    pub kept: u64,
    /// Items whose rollback failed (the message is on the item).
    pub failed: u64,
}

fn key(text: &str) -> Result<ObjectKey> {
    ObjectKey::new(text).map_err(|e| ProviderError::new(ErrorKind::InvalidInput, "rollback", e.to_string()))
}

/// Whether `dest` still holds exactly the bytes Ferry wrote for `item`.
async fn still_ours(dest: &dyn Provider, to: &ObjectKey, item: &ItemRecord) -> Result<bool> {
    let Some(expected) = item.dest_sha256.as_deref() else { return Ok(false) };
    let meta = match dest.head(to).await {
        Ok(meta) => meta,
        Err(e) if e.is_not_found() => return Ok(false),
        Err(e) => return Err(e),
    };
    if let Some(reported) = meta.hashes.get(&HashKind::Sha256) {
        return Ok(reported.eq_ignore_ascii_case(expected));
    }
    // No checksum from the provider: read it and hash it.
    let got = dest.get(to, GetOptions::default()).await?;
    let mut hasher = Sha256::new();
    let mut body = got.body;
    while let Some(chunk) = body.try_next().await? {
        hasher.update(&chunk);
    }
    Ok(hex::encode(hasher.finalize()) == expected)
}

/// Undoes one item; returns `(status, message)` to record.
async fn undo(
    job: &JobRecord,
    item: &ItemRecord,
    source: &dyn Provider,
    dest: &dyn Provider,
) -> Result<(&'static str, String)> {
    let from = key(&item.source_key)?;
    let to = key(&item.dest_key)?;
    let restore = TransferOptions { verify: true, copy_tags: true, ..TransferOptions::default() };
    if item.action == ItemAction::Delete {
        let Some(backup) = item.prior_backup.as_deref() else {
            return Ok((
                "kept",
                "no backup of the deleted object exists, so it cannot be restored".to_owned(),
            ));
        };
        let backup = key(backup)?;
        copy_object(dest, &backup, dest, &to, &restore).await?;
        dest.delete(&backup, DeleteOptions::default()).await?;
        return Ok(("undone", "restored the object the mirror deleted".to_owned()));
    }
    if !still_ours(dest, &to, item).await? {
        return Ok((
            "kept",
            "the destination no longer holds the bytes Ferry wrote, so it was left alone".to_owned(),
        ));
    }
    let moved = job.spec.strategy == Strategy::Move;
    if moved {
        // The source comes back first, proven, before the destination changes.
        copy_object(dest, &to, source, &from, &restore).await?;
    }
    let message = match (item.prior_version.as_deref(), item.prior_backup.as_deref()) {
        (Some(_), _) if item.dest_version.is_some() => {
            // Deleting the version Ferry wrote makes the prior one current again.
            dest.delete(&to, DeleteOptions { version: item.dest_version.clone() }).await?;
            "removed the version Ferry wrote; the earlier version is current again"
        }
        (_, Some(backup)) => {
            let backup = key(backup)?;
            copy_object(dest, &backup, dest, &to, &restore).await?;
            dest.delete(&backup, DeleteOptions::default()).await?;
            "restored the object that was overwritten"
        }
        _ => {
            dest.delete(&to, DeleteOptions { version: item.dest_version.clone() }).await?;
            "deleted the copy Ferry made"
        }
    };
    Ok(("undone", if moved { format!("{message}; the source is back") } else { message.to_owned() }))
}

/// Rolls back a job that has ended. Resumes a rollback already under way.
///
/// # Errors
/// [`EngineError::NotStartable`] for a job that has not ended; store failures.
/// Provider failures are recorded per item, not returned.
pub async fn rollback(
    store: &Arc<dyn Store>,
    job_id: uuid::Uuid,
    source: Arc<dyn Provider>,
    dest: Arc<dyn Provider>,
) -> Result<RollbackSummary, EngineError> {
    let job = store.job_by_id(job_id).await?;
    if job.status != JobStatus::RollingBack
        && !(job.status.can_transition_to(JobStatus::RollingBack)
            && store.transition_job(job_id, job.status, JobStatus::RollingBack, None, Utc::now()).await?)
    {
        return Err(EngineError::NotStartable(job.status));
    }
    let mut summary = RollbackSummary::default();
    loop {
        let batch = store.items_to_roll_back(job_id, 100).await?;
        if batch.is_empty() {
            break;
        }
        for item in batch {
            let (status, message) = match undo(&job, &item, source.as_ref(), dest.as_ref()).await {
                Ok(result) => result,
                Err(e) => ("failed", e.to_string()),
            };
            match status {
                "undone" => {
                    summary.undone += 1;
                    if item.action != ItemAction::Delete {
                        store.forget_copy(job.spec.dest_id, &item.dest_key).await?;
                        if let (Strategy::Move, Some(document_id)) = (job.spec.strategy, item.document_id) {
                            store
                                .record_copy(&CopyRecord {
                                    document_id,
                                    title: item.source_key.rsplit('/').next().unwrap_or_default().to_owned(),
                                    provider_id: job.spec.source_id,
                                    key: item.source_key.clone(),
                                    sha256: item.dest_sha256.clone(),
                                    size: item.size,
                                    revision: None,
                                    sync_status: "canonical".to_owned(),
                                    last_seen_at: Utc::now(),
                                })
                                .await?;
                        }
                    }
                }
                "kept" => summary.kept += 1,
                _ => summary.failed += 1,
            }
            store.set_rollback(job_id, &item.source_key, status, &message).await?;
        }
    }
    let error = (summary.failed > 0)
        .then(|| format!("{} items could not be rolled back; see their messages", summary.failed));
    store
        .transition_job(job_id, JobStatus::RollingBack, JobStatus::RolledBack, error.as_deref(), Utc::now())
        .await?;
    Ok(summary)
}
