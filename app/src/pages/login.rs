//! Sign in.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::accounts::Login;
use crate::components::form::{FieldError, FormError, load_page};

/// The sign-in form. Works before hydration too (a plain form post).
#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if let Some(Ok(to)) = action.value().get() {
            load_page(&to);
        }
    });
    view! {
        <Title text="Sign in" />
        <main class="auth-page" id="main">
            <div class="auth-card">
                <p class="brand"><img class="brand-mark" src="/favicon.svg" alt="" width="24" height="24" />"Ferry"</p>
                <h1>"Sign in"</h1>
                <ActionForm action=action attr:aria-label="Sign in">
                    <input type="hidden" name="next" prop:value=next />
                    <div class="field">
                        <label for="username">"Username"</label>
                        <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required />
                        <FieldError error field="username" />
                    </div>
                    <div class="field">
                        <label for="password">"Password"</label>
                        <input id="password" name="password" type="password" autocomplete="current-password" required />
                        <FieldError error field="password" />
                    </div>
                    <FormError error />
                    <button type="submit" class="button primary" disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
            </div>
        </main>
    }
}
