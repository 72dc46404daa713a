//! The migration engine: what to copy (filters and the overwrite decision), the
//! planner that writes a job's items, the worker loop that copies them under
//! leases, and how one object is copied and proven intact (streamed SHA-256,
//! verified against what the destination reports or by reading it back).

pub mod decide;
pub mod events;
pub mod filter;
pub mod pacer;
pub mod plan;
pub mod recheck;
pub mod rollback;
pub mod run;
pub mod throttle;
pub mod transfer;

use std::sync::Arc;

use chrono::Utc;
use ferry_db::{DbError, Store};
use ferry_model::job::{JobCounts, JobStatus};
use ferry_storage::{Provider, ProviderError};

pub use decide::{Decision, KnownHashes, SkipReason, decide};
pub use events::{Event, EventKind, Events, ProviderLimits};
pub use filter::{Filter, FilterError};
pub use pacer::Pacer;
pub use plan::{PlanSummary, plan, preview};
pub use recheck::{Drift, recheck_copy};
pub use rollback::{RollbackSummary, rollback};
pub use run::{WorkerOptions, run_job};
pub use throttle::Throttle;
pub use transfer::{TransferOptions, Transferred, VerifiedBy, copy_object};

/// Why the engine stopped.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The job's settings cannot be used.
    #[error("{0}")]
    Invalid(String),
    /// A mirror would delete more than it may; it stops and asks.
    #[error(
        "this run would delete {would} objects from the destination, more than its limit of {limit}; \
         check the source, then raise the limit to go on"
    )]
    TooManyDeletes {
        /// Deletions the plan found.
        would: u64,
        /// The job's limit.
        limit: u64,
    },
    /// A provider failed in a way that stops the whole job (listing, say).
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] DbError),
    /// The job is not in a state that allows this.
    #[error("the migration is {0}, so it cannot be started now")]
    NotStartable(JobStatus),
}

/// Plans a job and, unless it is a dry run, runs it to the end. A dry run stops in
/// `ready` with its plan stored as items.
///
/// # Errors
/// [`EngineError`]; a planning failure also moves the job to `failed` with the message.
pub async fn start(
    store: &Arc<dyn Store>,
    job_id: uuid::Uuid,
    source: Arc<dyn Provider>,
    dest: Arc<dyn Provider>,
    options: &WorkerOptions,
) -> Result<(PlanSummary, JobCounts), EngineError> {
    let job = store.job_by_id(job_id).await?;
    let from = job.status;
    if !from.can_transition_to(JobStatus::Planning)
        || !store.transition_job(job_id, from, JobStatus::Planning, None, Utc::now()).await?
    {
        return Err(EngineError::NotStartable(from));
    }
    let events = &options.events;
    events.publish(job_id, EventKind::Status(JobStatus::Planning));
    let fail = |e: &EngineError| {
        let message = e.to_string();
        async move {
            let moved = store
                .transition_job(job_id, JobStatus::Planning, JobStatus::Failed, Some(&message), Utc::now())
                .await;
            events.publish(job_id, EventKind::Status(JobStatus::Failed));
            moved
        }
    };
    if job.spec.dry_run {
        let summary = match plan(store.as_ref(), &job, source.as_ref(), dest.as_ref()).await {
            Ok(summary) => summary,
            Err(e) => {
                fail(&e).await?;
                return Err(e);
            }
        };
        store.transition_job(job_id, JobStatus::Planning, JobStatus::Ready, None, Utc::now()).await?;
        events.publish(job_id, EventKind::Status(JobStatus::Ready));
        return Ok((summary, store.job_counts(job_id).await?));
    }
    // Workers start on the first items while the planner is still listing.
    let planning = async {
        match plan(store.as_ref(), &job, source.as_ref(), dest.as_ref()).await {
            Ok(summary) => {
                store
                    .transition_job(job_id, JobStatus::Planning, JobStatus::Running, None, Utc::now())
                    .await?;
                events.publish(job_id, EventKind::Status(JobStatus::Running));
                Ok(summary)
            }
            Err(e) => {
                fail(&e).await?;
                Err(e)
            }
        }
    };
    let running = run_job(store.clone(), job_id, source.clone(), dest.clone(), options);
    let (summary, counts) = tokio::join!(planning, running);
    Ok((summary?, counts?))
}
