//! A job's pacer: when a provider says "slow down" (429, 503, SlowDown), the job
//! halves how many objects it has in flight and claims nothing until the
//! provider's Retry-After has passed; each success then wins a little back
//! (additive increase, multiplicative decrease).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
struct State {
    limit: f64,
    max: usize,
    quiet_until: Instant,
}

/// Shared by the tasks of one job.
#[derive(Debug, Clone)]
pub struct Pacer(Arc<Mutex<State>>);

impl Pacer {
    /// A pacer allowing up to `max` objects in flight.
    #[must_use]
    pub fn new(max: usize) -> Self {
        let max = max.max(1);
        Self(Arc::new(Mutex::new(State { limit: max as f64, max, quiet_until: Instant::now() })))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Objects that may be in flight now (0 while the provider asked for quiet).
    #[must_use]
    pub fn allowed(&self) -> usize {
        let state = self.lock();
        if Instant::now() < state.quiet_until {
            return 0;
        }
        (state.limit.floor() as usize).clamp(1, state.max)
    }

    /// The provider pushed back: halve the limit and keep quiet for `wait`.
    pub fn push_back(&self, wait: Duration) {
        let mut state = self.lock();
        state.limit = (state.limit / 2.0).max(1.0);
        let until = Instant::now() + wait;
        if until > state.quiet_until {
            state.quiet_until = until;
        }
    }

    /// A transfer went through: grow the limit by about one per round.
    pub fn success(&self) {
        let mut state = self.lock();
        state.limit = (state.limit + 1.0 / state.limit).min(state.max as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn push_back_halves_waits_and_recovers() {
        let pacer = Pacer::new(16);
        assert_eq!(pacer.allowed(), 16);
        pacer.push_back(Duration::from_secs(2));
        assert_eq!(pacer.allowed(), 0, "quiet while the provider asked for it");
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(pacer.allowed(), 8);
        pacer.push_back(Duration::ZERO);
        pacer.push_back(Duration::ZERO);
        pacer.push_back(Duration::ZERO);
        pacer.push_back(Duration::ZERO);
        assert_eq!(pacer.allowed(), 1, "never below one");
        for _ in 0..200 {
            pacer.success();
        }
        assert_eq!(pacer.allowed(), 16, "recovers to the job's concurrency, no further");
    }
}
