//! Plain words for the job enums, shared by the console and the command line:
//! a label for each value, a one-sentence explanation where a choice is offered,
//! and a tone the console colours badges by.

use crate::job::{ItemAction, ItemStatus, JobStatus, OverwritePolicy, Strategy};

/// How a status should look: calm, busy, good, needing attention, or bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Nothing happening (draft, ready, cancelled).
    Neutral,
    /// Work under way.
    Busy,
    /// Finished well.
    Good,
    /// Finished, with something to look at.
    Warn,
    /// Failed.
    Bad,
}

impl Tone {
    /// A stable token for CSS and tests.
    #[must_use]
    pub fn token(self) -> &'static str {
        match self {
            Tone::Neutral => "neutral",
            Tone::Busy => "busy",
            Tone::Good => "good",
            Tone::Warn => "warn",
            Tone::Bad => "bad",
        }
    }
}

impl Strategy {
    /// A name for people.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Strategy::Copy => "Copy",
            Strategy::Move => "Move",
            Strategy::Mirror => "Mirror",
        }
    }

    /// What it does, in one sentence.
    #[must_use]
    pub fn sentence(self) -> &'static str {
        match self {
            Strategy::Copy => "Copies each document and keeps the original where it is.",
            Strategy::Move => {
                "Copies each document, checks the copy by its SHA-256, then deletes the original."
            }
            Strategy::Mirror => {
                "Keeps the destination in step with the source: new and changed documents are copied on every run."
            }
        }
    }
}

impl OverwritePolicy {
    /// A name for people.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            OverwritePolicy::SkipExisting => "Skip existing",
            OverwritePolicy::Overwrite => "Always overwrite",
            OverwritePolicy::IfNewer => "Overwrite if newer",
            OverwritePolicy::IfDifferent => "Overwrite if different",
        }
    }

    /// What it does, in one sentence.
    #[must_use]
    pub fn sentence(self) -> &'static str {
        match self {
            OverwritePolicy::SkipExisting => "A document the destination already has is left alone.",
            OverwritePolicy::Overwrite => {
                "The destination's document is replaced; what it held is kept so the migration can be rolled back."
            }
            OverwritePolicy::IfNewer => "Replaced only when the source was changed more recently.",
            OverwritePolicy::IfDifferent => {
                "Replaced only when the content differs (compared by size and hash, never by size alone)."
            }
        }
    }
}

impl JobStatus {
    /// A name for people.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            JobStatus::Draft => "Not started",
            JobStatus::Planning => "Planning",
            JobStatus::Ready => "Planned",
            JobStatus::Running => "Running",
            JobStatus::Paused => "Paused",
            JobStatus::Verifying => "Verifying",
            JobStatus::Completed => "Completed",
            JobStatus::CompletedWithErrors => "Completed with errors",
            JobStatus::Failed => "Failed",
            JobStatus::Cancelled => "Cancelled",
            JobStatus::RollingBack => "Rolling back",
            JobStatus::RolledBack => "Rolled back",
        }
    }

    /// How its badge looks.
    #[must_use]
    pub fn tone(self) -> Tone {
        match self {
            JobStatus::Draft | JobStatus::Ready | JobStatus::Cancelled | JobStatus::RolledBack => {
                Tone::Neutral
            }
            JobStatus::Planning | JobStatus::Running | JobStatus::Verifying | JobStatus::RollingBack => {
                Tone::Busy
            }
            JobStatus::Paused | JobStatus::CompletedWithErrors => Tone::Warn,
            JobStatus::Completed => Tone::Good,
            JobStatus::Failed => Tone::Bad,
        }
    }

    /// Whether work is under way (or waiting to carry on, when paused).
    #[must_use]
    pub fn is_active(self) -> bool {
        matches!(
            self,
            JobStatus::Planning
                | JobStatus::Running
                | JobStatus::Paused
                | JobStatus::Verifying
                | JobStatus::RollingBack
        )
    }
}

impl ItemStatus {
    /// A name for people.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            ItemStatus::Pending => "Waiting",
            ItemStatus::InProgress => "Copying",
            ItemStatus::Copied => "Copied",
            ItemStatus::Verified => "Done",
            ItemStatus::Skipped => "Skipped",
            ItemStatus::RetryWait => "Will retry",
            ItemStatus::Failed => "Failed",
        }
    }

    /// How its badge looks.
    #[must_use]
    pub fn tone(self) -> Tone {
        match self {
            ItemStatus::Pending | ItemStatus::Skipped => Tone::Neutral,
            ItemStatus::InProgress | ItemStatus::Copied => Tone::Busy,
            ItemStatus::Verified => Tone::Good,
            ItemStatus::RetryWait => Tone::Warn,
            ItemStatus::Failed => Tone::Bad,
        }
    }
}

impl ItemAction {
    /// A name for people.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            ItemAction::Copy => "Copy",
            ItemAction::Overwrite => "Overwrite",
            ItemAction::Skip => "Skip",
            ItemAction::Delete => "Delete",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_has_distinct_words() {
        let mut seen = std::collections::HashSet::new();
        for s in JobStatus::ALL {
            assert!(seen.insert(s.label()), "{s} shares its label");
            assert!(!s.label().is_empty());
        }
        let mut seen = std::collections::HashSet::new();
        for s in ItemStatus::ALL {
            assert!(seen.insert(s.label()), "{s} shares its label");
        }
        for s in Strategy::ALL {
            assert!(s.sentence().ends_with('.'), "{s}");
        }
        for p in OverwritePolicy::ALL {
            assert!(p.sentence().ends_with('.'), "{p}");
        }
    }

    #[test]
    fn tones_follow_the_outcome() {
        assert_eq!(JobStatus::Completed.tone(), Tone::Good);
        assert_eq!(JobStatus::Failed.tone(), Tone::Bad);
        assert_eq!(JobStatus::Running.tone(), Tone::Busy);
        assert!(JobStatus::Paused.is_active());
        assert!(!JobStatus::Completed.is_active());
        assert_eq!(ItemStatus::Failed.tone(), Tone::Bad);
    }
}
