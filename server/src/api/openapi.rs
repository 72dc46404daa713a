//! `GET /api/v1/openapi.json`: the API described from the handlers' own
//! annotations and the model's types, so the document cannot drift from the code.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::handlers;

/// The OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ferry",
        description = "Move documents and objects between storage providers. Every call needs an API \
                       token (Settings → API tokens) as `Authorization: Bearer fry_…`; a token does at \
                       most what its owner's role allows. Errors are `{\"error\": {\"code\", \"message\", \"field\"?}}`."
    ),
    paths(
        handlers::me,
        handlers::list_providers,
        handlers::create_provider,
        handlers::get_provider,
        handlers::update_provider,
        handlers::delete_provider,
        handlers::test_provider,
        handlers::test_provider_form,
        handlers::list_migrations,
        handlers::create_migration,
        handlers::plan_migration,
        handlers::get_migration,
        handlers::act_on_migration,
        handlers::set_bandwidth,
        handlers::migration_items,
        handlers::migration_report,
        handlers::list_documents,
        handlers::get_document,
        handlers::audit_log,
    ),
    modifiers(&BearerToken),
    tags(
        (name = "me", description = "The token itself"),
        (name = "providers", description = "Storage providers: S3-compatible buckets and local folders"),
        (name = "migrations", description = "Plan, create, run, watch, retry and roll back migrations"),
        (name = "documents", description = "The catalog: every document and its copies"),
        (name = "audit", description = "Who changed what (administrators)"),
    )
)]
pub struct ApiDoc;

/// Declares the bearer-token scheme the paths refer to as `token`.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("fry_…").build(),
            ),
        );
    }
}

/// Serves the document (no token needed: it holds no data).
pub async fn handler() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
