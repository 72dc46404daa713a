//! Types shared by the browser and the server: roles, user summaries, dashboard
//! figures, live events and the validation rules both sides apply to forms.
//!
//! This crate must stay wasm-safe: serde, uuid, chrono and url only.

pub mod account;
pub mod catalog;
pub mod job;
pub mod labels;
pub mod live;
pub mod progress;
pub mod provider;
pub mod schedule;
pub mod security;
pub mod wizard;

pub use account::{AccountError, Role, UserSummary, validate_password, validate_username};
pub use live::{DashboardCounts, LiveMessage, LiveRequest, RecentFailure};
pub use progress::{ProgressView, RateWindow};
