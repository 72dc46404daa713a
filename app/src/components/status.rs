//! Status badges and progress bars for migrations.

use ferry_model::ProgressView;
use ferry_model::job::{ItemStatus, JobCounts, JobStatus, JobView};
use ferry_model::progress::human_bytes;
use leptos::prelude::*;

/// A migration's status as a coloured badge with words.
#[component]
pub fn StatusBadge(#[prop(into)] status: Signal<JobStatus>) -> impl IntoView {
    view! {
        <span class="badge" data-tone=move || status.get().tone().token()
            data-status=move || status.get().as_str() data-testid="job-status">
            {move || status.get().label()}
        </span>
    }
}

/// An item's status as a coloured badge with words.
#[component]
pub fn ItemBadge(status: ItemStatus) -> impl IntoView {
    view! { <span class="badge" data-tone=status.tone().token() data-status=status.as_str()>{status.label()}</span> }
}

/// What is finished of a migration, 0–100 (by bytes when it has any).
#[must_use]
pub fn percent(counts: &JobCounts, status: JobStatus) -> f64 {
    counts.fraction(status) * 100.0
}

/// A provider and folder for people: `Archive bucket/invoices`.
#[must_use]
pub fn place(provider: &str, prefix: &str) -> String {
    let folder = prefix.trim_matches('/');
    if folder.is_empty() { provider.to_owned() } else { format!("{provider}/{folder}") }
}

/// `12 of 300 objects · 1.2 MiB of 40.0 MiB`.
#[must_use]
pub fn counts_line(counts: &JobCounts) -> String {
    let finished = counts.done + counts.skipped + counts.failed;
    let bytes = |b: i64| human_bytes(b as f64);
    format!(
        "{finished} of {} objects · {} of {}",
        counts.total,
        bytes(counts.done_bytes + counts.skipped_bytes + counts.failed_bytes),
        bytes(counts.total_bytes)
    )
}

/// A progress bar with an accessible name and its percentage in words.
#[component]
pub fn ProgressBar(
    /// 0–100.
    #[prop(into)]
    value: Signal<f64>,
    /// The accessible name, e.g. "Progress of Invoices".
    #[prop(into)]
    label: String,
) -> impl IntoView {
    view! {
        <span class="progress">
            <progress max="100" value=move || format!("{:.1}", value.get()) aria-label=label></progress>
            <span class="progress-figure">{move || format!("{:.0} %", value.get().floor())}</span>
        </span>
    }
}

/// The newest of what the list or page loaded and what the live channel pushed:
/// its status and counts.
#[must_use]
pub fn merged(view: &JobView, live: Option<&ProgressView>) -> (JobStatus, JobCounts) {
    match live {
        Some(p) => (p.status, p.counts.clone()),
        None => (view.status, view.counts.clone()),
    }
}
