//! Settings: the signed-in account and, for administrators, the users.

use ferry_model::Role;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::accounts::{CreateUser, list_users};
use crate::components::form::{FieldError, FormError};
use crate::components::layout::CurrentUser;
use crate::pages::prices::PricesCard;

/// Account and users.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let me = use_context::<CurrentUser>();
    let user = move || me.and_then(CurrentUser::get);
    let is_admin = move || user().is_some_and(|u| u.role == Role::Admin);
    let create = ServerAction::<CreateUser>::new();
    let users = Resource::new(move || create.version().get(), |_| list_users());
    view! {
        <Title text="Settings" />
        <header class="page-head">
            <h1>"Settings"</h1>
        </header>
        <section class="card" aria-labelledby="account-heading">
            <h2 id="account-heading">"Your account"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || user().map(|u| view! {
                    <dl class="pairs">
                        <dt>"Username"</dt><dd>{u.username.clone()}</dd>
                        <dt>"Role"</dt><dd data-testid="my-role">{u.role.label()}</dd>
                    </dl>
                })}
            </Transition>
        </section>
        <section class="card" aria-labelledby="users-heading">
            <h2 id="users-heading">"Users"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading users…"</p> }>
                {move || users.get().map(|result| match result {
                    Ok(list) => view! {
                        <table class="table">
                            <caption class="sr-only">"Users"</caption>
                            <thead><tr><th scope="col">"Username"</th><th scope="col">"Role"</th><th scope="col">"Status"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|u| view! {
                                    <tr>
                                        <td>{u.username}</td>
                                        <td>{u.role.label()}</td>
                                        <td>{if u.disabled { "Disabled" } else { "Active" }}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
            <Transition fallback=|| ()>
                <Show
                    when=is_admin
                    fallback=|| view! { <p class="muted" data-testid="admin-only-note">"Only administrators can add users."</p> }
                >
                    <NewUserForm create />
                </Show>
            </Transition>
        </section>
        <PricesCard />
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
