//! A job's bandwidth limit: a token bucket shared by all of its transfers, whose
//! rate can change while they run. One second of burst is allowed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
struct Bucket {
    rate: Option<u64>,
    available: f64,
    last: Instant,
}

/// Bytes per second for a whole job; `None` is unlimited.
#[derive(Debug, Clone)]
pub struct Throttle(Arc<Mutex<Bucket>>);

impl Throttle {
    /// A throttle at `rate` bytes per second.
    #[must_use]
    pub fn new(rate: Option<u64>) -> Self {
        let available = rate.map_or(0.0, |r| r as f64);
        Self(Arc::new(Mutex::new(Bucket { rate: rate.filter(|r| *r > 0), available, last: Instant::now() })))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Bucket> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Changes the rate; transfers under way follow from their next chunk.
    pub fn set_rate(&self, rate: Option<u64>) {
        let mut bucket = self.lock();
        let rate = rate.filter(|r| *r > 0);
        if bucket.rate != rate {
            bucket.rate = rate;
            bucket.available = bucket.available.min(rate.map_or(0.0, |r| r as f64));
        }
    }

    /// The rate in force.
    #[must_use]
    pub fn rate(&self) -> Option<u64> {
        self.lock().rate
    }

    /// Waits until `bytes` may pass.
    pub async fn take(&self, bytes: usize) {
        let wait = {
            let mut bucket = self.lock();
            let Some(rate) = bucket.rate else { return };
            let now = Instant::now();
            let rate = rate as f64;
            bucket.available =
                (bucket.available + now.duration_since(bucket.last).as_secs_f64() * rate).min(rate);
            bucket.last = now;
            bucket.available -= bytes as f64;
            // In debt: wait until the debt is paid at the current rate.
            (bucket.available < 0.0).then(|| Duration::from_secs_f64(-bucket.available / rate))
        };
        if let Some(wait) = wait {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_limit_spreads_bytes_over_time() {
        let throttle = Throttle::new(Some(1000));
        let started = Instant::now();
        // One second of burst, then 1000 bytes a second.
        for _ in 0..50 {
            throttle.take(100).await;
        }
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_secs(4) && elapsed <= Duration::from_millis(4100), "{elapsed:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_changes_while_running_and_none_is_unlimited() {
        let throttle = Throttle::new(None);
        let started = Instant::now();
        throttle.take(1 << 30).await;
        assert_eq!(started.elapsed(), Duration::ZERO);
        throttle.set_rate(Some(100));
        assert_eq!(throttle.rate(), Some(100));
        let started = Instant::now();
        throttle.take(300).await;
        assert!(started.elapsed() >= Duration::from_secs(3), "{:?}", started.elapsed());
        throttle.set_rate(Some(0));
        assert_eq!(throttle.rate(), None, "zero means no limit");
    }
}
