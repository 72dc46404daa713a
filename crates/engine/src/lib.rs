//! The migration engine: what to copy (filters and the overwrite decision), how one
//! object is copied and proven intact (streamed SHA-256, verified against what the
//! destination reports or by reading it back), and — in later slices — the queue,
//! workers, rollback and catalog.

pub mod decide;
pub mod filter;
pub mod transfer;

pub use decide::{Decision, KnownHashes, SkipReason, decide};
pub use filter::{Filter, FilterError};
pub use transfer::{TransferOptions, Transferred, VerifiedBy, copy_object};
