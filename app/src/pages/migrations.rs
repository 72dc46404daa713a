//! The migrations list: running ones first with live progress bars, then the
//! rest newest first; a status filter; a link to each one's page.

use std::collections::HashMap;

use ferry_model::ProgressView;
use ferry_model::Role;
use ferry_model::job::{JobStatus, JobView};
use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

use crate::api::migrations::list_migrations;
use crate::components::layout::CurrentUser;
use crate::components::live::LiveChannel;
use crate::components::status::{ProgressBar, StatusBadge, counts_line, merged, percent, place};

/// Whether the signed-in user may run migrations.
pub fn can_run_migrations() -> impl Fn() -> bool + Copy + Send + Sync + 'static {
    let me = use_context::<CurrentUser>();
    move || me.and_then(CurrentUser::get).is_some_and(|u| u.role.allows(Role::Operator))
}

/// Watches these migrations' progress while the calling component is shown.
pub fn watch_while_open(live: LiveChannel, ids: impl Fn() -> Vec<Uuid> + Send + Sync + 'static) {
    static OWNERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let owner = OWNERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Effect::new(move |_| live.watch(owner, ids()));
    on_cleanup(move || live.unwatch(owner));
}

/// Statuses pushed by the live channel; when one changes the page reloads what
/// it shows from the server (the database is the truth).
pub fn live_statuses(live: LiveChannel) -> Memo<Vec<(Uuid, JobStatus)>> {
    Memo::new(move |_| {
        let mut all: Vec<(Uuid, JobStatus)> =
            live.progress.with(|p| p.iter().map(|(id, v)| (*id, v.status)).collect());
        all.sort_unstable_by_key(|(id, _)| *id);
        all
    })
}

/// A `<select>` choice: which migrations to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Show {
    All,
    Active,
    Finished,
    Problems,
    Drafts,
}

impl Show {
    const ALL: [Show; 5] = [Show::All, Show::Active, Show::Problems, Show::Finished, Show::Drafts];

    fn token(self) -> &'static str {
        match self {
            Show::All => "all",
            Show::Active => "active",
            Show::Finished => "finished",
            Show::Problems => "problems",
            Show::Drafts => "drafts",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Show::All => "All migrations",
            Show::Active => "Running or paused",
            Show::Finished => "Finished",
            Show::Problems => "Failed or with errors",
            Show::Drafts => "Not started or planned",
        }
    }

    fn keeps(self, status: JobStatus) -> bool {
        match self {
            Show::All => true,
            Show::Active => status.is_active(),
            Show::Finished => status.is_final(),
            Show::Problems => matches!(status, JobStatus::Failed | JobStatus::CompletedWithErrors),
            Show::Drafts => matches!(status, JobStatus::Draft | JobStatus::Ready),
        }
    }
}

/// The migrations list.
#[component]
pub fn MigrationsPage() -> impl IntoView {
    let live = use_context::<LiveChannel>().unwrap_or_default();
    let can_run = can_run_migrations();
    let statuses = live_statuses(live);
    let jobs = Resource::new(move || (live.connects.get(), statuses.get()), |_| list_migrations());
    watch_while_open(live, move || {
        jobs.get()
            .and_then(Result::ok)
            .map(|list| list.iter().filter(|j| j.status.is_active()).map(|j| j.id).collect())
            .unwrap_or_default()
    });
    let show = RwSignal::new(Show::All);
    view! {
        <Title text="Migrations" />
        <header class="page-head">
            <h1>"Migrations"</h1>
            <p class="lead">"Each migration copies, moves or mirrors documents from one provider to another, checking every copy by its SHA-256."</p>
            <Transition fallback=|| ()>
                <Show when=can_run>
                    <a class="button primary" href="/migrations/new">"New migration"</a>
                </Show>
            </Transition>
        </header>
        <div class="toolbar">
            <label for="status-filter">"Show"</label>
            <select id="status-filter" on:change=move |ev| {
                let token = event_target_value(&ev);
                if let Some(choice) = Show::ALL.into_iter().find(|s| s.token() == token) {
                    show.set(choice);
                }
            }>
                {Show::ALL.into_iter().map(|s| view! {
                    <option value=s.token() selected=move || show.get() == s>{s.label()}</option>
                }).collect_view()}
            </select>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading migrations…"</p> }>
            {move || jobs.get().map(|result| match result {
                Ok(list) if list.is_empty() => view! {
                    <section class="empty-state" aria-label="No migrations">
                        <h2>"No migrations yet"</h2>
                        <p>"A migration moves documents between two providers. Start one with “New migration”; running ones are listed first, with live progress."</p>
                    </section>
                }.into_any(),
                Ok(list) => view! { <JobTable list show live /> }.into_any(),
                Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn JobTable(list: Vec<JobView>, show: RwSignal<Show>, live: LiveChannel) -> impl IntoView {
    let rows = move || {
        let progress: HashMap<Uuid, ProgressView> = live.progress.get();
        list.iter()
            .filter(|j| show.get().keeps(progress.get(&j.id).map_or(j.status, |p| p.status)))
            .map(|j| view! { <JobRow job=j.clone() live=progress.get(&j.id).cloned() /> })
            .collect_view()
    };
    view! {
        <div class="table-scroll">
            <table class="table migrations">
                <caption class="sr-only">"Migrations"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"From → to"</th>
                        <th scope="col">"Strategy"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Progress"</th>
                        <th scope="col">"Started · finished"</th>
                        <th scope="col">"Schedule"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

fn when(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map_or_else(|| "—".to_owned(), |t| t.format("%Y-%m-%d %H:%M").to_string())
}

/// Words for a stored schedule: `manual`, `at …`, `cron …`.
#[must_use]
pub fn schedule_words(schedule: &str, next: Option<chrono::DateTime<chrono::Utc>>) -> String {
    let base = match schedule.trim() {
        "" | "manual" => "When started".to_owned(),
        s if s.starts_with("at ") => match next {
            Some(_) => "Once".to_owned(),
            None => format!("Once, {}", s.trim_start_matches("at ").trim()),
        },
        s => format!("Recurring ({})", s.trim_start_matches("cron ").trim()),
    };
    match next {
        Some(t) => format!("{base} · next {}", t.format("%Y-%m-%d %H:%M UTC")),
        None => base,
    }
}

#[component]
fn JobRow(job: JobView, live: Option<ProgressView>) -> impl IntoView {
    let (status, counts) = merged(&job, live.as_ref());
    let value = percent(&counts, status);
    let label = format!("Progress of {}", job.name);
    view! {
        <tr aria-label=format!("Migration {}", job.name) data-status=status.as_str()>
            <th scope="row">
                <a href=format!("/migrations/{}", job.id)>{job.name.clone()}</a>
                {job.dry_run.then(|| view! { <span class="badge">"Dry run"</span> })}
            </th>
            <td class="location">{place(&job.source, &job.source_prefix)} " → " {place(&job.dest, &job.dest_prefix)}</td>
            <td>{job.strategy.label()}</td>
            <td><StatusBadge status=status /></td>
            <td class="progress-cell">
                <ProgressBar value=value label />
                <span class="muted small">{counts_line(&counts)}</span>
            </td>
            <td class="small">{when(job.started_at)} <br /> {when(job.finished_at)}</td>
            <td class="small">{schedule_words(&job.schedule, job.next_run)}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::schedule_words;

    #[test]
    fn schedules_read_as_words() {
        assert_eq!(schedule_words("manual", None), "When started");
        assert_eq!(schedule_words("", None), "When started");
        assert_eq!(schedule_words("cron 0 2 * * *", None), "Recurring (0 2 * * *)");
        let next = chrono::DateTime::parse_from_rfc3339("2026-12-01T02:00:00Z").unwrap().to_utc();
        assert_eq!(schedule_words("at 2026-12-01T02:00:00Z", Some(next)), "Once · next 2026-12-01 02:00 UTC");
        assert_eq!(schedule_words("at 2026-12-01T02:00:00Z", None), "Once, 2026-12-01T02:00:00Z");
    }
}
