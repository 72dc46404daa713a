//! Migrations: jobs that move documents between providers.

use leptos::prelude::*;
use leptos_meta::Title;

/// The migrations list.
#[component]
pub fn MigrationsPage() -> impl IntoView {
    view! {
        <Title text="Migrations" />
        <header class="page-head">
            <h1>"Migrations"</h1>
            <p class="lead">"Each migration copies, moves or mirrors documents from one provider to another, verifying every copy by its SHA-256."</p>
        </header>
        <section class="empty-state" aria-label="No migrations">
            <h2>"No migrations yet"</h2>
            <p>"Migrations need two providers. Running ones will be listed first, with live progress."</p>
        </section>
    }
}
