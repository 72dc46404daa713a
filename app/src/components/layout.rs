//! The console's frame: navigation, the signed-in user, sign-out, and the live
//! channel every page can read.

use ferry_model::UserSummary;
use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

use crate::api::accounts::{Logout, current_user};
use crate::components::form::load_page;
use crate::components::live::LiveChannel;
use crate::error::AppError;

/// The signed-in user, loaded once by the shell and read by the pages.
#[derive(Clone, Copy)]
pub struct CurrentUser(pub Resource<Result<Option<UserSummary>, AppError>>);

impl CurrentUser {
    /// The user, once loaded.
    #[must_use]
    pub fn get(self) -> Option<UserSummary> {
        self.0.get().and_then(Result::ok).flatten()
    }
}

/// The frame around every signed-in page.
#[component]
pub fn Shell() -> impl IntoView {
    let me = CurrentUser(Resource::new(|| (), |()| current_user()));
    provide_context(me);
    let live = LiveChannel::new();
    provide_context(live);
    Effect::new(move |_| live.start());

    let logout = ServerAction::<Logout>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = logout.value().get() {
            load_page("/login");
        }
    });

    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="topbar">
            <a class="brand" href="/" aria-label="Ferry home">
                <img class="brand-mark" src="/favicon.svg" alt="" width="24" height="24" />
                "Ferry"
            </a>
            <nav aria-label="Main">
                <ul>
                    <li><A href="/" exact=true>"Dashboard"</A></li>
                    <li><A href="/providers">"Providers"</A></li>
                    <li><A href="/migrations">"Migrations"</A></li>
                    <li><A href="/documents">"Documents"</A></li>
                    <li><A href="/users">"Users"</A></li>
                    <Transition fallback=|| ()>
                        <Show when=move || me.get().is_some_and(|u| u.role == ferry_model::Role::Admin)>
                            <li><A href="/audit">"Audit log"</A></li>
                        </Show>
                    </Transition>
                    <li><A href="/settings">"Settings"</A></li>
                </ul>
            </nav>
            <div class="account">
                <Transition fallback=|| ()>
                    {move || me.get().map(|user| view! {
                        <span class="who" data-testid="signed-in-user">
                            <span class="sr-only">"Signed in as "</span>
                            <strong>{user.username.clone()}</strong>
                            <span class="role-badge">{user.role.label()}</span>
                        </span>
                    })}
                </Transition>
                <ActionForm action=logout>
                    <button type="submit" class="button subtle" disabled=move || logout.pending().get()>
                        "Sign out"
                    </button>
                </ActionForm>
            </div>
        </header>
        <main id="main" class="page">
            <Outlet />
        </main>
    }
}
