//! First-run setup: create the first administrator.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::accounts::Setup;
use crate::components::form::{FieldError, FormError, load_page};

/// Shown only while no account exists (the server redirects away afterwards).
#[component]
pub fn SetupPage() -> impl IntoView {
    let action = ServerAction::<Setup>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if let Some(Ok(to)) = action.value().get() {
            load_page(&to);
        }
    });
    view! {
        <Title text="Set up Ferry" />
        <main class="auth-page" id="main">
            <div class="auth-card">
                <p class="brand"><img class="brand-mark" src="/favicon.svg" alt="" width="24" height="24" />"Ferry"</p>
                <h1>"Welcome to Ferry"</h1>
                <p class="lead">
                    "Create the administrator account. You will use it to add storage providers, "
                    "invite colleagues and run migrations."
                </p>
                <ActionForm action=action attr:aria-label="Create the administrator">
                    <div class="field">
                        <label for="username">"Username"</label>
                        <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required />
                        <p class="hint">"Letters, digits and . _ - @ only."</p>
                        <FieldError error field="username" />
                    </div>
                    <div class="field">
                        <label for="password">"Password"</label>
                        <input id="password" name="password" type="password" autocomplete="new-password" required />
                        <p class="hint">"At least 10 characters."</p>
                        <FieldError error field="password" />
                    </div>
                    <div class="field">
                        <label for="confirm">"Repeat the password"</label>
                        <input id="confirm" name="confirm" type="password" autocomplete="new-password" required />
                        <FieldError error field="confirm" />
                    </div>
                    <FormError error />
                    <button type="submit" class="button primary" disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Creating…" } else { "Create administrator" }}
                    </button>
                </ActionForm>
            </div>
        </main>
    }
}
