//! The document catalog: every document Ferry has moved, searchable by title or
//! key, each with its UUID and its copies per provider (hash, revision, sync
//! status); drift is flagged, and operators can re-check a document's copies.

use ferry_model::catalog::{DocumentDetail, DocumentSummary};
use ferry_model::progress::human_bytes;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::api::catalog::{get_document, list_documents, recheck_document};
use crate::error::AppError;
use crate::pages::migrations::can_run_migrations;

/// `/documents`
#[component]
pub fn DocumentsPage() -> impl IntoView {
    let search = RwSignal::new(String::new());
    let cursors = RwSignal::new(vec![None::<Uuid>]);
    let page = Resource::new(
        move || (search.get(), cursors.with(|c| c.last().copied().flatten())),
        |(search, after)| async move {
            let search = (!search.trim().is_empty()).then_some(search);
            list_documents(search, after, Some(50)).await
        },
    );
    view! {
        <Title text="Documents" />
        <header class="page-head">
            <h1>"Documents"</h1>
            <p class="lead">"Every document Ferry has moved, with a stable id and where each copy lives."</p>
        </header>
        <div class="toolbar">
            <label>
                "Title or key contains "
                <input type="search" aria-label="Search documents" placeholder="e.g. invoice-2024"
                    prop:value=move || search.get()
                    on:input=move |ev| { search.set(event_target_value(&ev)); cursors.set(vec![None]); } />
            </label>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading documents…"</p> }>
            {move || page.get().map(|r| match r {
                Ok(p) if p.total == 0 => view! {
                    <section class="empty-state" aria-label="No documents">
                        <h2>"No documents yet"</h2>
                        <p>"Documents appear here once a migration has copied them."</p>
                    </section>
                }.into_any(),
                Ok(p) if p.documents.is_empty() => view! { <p class="muted" data-testid="no-documents">"No document matches."</p> }.into_any(),
                Ok(p) => {
                    let last = p.documents.last().map(|d| d.id);
                    let more = p.more;
                    view! {
                        <p class="muted" data-testid="documents-total">{format!("{} documents in the catalog", p.total)}</p>
                        <div class="table-scroll">
                            <table class="table documents">
                                <caption class="sr-only">"Documents"</caption>
                                <thead><tr>
                                    <th scope="col">"Title"</th><th scope="col">"Key"</th><th scope="col">"Copies"</th>
                                    <th scope="col">"Size"</th><th scope="col">"Copies agree"</th>
                                </tr></thead>
                                <tbody>{p.documents.into_iter().map(|d| view! { <DocumentRow d /> }).collect_view()}</tbody>
                            </table>
                        </div>
                        <nav class="pager" aria-label="Document pages">
                            <button type="button" class="button subtle" disabled=move || cursors.with(Vec::len) <= 1
                                on:click=move |_| cursors.update(|c| { if c.len() > 1 { c.pop(); } })>"Previous page"</button>
                            <button type="button" class="button subtle" disabled=!more
                                on:click=move |_| cursors.update(|c| c.push(last))>"Next page"</button>
                        </nav>
                    }.into_any()
                }
                Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn DocumentRow(d: DocumentSummary) -> impl IntoView {
    view! {
        <tr aria-label=format!("Document {}", d.title)>
            <th scope="row"><a href=format!("/documents/{}", d.id)>{d.title.clone()}</a></th>
            <td class="key">{d.key}</td>
            <td>{d.copies}</td>
            <td>{human_bytes(d.size as f64)}</td>
            <td>{if d.drift {
                view! { <span class="badge" data-tone="bad">"Drift"</span> }.into_any()
            } else {
                view! { <span class="badge" data-tone="good">"Yes"</span> }.into_any()
            }}</td>
        </tr>
    }
}

/// `/documents/:id`
#[component]
pub fn DocumentPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| s.parse::<Uuid>().ok())));
    let rechecked = RwSignal::new(None::<Result<DocumentDetail, AppError>>);
    let doc = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => get_document(id).await,
                None => Err(AppError::NotFound("That document".to_owned())),
            }
        },
    );
    let can_run = can_run_migrations();
    let recheck = Action::new(move |id: &Uuid| {
        let id = *id;
        async move { rechecked.set(Some(recheck_document(id).await)) }
    });
    let shown = move || match rechecked.get() {
        Some(Ok(d)) => Some(Ok(d)),
        Some(Err(e)) => Some(Err(e)),
        None => doc.get(),
    };
    view! {
        <Title text="Document" />
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/documents">"Documents"</a></nav>
        <Transition fallback=|| view! { <p class="muted">"Loading the document…"</p> }>
            {move || shown().map(|r| match r {
                Ok(d) => {
                    let id = d.id;
                    view! {
                        <header class="page-head">
                            <h1>{d.title.clone()}</h1>
                            {if d.drift {
                                view! { <span class="badge" data-tone="bad" data-testid="drift">"Copies disagree"</span> }.into_any()
                            } else {
                                view! { <span class="badge" data-tone="good" data-testid="drift">"Copies agree"</span> }.into_any()
                            }}
                            <p class="lead">"Document id " <code data-testid="document-id">{id.to_string()}</code></p>
                        </header>
                        <section class="card" aria-labelledby="copies-heading">
                            <h2 id="copies-heading">"Copies"</h2>
                            <div class="table-scroll">
                                <table class="table">
                                    <caption class="sr-only">"Copies"</caption>
                                    <thead><tr>
                                        <th scope="col">"Provider"</th><th scope="col">"Key"</th><th scope="col">"SHA-256"</th>
                                        <th scope="col">"Size"</th><th scope="col">"Revision"</th><th scope="col">"Status"</th><th scope="col">"Last seen"</th>
                                    </tr></thead>
                                    <tbody>
                                        {d.copies.into_iter().map(|c| {
                                            let label = format!("Copy on {}", c.provider);
                                            let tone = if c.sync_status == "conflict" { "bad" } else { "neutral" };
                                            view! {
                                            <tr aria-label=label>
                                                <th scope="row">{c.provider}</th>
                                                <td class="key">{c.key}</td>
                                                <td class="hash">{c.sha256.unwrap_or_else(|| "—".to_owned())}</td>
                                                <td>{human_bytes(c.size as f64)}</td>
                                                <td class="key">{c.revision.unwrap_or_else(|| "—".to_owned())}</td>
                                                <td><span class="badge" data-tone=tone data-testid="sync-status">{c.sync_status}</span></td>
                                                <td class="small">{c.last_seen_at.format("%Y-%m-%d %H:%M UTC").to_string()}</td>
                                            </tr>
                                        }}).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <p class="actions">
                                <button type="button" class="button" disabled=move || !can_run() || recheck.pending().get()
                                    on:click=move |_| { recheck.dispatch(id); }>
                                    {move || if recheck.pending().get() { "Re-checking…" } else { "Re-check copies" }}
                                </button>
                            </p>
                            {(!d.findings.is_empty()).then(|| view! {
                                <div role="status">
                                    <ul class="findings" aria-label="Re-check findings">
                                        {d.findings.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}
                                    </ul>
                                </div>
                            })}
                        </section>
                    }.into_any()
                }
                Err(e) => view! {
                    <h1>"Document"</h1>
                    <p class="form-error" role="alert">{e.to_string()}</p>
                }.into_any(),
            })}
        </Transition>
    }
}
