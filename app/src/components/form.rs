//! Form helpers: field-level and form-level error messages.

use leptos::prelude::*;

use crate::error::AppError;

/// The message under one field, when the last submission failed on it.
#[component]
pub fn FieldError(
    /// The last result of the form's action.
    #[prop(into)]
    error: Signal<Option<AppError>>,
    /// The field's name.
    field: &'static str,
) -> impl IntoView {
    let message = move || error.get().and_then(|e| e.field_message(field));
    view! {
        <Show when=move || message().is_some()>
            <p class="field-error" id=format!("{field}-error") role="alert">
                {message}
            </p>
        </Show>
    }
}

/// A message for errors not tied to a field (network, server, conflicts).
#[component]
pub fn FormError(
    /// The last result of the form's action.
    #[prop(into)]
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let message = move || match error.get() {
        Some(AppError::Invalid { .. } | AppError::Fields(_)) | None => None,
        Some(other) => Some(other.to_string()),
    };
    view! {
        <Show when=move || message().is_some()>
            <p class="form-error" role="alert">
                {message}
            </p>
        </Show>
    }
}

/// Opens `path` as a full page load, so every page starts from a fresh state
/// (used after signing in and out).
pub fn load_page(path: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}
