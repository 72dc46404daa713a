//! Settings: the signed-in account, where users are managed, and the prices
//! cost estimates use.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::layout::CurrentUser;
use crate::pages::prices::PricesCard;
use crate::pages::security::TokensCard;

/// Account and users.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let me = use_context::<CurrentUser>();
    let user = move || me.and_then(CurrentUser::get);
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
        <section class="card" aria-labelledby="users-link-heading">
            <h2 id="users-link-heading">"Users"</h2>
            <p>"Accounts, their roles, and who may sign in are on the " <a href="/users">"Users"</a> " page."</p>
        </section>
        <TokensCard />
        <PricesCard />
    }
}
