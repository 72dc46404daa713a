//! Storage providers: where documents live.

use leptos::prelude::*;

use crate::components::empty::EmptyPage;

/// The providers list.
#[component]
pub fn ProvidersPage() -> impl IntoView {
    view! {
        <EmptyPage
            title="Providers"
            lead="The storage accounts Ferry moves documents between: S3-compatible buckets and local folders first."
            empty_heading="No providers yet"
            empty_text="Once providers can be added, each one appears here with its health and how many documents it holds."
        />
    }
}
