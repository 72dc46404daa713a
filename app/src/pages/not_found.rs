//! The page for an address the console does not know.

use leptos::prelude::*;
use leptos_meta::Title;

/// 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <main class="auth-page" id="main">
            <div class="auth-card">
                <h1>"There is no page here"</h1>
                <p>"The address may be mistyped, or the page has moved."</p>
                <p><a class="button primary" href="/">"Go to the dashboard"</a></p>
            </div>
        </main>
    }
}
