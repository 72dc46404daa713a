//! One migration: its live progress (pushed over the websocket), its controls,
//! what its plan holds and how the copies were checked, its rollback, the
//! recently finished items, the items table and the CSV downloads.

use ferry_model::ProgressView;
use ferry_model::job::{JobCounts, JobStatus, JobView, RollbackCounts, Strategy};
use ferry_model::progress::{RecentItem, human_bytes, human_duration};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::api::migrations::{
    cancel_migration, get_migration, pause_migration, resume_migration, retry_migration, rollback_migration,
    start_migration,
};
use crate::components::live::LiveChannel;
use crate::components::status::{ProgressBar, StatusBadge, counts_line, percent, place};
use crate::error::AppError;
use crate::pages::migration_items::ItemsSection;
use crate::pages::migrations::{can_run_migrations, live_statuses, schedule_words, watch_while_open};

/// What the page shows of the migration's progress at this moment: pushed by the
/// live channel when it has something, else what the page loaded.
#[derive(Debug, Clone, PartialEq)]
struct Now {
    status: JobStatus,
    counts: JobCounts,
    objects_per_sec: f64,
    bytes_per_sec: f64,
    eta_secs: Option<u64>,
    elapsed_secs: Option<u64>,
    recent: Vec<RecentItem>,
    rollback: Option<RollbackCounts>,
}

impl Now {
    fn of(view: &JobView, live: Option<ProgressView>) -> Self {
        match live {
            Some(p) => Now {
                status: p.status,
                counts: p.counts,
                objects_per_sec: p.objects_per_sec,
                bytes_per_sec: p.bytes_per_sec,
                eta_secs: p.eta_secs,
                elapsed_secs: p.elapsed_secs,
                recent: p.recent,
                rollback: p.rollback.or(view.rollback),
            },
            None => Now {
                status: view.status,
                counts: view.counts.clone(),
                objects_per_sec: 0.0,
                bytes_per_sec: 0.0,
                eta_secs: None,
                // Only a finished run's time is known without the clock; the live
                // channel brings the running time (the same on server and browser).
                elapsed_secs: match (view.started_at, view.finished_at) {
                    (Some(s), Some(f)) if view.status.is_final() => u64::try_from((f - s).num_seconds()).ok(),
                    _ => None,
                },
                recent: Vec::new(),
                rollback: view.rollback,
            },
        }
    }
}

fn bytes(b: i64) -> String {
    human_bytes(b as f64)
}

/// The migration detail page.
#[component]
pub fn MigrationDetailPage() -> impl IntoView {
    let live = use_context::<LiveChannel>().unwrap_or_default();
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| s.parse::<Uuid>().ok())));
    let statuses = live_statuses(live);
    let live_status = Memo::new(move |_| {
        id.get().and_then(|id| statuses.with(|s| s.iter().find(|(j, _)| *j == id).map(|p| p.1)))
    });
    let refresh = RwSignal::new(0u32);
    let job = Resource::new(
        move || (id.get(), refresh.get(), live.connects.get(), live_status.get()),
        |(id, ..)| async move {
            match id {
                Some(id) => get_migration(id).await,
                None => Err(AppError::NotFound("That migration".to_owned())),
            }
        },
    );
    watch_while_open(live, move || id.get().into_iter().collect());
    let progress = Memo::new(move |_| id.get().and_then(|id| live.progress.with(|p| p.get(&id).cloned())));
    let items_changed = Signal::derive(move || (refresh.get(), live_status.get()));
    // Outlives the reloads an action causes, so its answer stays on screen.
    let message = RwSignal::new(None::<Result<&'static str, AppError>>);
    // So does an open confirmation: a pushed status that reloads the page keeps it.
    let confirming = RwSignal::new(None::<Control>);
    view! {
        <Title text="Migration" />
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/migrations">"Migrations"</a></nav>
        <Transition fallback=|| view! { <p class="muted">"Loading the migration…"</p> }>
            {move || job.get().map(|result| match result {
                Ok(view) => view! { <Detail view progress refresh live message confirming /> }.into_any(),
                Err(e) => view! {
                    <h1>"Migration"</h1>
                    <p class="form-error" role="alert">{e.to_string()}</p>
                    <p><a href="/migrations">"Back to the migrations"</a></p>
                }.into_any(),
            })}
        </Transition>
        {move || id.get().map(|id| view! { <ItemsSection id changed=items_changed refresh /> })}
    }
}

#[component]
fn Detail(
    view: JobView,
    progress: Memo<Option<ProgressView>>,
    refresh: RwSignal<u32>,
    live: LiveChannel,
    message: RwSignal<Option<Result<&'static str, AppError>>>,
    confirming: RwSignal<Option<Control>>,
) -> impl IntoView {
    let loaded = view.clone();
    let now = Memo::new(move |_| Now::of(&loaded, progress.get()));
    let status = Signal::derive(move || now.with(|n| n.status));
    let name = view.name.clone();
    view! {
        <Title text=name.clone() />
        <header class="page-head">
            <h1>{name.clone()}</h1>
            <StatusBadge status />
            {view.dry_run.then(|| view! { <span class="badge">"Dry run"</span> })}
            <p class="lead">
                {view.strategy.label()} " from " <strong>{place(&view.source, &view.source_prefix)}</strong>
                " to " <strong>{place(&view.dest, &view.dest_prefix)}</strong> " · " {view.overwrite.label()}
                " · " {schedule_words(&view.schedule, view.next_run)}
            </p>
        </header>
        {view.error.clone().map(|e| view! { <p class="form-error" role="alert" data-testid="job-error">{e}</p> })}
        <ProgressPanel name=name.clone() now live />
        <Controls view=view.clone() status refresh message confirming />
        <PlanPanel view=view.clone() />
        <RecentPanel now />
    }
}

#[component]
fn ProgressPanel(name: String, now: Memo<Now>, live: LiveChannel) -> impl IntoView {
    let value = Signal::derive(move || now.with(|n| percent(&n.counts, n.status)));
    let figure = move |label: &'static str, id: &'static str, get: fn(&Now) -> String| {
        view! {
            <div class="figure">
                <dt>{label}</dt>
                <dd data-testid=id>{move || now.with(get)}</dd>
            </div>
        }
    };
    let rollback = move || now.with(|n| n.rollback);
    view! {
        <section class="card" aria-labelledby="progress-heading">
            <h2 id="progress-heading">"Progress"
                <span class="live-tag" data-state=move || live.status.get().token()>
                    <span class="status-dot" data-state=move || live.status.get().token() aria-hidden="true"></span>
                    {move || live.status.get().label()}
                </span>
            </h2>
            <ProgressBar value label=format!("Progress of {name}") />
            <p class="muted" data-testid="progress-line">
                {move || now.with(|n| counts_line(&n.counts))}
            </p>
            <dl class="figures counters">
                {figure("Done", "count-done", |n| n.counts.done.to_string())}
                {figure("Failed", "count-failed", |n| n.counts.failed.to_string())}
                {figure("Skipped", "count-skipped", |n| n.counts.skipped.to_string())}
                {figure("Waiting", "count-pending", |n| n.counts.pending.to_string())}
                {figure("In progress", "count-in-progress", |n| n.counts.in_progress.to_string())}
            </dl>
            <dl class="pairs rates">
                <dt>"Copied"</dt><dd data-testid="bytes-done">{move || now.with(|n| bytes(n.counts.done_bytes))}</dd>
                <dt>"Speed"</dt>
                <dd data-testid="rate">{move || now.with(|n| if n.status.is_active() && n.objects_per_sec > 0.0 {
                    format!("{:.1} objects/s · {}/s", n.objects_per_sec, human_bytes(n.bytes_per_sec))
                } else { "—".to_owned() })}</dd>
                <dt>"Time left"</dt>
                <dd data-testid="eta">{move || now.with(|n| match n.eta_secs {
                    Some(s) if n.status.is_active() => format!("about {}", human_duration(s)),
                    _ => "—".to_owned(),
                })}</dd>
                <dt>"Elapsed"</dt>
                <dd data-testid="elapsed">{move || now.with(|n| n.elapsed_secs.map_or_else(|| "—".to_owned(), human_duration))}</dd>
            </dl>
            <Show when=move || rollback().is_some()>
                <RollbackPanel counts=Signal::derive(move || rollback().unwrap_or_default()) status=Signal::derive(move || now.with(|n| n.status)) />
            </Show>
        </section>
    }
}

#[component]
fn RollbackPanel(counts: Signal<RollbackCounts>, status: Signal<JobStatus>) -> impl IntoView {
    let value = Signal::derive(move || {
        let c = counts.get();
        if c.total > 0 { (c.finished() as f64 / c.total as f64 * 100.0).clamp(0.0, 100.0) } else { 100.0 }
    });
    view! {
        <div class="rollback" role="group" aria-label="Rollback">
            <h3>{move || if status.get() == JobStatus::RollingBack { "Rolling back" } else { "Rollback" }}</h3>
            <ProgressBar value label="Rollback progress" />
            <p data-testid="rollback-line">{move || {
                let c = counts.get();
                format!("{} of {} undone · {} left alone · {} could not be undone", c.undone, c.total, c.kept, c.failed)
            }}</p>
        </div>
    }
}

#[component]
fn PlanPanel(view: JobView) -> impl IntoView {
    let plan = view.plan;
    let report = format!("/migrations/{}/report.csv", view.id);
    let plan_csv = format!("/migrations/{}/report.csv?plan=1", view.id);
    let checked = if view.status == JobStatus::Draft {
        "Nothing has been copied yet.".to_owned()
    } else if plan.hash_mismatched > 0 {
        format!(
            "{} copies proven identical by SHA-256; {} did not match their source and were not counted as done.",
            plan.hash_matched, plan.hash_mismatched
        )
    } else {
        format!("{} copies proven identical to their source by SHA-256.", plan.hash_matched)
    };
    let verification_class = if plan.hash_mismatched > 0 { "form-error" } else { "" };
    let strategy_effect = match view.strategy {
        Strategy::Move => "Originals are deleted from the source only after their copy is proven.",
        Strategy::Mirror => {
            "Documents gone from the source are deleted from the destination only if the migration says so."
        }
        Strategy::Copy => "Originals stay where they are.",
    };
    view! {
        <section class="card" aria-labelledby="plan-heading">
            <h2 id="plan-heading">"Plan and checks"</h2>
            <dl class="pairs" aria-label="Plan">
                <dt>"To copy"</dt><dd data-testid="plan-copy">{plan.copy}</dd>
                <dt>"To overwrite"</dt><dd data-testid="plan-overwrite">{plan.overwrite}</dd>
                <dt>"To skip"</dt><dd data-testid="plan-skip">{plan.skip}</dd>
                <dt>"To delete"</dt><dd data-testid="plan-delete">{plan.delete}</dd>
                <dt>"Bytes to write"</dt><dd>{bytes(plan.bytes)}</dd>
            </dl>
            <p data-testid="verification" class=verification_class>{checked}</p>
            <p class="muted">{strategy_effect}</p>
            <p class="actions">
                <a class="button subtle" href=report download="">"Download report (CSV)"</a>
                <a class="button subtle" href=plan_csv download="">"Download plan (CSV)"</a>
            </p>
        </section>
    }
}

#[component]
fn RecentPanel(now: Memo<Now>) -> impl IntoView {
    view! {
        <Show when=move || now.with(|n| !n.recent.is_empty())>
            <section class="card" aria-labelledby="recent-heading">
                <h2 id="recent-heading">"Recently finished"</h2>
                <ul class="recent" aria-live="off">
                    {move || now.with(|n| n.recent.iter().map(|r| view! {
                        <li data-status=r.status.clone()>
                            <span class="badge" data-tone=match r.status.as_str() { "done" => "good", "failed" => "bad", _ => "neutral" }>{r.status.clone()}</span>
                            " " <span class="key">{r.key.clone()}</span> " " <span class="muted">{bytes(r.size)}</span>
                        </li>
                    }).collect_view())}
                </ul>
            </section>
        </Show>
    }
}

/// What the controls do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    Start,
    Pause,
    Resume,
    Cancel,
    RetryFailed,
    RollBack,
}

impl Control {
    fn done(self) -> &'static str {
        match self {
            Control::Start => "Started.",
            Control::Pause => "Paused: items in flight finish, no new ones start.",
            Control::Resume => "Resumed where it stopped.",
            Control::Cancel => "Cancelled. What was copied stays; roll back to undo it.",
            Control::RetryFailed => "The failed items are queued again.",
            Control::RollBack => "Rolling back.",
        }
    }
}

#[component]
fn Controls(
    view: JobView,
    status: Signal<JobStatus>,
    refresh: RwSignal<u32>,
    message: RwSignal<Option<Result<&'static str, AppError>>>,
    confirming: RwSignal<Option<Control>>,
) -> impl IntoView {
    let id = view.id;
    let can_run = can_run_migrations();
    let act = Action::new(move |control: &Control| {
        let control = *control;
        async move {
            let result = match control {
                Control::Start => start_migration(id).await,
                Control::Pause => pause_migration(id).await,
                Control::Resume => resume_migration(id).await,
                Control::Cancel => cancel_migration(id).await,
                Control::RetryFailed => retry_migration(id, None).await,
                Control::RollBack => rollback_migration(id).await,
            };
            message.set(Some(result.map(|_| control.done())));
            refresh.update(|n| *n += 1);
        }
    });
    let busy = move || act.pending().get();
    let failed = view.counts.failed;
    let did_something = view.counts.done > 0 || view.plan.delete > 0;
    let dry_run = view.dry_run;
    let start_label = match view.status {
        JobStatus::Draft | JobStatus::Ready if dry_run => "Start dry run",
        JobStatus::Draft | JobStatus::Ready => "Start",
        _ => "Run again",
    };
    let rollback_effect = match view.strategy {
        Strategy::Move => format!(
            "Roll back: the {} documents this migration moved go back to the source (proven by hash) and their copies are removed; anything it overwrote is restored.",
            view.counts.done
        ),
        _ => format!(
            "Roll back: the {} copies this migration made are removed and anything it overwrote is restored. Copies changed since are left alone.",
            view.counts.done
        ),
    };
    let shown = move |c: Control| {
        let s = status.get();
        match c {
            Control::Start => s.can_transition_to(JobStatus::Planning) && s != JobStatus::RolledBack,
            Control::Pause => s == JobStatus::Running,
            Control::Resume => s == JobStatus::Paused,
            Control::Cancel => !s.is_final() && s != JobStatus::RollingBack,
            Control::RetryFailed => s.is_final() && failed > 0 && s != JobStatus::RolledBack,
            Control::RollBack => s.can_transition_to(JobStatus::RollingBack) && !dry_run && did_something,
        }
    };
    let button = move |c: Control, label: &'static str, class: &'static str| {
        view! {
            <Show when=move || shown(c)>
                <button type="button" class=class disabled=move || busy() || !can_run()
                    on:click=move |_| {
                        if matches!(c, Control::Cancel | Control::RollBack) {
                            confirming.set(Some(c));
                        } else {
                            act.dispatch(c);
                        }
                    }>{label}</button>
            </Show>
        }
    };
    view! {
        <section class="card controls" aria-labelledby="controls-heading">
            <h2 id="controls-heading">"Actions"</h2>
            <div class="actions">
                {button(Control::Start, start_label, "button primary")}
                {button(Control::Pause, "Pause", "button")}
                {button(Control::Resume, "Resume", "button primary")}
                {button(Control::RetryFailed, "Retry failed items", "button primary")}
                {button(Control::Cancel, "Cancel migration", "button danger")}
                {button(Control::RollBack, "Roll back", "button danger")}
            </div>
            <Show when=move || !can_run()>
                <p class="muted" data-testid="viewer-note">"You can watch this migration; running it needs the Operator role."</p>
            </Show>
            // A confirmation only stays while its action still applies.
            <Show when=move || confirming.get().is_some_and(shown)>
                <div class="confirm-box" role="group" aria-label="Confirm">
                    <p>{
                        let effect = rollback_effect.clone();
                        move || match confirming.get() {
                            Some(Control::RollBack) => effect.clone(),
                            _ => "Cancel this migration for good? What was copied stays where it is; roll back afterwards to undo it.".to_owned(),
                        }
                    }</p>
                    <button type="button" class="button danger" disabled=busy on:click=move |_| {
                        if let Some(c) = confirming.get_untracked() {
                            confirming.set(None);
                            act.dispatch(c);
                        }
                    }>{move || match confirming.get() {
                        Some(Control::RollBack) => "Yes, roll back",
                        _ => "Yes, cancel it",
                    }}</button>
                    <button type="button" class="button" on:click=move |_| confirming.set(None)>"Keep it as it is"</button>
                </div>
            </Show>
            {move || message.get().map(|m| match m {
                Ok(text) => view! { <p class="notice" role="status">{text}</p> }.into_any(),
                Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </section>
    }
}
