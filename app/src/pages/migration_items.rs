//! A migration's items: filtered by status, searched by key, paged by key (so
//! paging stays quick however many items there are), with each failure's kind and
//! message and a retry per failed item.

use ferry_model::job::{ItemPage, ItemStatus, ItemView};
use ferry_model::progress::human_bytes;
use leptos::prelude::*;
use uuid::Uuid;

use crate::api::migrations::{migration_items, retry_migration};
use crate::components::status::ItemBadge;
use crate::error::AppError;
use crate::pages::migrations::can_run_migrations;

/// Items per page.
const PAGE: i64 = 50;

/// An error kind for people: `permission_denied` → `Permission denied`.
fn kind_words(kind: &str) -> String {
    let words = kind.replace('_', " ");
    let mut chars = words.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

fn short(hash: Option<&str>) -> String {
    hash.map_or_else(|| "—".to_owned(), |h| h.chars().take(12).collect())
}

/// The items table, with its filter, search and pages.
#[component]
pub fn ItemsSection(
    /// The migration.
    id: Uuid,
    /// Changes when the migration's state changed: the table reloads.
    #[prop(into)]
    changed: Signal<(u32, Option<ferry_model::job::JobStatus>)>,
    /// Bumped to reload the whole page (after a retry).
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let status = RwSignal::new(None::<ItemStatus>);
    let search = RwSignal::new(String::new());
    // The key each page starts after; the last one is the page shown.
    let cursors = RwSignal::new(vec![None::<String>]);
    let reload = RwSignal::new(0u32);
    let page = Resource::new(
        move || {
            (
                status.get(),
                search.get(),
                cursors.with(|c| c.last().cloned().flatten()),
                reload.get(),
                changed.get(),
            )
        },
        move |(status, search, after, ..)| async move {
            let search = (!search.trim().is_empty()).then_some(search);
            migration_items(id, status, search, after, Some(PAGE)).await
        },
    );
    let restart = move || cursors.set(vec![None]);
    let message = RwSignal::new(None::<Result<String, AppError>>);
    let retry_one = Action::new(move |key: &String| {
        let key = key.clone();
        async move {
            let result = retry_migration(id, Some(vec![key.clone()])).await;
            message.set(Some(result.map(|_| format!("“{key}” is queued again."))));
            refresh.update(|n| *n += 1);
            reload.update(|n| *n += 1);
        }
    });
    view! {
        <section class="card" aria-labelledby="items-heading">
            <h2 id="items-heading">"Items"</h2>
            <div class="toolbar">
                <label>
                    "Status "
                    <select aria-label="Item status" on:change=move |ev| {
                        status.set(event_target_value(&ev).parse::<ItemStatus>().ok());
                        restart();
                    }>
                        <option value="" selected=move || status.get().is_none()>"All items"</option>
                        {ItemStatus::ALL.iter().map(|s| {
                            let s = *s;
                            view! { <option value=s.as_str() selected=move || status.get() == Some(s)>{s.label()}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    "Key contains "
                    <input type="search" aria-label="Search keys" placeholder="e.g. invoices/2024"
                        prop:value=move || search.get()
                        on:input=move |ev| { search.set(event_target_value(&ev)); restart(); } />
                </label>
                <button type="button" class="button subtle" on:click=move |_| reload.update(|n| *n += 1)>"Refresh items"</button>
                <button type="button" class="button subtle" on:click=move |_| { status.set(Some(ItemStatus::Failed)); restart(); }>
                    "Show failed items"
                </button>
            </div>
            {move || message.get().map(|m| match m {
                Ok(text) => view! { <p class="notice" role="status">{text}</p> }.into_any(),
                Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
            <Transition fallback=|| view! { <p class="muted">"Loading items…"</p> }>
                {move || page.get().map(|result| match result {
                    Ok(ItemPage { items, .. }) if items.is_empty() => view! {
                        <p class="muted" data-testid="no-items">{move || if search.with(|s| s.trim().is_empty()) && status.get().is_none() {
                            "No items yet: the plan is made when the migration starts."
                        } else {
                            "No items match."
                        }}</p>
                    }.into_any(),
                    Ok(ItemPage { items, more }) => view! { <ItemTable items more cursors retry_one /> }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ItemTable(
    items: Vec<ItemView>,
    more: bool,
    cursors: RwSignal<Vec<Option<String>>>,
    retry_one: Action<String, ()>,
) -> impl IntoView {
    let can_run = can_run_migrations();
    let last = items.last().map(|i| i.source_key.clone());
    let page_number = move || cursors.with(Vec::len);
    view! {
        <div class="table-scroll">
            <table class="table items">
                <caption class="sr-only">"Items"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Key"</th>
                        <th scope="col">"Plan"</th>
                        <th scope="col">"Size"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Attempts"</th>
                        <th scope="col">"SHA-256 (source · copy)"</th>
                        <th scope="col">"Problem"</th>
                    </tr>
                </thead>
                <tbody>
                    {items.into_iter().map(|item| {
                        let key = item.source_key.clone();
                        let failed = item.status == ItemStatus::Failed;
                        let matched = item.source_sha256.is_some() && item.source_sha256 == item.dest_sha256;
                        let problem = match (item.error_kind.as_deref().map(kind_words), &item.error_message) {
                            (Some(kind), Some(message)) => format!("{kind}: {message}"),
                            (None, Some(message)) => message.clone(),
                            (Some(kind), None) => kind,
                            (None, None) => item.reason.clone().unwrap_or_default(),
                        };
                        let rollback = item.rollback_message.clone().map(|m| format!("Rollback: {m}"));
                        view! {
                            <tr aria-label=format!("Item {key}") data-status=item.status.as_str()>
                                <th scope="row" class="key">{key.clone()}</th>
                                <td>{item.action.label()}</td>
                                <td>{human_bytes(item.size as f64)}</td>
                                <td><ItemBadge status=item.status /></td>
                                <td>{item.attempts}</td>
                                <td class="hash" title=item.dest_sha256.clone().unwrap_or_default()>
                                    {short(item.source_sha256.as_deref())} " · " {short(item.dest_sha256.as_deref())}
                                    {matched.then(|| view! { <span class="badge" data-tone="good">"match"</span> })}
                                </td>
                                <td class="problem">
                                    {problem}
                                    {rollback.map(|r| view! { <span class="muted small">{r}</span> })}
                                    {failed.then(|| {
                                        let key = key.clone();
                                        view! {
                                            <button type="button" class="button small" disabled=move || !can_run() || retry_one.pending().get()
                                                aria-label=format!("Retry {key}")
                                                on:click=move |_| { retry_one.dispatch(key.clone()); }>"Retry"</button>
                                        }
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Item pages">
            <button type="button" class="button subtle" disabled=move || page_number() <= 1
                on:click=move |_| cursors.update(|c| { if c.len() > 1 { c.pop(); } })>"Previous page"</button>
            <span data-testid="page-number">{move || format!("Page {}", page_number())}</span>
            <button type="button" class="button subtle" disabled=!more
                on:click=move |_| { let last = last.clone(); cursors.update(|c| c.push(last)); }>"Next page"</button>
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::kind_words;

    #[test]
    fn error_kinds_read_as_words() {
        assert_eq!(kind_words("permission_denied"), "Permission denied");
        assert_eq!(kind_words("checksum_mismatch"), "Checksum mismatch");
        assert_eq!(kind_words(""), "");
    }
}
