//! Users: every account with its role and whether it may sign in. Administrators
//! add accounts, change roles and disable or enable them; everyone else looks.

use ferry_model::{Role, UserSummary};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::accounts::{CreateUser, change_user_role, list_users, set_user_disabled};
use crate::components::form::{FieldError, FormError};
use crate::components::layout::CurrentUser;
use crate::error::AppError;
use crate::pages::security::LocksCard;

/// `/users`
#[component]
pub fn UsersPage() -> impl IntoView {
    let me = use_context::<CurrentUser>();
    let user = move || me.and_then(CurrentUser::get);
    let is_admin = move || user().is_some_and(|u| u.role == Role::Admin);
    let create = ServerAction::<CreateUser>::new();
    let changed = RwSignal::new(0_u32);
    let users = Resource::new(move || (create.version().get(), changed.get()), |_| list_users());
    let message = RwSignal::new(None::<Result<String, AppError>>);
    view! {
        <Title text="Users" />
        <header class="page-head">
            <h1>"Users"</h1>
            <p class="lead">"Viewers see everything and change nothing; operators run migrations; administrators also manage providers, users and prices."</p>
        </header>
        <section class="card" aria-labelledby="users-heading">
            <h2 id="users-heading">"Accounts"</h2>
            {move || message.get().map(|m| match m {
                Ok(text) => view! { <p class="notice" role="status">{text}</p> }.into_any(),
                Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
            <Transition fallback=|| view! { <p class="muted">"Loading users…"</p> }>
                {move || users.get().map(|result| match result {
                    Ok(list) => view! {
                        <div class="table-scroll">
                            <table class="table">
                                <caption class="sr-only">"Users"</caption>
                                <thead><tr>
                                    <th scope="col">"Username"</th><th scope="col">"Role"</th><th scope="col">"Status"</th>
                                    <th scope="col">"Last sign-in"</th>
                                    <Show when=is_admin><th scope="col">"Actions"</th></Show>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|u| view! { <UserRow u is_admin=Signal::derive(is_admin) changed message /> }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
            <Transition fallback=|| ()>
                <Show
                    when=is_admin
                    fallback=|| view! { <p class="muted" data-testid="admin-only-note">"Only administrators can add or change users."</p> }
                >
                    <NewUserForm create />
                </Show>
            </Transition>
        </section>
        <Transition fallback=|| ()>
            <Show when=is_admin>
                <LocksCard />
            </Show>
        </Transition>
    }
}

#[component]
fn UserRow(
    u: UserSummary,
    is_admin: Signal<bool>,
    changed: RwSignal<u32>,
    message: RwSignal<Option<Result<String, AppError>>>,
) -> impl IntoView {
    let id = u.id;
    let name = u.username.clone();
    let role = RwSignal::new(u.role);
    let done = move |result: Result<UserSummary, AppError>, what: &str| {
        message.set(Some(result.map(|u| format!("{} {what}.", u.username))));
        changed.update(|n| *n += 1);
    };
    let save_role = Action::new(move |r: &Role| {
        let r = *r;
        async move { done(change_user_role(id, r).await, "has a new role") }
    });
    let toggle = Action::new(move |disable: &bool| {
        let disable = *disable;
        async move {
            done(set_user_disabled(id, disable).await, if disable { "is disabled" } else { "is enabled" })
        }
    });
    let disabled = u.disabled;
    let last =
        u.last_login_at.map_or_else(|| "never".to_owned(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string());
    let row_label = format!("User {name}");
    let role_label = format!("Role of {name}");
    let save_label = format!("Save the role of {name}");
    let toggle_label = format!("{} {name}", if disabled { "Enable" } else { "Disable" });
    let select_id = format!("role-{id}");
    view! {
        <tr aria-label=row_label>
            <td>{u.username.clone()}</td>
            <td data-testid="user-role">{u.role.label()}</td>
            <td data-testid="user-status">{if disabled { "Disabled" } else { "Active" }}</td>
            <td class="small">{last}</td>
            <Show when=move || is_admin.get()>
                <td class="row-actions">
                    <label class="sr-only" for=select_id.clone()>{role_label.clone()}</label>
                    <select id=select_id.clone() on:change=move |ev| {
                        if let Ok(r) = event_target_value(&ev).parse::<Role>() { role.set(r); }
                    }>
                        {[Role::Viewer, Role::Operator, Role::Admin].into_iter().map(|r| view! {
                            <option value=r.as_str() selected=move || role.get() == r>{r.label()}</option>
                        }).collect_view()}
                    </select>
                    <button type="button" class="button small" disabled=move || save_role.pending().get()
                        aria-label=save_label.clone()
                        on:click=move |_| { save_role.dispatch(role.get_untracked()); }>"Save role"</button>
                    <button type="button" class="button small" class:danger=!disabled disabled=move || toggle.pending().get()
                        aria-label=toggle_label.clone()
                        on:click=move |_| { toggle.dispatch(!disabled); }>{if disabled { "Enable" } else { "Disable" }}</button>
                </td>
            </Show>
        </tr>
    }
}

#[component]
fn NewUserForm(create: ServerAction<CreateUser>) -> impl IntoView {
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    let created = move || create.value().get().and_then(Result::ok);
    view! {
        <h3>"Add a user"</h3>
        <ActionForm action=create attr:aria-label="Add a user">
            <div class="form-grid">
                <div class="field">
                    <label for="new-username">"Username"</label>
                    <input id="new-username" name="username" type="text" autocomplete="off" autocapitalize="none" spellcheck="false" required />
                    <FieldError error field="username" />
                </div>
                <div class="field">
                    <label for="new-role">"Role"</label>
                    <select id="new-role" name="role">
                        <option value="viewer">"Viewer — sees everything, changes nothing"</option>
                        <option value="operator">"Operator — runs migrations"</option>
                        <option value="admin">"Administrator — manages providers and users"</option>
                    </select>
                    <FieldError error field="role" />
                </div>
                <div class="field">
                    <label for="new-password">"Password"</label>
                    <input id="new-password" name="password" type="password" autocomplete="new-password" required />
                    <FieldError error field="password" />
                </div>
                <div class="field">
                    <label for="new-confirm">"Repeat the password"</label>
                    <input id="new-confirm" name="confirm" type="password" autocomplete="new-password" required />
                    <FieldError error field="confirm" />
                </div>
            </div>
            <FormError error />
            <button type="submit" class="button primary" disabled=move || create.pending().get()>"Add user"</button>
            <Show when=move || created().is_some()>
                <p class="notice" role="status">
                    {move || created().map(|u| format!("Added {} as {}.", u.username, u.role.label()))}
                </p>
            </Show>
        </ActionForm>
    }
}
