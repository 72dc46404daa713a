//! Migrations behind the console and the API: the create form's checks, starting,
//! pausing, resuming, cancelling and retrying, and the runner that keeps jobs
//! going in this process — including the ones a crash or restart interrupted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use ferry_db::{DbError, ItemRecord, JobRecord, JobSpec, NewAuditEvent, Store};
use ferry_engine::{Filter, WorkerOptions};
use ferry_model::Role;
use ferry_model::job::{ItemPage, ItemQuery, ItemView, JobForm, JobStatus, JobView, Strategy};
use ferry_model::provider::{FieldProblem, ProviderStatus};
use ferry_model::schedule::Schedule;
use ferry_storage::{ObjectKey, Provider};
use uuid::Uuid;

use super::{Actor, AppState, Caller, audit, db_error, require, state};
use crate::error::AppError;

/// Jobs running in this process, by id.
#[derive(Default)]
pub struct Runner {
    running: Mutex<HashMap<Uuid, tokio::task::JoinHandle<()>>>,
    options: WorkerOptions,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.running.lock().map(|r| r.len()).unwrap_or(0);
        f.debug_struct("Runner").field("running", &n).finish_non_exhaustive()
    }
}

/// What a runner task does first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Plan from the current state, then run (unless a dry run).
    Start,
    /// Planning was interrupted: plan again (idempotent), then run.
    Replan,
    /// Items are planned: work them.
    Resume,
    /// Undo what the job did (or carry on undoing it).
    Rollback,
}

impl Runner {
    /// A runner with these worker settings.
    #[must_use]
    pub fn new(options: WorkerOptions) -> Self {
        Self { running: Mutex::new(HashMap::new()), options }
    }

    /// The worker settings jobs run with here.
    #[must_use]
    pub fn options(&self) -> &WorkerOptions {
        &self.options
    }

    fn is_running(&self, id: Uuid) -> bool {
        self.running.lock().is_ok_and(|r| r.get(&id).is_some_and(|h| !h.is_finished()))
    }

    fn spawn(
        self: &Arc<Self>,
        store: Arc<dyn Store>,
        job_id: Uuid,
        source: Arc<dyn Provider>,
        dest: Arc<dyn Provider>,
        mode: Mode,
    ) {
        let runner = self.clone();
        let handle = tokio::spawn(async move {
            let options = runner.options.clone();
            let result = match mode {
                Mode::Start => ferry_engine::start(&store, job_id, source, dest, &options).await.map(|_| ()),
                Mode::Replan => replan(&store, job_id, source, dest, &options).await,
                Mode::Resume => {
                    ferry_engine::run_job(store.clone(), job_id, source, dest, &options).await.map(|_| ())
                }
                Mode::Rollback => ferry_engine::rollback(&store, job_id, source, dest).await.map(|_| ()),
            };
            if let Err(e) = result {
                tracing::warn!(job = %job_id, error = %e, "migration stopped with an error");
            }
        });
        if let Ok(mut running) = self.running.lock() {
            running.retain(|_, h| !h.is_finished());
            running.insert(job_id, handle);
        }
    }

    /// Joins in on every job that is planning or running and has no worker in this
    /// process yet (`ferry worker` calls this now and then). Leases keep the
    /// processes from working the same item.
    pub async fn help_with_running_jobs(self: &Arc<Self>, state: &AppState) {
        let Ok(jobs) = state.store.list_jobs().await else { return };
        for job in jobs {
            if !matches!(job.status, JobStatus::Planning | JobStatus::Running)
                || job.spec.dry_run
                || self.is_running(job.id)
            {
                continue;
            }
            match open_pair(state, &job).await {
                Ok((source, dest)) => {
                    tracing::info!(job = %job.id, name = %job.spec.name, "joining a running migration");
                    self.spawn(state.store.clone(), job.id, source, dest, Mode::Resume);
                }
                Err(e) => {
                    tracing::warn!(job = %job.id, error = %e, "cannot join a migration: provider unavailable")
                }
            }
        }
    }

    /// Picks up jobs that were planning or running when Ferry stopped.
    pub async fn resume_interrupted(self: &Arc<Self>, state: &AppState) {
        let jobs = match state.store.list_jobs().await {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::warn!(error = %e, "cannot list migrations to resume");
                return;
            }
        };
        // A SQLite store has one process: leases from before the restart are dead.
        // On PostgreSQL other processes may hold leases; those expire on their own.
        let single_process = state.store.dialect() == ferry_db::Dialect::Sqlite;
        if single_process {
            match state.store.release_all_leases().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(items = n, "returned items a stopped process held to the queue"),
                Err(e) => tracing::warn!(error = %e, "cannot release old leases"),
            }
        }
        let interrupted = |j: &JobRecord| {
            matches!(j.status, JobStatus::Planning | JobStatus::Running | JobStatus::RollingBack)
        };
        for job in jobs.into_iter().filter(interrupted) {
            match open_pair(state, &job).await {
                Ok((source, dest)) => {
                    let mode = match job.status {
                        JobStatus::Planning => Mode::Replan,
                        JobStatus::RollingBack => Mode::Rollback,
                        _ => Mode::Resume,
                    };
                    tracing::info!(job = %job.id, name = %job.spec.name, ?mode, "resuming an interrupted migration");
                    // Half-written objects from before the restart go first (on a shared
                    // PostgreSQL only those older than any live lease).
                    let older_than =
                        if single_process { std::time::Duration::ZERO } else { self.options.lease * 2 };
                    for provider in [&source, &dest] {
                        match provider.clean_interrupted(older_than).await {
                            Ok(0) => {}
                            Ok(n) => {
                                tracing::info!(job = %job.id, removed = n, "cleaned what interrupted writes left")
                            }
                            Err(e) => {
                                tracing::warn!(job = %job.id, error = %e, "cannot clean interrupted writes")
                            }
                        }
                    }
                    self.spawn(state.store.clone(), job.id, source, dest, mode);
                }
                Err(e) => {
                    tracing::warn!(job = %job.id, error = %e, "cannot resume a migration: provider unavailable")
                }
            }
        }
    }
}

/// Plans a job whose planning was interrupted (planning is idempotent), then runs
/// it unless it is a dry run.
///
/// # Errors
/// What stopped the engine; a planning failure also fails the job.
pub async fn replan(
    store: &Arc<dyn Store>,
    job_id: Uuid,
    source: Arc<dyn Provider>,
    dest: Arc<dyn Provider>,
    options: &WorkerOptions,
) -> Result<(), ferry_engine::EngineError> {
    let job = store.job_by_id(job_id).await?;
    if let Err(e) = ferry_engine::plan(store.as_ref(), &job, source.as_ref(), dest.as_ref()).await {
        store
            .transition_job(job_id, JobStatus::Planning, JobStatus::Failed, Some(&e.to_string()), Utc::now())
            .await?;
        return Err(e);
    }
    let next = if job.spec.dry_run { JobStatus::Ready } else { JobStatus::Running };
    store.transition_job(job_id, JobStatus::Planning, next, None, Utc::now()).await?;
    if next == JobStatus::Running {
        ferry_engine::run_job(store.clone(), job_id, source, dest, options).await?;
    }
    Ok(())
}

/// Opens a job's source and destination.
///
/// # Errors
/// When either provider is missing, disabled or cannot be opened.
pub async fn open_pair(
    state: &AppState,
    job: &JobRecord,
) -> Result<(Arc<dyn Provider>, Arc<dyn Provider>), AppError> {
    let source = super::providers::open(state, job.spec.source_id).await?;
    let dest = super::providers::open(state, job.spec.dest_id).await?;
    Ok((source, dest))
}

/// “X is paused, so it cannot be started now.”
fn cannot_now(job: &JobRecord, what: &str) -> AppError {
    AppError::Conflict(format!(
        "“{}” is {}, so it cannot be {what} now.",
        job.spec.name,
        job.status.as_str().replace('_', " ")
    ))
}

fn not_found(e: DbError) -> AppError {
    super::db_error_about("That migration")(e)
}

/// A typed folder as stored, with its key; refused with a message on `field`.
pub(crate) fn folder_key(field: &str, raw: &str) -> Result<(String, ObjectKey), AppError> {
    let prefix = ferry_model::job::folder_prefix(raw);
    let key = ObjectKey::new(prefix.clone())
        .map_err(|e| AppError::invalid(field, format!("This folder cannot be used: {e}.")))?;
    Ok((prefix, key))
}

fn normalise_prefix(field: &str, raw: &str, problems: &mut Vec<FieldProblem>) -> String {
    match folder_key(field, raw) {
        Ok((prefix, _)) => prefix,
        Err(e) => {
            problems.push(FieldProblem::new(field, e.to_string()));
            ferry_model::job::folder_prefix(raw)
        }
    }
}

/// Checks the form against the rules and the registry; returns what to store.
pub(crate) async fn validate(state: &AppState, form: &JobForm) -> Result<JobSpec, AppError> {
    let mut problems = Vec::new();
    let name = form.name.trim().to_owned();
    if name.is_empty() {
        problems
            .push(FieldProblem::new("name", "Give the migration a name, for example “Invoices to archive”."));
    } else if name.chars().count() > 120 || name.chars().any(char::is_control) {
        problems.push(FieldProblem::new("name", "Use at most 120 characters, without control characters."));
    }
    let source_prefix = normalise_prefix("source_prefix", &form.source_prefix, &mut problems);
    let dest_prefix = normalise_prefix("dest_prefix", &form.dest_prefix, &mut problems);
    let provider = |id: Uuid| async move { state.store.provider_by_id(id).await };
    match provider(form.source_id).await {
        Ok(p) if p.status == ProviderStatus::Disabled => {
            problems
                .push(FieldProblem::new("source_id", format!("“{}” is disabled. Enable it first.", p.name)));
        }
        Ok(p) if form.strategy == Strategy::Move && p.status == ProviderStatus::ReadOnly => {
            problems.push(FieldProblem::new(
                "strategy",
                format!("A move deletes the originals, but “{}” is read-only. Use copy.", p.name),
            ))
        }
        Ok(_) => {}
        Err(DbError::NotFound) => {
            problems.push(FieldProblem::new("source_id", "Choose a source provider that exists."))
        }
        Err(e) => return Err(db_error(e)),
    }
    match provider(form.dest_id).await {
        Ok(p) if p.status != ProviderStatus::Active => problems.push(FieldProblem::new(
            "dest_id",
            format!("“{}” is {}; a destination must be active.", p.name, p.status.label().to_lowercase()),
        )),
        Ok(_) => {}
        Err(DbError::NotFound) => {
            problems.push(FieldProblem::new("dest_id", "Choose a destination provider that exists."))
        }
        Err(e) => return Err(db_error(e)),
    }
    if form.source_id == form.dest_id
        && (source_prefix.starts_with(&dest_prefix) || dest_prefix.starts_with(&source_prefix))
    {
        problems.push(FieldProblem::new(
            "dest_prefix",
            "The destination folder overlaps the source folder on the same provider: choose folders that do not contain each other.",
        ));
    }
    if !(1..=256).contains(&form.concurrency) {
        problems.push(FieldProblem::new("concurrency", "Choose between 1 and 256 objects at once."));
    }
    if !(1..=20).contains(&form.max_attempts) {
        problems.push(FieldProblem::new("max_attempts", "Choose between 1 and 20 attempts."));
    }
    if form.bandwidth_limit.is_some_and(|b| !(1024..=100_000_000_000).contains(&b)) {
        problems
            .push(FieldProblem::new("bandwidth_limit", "A limit is between 1 KiB/s and 100 GB/s, or none."));
    }
    if !(0..=1_000_000).contains(&form.max_deletes) {
        problems.push(FieldProblem::new("max_deletes", "Choose between 0 and 1,000,000 deletions."));
    }
    if let Err(e) = Filter::new(&form.filter) {
        problems.push(FieldProblem::new(&format!("filter.{}", e.field), e.message));
    }
    let schedule = match form.schedule.parse::<Schedule>() {
        Ok(Schedule::At(t)) if t <= Utc::now() => {
            problems
                .push(FieldProblem::new("schedule", "That time has passed: choose a time in the future."));
            Schedule::Manual
        }
        Ok(schedule) => schedule,
        Err(message) => {
            problems.push(FieldProblem::new("schedule", message));
            Schedule::Manual
        }
    };
    if !problems.is_empty() {
        return Err(AppError::Fields(problems));
    }
    let small = |v: i64| i32::try_from(v).unwrap_or(i32::MAX);
    Ok(JobSpec {
        name,
        source_id: form.source_id,
        source_prefix,
        dest_id: form.dest_id,
        dest_prefix,
        filter: form.filter.clone(),
        strategy: form.strategy,
        overwrite: form.overwrite,
        verify: form.verify,
        dry_run: form.dry_run,
        concurrency: small(form.concurrency),
        bandwidth_limit: form.bandwidth_limit,
        max_attempts: small(form.max_attempts),
        mirror_deletes: form.strategy == Strategy::Mirror && form.mirror_deletes,
        max_deletes: small(form.max_deletes),
        schedule: schedule.to_string(),
    })
}

async fn view_of(state: &AppState, job: &JobRecord) -> Result<JobView, AppError> {
    let name_of = |id: Uuid| async move {
        match state.store.provider_by_id(id).await {
            Ok(p) => Ok(p.name),
            Err(DbError::NotFound) => Ok("(deleted provider)".to_owned()),
            Err(e) => Err(db_error(e)),
        }
    };
    Ok(JobView {
        id: job.id,
        name: job.spec.name.clone(),
        source: name_of(job.spec.source_id).await?,
        source_prefix: job.spec.source_prefix.clone(),
        dest: name_of(job.spec.dest_id).await?,
        dest_prefix: job.spec.dest_prefix.clone(),
        strategy: job.spec.strategy,
        overwrite: job.spec.overwrite,
        dry_run: job.spec.dry_run,
        status: job.status,
        counts: state.store.job_counts(job.id).await.map_err(db_error)?,
        error: job.error.clone(),
        created_at: job.created_at,
        started_at: job.started_at,
        finished_at: job.finished_at,
        schedule: job.spec.schedule.clone(),
        next_run: next_run(job),
        plan: state.store.plan_counts(job.id).await.map_err(db_error)?,
        rollback: if matches!(job.status, JobStatus::RollingBack | JobStatus::RolledBack) {
            Some(state.store.rollback_counts(job.id).await.map_err(db_error)?)
        } else {
            None
        },
    })
}

/// When a job's schedule starts it next (none for manual jobs, or a one-off that ran).
fn next_run(job: &JobRecord) -> Option<chrono::DateTime<Utc>> {
    let schedule = job.spec.schedule.parse::<Schedule>().ok()?;
    match schedule {
        Schedule::Manual => None,
        Schedule::At(t) => job.started_at.is_none().then_some(t),
        Schedule::Cron(_) => schedule.next_after(job.started_at.unwrap_or(job.created_at)),
    }
}

/// Starts every scheduled migration whose time has come and that can start now;
/// returns how many started. The server calls this every half minute.
pub async fn start_due(state: &AppState, now: chrono::DateTime<Utc>) -> usize {
    let Ok(jobs) = state.store.list_jobs().await else { return 0 };
    let mut started = 0;
    for job in jobs {
        let due = next_run(&job).is_some_and(|t| t <= now);
        if !due || state.runner.is_running(job.id) || !job.status.can_transition_to(JobStatus::Planning) {
            continue;
        }
        match open_pair(state, &job).await {
            Ok((source, dest)) => {
                state.runner.spawn(state.store.clone(), job.id, source, dest, Mode::Start);
                started += 1;
                audit(
                    state.store.as_ref(),
                    NewAuditEvent {
                        actor_user_id: None,
                        actor_name: "scheduler".to_owned(),
                        source_addr: None,
                        action: "job.started".to_owned(),
                        target: Some(job.spec.name.clone()),
                        detail: format!("started by its schedule ({})", job.spec.schedule),
                    },
                )
                .await;
            }
            Err(e) => tracing::warn!(job = %job.id, error = %e, "a scheduled migration cannot start"),
        }
    }
    if started > 0 {
        tokio::task::yield_now().await;
    }
    started
}

/// Creates a migration in `draft`.
///
/// # Errors
/// [`AppError::Fields`] naming each field to fix.
pub async fn create(form: JobForm) -> Result<JobView, AppError> {
    let caller = require(Role::Operator).await?;
    let state = state()?;
    let job = create_as(&state, &form, Actor::Person(&caller)).await?;
    view_of(&state, &job).await
}

/// Creates a migration in `draft` on behalf of `actor`.
///
/// # Errors
/// [`AppError::Fields`] naming each field to fix.
pub async fn create_as(state: &AppState, form: &JobForm, actor: Actor<'_>) -> Result<JobRecord, AppError> {
    let spec = validate(state, form).await?;
    let job = state.store.create_job(&spec, actor.user_id()).await.map_err(|e| match e {
        DbError::Conflict { .. } => AppError::Fields(vec![FieldProblem::new(
            "name",
            format!("A migration called “{}” exists already. Choose another name.", spec.name),
        )]),
        other => db_error(other),
    })?;
    actor
        .audit(
            state.store.as_ref(),
            "job.created",
            &job.spec.name,
            format!("{} {} → {}", spec.strategy, spec.source_prefix, spec.dest_prefix),
        )
        .await;
    Ok(job)
}

/// Every migration, running first, then newest first.
///
/// # Errors
/// Role or store failures.
pub async fn list() -> Result<Vec<JobView>, AppError> {
    require(Role::Viewer).await?;
    let state = state()?;
    let jobs = state.store.list_jobs().await.map_err(db_error)?;
    let mut views = Vec::with_capacity(jobs.len());
    for job in &jobs {
        views.push(view_of(&state, job).await?);
    }
    views.sort_by_key(|v| !matches!(v.status, JobStatus::Running | JobStatus::Planning | JobStatus::Paused));
    Ok(views)
}

/// One migration.
///
/// # Errors
/// [`AppError::NotFound`] for an unknown id.
pub async fn get(id: Uuid) -> Result<JobView, AppError> {
    require(Role::Viewer).await?;
    let state = state()?;
    let job = state.store.job_by_id(id).await.map_err(not_found)?;
    view_of(&state, &job).await
}

/// Plans and (unless a dry run) runs a migration in the background.
///
/// # Errors
/// [`AppError::Conflict`] when it is already running or cannot start from its state.
pub async fn start(id: Uuid) -> Result<JobView, AppError> {
    let caller = require(Role::Operator).await?;
    let state = state()?;
    let job = state.store.job_by_id(id).await.map_err(not_found)?;
    if state.runner.is_running(id) || !job.status.can_transition_to(JobStatus::Planning) {
        return Err(cannot_now(&job, "started"));
    }
    start_inner(&state, &job).await?;
    let detail = if job.spec.dry_run { "dry run" } else { "run" };
    caller.audit(state.store.as_ref(), "job.started", &job.spec.name, detail.to_owned()).await;
    view_of(&state, &state.store.job_by_id(id).await.map_err(not_found)?).await
}

async fn change(
    id: Uuid,
    from: &[JobStatus],
    to: JobStatus,
    action: &str,
) -> Result<(AppState, Caller, JobRecord), AppError> {
    let caller = require(Role::Operator).await?;
    let state = state()?;
    let job = state.store.job_by_id(id).await.map_err(not_found)?;
    let moved = from.contains(&job.status)
        && job.status.can_transition_to(to)
        && state.store.transition_job(id, job.status, to, None, Utc::now()).await.map_err(db_error)?;
    if !moved {
        return Err(cannot_now(&job, action));
    }
    Ok((state, caller, job))
}

/// Pauses a running migration: no new items start; those in flight finish.
///
/// # Errors
/// [`AppError::Conflict`] unless it is running.
pub async fn pause(id: Uuid) -> Result<JobView, AppError> {
    let (state, caller, job) = change(id, &[JobStatus::Running], JobStatus::Paused, "paused").await?;
    caller.audit(state.store.as_ref(), "job.paused", &job.spec.name, String::new()).await;
    view_of(&state, &state.store.job_by_id(id).await.map_err(not_found)?).await
}

/// Resumes a paused migration where it stopped.
///
/// # Errors
/// [`AppError::Conflict`] unless it is paused.
pub async fn resume(id: Uuid) -> Result<JobView, AppError> {
    let (state, caller, job) = change(id, &[JobStatus::Paused], JobStatus::Running, "resumed").await?;
    let (source, dest) = open_pair(&state, &job).await?;
    state.runner.spawn(state.store.clone(), id, source, dest, Mode::Resume);
    caller.audit(state.store.as_ref(), "job.resumed", &job.spec.name, String::new()).await;
    view_of(&state, &state.store.job_by_id(id).await.map_err(not_found)?).await
}

/// Cancels a migration for good (what was copied stays; roll back to undo it).
///
/// # Errors
/// [`AppError::Conflict`] when it has already ended.
pub async fn cancel(id: Uuid) -> Result<JobView, AppError> {
    let open = [
        JobStatus::Draft,
        JobStatus::Planning,
        JobStatus::Ready,
        JobStatus::Running,
        JobStatus::Paused,
        JobStatus::Verifying,
    ];
    let (state, caller, job) = change(id, &open, JobStatus::Cancelled, "cancelled").await?;
    caller.audit(state.store.as_ref(), "job.cancelled", &job.spec.name, String::new()).await;
    view_of(&state, &state.store.job_by_id(id).await.map_err(not_found)?).await
}

/// Puts failed items back in the queue and starts the migration again: all of
/// them (the plan is made again), or the chosen ones (the workers take just those).
///
/// # Errors
/// [`AppError::Conflict`] while it is running, or when none of the chosen items failed.
pub async fn retry_failed(id: Uuid, keys: Option<Vec<String>>) -> Result<JobView, AppError> {
    let caller = require(Role::Operator).await?;
    let state = state()?;
    let job = state.store.job_by_id(id).await.map_err(not_found)?;
    if !job.status.is_final() || state.runner.is_running(id) {
        return Err(AppError::Conflict(format!(
            "“{}” has not ended yet: retry its failed items once it has.",
            job.spec.name
        )));
    }
    let Some(keys) = keys.filter(|k| !k.is_empty()) else {
        let n = state.store.retry_failed_items(id, None).await.map_err(db_error)?;
        caller
            .audit(
                state.store.as_ref(),
                "job.retried",
                &job.spec.name,
                format!("{n} failed items queued again"),
            )
            .await;
        start_inner(&state, &job).await?;
        return view_of(&state, &state.store.job_by_id(id).await.map_err(not_found)?).await;
    };
    if keys.len() > 10_000 {
        return Err(AppError::invalid(
            "keys",
            "Choose at most 10,000 items at once, or retry all failed items.",
        ));
    }
    if job.status != JobStatus::CompletedWithErrors {
        return Err(cannot_now(&job, "retried item by item"));
    }
    let n = state.store.retry_failed_items(id, Some(&keys)).await.map_err(db_error)?;
    if n == 0 {
        return Err(AppError::Conflict("None of the chosen items has failed: nothing to retry.".to_owned()));
    }
    let moved = state
        .store
        .transition_job(id, JobStatus::CompletedWithErrors, JobStatus::Running, None, Utc::now())
        .await
        .map_err(db_error)?;
    if !moved {
        return Err(cannot_now(&state.store.job_by_id(id).await.map_err(not_found)?, "retried item by item"));
    }
    let (source, dest) = open_pair(&state, &job).await?;
    state.runner.spawn(state.store.clone(), id, source, dest, Mode::Resume);
    caller
        .audit(
            state.store.as_ref(),
            "job.retried",
            &job.spec.name,
            format!("{n} chosen failed items queued again"),
        )
        .await;
    view_of(&state, &state.store.job_by_id(id).await.map_err(not_found)?).await
}

/// Spawns the job's start; the task moves it to planning at once, so the caller
/// reports what is known right after.
async fn start_inner(state: &AppState, job: &JobRecord) -> Result<(), AppError> {
    let (source, dest) = open_pair(state, job).await?;
    state.runner.spawn(state.store.clone(), job.id, source, dest, Mode::Start);
    tokio::task::yield_now().await;
    Ok(())
}

/// Changes a migration's bandwidth limit, also while it runs.
///
/// # Errors
/// [`AppError::Fields`] for a limit out of range.
pub async fn set_bandwidth(id: Uuid, bytes_per_second: Option<i64>) -> Result<JobView, AppError> {
    let caller = require(Role::Operator).await?;
    let state = state()?;
    if bytes_per_second.is_some_and(|b| !(1024..=100_000_000_000).contains(&b)) {
        return Err(AppError::Fields(vec![FieldProblem::new(
            "bandwidth_limit",
            "A limit is between 1 KiB/s and 100 GB/s, or none.",
        )]));
    }
    let job = state.store.job_by_id(id).await.map_err(not_found)?;
    state.store.set_job_bandwidth(id, bytes_per_second, Utc::now()).await.map_err(not_found)?;
    let shown = bytes_per_second.map_or_else(|| "no limit".to_owned(), |b| format!("{b} bytes/s"));
    caller.audit(state.store.as_ref(), "job.bandwidth_changed", &job.spec.name, shown).await;
    view_of(&state, &state.store.job_by_id(id).await.map_err(not_found)?).await
}

/// Undoes what a finished migration did, in the background.
///
/// # Errors
/// [`AppError::Conflict`] unless the migration has ended (and was not rolled back).
pub async fn roll_back(id: Uuid) -> Result<JobView, AppError> {
    let caller = require(Role::Operator).await?;
    let state = state()?;
    let job = state.store.job_by_id(id).await.map_err(not_found)?;
    if state.runner.is_running(id) || !job.status.can_transition_to(JobStatus::RollingBack) {
        return Err(cannot_now(&job, "rolled back"));
    }
    let (source, dest) = open_pair(&state, &job).await?;
    state
        .store
        .transition_job(id, job.status, JobStatus::RollingBack, None, Utc::now())
        .await
        .map_err(db_error)?;
    state.runner.spawn(state.store.clone(), id, source, dest, Mode::Rollback);
    caller
        .audit(state.store.as_ref(), "job.rolled_back", &job.spec.name, "rollback started".to_owned())
        .await;
    view_of(&state, &state.store.job_by_id(id).await.map_err(not_found)?).await
}

fn item_view(item: ItemRecord) -> ItemView {
    ItemView {
        source_key: item.source_key,
        dest_key: item.dest_key,
        action: item.action,
        reason: item.reason,
        size: item.size,
        status: item.status,
        attempts: i64::from(item.attempts),
        source_sha256: item.source_sha256,
        dest_sha256: item.dest_sha256,
        error_kind: item.error_kind,
        error_message: item.error_message,
        rollback_status: item.rollback_status,
        rollback_message: item.rollback_message,
    }
}

/// A page of a migration's items, in key order after `after`.
///
/// # Errors
/// [`AppError::NotFound`] for an unknown id.
pub async fn items(id: Uuid, query: ItemQuery) -> Result<ItemPage, AppError> {
    require(Role::Viewer).await?;
    let state = state()?;
    state.store.job_by_id(id).await.map_err(not_found)?;
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let search = query.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if search.is_some_and(|s| s.len() > 1024) {
        return Err(AppError::invalid("search", "Search for at most 1,024 characters of a key."));
    }
    // One more than asked tells whether another page follows.
    let mut items = state
        .store
        .search_items(id, query.status, search, query.after.as_deref(), limit + 1)
        .await
        .map_err(db_error)?;
    let more = items.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    items.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(ItemPage { items: items.into_iter().map(item_view).collect(), more })
}
