//! Security pages and cards: your API tokens (Settings), sign-in locks (Users),
//! and the audit log (`/audit`, administrators).

use ferry_model::Role;
use ferry_model::security::{AUDIT_ACTIONS, AuditEntry, AuditQuery, TokenView};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::security::{
    CreateToken, audit_log, list_tokens, revoke_token, sign_in_locks, unlock_sign_in,
};
use crate::components::form::{FieldError, FormError};
use crate::components::layout::CurrentUser;

fn when(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map_or_else(|| "never".to_owned(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// Settings card: make, list and revoke your API tokens.
#[component]
pub fn TokensCard() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let changed = RwSignal::new(0_u32);
    let tokens = Resource::new(move || (create.version().get(), changed.get()), |_| list_tokens());
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    let made = move || create.value().get().and_then(Result::ok);
    let me = use_context::<CurrentUser>();
    let my_role = move || me.and_then(CurrentUser::get).map_or(Role::Viewer, |u| u.role);
    view! {
        <section class="card" aria-labelledby="tokens-heading">
            <h2 id="tokens-heading">"API tokens"</h2>
            <p class="muted">"Scripts use a token instead of a password: "
                <code>"Authorization: Bearer fry_…"</code>" with the JSON API at "<code>"/api/v1"</code>
                ". A token can do at most what you can, and stops working when revoked or when your account is disabled."</p>
            <Show when=move || made().is_some()>
                <div class="notice" role="status" data-testid="new-token">
                    <p><strong>"Copy this token now: Ferry shows it only once."</strong></p>
                    <code class="secret" data-testid="token-secret">{move || made().map(|t| t.secret)}</code>
                </div>
            </Show>
            <Transition fallback=|| view! { <p class="muted">"Loading tokens…"</p> }>
                {move || tokens.get().map(|result| match result {
                    Ok(list) if list.is_empty() => view! { <p class="muted">"You have no tokens."</p> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-scroll">
                            <table class="table">
                                <caption class="sr-only">"Your API tokens"</caption>
                                <thead><tr>
                                    <th scope="col">"Name"</th><th scope="col">"Role"</th><th scope="col">"Starts with"</th>
                                    <th scope="col">"Made"</th><th scope="col">"Last used"</th><th scope="col">"Status"</th><th scope="col">"Actions"</th>
                                </tr></thead>
                                <tbody>{list.into_iter().map(|t| view! { <TokenRow t changed /> }).collect_view()}</tbody>
                            </table>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
            <h3>"Make a token"</h3>
            <ActionForm action=create attr:aria-label="Make a token">
                <div class="form-grid">
                    <div class="field">
                        <label for="token-name">"What uses it"</label>
                        <input id="token-name" name="name" type="text" maxlength="64" autocomplete="off" required
                            placeholder="nightly backup script" />
                        <FieldError error field="name" />
                    </div>
                    <div class="field">
                        <label for="token-role">"It may"</label>
                        <Transition fallback=|| view! { <select id="token-role" name="role"><option value="viewer">"Read only (viewer)"</option></select> }>
                            <select id="token-role" name="role">
                                <option value="viewer">"Read only (viewer)"</option>
                                <Show when=move || my_role().allows(Role::Operator)>
                                    <option value="operator">"Run migrations (operator)"</option>
                                </Show>
                                <Show when=move || my_role() == Role::Admin>
                                    <option value="admin">"Everything (administrator)"</option>
                                </Show>
                            </select>
                        </Transition>
                        <FieldError error field="role" />
                    </div>
                </div>
                <FormError error />
                <button type="submit" class="button primary" disabled=move || create.pending().get()>"Make token"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn TokenRow(t: TokenView, changed: RwSignal<u32>) -> impl IntoView {
    let id = t.id;
    let confirming = RwSignal::new(false);
    let revoke = Action::new(move |(): &()| async move {
        let result = revoke_token(id).await;
        changed.update(|n| *n += 1);
        result
    });
    let live = t.revoked_at.is_none();
    let label = format!("Revoke the token {}", t.name);
    view! {
        <tr aria-label=format!("Token {}", t.name)>
            <td>{t.name.clone()}</td>
            <td>{t.role.label()}</td>
            <td><code>{t.hint.clone()}</code></td>
            <td class="small">{when(Some(t.created_at))}</td>
            <td class="small">{when(t.last_used_at)}</td>
            <td data-testid="token-status">{if live { "Active".to_owned() } else { format!("Revoked {}", when(t.revoked_at)) }}</td>
            <td class="row-actions">
                <Show when=move || live && !confirming.get()>
                    <button type="button" class="button small danger" aria-label=label.clone()
                        on:click=move |_| confirming.set(true)>"Revoke"</button>
                </Show>
                <Show when=move || confirming.get()>
                    <span class="small">"Scripts using it stop at once. "</span>
                    <button type="button" class="button small danger" disabled=move || revoke.pending().get()
                        on:click=move |_| { revoke.dispatch(()); }>"Yes, revoke"</button>
                    <button type="button" class="button small" on:click=move |_| confirming.set(false)>"Keep it"</button>
                </Show>
            </td>
        </tr>
    }
}

/// Users page card: accounts and addresses locked after failed sign-ins.
#[component]
pub fn LocksCard() -> impl IntoView {
    let changed = RwSignal::new(0_u32);
    let locks = Resource::new(move || changed.get(), |_| sign_in_locks());
    let unlock = Action::new(move |(kind, subject): &(String, String)| {
        let (kind, subject) = (kind.clone(), subject.clone());
        async move {
            let result = unlock_sign_in(kind, subject).await;
            changed.update(|n| *n += 1);
            result
        }
    });
    view! {
        <section class="card" aria-labelledby="locks-heading">
            <h2 id="locks-heading">"Sign-in locks"</h2>
            <p class="muted">"After 5 wrong passwords for one account, or 20 from one address, within 15 minutes, sign-in is refused for 15 minutes."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || locks.get().map(|result| match result {
                    Ok(list) if list.is_empty() => view! { <p class="muted" data-testid="no-locks">"Nothing is locked."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="plain-list">
                            {list.into_iter().map(|l| {
                                let what = format!("{} {}", if l.kind == "account" { "Account" } else { "Address" }, l.subject);
                                let label = format!("Unlock {what}");
                                let key = (l.kind.clone(), l.subject.clone());
                                view! {
                                    <li data-testid="lock">
                                        <strong>{what}</strong>
                                        {format!(" — {} failures, locked until {}", l.failures, l.locked_until.format("%H:%M UTC"))}
                                        " "
                                        <button type="button" class="button small" aria-label=label
                                            on:click=move |_| { unlock.dispatch(key.clone()); }>"Unlock"</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// `/audit`: every change people and tokens made, filterable, exportable.
#[component]
pub fn AuditPage() -> impl IntoView {
    let actor = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let since = RwSignal::new(String::new());
    let until = RwSignal::new(String::new());
    let pages = RwSignal::new(Vec::<Option<uuid::Uuid>>::from([None]));
    let filters = move || {
        let day = |s: String| {
            chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        };
        let some = |s: String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        AuditQuery {
            actor: some(actor.get()),
            action: some(action.get()),
            text: some(text.get()),
            since: day(since.get()),
            until: day(until.get()).map(|t| t + chrono::Duration::days(1)),
            before: None,
            limit: Some(50),
        }
    };
    let before = move || pages.with(|p| p.last().copied().flatten());
    let log = Resource::new(
        move || (filters(), before()),
        |(mut q, before)| {
            q.before = before;
            audit_log(q)
        },
    );
    let reset = move || pages.set(vec![None]);
    let csv_href = move || {
        let q = filters();
        let time = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339());
        let pairs = [
            ("actor", q.actor),
            ("action", q.action),
            ("text", q.text),
            ("since", time(q.since)),
            ("until", time(q.until)),
        ];
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter().filter_map(|(k, v)| v.as_deref().map(|v| (*k, v))))
            .finish();
        if query.is_empty() { "/audit.csv".to_owned() } else { format!("/audit.csv?{query}") }
    };
    view! {
        <Title text="Audit log" />
        <header class="page-head">
            <h1>"Audit log"</h1>
            <p class="lead">"Every change made by a person or an API token: who, when, from where, and what. Secrets never appear here."</p>
        </header>
        <section class="card" aria-label="Filters">
            <div class="form-grid">
                <div class="field">
                    <label for="audit-actor">"Who"</label>
                    <input id="audit-actor" type="search" prop:value=actor on:input=move |ev| { actor.set(event_target_value(&ev)); reset(); } />
                </div>
                <div class="field">
                    <label for="audit-action">"What"</label>
                    <select id="audit-action" on:change=move |ev| { action.set(event_target_value(&ev)); reset(); }>
                        <option value="">"Everything"</option>
                        {AUDIT_ACTIONS.iter().map(|(value, label)| view! { <option value=*value>{*label}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="audit-text">"Mentions"</label>
                    <input id="audit-text" type="search" prop:value=text on:input=move |ev| { text.set(event_target_value(&ev)); reset(); } />
                </div>
                <div class="field">
                    <label for="audit-since">"From (day)"</label>
                    <input id="audit-since" type="date" prop:value=since on:change=move |ev| { since.set(event_target_value(&ev)); reset(); } />
                </div>
                <div class="field">
                    <label for="audit-until">"To (day)"</label>
                    <input id="audit-until" type="date" prop:value=until on:change=move |ev| { until.set(event_target_value(&ev)); reset(); } />
                </div>
            </div>
            <p><a class="button" href=csv_href download="ferry-audit.csv">"Download as CSV"</a></p>
        </section>
        <section class="card" aria-label="Entries">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || log.get().map(|result| match result {
                    Ok(page) if page.entries.is_empty() => view! { <p class="muted">"Nothing matches."</p> }.into_any(),
                    Ok(page) => {
                        let last = page.entries.last().map(|e| e.id);
                        let more = page.more;
                        view! {
                            <div class="table-scroll">
                                <table class="table" data-testid="audit-table">
                                    <caption class="sr-only">"Audit entries, newest first"</caption>
                                    <thead><tr>
                                        <th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"From"</th>
                                        <th scope="col">"What"</th><th scope="col">"To what"</th><th scope="col">"Details"</th>
                                    </tr></thead>
                                    <tbody>{page.entries.into_iter().map(|e| view! { <AuditRow e /> }).collect_view()}</tbody>
                                </table>
                            </div>
                            <div class="pager">
                                <Show when=move || pages.with(|p| p.len() > 1)>
                                    <button type="button" class="button" on:click=move |_| pages.update(|p| { p.pop(); })>"Newer"</button>
                                </Show>
                                <Show when=move || more>
                                    <button type="button" class="button" on:click=move |_| pages.update(|p| p.push(last))>"Older"</button>
                                </Show>
                            </div>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn AuditRow(e: AuditEntry) -> impl IntoView {
    view! {
        <tr>
            <td class="small">{e.occurred_at.format("%Y-%m-%d %H:%M:%S UTC").to_string()}</td>
            <td>{e.actor}</td>
            <td class="small">{e.source_addr.unwrap_or_default()}</td>
            <td><code>{e.action}</code></td>
            <td>{e.target.unwrap_or_default()}</td>
            <td class="small">{e.detail}</td>
        </tr>
    }
}
