//! A migration's progress as people watch it: counts from the database, a rate
//! over a moving window, and what is left at that rate. The server computes it
//! for the websocket; the command line computes it for its progress bar.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::job::{JobCounts, JobStatus};

/// How far back the rate looks.
pub const RATE_WINDOW_MS: i64 = 10_000;

/// One finished item, for the "recent items" list.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentItem {
    /// Source key.
    pub key: String,
    /// `done`, `failed` or `pending` (a retry is coming).
    pub status: String,
    /// Bytes.
    pub size: i64,
}

/// A snapshot of one migration's progress.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressView {
    /// The migration.
    pub job_id: uuid::Uuid,
    /// Where it stands.
    pub status: JobStatus,
    /// Items and bytes per status.
    pub counts: JobCounts,
    /// Objects finished per second over the last few seconds.
    pub objects_per_sec: f64,
    /// Bytes finished per second over the last few seconds.
    pub bytes_per_sec: f64,
    /// Seconds left at the current rate; none while the rate is unknown or zero.
    pub eta_secs: Option<u64>,
    /// Seconds since the migration started.
    pub elapsed_secs: Option<u64>,
    /// The most recently finished items, newest first.
    pub recent: Vec<RecentItem>,
    /// A rollback's own progress, while one runs or once it ran.
    #[serde(default)]
    pub rollback: Option<crate::job::RollbackCounts>,
}

impl ProgressView {
    /// Work finished (done, skipped, failed) as a share of the plan, 0–1.
    #[must_use]
    pub fn fraction(&self) -> f64 {
        self.counts.fraction(self.status)
    }
}

/// Samples of (time, objects finished, bytes finished) over a moving window.
#[derive(Debug, Clone, Default)]
pub struct RateWindow {
    samples: VecDeque<(i64, i64, i64)>,
}

impl RateWindow {
    /// Records the finished totals seen at `at_ms` (Unix milliseconds).
    pub fn record(&mut self, at_ms: i64, objects: i64, bytes: i64) {
        // Counts can fall back (a retry returns failed items to the queue): start over.
        if self.samples.back().is_some_and(|&(_, o, b)| objects < o || bytes < b) {
            self.samples.clear();
        }
        self.samples.push_back((at_ms, objects, bytes));
        while self.samples.len() > 2
            && self.samples.front().is_some_and(|&(t, _, _)| at_ms - t > RATE_WINDOW_MS)
        {
            self.samples.pop_front();
        }
    }

    /// Objects and bytes per second across the window; zero until two samples
    /// at least a fifth of a second apart exist.
    #[must_use]
    pub fn rates(&self) -> (f64, f64) {
        match (self.samples.front(), self.samples.back()) {
            (Some(&(t0, o0, b0)), Some(&(t1, o1, b1))) if t1 - t0 >= 200 => {
                let secs = (t1 - t0) as f64 / 1000.0;
                ((o1 - o0) as f64 / secs, (b1 - b0) as f64 / secs)
            }
            _ => (0.0, 0.0),
        }
    }

    /// Seconds left for what `counts` still holds at the current rate: by bytes
    /// when bytes move, else by objects.
    #[must_use]
    pub fn eta_secs(&self, counts: &JobCounts) -> Option<u64> {
        let (objects, bytes) = self.rates();
        let left_objects = (counts.pending + counts.in_progress).max(0);
        if left_objects == 0 {
            return Some(0);
        }
        let left_bytes =
            (counts.total_bytes - counts.done_bytes - counts.skipped_bytes - counts.failed_bytes).max(0);
        let secs = if bytes > 0.0 && left_bytes > 0 {
            left_bytes as f64 / bytes
        } else if objects > 0.0 {
            left_objects as f64 / objects
        } else {
            return None;
        };
        // Rounded up: "0 s left" only when nothing is.
        Some(secs.ceil().max(1.0) as u64)
    }
}

/// Bytes for people: `512 B`, `4.0 KiB`, `1.5 GiB`.
#[must_use]
pub fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes.max(0.0);
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{value:.0} {}", UNITS[0]) } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// A duration for people: `42 s`, `3 min 5 s`, `2 h 10 min`.
#[must_use]
pub fn human_duration(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, (secs % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(total: i64, done: i64, total_bytes: i64, done_bytes: i64) -> JobCounts {
        JobCounts { total, total_bytes, pending: total - done, done, done_bytes, ..JobCounts::default() }
    }

    #[test]
    fn rate_is_measured_over_the_window_and_forgets_old_samples() {
        let mut w = RateWindow::default();
        assert_eq!(w.rates(), (0.0, 0.0), "no samples, no rate");
        w.record(0, 0, 0);
        w.record(100, 50, 5_000);
        assert_eq!(w.rates(), (0.0, 0.0), "too short a span to tell");
        w.record(1_000, 100, 10_000);
        assert_eq!(w.rates(), (100.0, 10_000.0));
        // A slow stretch long after: the early fast second leaves the window.
        w.record(20_000, 110, 11_000);
        w.record(30_000, 120, 12_000);
        let (objects, bytes) = w.rates();
        assert!((objects - 1.0).abs() < 1e-9, "{objects}");
        assert!((bytes - 100.0).abs() < 1e-9, "{bytes}");
    }

    #[test]
    fn counts_that_fall_back_restart_the_window() {
        let mut w = RateWindow::default();
        w.record(0, 0, 0);
        w.record(1_000, 100, 100);
        w.record(2_000, 40, 40);
        assert_eq!(w.rates(), (0.0, 0.0), "one sample after the restart");
    }

    #[test]
    fn eta_prefers_bytes_and_is_unknown_without_a_rate() {
        let mut w = RateWindow::default();
        assert_eq!(w.eta_secs(&counts(10, 0, 1_000, 0)), None);
        w.record(0, 0, 0);
        w.record(2_000, 2, 200);
        // 800 bytes left at 100 B/s.
        assert_eq!(w.eta_secs(&counts(10, 2, 1_000, 200)), Some(8));
        // Empty objects: by count, 8 left at 1/s.
        assert_eq!(w.eta_secs(&counts(10, 2, 0, 0)), Some(8));
        assert_eq!(w.eta_secs(&counts(10, 10, 1_000, 1_000)), Some(0), "nothing left");
    }

    #[test]
    fn fraction_counts_every_finished_item() {
        let mut view = ProgressView {
            job_id: uuid::Uuid::nil(),
            status: JobStatus::Running,
            counts: JobCounts {
                total: 4,
                total_bytes: 400,
                done: 1,
                done_bytes: 100,
                ..JobCounts::default()
            },
            objects_per_sec: 0.0,
            bytes_per_sec: 0.0,
            eta_secs: None,
            elapsed_secs: None,
            recent: Vec::new(),
            rollback: None,
        };
        assert!((view.fraction() - 0.25).abs() < 1e-9);
        view.counts.failed_bytes = 300;
        assert!((view.fraction() - 1.0).abs() < 1e-9);
        view.counts = JobCounts::default();
        assert!(view.fraction().abs() < 1e-9, "nothing planned yet");
        view.status = JobStatus::Completed;
        assert!((view.fraction() - 1.0).abs() < 1e-9, "an empty finished job is complete");
    }

    #[test]
    fn people_read_sizes_and_durations() {
        assert_eq!(human_bytes(512.0), "512 B");
        assert_eq!(human_bytes(4096.0), "4.0 KiB");
        assert_eq!(human_bytes(1.5 * 1024.0 * 1024.0 * 1024.0), "1.5 GiB");
        assert_eq!(human_duration(42), "42 s");
        assert_eq!(human_duration(185), "3 min 5 s");
        assert_eq!(human_duration(7_800), "2 h 10 min");
    }
}
