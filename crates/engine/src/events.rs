//! What the engine tells watchers while it works, and the limits it shares
//! between jobs in one process.
//!
//! Events are hints for live pages and progress bars: a watcher that misses some
//! (a slow receiver, another process) reads the truth from the database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ferry_model::job::JobStatus;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, broadcast};
use uuid::Uuid;

/// Something that changed in a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// An item finished an attempt: `done`, `failed`, `pending` (a retry comes)
    /// or a rollback result.
    Item {
        /// Source key.
        key: String,
        /// How it ended.
        status: String,
        /// Bytes.
        size: i64,
    },
    /// The job moved to a new state.
    Status(JobStatus),
    /// Something else changed (a plan batch, a setting): read the job again.
    Changed,
}

/// One event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The job.
    pub job_id: Uuid,
    /// What happened.
    pub kind: EventKind,
}

/// A process-wide broadcast of engine events. Cloning shares the channel.
#[derive(Debug, Clone)]
pub struct Events(broadcast::Sender<Event>);

impl Default for Events {
    fn default() -> Self {
        Self(broadcast::channel(4096).0)
    }
}

impl Events {
    /// Tells every current subscriber; nobody listening is fine.
    pub fn publish(&self, job_id: Uuid, kind: EventKind) {
        let _ = self.0.send(Event { job_id, kind });
    }

    /// Receives what is published from now on.
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.0.subscribe()
    }
}

/// Bounds how many transfers touch one provider at once across every job in this
/// process (each job also has its own bound). Cloning shares the bounds.
#[derive(Debug, Clone)]
pub struct ProviderLimits {
    per_provider: usize,
    slots: Arc<Mutex<HashMap<Uuid, Arc<Semaphore>>>>,
}

impl Default for ProviderLimits {
    fn default() -> Self {
        Self::new(128)
    }
}

impl ProviderLimits {
    /// At most `per_provider` transfers per provider; 0 means no bound.
    #[must_use]
    pub fn new(per_provider: usize) -> Self {
        Self { per_provider, slots: Arc::new(Mutex::new(HashMap::new())) }
    }

    fn semaphore(&self, id: Uuid) -> Option<Arc<Semaphore>> {
        let mut slots = self.slots.lock().ok()?;
        Some(slots.entry(id).or_insert_with(|| Arc::new(Semaphore::new(self.per_provider))).clone())
    }

    /// Waits for a slot on each of the providers (one when they are the same);
    /// the slots return when the permits drop. Slots are always taken in the same
    /// order, so two jobs running in opposite directions cannot block each other.
    pub async fn acquire(&self, a: Uuid, b: Uuid) -> Vec<OwnedSemaphorePermit> {
        if self.per_provider == 0 {
            return Vec::new();
        }
        let mut ids = [a, b];
        ids.sort_unstable();
        let mut permits = Vec::with_capacity(2);
        for (i, id) in ids.iter().enumerate() {
            if i == 1 && ids[0] == ids[1] {
                break;
            }
            if let Some(semaphore) = self.semaphore(*id)
                && let Ok(permit) = semaphore.acquire_owned().await
            {
                permits.push(permit);
            }
        }
        permits
    }

    /// Transfers running on a provider now.
    #[must_use]
    pub fn in_use(&self, id: Uuid) -> usize {
        self.semaphore(id).map_or(0, |s| self.per_provider.saturating_sub(s.available_permits()))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_provider_never_has_more_transfers_than_its_bound() {
        let limits = ProviderLimits::new(2);
        let (p, q, r) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let first = limits.acquire(p, q).await;
        let second = limits.acquire(q, p).await;
        assert_eq!(limits.in_use(p), 2);
        assert_eq!(limits.in_use(q), 2);
        // A third transfer touching `p` waits until one of the first two ends.
        let waiting = tokio::time::timeout(Duration::from_millis(50), limits.acquire(r, p)).await;
        assert!(waiting.is_err(), "p is full");
        drop(first);
        let third = tokio::time::timeout(Duration::from_millis(500), limits.acquire(r, p)).await;
        assert!(third.is_ok(), "a slot came back");
        drop((second, third));
        assert_eq!(limits.in_use(p), 0);
        // The same provider on both sides takes one slot.
        let same = limits.acquire(r, r).await;
        assert_eq!((same.len(), limits.in_use(r)), (1, 1));
        assert!(ProviderLimits::new(0).acquire(p, q).await.is_empty(), "0 means no bound");
    }

    #[tokio::test]
    async fn subscribers_hear_what_is_published_after_they_join() {
        let events = Events::default();
        events.publish(Uuid::nil(), EventKind::Changed);
        let mut rx = events.subscribe();
        let job = Uuid::now_v7();
        events.publish(job, EventKind::Status(JobStatus::Running));
        let got = rx.recv().await.ok();
        assert_eq!(got, Some(Event { job_id: job, kind: EventKind::Status(JobStatus::Running) }));
    }
}
