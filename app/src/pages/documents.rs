//! The catalog: every document and where its copies live.

use leptos::prelude::*;

use crate::components::empty::EmptyPage;

/// The document catalog.
#[component]
pub fn DocumentsPage() -> impl IntoView {
    view! {
        <EmptyPage
            title="Documents"
            lead="Every document Ferry has moved gets a permanent id and a record of each copy: provider, key, SHA-256 and revision."
            empty_heading="The catalog is empty"
            empty_text="Documents appear here after their first migration."
        />
    }
}
