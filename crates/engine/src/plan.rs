//! The planner: streams the source listing and the destination listing side by
//! side (both come in key order), applies the filter and the overwrite policy, and
//! writes the plan as job items in batches. Nothing is held whole in memory, items
//! become workable while planning goes on, and planning twice gives the same plan.

use std::cmp::Ordering;

use ferry_db::{JobRecord, NewItem, Store};
use ferry_model::job::{ItemAction, OverwritePolicy, Strategy};
use ferry_storage::{ListOptions, ObjectKey, ObjectMeta, Provider};
use futures::{StreamExt, TryStreamExt};

use crate::{Decision, EngineError, Filter, KnownHashes, decide};

/// Items written per store call.
const BATCH: usize = 500;

/// What a plan holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanSummary {
    /// Source objects listed.
    pub listed: u64,
    /// Of those, left out by the filter.
    pub filtered_out: u64,
    /// New on the destination.
    pub copy: u64,
    /// Replacing what the destination has.
    pub overwrite: u64,
    /// Left alone.
    pub skip: u64,
    /// Mirror deletions from the destination.
    pub delete: u64,
    /// Bytes to copy or overwrite.
    pub bytes: u64,
    /// A preview stopped listing at its limit: the figures cover only what it saw.
    pub stopped_early: bool,
}

fn prefix_key(prefix: &str) -> Result<ObjectKey, EngineError> {
    ObjectKey::new(prefix).map_err(|e| EngineError::Invalid(format!("prefix `{prefix}`: {e}")))
}

fn relative<'a>(meta: &'a ObjectMeta, prefix: &ObjectKey) -> &'a str {
    meta.key.strip_prefix(prefix).unwrap_or(meta.key.as_str())
}

fn new_item(
    job: &JobRecord,
    rel: &str,
    meta: &ObjectMeta,
    action: ItemAction,
    reason: Option<String>,
) -> NewItem {
    NewItem {
        source_key: format!("{}{rel}", job.spec.source_prefix),
        dest_key: format!("{}{rel}", job.spec.dest_prefix),
        action,
        reason,
        size: i64::try_from(meta.size).unwrap_or(i64::MAX),
        source_etag: meta.etag.clone(),
        source_version: meta.version.clone(),
        source_modified: meta.modified,
    }
}

/// The SHA-256 the catalog recorded for `key` on a provider, when the object is
/// still the revision that was recorded.
async fn recorded_sha(
    store: &dyn Store,
    provider_id: uuid::Uuid,
    key: &str,
    listed: &ObjectMeta,
    provider: &dyn Provider,
) -> Result<Option<String>, EngineError> {
    let Some(copy) = store.find_copy(provider_id, key).await? else { return Ok(None) };
    if copy.revision.is_none() || copy.size != i64::try_from(listed.size).unwrap_or(-1) {
        return Ok(None);
    }
    // Some servers list objects without their ETag: ask for it before copying again.
    let headed;
    let meta = if listed.version.is_none() && listed.etag.is_none() {
        headed = match provider.head(&listed.key).await {
            Ok(meta) => meta,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        &headed
    } else {
        listed
    };
    let current = meta.version.as_ref().or(meta.etag.as_ref());
    Ok(if copy.revision.as_ref() == current { copy.sha256 } else { None })
}

/// Plans `job`: lists both sides and upserts its items.
///
/// # Errors
/// Listing failures, a bad filter, or a mirror that would delete more than its
/// limit ([`EngineError::TooManyDeletes`], after the rest of the plan is stored).
pub async fn plan(
    store: &dyn Store,
    job: &JobRecord,
    source: &dyn Provider,
    dest: &dyn Provider,
) -> Result<PlanSummary, EngineError> {
    plan_with(store, job, source, dest, None).await
}

/// What planning `job` would decide, without storing anything: the wizard's
/// review. Listing stops after `max_listed` source objects (then
/// `stopped_early` is set and the figures cover what was seen). The job need not
/// exist in the store; the catalog is only read.
///
/// # Errors
/// As [`plan`], except that mirror deletions beyond the job's limit are only
/// counted (`delete`), for the caller to compare with the limit.
pub async fn preview(
    store: &dyn Store,
    job: &JobRecord,
    source: &dyn Provider,
    dest: &dyn Provider,
    max_listed: u64,
) -> Result<PlanSummary, EngineError> {
    plan_with(store, job, source, dest, Some(max_listed)).await
}

/// Plans `job`, storing its items unless `preview_limit` is set.
async fn plan_with(
    store: &dyn Store,
    job: &JobRecord,
    source: &dyn Provider,
    dest: &dyn Provider,
    preview_limit: Option<u64>,
) -> Result<PlanSummary, EngineError> {
    let write = preview_limit.is_none();
    let filter = Filter::new(&job.spec.filter).map_err(|e| EngineError::Invalid(e.to_string()))?;
    let src_prefix = prefix_key(&job.spec.source_prefix)?;
    let dst_prefix = prefix_key(&job.spec.dest_prefix)?;
    let mirror_deletes = job.spec.strategy == Strategy::Mirror && job.spec.mirror_deletes;
    let mut sources = source.list(&src_prefix, ListOptions::default());
    let mut dests = dest.list(&dst_prefix, ListOptions::default()).peekable();
    let mut summary = PlanSummary::default();
    let mut batch = Vec::with_capacity(BATCH);
    // Mirror deletions: counted in full, kept only up to the limit.
    let limit = u64::try_from(job.spec.max_deletes.max(0)).unwrap_or(0);
    let mut deletes = Vec::new();
    let mut delete_count = 0_u64;
    let mut note_delete = |rel: String, meta: ObjectMeta| {
        delete_count += 1;
        if delete_count <= limit {
            deletes.push((rel, meta));
        }
    };

    while let Some(src) = sources.try_next().await? {
        if preview_limit.is_some_and(|max| summary.listed >= max) {
            summary.stopped_early = true;
            break;
        }
        summary.listed += 1;
        let rel = relative(&src, &src_prefix).to_owned();
        if rel.is_empty() || !filter.matches(&rel, &src) {
            summary.filtered_out += 1;
            continue;
        }
        // Destination objects before this key exist only there.
        let mut found = None;
        while let Some(next) = std::pin::Pin::new(&mut dests).peek().await {
            let dest_rel = match next {
                Ok(meta) => relative(meta, &dst_prefix).to_owned(),
                Err(_) => {
                    // Surface the listing error.
                    if let Some(Err(e)) = dests.next().await {
                        return Err(e.into());
                    }
                    continue;
                }
            };
            match dest_rel.as_str().cmp(rel.as_str()) {
                Ordering::Less => {
                    if let Some(Ok(only_dest)) = dests.next().await
                        && mirror_deletes
                        && filter.matches(&dest_rel, &only_dest)
                    {
                        note_delete(dest_rel, only_dest);
                    }
                }
                Ordering::Equal => {
                    found = dests.next().await.transpose()?;
                    break;
                }
                Ordering::Greater => break,
            }
        }
        let mut decision = decide(job.spec.overwrite, &src, found.as_ref(), KnownHashes::default());
        if let (Decision::Overwrite, OverwritePolicy::IfDifferent, Some(dest_meta)) =
            (decision, job.spec.overwrite, found.as_ref())
            && dest_meta.size == src.size
        {
            // Same size and no hash from the providers: ask the catalog what Ferry
            // recorded, as long as neither object changed since.
            let src_key = format!("{}{rel}", job.spec.source_prefix);
            let dest_key = format!("{}{rel}", job.spec.dest_prefix);
            let source_sha = recorded_sha(store, job.spec.source_id, &src_key, &src, source).await?;
            let dest_sha = recorded_sha(store, job.spec.dest_id, &dest_key, dest_meta, dest).await?;
            let known = KnownHashes { source: source_sha.as_deref(), destination: dest_sha.as_deref() };
            decision = decide(job.spec.overwrite, &src, found.as_ref(), known);
        }
        let (action, reason) = match decision {
            Decision::Copy => (ItemAction::Copy, None),
            Decision::Overwrite => (ItemAction::Overwrite, None),
            Decision::Skip(why) => (ItemAction::Skip, Some(why.as_str().to_owned())),
        };
        match action {
            ItemAction::Copy => summary.copy += 1,
            ItemAction::Overwrite => summary.overwrite += 1,
            ItemAction::Skip | ItemAction::Delete => summary.skip += 1,
        }
        if matches!(action, ItemAction::Copy | ItemAction::Overwrite) {
            summary.bytes += src.size;
        }
        if !write {
            continue;
        }
        batch.push(new_item(job, &rel, &src, action, reason));
        if batch.len() >= BATCH {
            store.upsert_items(job.id, &batch).await?;
            batch.clear();
        }
    }
    if mirror_deletes && !summary.stopped_early {
        while let Some(only_dest) = dests.try_next().await? {
            let dest_rel = relative(&only_dest, &dst_prefix).to_owned();
            if filter.matches(&dest_rel, &only_dest) {
                note_delete(dest_rel, only_dest);
            }
        }
    }
    summary.delete = delete_count;
    if !write {
        return Ok(summary);
    }
    store.upsert_items(job.id, &batch).await?;
    if summary.delete > limit {
        return Err(EngineError::TooManyDeletes { would: summary.delete, limit });
    }
    let delete_items: Vec<NewItem> = deletes
        .iter()
        .map(|(rel, meta)| new_item(job, rel, meta, ItemAction::Delete, Some("gone_from_source".to_owned())))
        .collect();
    for chunk in delete_items.chunks(BATCH) {
        store.upsert_items(job.id, chunk).await?;
    }
    Ok(summary)
}
