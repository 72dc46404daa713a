//! The catalog: every document and where its copies live.

use leptos::prelude::*;
use leptos_meta::Title;

/// The document catalog.
#[component]
pub fn DocumentsPage() -> impl IntoView {
    view! {
        <Title text="Documents" />
        <header class="page-head">
            <h1>"Documents"</h1>
            <p class="lead">"Every document Ferry has moved gets a permanent id and a record of each copy: provider, key, SHA-256 and revision."</p>
        </header>
        <section class="empty-state" aria-label="No documents">
            <h2>"The catalog is empty"</h2>
            <p>"Documents appear here after their first migration."</p>
        </section>
    }
}
