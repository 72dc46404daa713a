//! Storage providers: where documents live.

use leptos::prelude::*;
use leptos_meta::Title;

/// The providers list.
#[component]
pub fn ProvidersPage() -> impl IntoView {
    view! {
        <Title text="Providers" />
        <header class="page-head">
            <h1>"Providers"</h1>
            <p class="lead">"The storage accounts Ferry moves documents between: S3-compatible buckets and local folders first."</p>
        </header>
        <section class="empty-state" aria-label="No providers">
            <h2>"No providers yet"</h2>
            <p>"Once providers can be added, each one appears here with its health and how many documents it holds."</p>
        </section>
    }
}
