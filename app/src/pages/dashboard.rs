//! The dashboard: figures from the database and the live channel's heartbeat.

use ferry_model::progress::human_bytes;
use ferry_model::provider::{Health, ProviderView};
use ferry_model::{DashboardCounts, LiveMessage, RecentFailure};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::dashboard::load_dashboard;
use crate::api::migrations::list_migrations;
use crate::api::providers::list_providers;
use crate::components::live::LiveChannel;
use crate::components::status::{ProgressBar, StatusBadge, counts_line, merged, percent};
use crate::pages::migrations::{live_statuses, watch_while_open};

/// The landing page after sign-in.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let live = use_context::<LiveChannel>().unwrap_or_default();
    // Refetch the figures whenever the live channel (re)connects, and on demand.
    let refreshes = RwSignal::new(0u32);
    let counts = Resource::new(move || (refreshes.get(), live.connects.get()), |_| load_dashboard());
    view! {
        <Title text="Dashboard" />
        <header class="page-head">
            <h1>"Dashboard"</h1>
            <button type="button" class="button subtle" on:click=move |_| refreshes.update(|n| *n += 1)>
                "Refresh figures"
            </button>
        </header>
        <LivePanel live />
        <ActiveMigrations live />
        <ProviderChart />
        <section aria-labelledby="figures-heading">
            <h2 id="figures-heading">"At a glance"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading figures…"</p> }>
                {move || counts.get().map(|result| match result {
                    Ok(c) => view! { <Figures counts=c /> }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Figures(counts: DashboardCounts) -> impl IntoView {
    let card = |label: &'static str, value: i64, id: &'static str| {
        view! {
            <div class="card figure">
                <dt>{label}</dt>
                <dd data-testid=id>{value}</dd>
            </div>
        }
    };
    view! {
        <dl class="figures">
            {card("Users", counts.users, "count-users")}
            {card("Administrators", counts.admins, "count-admins")}
            {card("Operators", counts.operators, "count-operators")}
            {card("Viewers", counts.viewers, "count-viewers")}
            {card("Active sessions", counts.active_sessions, "count-sessions")}
            {card("Audit entries", counts.audit_events, "count-audit")}
        </dl>
        <p class="muted">"State is kept in " <strong data-testid="database-kind">{counts.database}</strong> "."</p>
        <dl class="figures">
            <div class="card figure">
                <dt>"Copied in the last 7 days"</dt>
                <dd data-testid="moved-week">{format!("{} · {}", counts.moved_week_objects, human_bytes(counts.moved_week_bytes as f64))}</dd>
            </div>
        </dl>
        <RecentFailures failures=counts.recent_failures />
    }
}

#[component]
fn RecentFailures(failures: Vec<RecentFailure>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="failures-heading">
            <h2 id="failures-heading">"Recent failures"</h2>
            {if failures.is_empty() {
                view! { <p class="muted" data-testid="no-failures">"No item has failed."</p> }.into_any()
            } else {
                view! {
                    <ul class="recent" data-testid="recent-failures">
                        {failures.into_iter().map(|f| view! {
                            <li>
                                <a href=format!("/migrations/{}", f.job_id)>{f.job_name}</a>
                                " · " <span class="key">{f.detail}</span>
                                <span class="muted small">{f.at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// Running and paused migrations with live progress bars.
#[component]
fn ActiveMigrations(live: LiveChannel) -> impl IntoView {
    let statuses = live_statuses(live);
    let jobs = Resource::new(move || (live.connects.get(), statuses.get()), |_| list_migrations());
    let active = move || {
        jobs.get()
            .and_then(Result::ok)
            .map(|list| list.into_iter().filter(|j| j.status.is_active()).collect::<Vec<_>>())
    };
    watch_while_open(live, move || active().unwrap_or_default().iter().map(|j| j.id).collect());
    view! {
        <section class="card" aria-labelledby="active-heading">
            <h2 id="active-heading">"Active migrations"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || active().map(|list| if list.is_empty() {
                    view! { <p class="muted" data-testid="no-active">"Nothing is running. " <a href="/migrations">"See all migrations"</a></p> }.into_any()
                } else {
                    view! {
                        <ul class="active-list">
                            {list.into_iter().map(|job| {
                                let id = job.id;
                                let name = job.name.clone();
                                let now = Memo::new(move |_| {
                                    let p = live.progress.with(|all| all.get(&id).cloned());
                                    merged(&job, p.as_ref())
                                });
                                view! {
                                    <li aria-label=format!("Active migration {name}")>
                                        <a href=format!("/migrations/{id}")>{name.clone()}</a>
                                        " " <StatusBadge status=Signal::derive(move || now.get().0) />
                                        <ProgressBar value=Signal::derive(move || now.with(|(s, c)| percent(c, *s))) label=format!("Progress of {name}") />
                                        <span class="muted small">{move || now.with(|(_, c)| counts_line(c))}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}

/// Where the catalogued documents are, per provider, with each one's health.
#[component]
fn ProviderChart() -> impl IntoView {
    let providers = Resource::new(|| (), |()| list_providers());
    view! {
        <section class="card" aria-labelledby="distribution-heading">
            <h2 id="distribution-heading">"Documents by provider"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || providers.get().map(|r| match r {
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No providers yet. " <a href="/providers">"Add one"</a></p> }.into_any(),
                    Ok(list) => view! { <Bars list /> }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Bars(list: Vec<ProviderView>) -> impl IntoView {
    let most = list.iter().map(|p| p.documents).max().unwrap_or(0).max(1);
    view! {
        <ul class="bars" aria-label="Documents by provider">
            {list.into_iter().map(|p| {
                let share = format!("{:.1}", p.documents as f64 / most as f64 * 100.0);
                let tone = match p.health { Health::Healthy => "good", Health::Failing => "bad", Health::Unknown => "neutral" };
                view! {
                    <li aria-label=format!("{}: {} documents, {}, {}", p.name, p.documents, human_bytes(p.bytes as f64), p.health.label())>
                        <span class="bar-label"><a href=format!("/providers/{}", p.id)>{p.name.clone()}</a>
                            " " <span class="badge" data-tone=tone>{p.health.label()}</span></span>
                        <progress class="bar-track" aria-hidden="true" max="100" value=share></progress>
                        <span class="bar-figure">{format!("{} · {}", p.documents, human_bytes(p.bytes as f64))}</span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

#[component]
fn LivePanel(live: LiveChannel) -> impl IntoView {
    let beat = move || {
        live.last.get().and_then(|message| match message {
            LiveMessage::Heartbeat { server_time, seq } => {
                Some((server_time.format("%H:%M:%S UTC").to_string(), seq))
            }
            _ => None,
        })
    };
    view! {
        <section class="card live" aria-labelledby="live-heading">
            <h2 id="live-heading">"Live connection"</h2>
            <p>
                <span class="status-dot" data-state=move || live.status.get().token() aria-hidden="true"></span>
                <span id="live-status" data-state=move || live.status.get().token()>
                    {move || live.status.get().label()}
                </span>
            </p>
            <p>
                "Server time: "
                <time id="live-clock" aria-live="off">
                    {move || beat().map_or_else(|| "—".to_owned(), |(t, _)| t)}
                </time>
                <span class="muted">
                    " · heartbeat " <span id="live-seq">{move || beat().map_or(0, |(_, s)| s)}</span>
                </span>
            </p>
        </section>
    }
}
