//! Ferry's console: the HTML shell, the router and the pages. Built twice: with
//! `ssr` into the server, with `hydrate` into the browser's wasm.

pub mod api;
pub mod components;
pub mod error;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

use crate::components::layout::Shell;
use crate::pages::{
    dashboard::DashboardPage,
    documents::{DocumentPage, DocumentsPage},
    login::LoginPage,
    migration_detail::MigrationDetailPage,
    migration_new::NewMigrationPage,
    migrations::MigrationsPage,
    not_found::NotFound,
    provider_form::{EditProviderPage, NewProviderPage},
    providers::ProvidersPage,
    security::AuditPage,
    settings::SettingsPage,
    setup::SetupPage,
    users::UsersPage,
};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    ssr::set_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The console: sign-in and setup outside the shell, everything else inside it.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser, after hydration: tests wait for this flag.
    #[cfg(feature = "hydrate")]
    Effect::new(|_| {
        let _ = js_sys::Reflect::set(&window(), &"__ferry_hydrated".into(), &true.into());
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/ferry.css" />
        <Title formatter=|page: String| if page.is_empty() { "Ferry".to_owned() } else { format!("{page} · Ferry") } />
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/login") view=LoginPage />
                <Route path=path!("/setup") view=SetupPage />
                <ParentRoute path=path!("") view=Shell>
                    <Route path=path!("") view=DashboardPage />
                    <Route path=path!("providers") view=ProvidersPage />
                    <Route path=path!("providers/new") view=NewProviderPage />
                    <Route path=path!("providers/:id") view=EditProviderPage />
                    <Route path=path!("migrations") view=MigrationsPage />
                    <Route path=path!("migrations/new") view=NewMigrationPage />
                    <Route path=path!("migrations/:id") view=MigrationDetailPage />
                    <Route path=path!("documents") view=DocumentsPage />
                    <Route path=path!("documents/:id") view=DocumentPage />
                    <Route path=path!("users") view=UsersPage />
                    <Route path=path!("audit") view=AuditPage />
                    <Route path=path!("settings") view=SettingsPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
