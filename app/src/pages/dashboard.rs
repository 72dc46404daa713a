//! The dashboard: figures from the database and the live channel's heartbeat.

use ferry_model::{DashboardCounts, LiveMessage};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::dashboard::load_dashboard;
use crate::components::live::LiveChannel;

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
