//! Migrations: jobs that move documents between providers.

use leptos::prelude::*;

use crate::components::empty::EmptyPage;

/// The migrations list.
#[component]
pub fn MigrationsPage() -> impl IntoView {
    view! {
        <EmptyPage
            title="Migrations"
            lead="Each migration copies, moves or mirrors documents from one provider to another, verifying every copy by its SHA-256."
            empty_heading="No migrations yet"
            empty_text="Migrations need two providers. Running ones will be listed first, with live progress."
        />
    }
}
