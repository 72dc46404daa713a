//! The worker loop for one job: claim a batch of items under a lease, copy them
//! concurrently (renewing the lease while a copy runs), record each outcome fenced
//! by the lease token, retry temporary failures with exponential backoff and
//! jitter, and settle the job when nothing is left. Another worker — in this
//! process or another one on the same PostgreSQL — can run the same job at once.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::Utc;
use ferry_db::{
    CatalogChange, CopyRecord, DbError, ItemFinish, ItemMark, ItemOutcome, ItemRecord, JobRecord, Store,
};
use ferry_model::job::{ItemAction, JobCounts, JobStatus, Strategy};
use ferry_storage::{DeleteOptions, ErrorKind, ObjectKey, Provider, ProviderError};

use crate::{EngineError, EventKind, Events, Pacer, ProviderLimits, Throttle, TransferOptions, copy_object};

/// Where a destination object being overwritten is kept on a provider without
/// versions, so a rollback can restore it.
pub const BACKUP_PREFIX: &str = ".ferry-backup/";

/// How a worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Names this worker in leases (host and process, say).
    pub owner: String,
    /// How long a claim lasts without renewal.
    pub lease: Duration,
    /// First retry delay; doubles per attempt.
    pub backoff: Duration,
    /// The longest retry delay.
    pub max_backoff: Duration,
    /// How often to look again when nothing is claimable but work remains.
    pub poll: Duration,
    /// Where progress is told.
    pub events: Events,
    /// Transfers per provider across every job of this process.
    pub limits: ProviderLimits,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            owner: format!("ferry-{}", std::process::id()),
            lease: Duration::from_secs(120),
            backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(300),
            poll: Duration::from_millis(250),
            events: Events::default(),
            limits: ProviderLimits::default(),
        }
    }
}

/// Unix milliseconds now.
#[must_use]
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The delay before attempt `attempts + 1`: exponential, capped, with up to 25 %
/// jitter so that many failed items do not return at the same instant.
#[must_use]
pub fn backoff(options: &WorkerOptions, attempts: i32, retry_after: Option<Duration>) -> Duration {
    let exp = options.backoff.saturating_mul(1_u32 << attempts.clamp(0, 20).saturating_sub(1));
    let base = exp.min(options.max_backoff);
    let jitter_ms = u64::from(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos()))
        % (u64::try_from(base.as_millis() / 4).unwrap_or(0) + 1);
    let delay = base + Duration::from_millis(jitter_ms);
    retry_after.map_or(delay, |after| delay.max(after))
}

fn key(text: &str) -> Result<ObjectKey, ProviderError> {
    ObjectKey::new(text).map_err(|e| ProviderError::new(ErrorKind::InvalidInput, "plan", e.to_string()))
}

/// Runs one item's work; returns what to record.
///
/// Each step that a retry must not repeat blindly is noted on the item first
/// (fenced by the lease): the prior destination object once it is kept, and the
/// copy once it is verified. A worker that dies anywhere leaves the item to a
/// retry that carries on from those notes: the prior object is never backed up
/// over with Ferry's own copy, and a move whose source is already gone finishes
/// instead of failing.
async fn work(
    store: &dyn Store,
    token: &str,
    job: &JobRecord,
    (item, known): (&ItemRecord, Option<uuid::Uuid>),
    (source, dest): (&dyn Provider, &dyn Provider),
    throttle: &Throttle,
) -> Result<ItemOutcome, ProviderError> {
    let from = key(&item.source_key)?;
    let to = key(&item.dest_key)?;
    let noted = |e: DbError| ProviderError::new(ErrorKind::Unexpected, "note", format!("the database: {e}"));
    // An earlier attempt verified its copy and stopped before recording it.
    if let Some(sha256) = item.dest_sha256.as_deref().filter(|_| item.action != ItemAction::Delete)
        && let Some(done) = already_copied(job, item, sha256, (source, dest), &from, &to).await?
    {
        return Ok(done);
    }
    // Keep what the destination holds before replacing or deleting it: its version
    // id on a versioned destination (overwrites only), else a verified copy.
    let (mut prior_version, mut prior_backup) = (item.prior_version.clone(), item.prior_backup.clone());
    let kept_already = prior_version.is_some() || prior_backup.is_some();
    if matches!(item.action, ItemAction::Overwrite | ItemAction::Delete) && !kept_already {
        match dest.head(&to).await {
            Ok(existing)
                if item.action == ItemAction::Overwrite
                    && dest.capabilities().versions
                    && existing.version.is_some() =>
            {
                prior_version = existing.version;
            }
            Ok(_) => {
                let backup = key(&format!("{BACKUP_PREFIX}{}/{}", job.id, item.dest_key))?;
                let keep = TransferOptions { verify: true, copy_tags: true, ..TransferOptions::default() };
                copy_object(dest, &to, dest, &backup, &keep).await?;
                prior_backup = Some(backup.as_str().to_owned());
            }
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
        if prior_version.is_some() || prior_backup.is_some() {
            let mark = ItemMark {
                prior_version: prior_version.clone(),
                prior_backup: prior_backup.clone(),
                ..ItemMark::default()
            };
            if !store.mark_item(job.id, &item.source_key, token, &mark).await.map_err(noted)? {
                return Err(lost_lease());
            }
        }
    }
    if item.action == ItemAction::Delete {
        match dest.delete(&to, DeleteOptions::default()).await {
            Ok(()) => {}
            // Deleted by an attempt that stopped before recording it.
            Err(e) if e.is_not_found() && kept_already => {}
            Err(e) => return Err(e),
        }
        return Ok(ItemOutcome::Done {
            verified: true,
            sha256: String::new(),
            dest_etag: None,
            dest_version: None,
            prior_version,
            prior_backup,
            document_id: None,
        });
    }
    // The document keeps the id the catalog knows it by at the source, if any.
    let new_id = known.unwrap_or_else(uuid::Uuid::now_v7);
    let options = TransferOptions {
        extra_metadata: BTreeMap::from([("ferry-uuid".to_owned(), new_id.to_string())]),
        copy_tags: true,
        verify: job.spec.verify,
        if_none_match: false,
        throttle: Some(throttle.clone()),
    };
    let done = copy_object(source, &from, dest, &to, &options).await?;
    // A document that already has an id keeps it.
    let document_id = done.ferry_uuid.as_deref().and_then(|d| d.parse().ok()).unwrap_or(new_id);
    let verified = !matches!(done.verified_by, crate::VerifiedBy::NotVerified);
    if job.spec.strategy == Strategy::Move {
        // Only now, with the copy proven and noted, does the source go.
        let mark = ItemMark { copied_sha256: Some(done.sha256.clone()), ..ItemMark::default() };
        if !store.mark_item(job.id, &item.source_key, token, &mark).await.map_err(noted)? {
            return Err(lost_lease());
        }
        source.delete(&from, DeleteOptions::default()).await?;
    }
    Ok(ItemOutcome::Done {
        verified,
        sha256: done.sha256,
        dest_etag: done.dest_etag,
        dest_version: done.dest_version,
        prior_version,
        prior_backup,
        document_id: Some(document_id),
    })
}

fn lost_lease() -> ProviderError {
    ProviderError::new(ErrorKind::Unexpected, "lease", "another worker took this item over")
}

/// When an earlier attempt's verified copy is in place, finishes the item from
/// there (a move deletes a source still present); `None` when it must copy again.
async fn already_copied(
    job: &JobRecord,
    item: &ItemRecord,
    sha256: &str,
    (source, dest): (&dyn Provider, &dyn Provider),
    from: &ObjectKey,
    to: &ObjectKey,
) -> Result<Option<ItemOutcome>, ProviderError> {
    let meta = match dest.head(to).await {
        Ok(meta) => meta,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    let same = match meta.sha256() {
        Some(reported) => reported.eq_ignore_ascii_case(sha256),
        None => {
            i64::try_from(meta.size).is_ok_and(|size| size == item.size)
                && crate::recheck::hash_object(dest, to).await?.eq_ignore_ascii_case(sha256)
        }
    };
    if !same {
        return Ok(None);
    }
    if job.spec.strategy == Strategy::Move {
        match source.delete(from, DeleteOptions::default()).await {
            Ok(()) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    // The copy carries its document id; one without (written by another tool) gets one.
    let document_id = meta
        .user_metadata
        .get("ferry-uuid")
        .and_then(|d| d.parse().ok())
        .or_else(|| Some(uuid::Uuid::now_v7()));
    Ok(Some(ItemOutcome::Done {
        verified: true,
        sha256: sha256.to_owned(),
        dest_etag: meta.etag.clone(),
        dest_version: meta.version.clone(),
        prior_version: item.prior_version.clone(),
        prior_backup: item.prior_backup.clone(),
        document_id,
    }))
}

/// What the catalog learns from a finished item: where the document now lives.
fn catalog(job: &JobRecord, item: &ItemRecord, outcome: &ItemOutcome) -> Vec<CatalogChange> {
    let ItemOutcome::Done { sha256, dest_etag, dest_version, document_id, .. } = outcome else {
        return Vec::new();
    };
    let forget =
        |provider_id: uuid::Uuid, key: &str| CatalogChange::Forget { provider_id, key: key.to_owned() };
    if item.action == ItemAction::Delete {
        return vec![forget(job.spec.dest_id, &item.dest_key)];
    }
    let Some(document_id) = *document_id else { return Vec::new() };
    let title = item.source_key.rsplit('/').next().unwrap_or(&item.source_key).to_owned();
    let now = Utc::now();
    let moved = job.spec.strategy == Strategy::Move;
    let copy = |provider_id, key: &str, revision: Option<String>, sync_status: &str| {
        CatalogChange::Record(CopyRecord {
            document_id,
            title: title.clone(),
            provider_id,
            key: key.to_owned(),
            sha256: Some(sha256.clone()),
            size: item.size,
            revision,
            sync_status: sync_status.to_owned(),
            last_seen_at: now,
        })
    };
    let dest_revision = dest_version.clone().or_else(|| dest_etag.clone());
    if moved {
        vec![
            copy(job.spec.dest_id, &item.dest_key, dest_revision, "canonical"),
            forget(job.spec.source_id, &item.source_key),
        ]
    } else {
        let source_revision = item.source_version.clone().or_else(|| item.source_etag.clone());
        vec![
            copy(job.spec.dest_id, &item.dest_key, dest_revision, "mirror"),
            copy(job.spec.source_id, &item.source_key, source_revision, "canonical"),
        ]
    }
}

fn failure(options: &WorkerOptions, job: &JobRecord, item: &ItemRecord, err: &ProviderError) -> ItemOutcome {
    let kind = err.kind().as_str().to_owned();
    let message = err.to_string();
    if err.is_temporary() && item.attempts < job.spec.max_attempts {
        let delay = backoff(options, item.attempts, err.retry_after());
        ItemOutcome::Retry { at: now_ms() + ms(delay), kind, message }
    } else {
        ItemOutcome::Failed { kind, message }
    }
}

/// One claimed item and what its worker needs.
struct Claimed {
    item: ItemRecord,
    token: String,
    /// The document id the catalog knows the source object by.
    known: Option<uuid::Uuid>,
}

/// Works one claimed item to the end, renewing its lease meanwhile, and has its
/// end recorded.
async fn handle(
    store: &dyn Store,
    options: &WorkerOptions,
    job: &JobRecord,
    claimed: Claimed,
    (source, dest): (&dyn Provider, &dyn Provider),
    (throttle, pacer): (&Throttle, &Pacer),
    recorder: &Recorder,
) -> Result<(), EngineError> {
    let Claimed { item, token, known } = claimed;
    let mut renew = tokio::time::interval(options.lease / 3);
    renew.tick().await;
    // Waiting for a provider's slot counts as working: the lease is renewed meanwhile.
    let work = async {
        let _slots = options.limits.acquire(job.spec.source_id, job.spec.dest_id).await;
        work(store, &token, job, (&item, known), (source, dest), throttle).await
    };
    tokio::pin!(work);
    let result = loop {
        tokio::select! {
            result = &mut work => break result,
            _ = renew.tick() => {
                if !store.renew_lease(job.id, &item.source_key, &token, now_ms() + ms(options.lease)).await? {
                    // Another worker owns the item now; its result will count.
                    return Ok(());
                }
            }
        }
    };
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(err) => {
            if err.kind() == ErrorKind::RateLimited || err.retry_after().is_some() {
                pacer.push_back(err.retry_after().unwrap_or(options.backoff));
            }
            failure(options, job, &item, &err)
        }
    };
    if matches!(outcome, ItemOutcome::Done { .. }) {
        pacer.success();
    }
    // The item's end and the catalog's record of it are written together.
    let catalog = catalog(job, &item, &outcome);
    let status = match &outcome {
        ItemOutcome::Done { .. } => "done",
        ItemOutcome::Retry { .. } => "pending",
        ItemOutcome::Failed { .. } => "failed",
    };
    let event = EventKind::Item { key: item.source_key.clone(), status: status.to_owned(), size: item.size };
    let finish = ItemFinish { source_key: item.source_key.clone(), token: token.clone(), outcome, catalog };
    recorder.record(finish, event)
}

/// How soon to look again for items while the planner is still writing them.
const PLANNING_POLL: Duration = Duration::from_millis(10);

/// The most item ends written in one transaction.
const RECORD_BATCH: usize = 128;

/// How long the recorder waits for more ends before it writes: items that finish
/// moments apart share a transaction instead of taking one each.
const RECORD_LINGER: Duration = Duration::from_millis(50);

enum Record {
    /// An item's end, and the event to publish once it is written.
    Finish(Box<ItemFinish>, EventKind),
    /// Answered once everything sent before it is written.
    Flush(tokio::sync::oneshot::Sender<Result<(), EngineError>>),
}

/// Writes finished items to the store in batches, so the database sees one
/// transaction per batch rather than one per object. A worker hands its item's
/// end over and takes the next item at once; the worker loop flushes the
/// recorder before it reads the job's counts, so they include every end handed
/// over. The first failed write stops the recorder, and every later hand-over
/// or flush reports it.
#[derive(Clone)]
struct Recorder {
    queue: tokio::sync::mpsc::UnboundedSender<Record>,
    failure: Arc<std::sync::OnceLock<String>>,
}

impl Recorder {
    fn spawn(
        store: Arc<dyn Store>,
        events: Events,
        job_id: uuid::Uuid,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (queue, mut incoming) = tokio::sync::mpsc::unbounded_channel::<Record>();
        let failure = Arc::new(std::sync::OnceLock::new());
        let failed = failure.clone();
        let task = tokio::spawn(async move {
            let mut batch = Vec::new();
            while incoming.recv_many(&mut batch, RECORD_BATCH).await > 0 {
                let until = tokio::time::Instant::now() + RECORD_LINGER;
                while batch.len() < RECORD_BATCH && !batch.iter().any(|r| matches!(r, Record::Flush(_))) {
                    let room = RECORD_BATCH - batch.len();
                    let more = incoming.recv_many(&mut batch, room);
                    if !matches!(tokio::time::timeout_at(until, more).await, Ok(n) if n > 0) {
                        break;
                    }
                }
                let (mut finishes, mut published, mut flushes) = (Vec::new(), Vec::new(), Vec::new());
                for record in batch.drain(..) {
                    match record {
                        Record::Finish(finish, event) => {
                            finishes.push(*finish);
                            published.push(event);
                        }
                        Record::Flush(reply) => flushes.push(reply),
                    }
                }
                if !finishes.is_empty() {
                    match store.finish_items(job_id, &finishes, Utc::now()).await {
                        // An end refused for a lost lease is another worker's to tell.
                        Ok(taken) => published
                            .into_iter()
                            .zip(taken)
                            .filter(|(_, taken)| *taken)
                            .for_each(|(event, _)| events.publish(job_id, event)),
                        Err(e) => {
                            let text = failed
                                .get_or_init(|| format!("recording finished items: {}", error_chain(&e)));
                            for reply in flushes {
                                let _ = reply.send(Err(recorder_failed(text)));
                            }
                            return;
                        }
                    }
                }
                for reply in flushes {
                    let _ = reply.send(Ok(()));
                }
            }
        });
        (Self { queue, failure }, task)
    }

    fn stopped(&self) -> EngineError {
        self.failure.get().map_or_else(
            || EngineError::Invalid("the recorder of finished items stopped".to_owned()),
            |text| recorder_failed(text),
        )
    }

    /// Hands an item's end over to be written.
    fn record(&self, finish: ItemFinish, event: EventKind) -> Result<(), EngineError> {
        self.queue.send(Record::Finish(Box::new(finish), event)).map_err(|_| self.stopped())
    }

    /// Waits until every end handed over so far is written.
    async fn flush(&self) -> Result<(), EngineError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.queue.send(Record::Flush(reply)).map_err(|_| self.stopped())?;
        answer.await.map_err(|_| self.stopped())?
    }
}

fn recorder_failed(text: &str) -> EngineError {
    EngineError::Store(DbError::Unavailable(text.to_owned()))
}

/// An error with its causes, for a message passed on as text.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

/// Runs a job's items until none is left, the job is paused or cancelled, or a
/// store error stops the worker. Returns the job's counts when it stops.
///
/// The caller moves the job to `running` first; this settles it at the end
/// (`completed` or `completed_with_errors`) unless another worker did.
///
/// # Errors
/// [`EngineError`] for store failures; item failures are recorded, not returned.
pub async fn run_job(
    store: Arc<dyn Store>,
    job_id: uuid::Uuid,
    source: Arc<dyn Provider>,
    dest: Arc<dyn Provider>,
    options: &WorkerOptions,
) -> Result<JobCounts, EngineError> {
    let mut job = store.job_by_id(job_id).await?;
    let limit = |job: &JobRecord| job.spec.bandwidth_limit.and_then(|b| u64::try_from(b).ok());
    let throttle = Throttle::new(limit(&job));
    let concurrency = usize::try_from(job.spec.concurrency.clamp(1, 256)).unwrap_or(1);
    let pacer = Pacer::new(concurrency);
    let (recorder, recording) = Recorder::spawn(store.clone(), options.events.clone(), job_id);
    // The recorder ends with this loop; the loop flushes it before it returns.
    let _recording = AbortOnDrop(recording);
    // Each item runs as its own task, so its store calls progress while this loop
    // waits on the store for the next claim.
    let mut in_flight = tokio::task::JoinSet::new();
    let mut claims = 0_u64;
    let mut refreshed = tokio::time::Instant::now();
    // After a claim that found less than it asked for, the queue is not asked
    // again until this instant: the items that finish meanwhile would each ask
    // in vain.
    let mut quiet_until = refreshed;
    loop {
        // The job's status and limit are read again every `poll`, not after every item.
        if in_flight.is_empty() || refreshed.elapsed() >= options.poll {
            job = store.job_by_id(job_id).await?;
            refreshed = tokio::time::Instant::now();
            // The limit may be changed while the job runs.
            throttle.set_rate(limit(&job));
        }
        // Items are worked while the job plans, too; anything else stops the claims.
        let stopping = !matches!(job.status, JobStatus::Running | JobStatus::Planning);
        // The pacer lowers the bound while a provider pushes back.
        let concurrency = concurrency.min(pacer.allowed());
        // Claims come in batches: the queue is topped up once half the room is free.
        if !stopping
            && in_flight.len() < concurrency
            && in_flight.len() <= concurrency / 2
            && tokio::time::Instant::now() >= quiet_until
        {
            claims += 1;
            let token = format!("{}-{}-{claims}", options.owner, uuid::Uuid::now_v7().simple());
            let room = i64::try_from(concurrency - in_flight.len()).unwrap_or(1);
            let batch = store
                .claim_items(job_id, &options.owner, &token, now_ms() + ms(options.lease), now_ms(), room)
                .await?;
            if i64::try_from(batch.len()).unwrap_or(i64::MAX) < room {
                // Nothing more is claimable now; while the job plans, more is moments away.
                let pause = if job.status == JobStatus::Planning {
                    options.poll.min(PLANNING_POLL)
                } else {
                    options.poll
                };
                quiet_until = tokio::time::Instant::now() + pause;
            }
            // The catalog's ids for the batch's sources, in one query.
            let keys: Vec<String> = batch
                .iter()
                .filter(|item| item.action != ItemAction::Delete)
                .map(|item| item.source_key.clone())
                .collect();
            let known: HashMap<String, uuid::Uuid> = if keys.is_empty() {
                HashMap::new()
            } else {
                store
                    .find_copies(job.spec.source_id, &keys)
                    .await?
                    .into_iter()
                    .map(|copy| (copy.key, copy.document_id))
                    .collect()
            };
            for item in batch {
                let (store, options, recorder) = (store.clone(), options.clone(), recorder.clone());
                let (throttle, pacer) = (throttle.clone(), pacer.clone());
                let (job, source, dest) = (job.clone(), source.clone(), dest.clone());
                let claimed =
                    Claimed { known: known.get(&item.source_key).copied(), item, token: token.clone() };
                in_flight.spawn(async move {
                    let (source, dest) = (source.as_ref(), dest.as_ref());
                    let (throttle, pacer) = (&throttle, &pacer);
                    handle(
                        store.as_ref(),
                        &options,
                        &job,
                        claimed,
                        (source, dest),
                        (throttle, pacer),
                        &recorder,
                    )
                    .await
                });
            }
        }
        if in_flight.is_empty() {
            // The counts include every end handed to the recorder.
            recorder.flush().await?;
            let counts = store.job_counts(job_id).await?;
            if stopping {
                return Ok(counts);
            }
            // Settled only once planning is over: more items may still arrive.
            if job.status == JobStatus::Running && counts.settled() {
                settle(store.as_ref(), &options.events, job_id, &counts).await?;
                return Ok(counts);
            }
            // Items wait for their retry time or sit under another worker's lease;
            // while the job plans, its first items are moments away.
            let wait = if job.status == JobStatus::Planning {
                options.poll.min(PLANNING_POLL)
            } else {
                options.poll
            };
            tokio::time::sleep(wait).await;
            continue;
        }
        tokio::select! {
            Some(done) = in_flight.join_next() => {
                done.map_err(|e| EngineError::Invalid(format!("a copy task stopped unexpectedly: {e}")))??;
            }
            () = tokio::time::sleep(options.poll) => {}
        }
    }
}

/// Stops a task when its owner is done with it (a `run_job` that returns early).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn settle(
    store: &dyn Store,
    events: &Events,
    job_id: uuid::Uuid,
    counts: &JobCounts,
) -> Result<(), EngineError> {
    let at = Utc::now();
    if store.transition_job(job_id, JobStatus::Running, JobStatus::Verifying, None, at).await? {
        let end = if counts.failed > 0 { JobStatus::CompletedWithErrors } else { JobStatus::Completed };
        store.transition_job(job_id, JobStatus::Verifying, end, None, at).await?;
        events.publish(job_id, EventKind::Status(end));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_honours_retry_after() {
        let options = WorkerOptions {
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(10),
            ..WorkerOptions::default()
        };
        let within = |d: Duration, lo: u64, hi_ms: u64| {
            d >= Duration::from_secs(lo) && d <= Duration::from_millis(hi_ms)
        };
        assert!(within(backoff(&options, 1, None), 1, 1_250));
        assert!(within(backoff(&options, 2, None), 2, 2_500));
        assert!(within(backoff(&options, 3, None), 4, 5_000));
        assert!(within(backoff(&options, 30, None), 10, 12_500), "capped");
        assert!(backoff(&options, 1, Some(Duration::from_secs(30))) >= Duration::from_secs(30));
    }
}
