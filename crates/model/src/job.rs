//! Migrations as the console, the API and the engine share them: strategies,
//! overwrite policies, filters, and the job and item state machines.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Declares a string-backed enum: stored as TEXT through `as_str` and `FromStr`.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored name.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim() {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "`{other}` is not one of: {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}

text_enum! {
    /// What a migration does with the source.
    Strategy {
        /// Copies; the source stays as it is.
        Copy = "copy",
        /// Copies, verifies, then deletes the source.
        Move = "move",
        /// Keeps the destination in step with the source on every run.
        Mirror = "mirror",
    }
}

text_enum! {
    /// What to do when the destination already has the key.
    OverwritePolicy {
        /// Leave the destination's object alone.
        SkipExisting = "skip-existing",
        /// Always replace it (keeping the prior object for rollback).
        Overwrite = "overwrite",
        /// Replace it when the source was modified later.
        IfNewer = "if-newer",
        /// Replace it when the content differs (size, then a hash both sides know).
        IfDifferent = "if-different",
    }
}

text_enum! {
    /// Where a migration stands.
    JobStatus {
        /// Created, not started.
        Draft = "draft",
        /// Listing the source and deciding what to do.
        Planning = "planning",
        /// Planned; waiting to run.
        Ready = "ready",
        /// Copying.
        Running = "running",
        /// Stopped by a person; resumes where it stopped.
        Paused = "paused",
        /// Copies done; checking them.
        Verifying = "verifying",
        /// Everything done and verified.
        Completed = "completed",
        /// Done, with some items failed.
        CompletedWithErrors = "completed_with_errors",
        /// Could not go on (a provider gone, a plan refused).
        Failed = "failed",
        /// Stopped for good by a person.
        Cancelled = "cancelled",
        /// Undoing what its runs did.
        RollingBack = "rolling_back",
        /// Undone (each item's rollback result is kept).
        RolledBack = "rolled_back",
    }
}

impl JobStatus {
    /// Whether the job has ended (it can then be rolled back or run again).
    #[must_use]
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobStatus::Completed
                | JobStatus::CompletedWithErrors
                | JobStatus::Failed
                | JobStatus::Cancelled
                | JobStatus::RolledBack
        )
    }

    /// Whether the state machine allows `self → next`.
    #[must_use]
    pub fn can_transition_to(self, next: JobStatus) -> bool {
        use JobStatus::{
            Cancelled, Completed, CompletedWithErrors, Draft, Failed, Paused, Planning, Ready, RolledBack,
            RollingBack, Running, Verifying,
        };
        match (self, next) {
            (Draft, Planning)
            | (Planning, Ready | Running)
            | (Ready, Running | Planning)
            | (Running, Paused | Verifying)
            | (Paused, Running)
            | (Verifying, Completed | CompletedWithErrors)
            // A finished job runs again (mirror schedules, retry of failed items).
            | (Completed | CompletedWithErrors | Failed | Cancelled | RolledBack, Planning)
            // Chosen failed items are retried without planning again.
            | (CompletedWithErrors, Running)
            // A finished job can be undone; a rollback is rolled back no further.
            | (Completed | CompletedWithErrors | Failed | Cancelled, RollingBack)
            | (RollingBack, RolledBack) => true,
            (from, Failed | Cancelled) => !from.is_final(),
            _ => false,
        }
    }
}

text_enum! {
    /// Where one item of a migration stands.
    ItemStatus {
        /// Waiting for a worker.
        Pending = "pending",
        /// A worker holds its lease.
        InProgress = "in_progress",
        /// Written to the destination, not yet verified.
        Copied = "copied",
        /// Written and checked by hash: done.
        Verified = "verified",
        /// Not copied, by the plan (the reason is kept).
        Skipped = "skipped",
        /// A temporary failure; tried again after a pause.
        RetryWait = "retry_wait",
        /// A permanent failure, or attempts exhausted.
        Failed = "failed",
    }
}

impl ItemStatus {
    /// Whether the state machine allows `self → next`.
    #[must_use]
    pub fn can_transition_to(self, next: ItemStatus) -> bool {
        use ItemStatus::{Copied, Failed, InProgress, Pending, RetryWait, Skipped, Verified};
        match (self, next) {
            (Pending, InProgress | Skipped)
            | (InProgress, Copied | RetryWait | Pending)
            | (Copied, Verified | InProgress)
            | (RetryWait, Pending)
            // A person retries failed items.
            | (Failed, Pending) => true,
            (from, Failed) => from != Failed && from != Verified && from != Skipped,
            _ => false,
        }
    }
}

/// Which source objects a migration takes. Every condition must hold.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FilterSpec {
    /// Globs a key must match (any of them), e.g. `invoices/**/*.pdf`. Empty: all.
    pub include: Vec<String>,
    /// Globs that exclude a key (any of them).
    pub exclude: Vec<String>,
    /// File extensions without the dot, compared without case (`pdf`, `docx`). Empty: all.
    pub extensions: Vec<String>,
    /// Smallest size in bytes.
    pub min_size: Option<u64>,
    /// Largest size in bytes.
    pub max_size: Option<u64>,
    /// Only objects modified before this moment.
    pub modified_before: Option<DateTime<Utc>>,
    /// Only objects modified after this moment.
    pub modified_after: Option<DateTime<Utc>>,
}

text_enum! {
    /// What the plan says to do with one source object.
    ItemAction {
        /// The destination lacks it: copy.
        Copy = "copy",
        /// The destination has other content there: replace it.
        Overwrite = "overwrite",
        /// Leave it (the reason is kept).
        Skip = "skip",
        /// Mirror only: the source no longer has it; delete it from the destination.
        Delete = "delete",
    }
}

/// A folder as typed, the way it is stored: no leading `/`, a trailing `/` unless
/// it is the top (`""`). ` /invoices` → `invoices/`.
#[must_use]
pub fn folder_prefix(raw: &str) -> String {
    let p = raw.trim().trim_start_matches('/');
    if p.is_empty() || p.ends_with('/') { p.to_owned() } else { format!("{p}/") }
}

/// Items and bytes per status: a job's progress, read from its items.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobCounts {
    /// Items in the plan.
    pub total: i64,
    /// Bytes in the plan.
    pub total_bytes: i64,
    /// Waiting (pending or waiting to retry).
    pub pending: i64,
    /// Held by a worker now.
    pub in_progress: i64,
    /// Copied and verified.
    pub done: i64,
    /// Their bytes.
    pub done_bytes: i64,
    /// Skipped by the plan.
    pub skipped: i64,
    /// Their bytes.
    pub skipped_bytes: i64,
    /// Failed for good.
    pub failed: i64,
    /// Their bytes.
    pub failed_bytes: i64,
}

impl JobCounts {
    /// Work finished (done, skipped, failed) as a share of the plan, 0–1: by bytes
    /// when the plan has any, else by items; a finished job with no plan is whole.
    #[must_use]
    pub fn fraction(&self, status: JobStatus) -> f64 {
        if self.total_bytes > 0 {
            let finished = self.done_bytes + self.skipped_bytes + self.failed_bytes;
            (finished as f64 / self.total_bytes as f64).clamp(0.0, 1.0)
        } else if self.total > 0 {
            ((self.done + self.skipped + self.failed) as f64 / self.total as f64).clamp(0.0, 1.0)
        } else if status.is_final() {
            1.0
        } else {
            0.0
        }
    }

    /// Whether nothing is left to do.
    #[must_use]
    pub fn settled(&self) -> bool {
        self.pending == 0 && self.in_progress == 0
    }
}

/// The create-migration form (API and wizard).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobForm {
    /// Unique name.
    pub name: String,
    /// Source provider.
    pub source_id: uuid::Uuid,
    /// Only keys under this folder.
    #[serde(default)]
    pub source_prefix: String,
    /// Destination provider.
    pub dest_id: uuid::Uuid,
    /// Written under this folder.
    #[serde(default)]
    pub dest_prefix: String,
    /// Which objects.
    #[serde(default)]
    pub filter: FilterSpec,
    /// Copy, move or mirror.
    pub strategy: Strategy,
    /// Existing destination objects.
    pub overwrite: OverwritePolicy,
    /// Prove each copy by hash (default on).
    #[serde(default = "yes")]
    pub verify: bool,
    /// Plan only.
    #[serde(default)]
    pub dry_run: bool,
    /// Objects in flight (1–256, default 8).
    #[serde(default = "eight")]
    pub concurrency: i64,
    /// Bytes per second, when limited.
    #[serde(default)]
    pub bandwidth_limit: Option<i64>,
    /// Attempts per item (1–20, default 5).
    #[serde(default = "five")]
    pub max_attempts: i64,
    /// Mirror: delete what the source no longer has.
    #[serde(default)]
    pub mirror_deletes: bool,
    /// Mirror: the most deletions per run (default 100).
    #[serde(default = "hundred")]
    pub max_deletes: i64,
    /// `manual` (default), `at <RFC 3339 time>` or `cron <five fields>` (UTC).
    #[serde(default)]
    pub schedule: String,
}

fn yes() -> bool {
    true
}
fn eight() -> i64 {
    8
}
fn five() -> i64 {
    5
}
fn hundred() -> i64 {
    100
}

/// A migration as lists and its detail page show it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobView {
    /// Its id.
    pub id: uuid::Uuid,
    /// Its name.
    pub name: String,
    /// Source provider's name.
    pub source: String,
    /// Source folder.
    pub source_prefix: String,
    /// Destination provider's name.
    pub dest: String,
    /// Destination folder.
    pub dest_prefix: String,
    /// Copy, move or mirror.
    pub strategy: Strategy,
    /// Overwrite policy.
    pub overwrite: OverwritePolicy,
    /// Plan only.
    pub dry_run: bool,
    /// Where it stands.
    pub status: JobStatus,
    /// Progress.
    pub counts: JobCounts,
    /// Why it failed.
    pub error: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Current run started.
    pub started_at: Option<DateTime<Utc>>,
    /// Last run ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// `manual`, `at …` or `cron …`.
    pub schedule: String,
    /// When the schedule starts it next.
    pub next_run: Option<DateTime<Utc>>,
    /// What the plan holds, by action.
    #[serde(default)]
    pub plan: PlanCounts,
    /// How its rollback went, once one started.
    #[serde(default)]
    pub rollback: Option<RollbackCounts>,
}

/// A rollback's progress: of the items a migration wrote, how many were undone,
/// left alone (the destination changed since) or could not be undone.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollbackCounts {
    /// Items to undo.
    pub total: i64,
    /// Undone.
    pub undone: i64,
    /// Left alone on purpose.
    pub kept: i64,
    /// Could not be undone.
    pub failed: i64,
}

impl RollbackCounts {
    /// Items the rollback has dealt with.
    #[must_use]
    pub fn finished(&self) -> i64 {
        self.undone + self.kept + self.failed
    }
}

/// What a migration's plan holds, by action, and how many copies were proven by hash.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanCounts {
    /// New on the destination.
    pub copy: i64,
    /// Replacing what the destination held.
    pub overwrite: i64,
    /// Left alone.
    pub skip: i64,
    /// Mirror deletions.
    pub delete: i64,
    /// Bytes to copy or overwrite.
    pub bytes: i64,
    /// Copies whose destination SHA-256 was seen to equal the source's.
    pub hash_matched: i64,
    /// Copies whose destination SHA-256 differed from the source's (never counted as done).
    pub hash_mismatched: i64,
}

/// Which items to show: by status, by part of the key, after a key (paging).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ItemQuery {
    /// Only items in this status.
    pub status: Option<ItemStatus>,
    /// Only items whose source key contains this text (any case).
    pub search: Option<String>,
    /// Only items whose source key sorts after this one.
    pub after: Option<String>,
    /// At most this many (1–1000, default 100).
    pub limit: Option<i64>,
}

/// One page of items.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemPage {
    /// The items, in key order.
    pub items: Vec<ItemView>,
    /// Whether more follow the last one.
    pub more: bool,
}

/// One item as the detail page and the report show it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemView {
    /// Source key.
    pub source_key: String,
    /// Destination key.
    pub dest_key: String,
    /// What the plan says.
    pub action: ItemAction,
    /// Why (skips).
    pub reason: Option<String>,
    /// Bytes.
    pub size: i64,
    /// Where it stands.
    pub status: ItemStatus,
    /// Attempts so far.
    pub attempts: i64,
    /// SHA-256 read from the source.
    pub source_sha256: Option<String>,
    /// SHA-256 of the destination's copy.
    pub dest_sha256: Option<String>,
    /// Failure kind.
    pub error_kind: Option<String>,
    /// Failure in words.
    pub error_message: Option<String>,
    /// How its rollback ended, if it was rolled back.
    pub rollback_status: Option<String>,
    /// The rollback's result in words.
    pub rollback_message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_stored_one_way() {
        assert_eq!(folder_prefix(" /invoices"), "invoices/");
        assert_eq!(folder_prefix("a/b/"), "a/b/");
        assert_eq!(folder_prefix("/"), "");
        assert_eq!(folder_prefix(""), "");
    }

    #[test]
    fn names_round_trip_through_text_and_json() {
        for s in Strategy::ALL {
            assert_eq!(s.as_str().parse::<Strategy>().unwrap(), *s);
        }
        for p in OverwritePolicy::ALL {
            assert_eq!(p.as_str().parse::<OverwritePolicy>().unwrap(), *p);
            assert_eq!(serde_json::to_string(p).unwrap(), format!("\"{}\"", p.as_str()));
        }
        for s in JobStatus::ALL {
            assert_eq!(s.as_str().parse::<JobStatus>().unwrap(), *s);
        }
        for s in ItemStatus::ALL {
            assert_eq!(s.as_str().parse::<ItemStatus>().unwrap(), *s);
        }
        let err = "sideways".parse::<Strategy>().unwrap_err();
        assert!(err.contains("copy, move, mirror"), "{err}");
    }

    #[test]
    fn job_transitions_follow_the_machine() {
        use JobStatus::*;
        let allowed = [
            (Draft, Planning),
            (Planning, Ready),
            (Planning, Running),
            (Ready, Running),
            (Ready, Planning),
            (Running, Paused),
            (Paused, Running),
            (Running, Verifying),
            (Verifying, Completed),
            (Verifying, CompletedWithErrors),
            (Completed, Planning),
            (CompletedWithErrors, Planning),
            (CompletedWithErrors, Running),
            (Failed, Planning),
            (Cancelled, Planning),
            (RolledBack, Planning),
            (Completed, RollingBack),
            (CompletedWithErrors, RollingBack),
            (Failed, RollingBack),
            (Cancelled, RollingBack),
            (RollingBack, RolledBack),
        ];
        for from in JobStatus::ALL {
            for to in JobStatus::ALL {
                let expected =
                    allowed.contains(&(*from, *to)) || (matches!(to, Failed | Cancelled) && !from.is_final());
                assert_eq!(from.can_transition_to(*to), expected, "{from} → {to}");
            }
        }
    }

    #[test]
    fn item_transitions_follow_the_machine() {
        use ItemStatus::*;
        let allowed = [
            (Pending, InProgress),
            (Pending, Skipped),
            (InProgress, Copied),
            (InProgress, RetryWait),
            (InProgress, Pending),
            (Copied, Verified),
            (Copied, InProgress),
            (RetryWait, Pending),
            (Failed, Pending),
            (Pending, Failed),
            (InProgress, Failed),
            (Copied, Failed),
            (RetryWait, Failed),
        ];
        for from in ItemStatus::ALL {
            for to in ItemStatus::ALL {
                assert_eq!(from.can_transition_to(*to), allowed.contains(&(*from, *to)), "{from} → {to}");
            }
        }
        assert!(!Verified.can_transition_to(Failed), "a verified copy is never failed afterwards");
    }
}
