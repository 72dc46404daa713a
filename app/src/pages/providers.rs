//! Storage providers: where documents live. The list, with health and what the
//! catalog knows of each; operators and administrators get the controls.

use ferry_model::Role;
use ferry_model::provider::{Health, ProviderStatus, ProviderView};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::providers::{check_provider, delete_provider, list_providers, set_provider_status};
use crate::components::layout::CurrentUser;
use crate::error::AppError;

/// Whether the signed-in user may change providers.
pub fn can_change_providers() -> impl Fn() -> bool + Copy + Send + Sync + 'static {
    let me = use_context::<CurrentUser>();
    move || me.and_then(CurrentUser::get).is_some_and(|u| u.role.allows(Role::Operator))
}

/// A size in bytes for people: `0 B`, `4.0 KiB`, `1.5 GiB`.
#[must_use]
pub fn human_bytes(bytes: i64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    #[allow(clippy::cast_precision_loss, reason = "a rounded figure for display")]
    let mut value = bytes.max(0) as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// The providers list.
#[component]
pub fn ProvidersPage() -> impl IntoView {
    let can_change = can_change_providers();
    let changed = RwSignal::new(0_u32);
    let providers = Resource::new(move || changed.get(), |_| list_providers());
    view! {
        <Title text="Providers" />
        <header class="page-head">
            <h1>"Providers"</h1>
            <p class="lead">"The storage accounts Ferry moves documents between: S3-compatible buckets and local folders."</p>
            <Transition fallback=|| ()>
                <Show when=can_change>
                    <a class="button primary" href="/providers/new">"Add provider"</a>
                </Show>
            </Transition>
        </header>
        <Transition fallback=|| view! { <p class="muted">"Loading providers…"</p> }>
            {move || providers.get().map(|result| match result {
                Ok(list) if list.is_empty() => view! {
                    <section class="empty-state" aria-label="No providers">
                        <h2>"No providers yet"</h2>
                        <p>"Add the bucket or folder your documents are in now, and the one they should move to."</p>
                    </section>
                }.into_any(),
                Ok(list) => view! {
                    <div class="table-scroll">
                        <table class="table providers">
                            <caption class="sr-only">"Providers"</caption>
                            <thead>
                                <tr>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Kind"</th>
                                    <th scope="col">"Where"</th>
                                    <th scope="col">"Status"</th>
                                    <th scope="col">"Health"</th>
                                    <th scope="col">"Documents"</th>
                                    <Show when=can_change><th scope="col">"Actions"</th></Show>
                                </tr>
                            </thead>
                            <tbody>
                                {list.into_iter().map(|p| view! { <ProviderRow provider=p changed can_change /> }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any(),
                Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}

fn health_class(health: Health) -> &'static str {
    match health {
        Health::Healthy => "badge ok",
        Health::Failing => "badge bad",
        Health::Unknown => "badge",
    }
}

#[component]
fn ProviderRow(
    provider: ProviderView,
    changed: RwSignal<u32>,
    can_change: impl Fn() -> bool + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = provider.id;
    let name = provider.name.clone();
    let message = RwSignal::new(None::<AppError>);
    let confirming = RwSignal::new(false);
    let finish = move |result: Result<(), AppError>| match result {
        Ok(()) => {
            message.set(None);
            changed.update(|n| *n += 1);
        }
        Err(e) => message.set(Some(e)),
    };
    let check = Action::new(move |(): &()| async move { finish(check_provider(id).await.map(|_| ())) });
    let toggle = Action::new(move |status: &ProviderStatus| {
        let status = *status;
        async move { finish(set_provider_status(id, status).await.map(|_| ())) }
    });
    let delete = Action::new(move |(): &()| async move { finish(delete_provider(id).await) });
    let disabled = provider.status == ProviderStatus::Disabled;
    let checked_at = provider
        .last_check_at
        .map(|t| format!("checked {}", t.format("%Y-%m-%d %H:%M UTC")))
        .unwrap_or_default();
    let health_detail = if provider.health_message.is_empty() {
        checked_at.clone()
    } else {
        format!("{} · {checked_at}", provider.health_message)
    };
    let row_label = format!("Provider {name}");
    let busy = move || check.pending().get() || toggle.pending().get() || delete.pending().get();
    view! {
        <tr aria-label=row_label>
            <th scope="row">
                <a href=format!("/providers/{id}")>{provider.name.clone()}</a>
                {provider.primary.then(|| view! { <span class="badge">"Primary"</span> })}
            </th>
            <td>{provider.settings.kind().label()}</td>
            <td class="location">{provider.settings.location()}</td>
            <td><span class="badge" data-testid="provider-status">{provider.status.label()}</span></td>
            <td>
                <span class=health_class(provider.health) data-testid="provider-health">{provider.health.label()}</span>
                <span class="muted small">{health_detail}</span>
            </td>
            <td>{format!("{} · {}", provider.documents, human_bytes(provider.bytes))}</td>
            {move || can_change().then(|| {
                let name = name.clone();
                let confirm_text = format!("Delete “{name}”? Its files are not touched. ");
                view! {
                <td class="row-actions">
                    <a class="button small" href=format!("/providers/{id}") aria-label=format!("Edit {name}")>"Edit"</a>
                    <button type="button" class="button small" disabled=busy on:click=move |_| { check.dispatch(()); }
                        aria-label=format!("Check {name} now")>"Check now"</button>
                    {if disabled {
                        view! { <button type="button" class="button small" disabled=busy
                            on:click=move |_| { toggle.dispatch(ProviderStatus::Active); }
                            aria-label=format!("Enable {name}")>"Enable"</button> }.into_any()
                    } else {
                        view! { <button type="button" class="button small" disabled=busy
                            on:click=move |_| { toggle.dispatch(ProviderStatus::Disabled); }
                            aria-label=format!("Disable {name}")>"Disable"</button> }.into_any()
                    }}
                    <Show
                        when=move || confirming.get()
                        fallback={
                            let name = name.clone();
                            move || view! {
                                <button type="button" class="button small danger" on:click=move |_| confirming.set(true)
                                    aria-label=format!("Delete {name}")>"Delete"</button>
                            }
                        }
                    >
                        <span class="confirm" role="group" aria-label="Confirm delete">
                            {confirm_text.clone()}
                            <button type="button" class="button small danger" disabled=busy
                                on:click=move |_| { confirming.set(false); delete.dispatch(()); }>"Yes, delete"</button>
                            <button type="button" class="button small" on:click=move |_| confirming.set(false)>"Cancel"</button>
                        </span>
                    </Show>
                    <Show when=move || message.get().is_some()>
                        <p class="form-error" role="alert">{move || message.get().map(|e| e.to_string())}</p>
                    </Show>
                </td>
            }})}
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(4096), "4.0 KiB");
        assert_eq!(human_bytes(3 * 1024 * 1024 / 2), "1.5 MiB");
    }
}
