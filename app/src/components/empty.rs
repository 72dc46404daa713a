//! The page frame for areas that have nothing to show yet.

use leptos::prelude::*;
use leptos_meta::Title;

/// A page heading with a one-line explanation and an empty state beneath.
#[component]
pub fn EmptyPage(
    /// The page title and heading.
    title: &'static str,
    /// What the area is for, in one sentence.
    lead: &'static str,
    /// The empty state's heading.
    empty_heading: &'static str,
    /// What will appear here, and when.
    empty_text: &'static str,
) -> impl IntoView {
    view! {
        <Title text=title />
        <header class="page-head">
            <h1>{title}</h1>
            <p class="lead">{lead}</p>
        </header>
        <section class="empty-state" aria-label=empty_heading>
            <h2>{empty_heading}</h2>
            <p>{empty_text}</p>
        </section>
    }
}
