//! The `/api/v1` handlers: each one reads its input, runs the console's logic as
//! the token's caller, and answers JSON.

use app::ssr::{catalog, migrations, providers, security, wizard};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use ferry_model::Role;
use ferry_model::job::{ItemQuery, ItemStatus, ItemView, JobForm};
use ferry_model::provider::ProviderForm;
use ferry_model::security::AuditQuery;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use ferry_model::catalog::{DocumentDetail, DocumentPage};
use ferry_model::job::JobView;
use ferry_model::provider::{ProviderView, TestReport};
use ferry_model::security::AuditPage;
use ferry_model::wizard::Estimate;

use super::{ApiCaller, ApiError, Body, ErrorBody, PathOf, QueryOf, json, run};
use crate::state::ServerState;

pub(super) fn routes() -> Router<ServerState> {
    Router::new()
        .route("/api/v1/openapi.json", get(super::openapi::handler))
        .route("/api/v1/me", get(me))
        .route("/api/v1/providers", get(list_providers).post(create_provider))
        .route("/api/v1/providers/test", post(test_provider_form))
        .route("/api/v1/providers/{id}", get(get_provider).put(update_provider).delete(delete_provider))
        .route("/api/v1/providers/{id}/test", post(test_provider))
        .route("/api/v1/migrations", get(list_migrations).post(create_migration))
        .route("/api/v1/migrations/plan", post(plan_migration))
        .route("/api/v1/migrations/{id}", get(get_migration))
        .route("/api/v1/migrations/{id}/{action}", post(act_on_migration))
        .route("/api/v1/migrations/{id}/bandwidth", put(set_bandwidth))
        .route("/api/v1/migrations/{id}/items", get(migration_items))
        .route("/api/v1/migrations/{id}/report.csv", get(migration_report))
        .route("/api/v1/documents", get(list_documents))
        .route("/api/v1/documents/{id}", get(get_document))
        .route("/api/v1/audit", get(audit_log))
        // The console's fallback would answer unknown API paths with an HTML page.
        .route("/api/v1/{*rest}", axum::routing::any(not_found))
}

type Answer = Result<Response, ApiError>;

pub(super) async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "There is no such API call; /api/v1/openapi.json lists them.",
    )
}

/// Who the token acts for.
#[derive(utoipa::ToSchema, Debug, Serialize)]
pub struct Me {
    username: String,
    role: Role,
    token: Option<String>,
}

/// Any role.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", responses((status = 200, description = "Who the token acts for", body = Me), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub(super) async fn me(ApiCaller(caller): ApiCaller) -> Answer {
    let me = Me { username: caller.user.username, role: caller.user.role, token: caller.token };
    Ok(json(StatusCode::OK, &me))
}

/// Any role.
#[utoipa::path(get, path = "/api/v1/providers", tag = "providers", responses((status = 200, description = "Every provider (secrets never included)", body = Vec<ProviderView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub(super) async fn list_providers(State(s): State<ServerState>, ApiCaller(c): ApiCaller) -> Answer {
    Ok(json(StatusCode::OK, &run(&s, c, providers::list).await?))
}

/// Any role.
#[utoipa::path(get, path = "/api/v1/providers/{id}", tag = "providers", params(("id" = Uuid, Path, description = "Its id")), responses((status = 200, description = "One provider", body = ProviderView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub(super) async fn get_provider(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    PathOf(id): PathOf<Uuid>,
) -> Answer {
    Ok(json(StatusCode::OK, &run(&s, c, || providers::get(id)).await?))
}

/// Needs the Operator role or above.
#[utoipa::path(post, path = "/api/v1/providers", tag = "providers", request_body = ProviderForm, responses((status = 201, description = "Created", body = ProviderView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub(super) async fn create_provider(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    Body(form): Body<ProviderForm>,
) -> Answer {
    if form.id.is_some() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "A new provider has no id; to change one, PUT /api/v1/providers/{id}.",
        ));
    }
    Ok(json(StatusCode::CREATED, &run(&s, c, || providers::save(form)).await?))
}

/// Needs the Operator role or above.
#[utoipa::path(put, path = "/api/v1/providers/{id}", tag = "providers", params(("id" = Uuid, Path, description = "Its id")), request_body = ProviderForm, responses((status = 200, description = "Changed (an empty secret keeps the stored one)", body = ProviderView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub(super) async fn update_provider(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    PathOf(id): PathOf<Uuid>,
    Body(mut form): Body<ProviderForm>,
) -> Answer {
    if form.id.is_some_and(|given| given != id) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "The body's id differs from the path's.",
        ));
    }
    form.id = Some(id);
    Ok(json(StatusCode::OK, &run(&s, c, || providers::save(form)).await?))
}

/// Needs the Admin role or above.
#[utoipa::path(delete, path = "/api/v1/providers/{id}", tag = "providers", params(("id" = Uuid, Path, description = "Its id")), responses((status = 204, description = "Deleted"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub(super) async fn delete_provider(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    PathOf(id): PathOf<Uuid>,
) -> Answer {
    run(&s, c, || providers::delete(id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Any role.
#[utoipa::path(post, path = "/api/v1/providers/{id}/test", tag = "providers", params(("id" = Uuid, Path, description = "Its id")), responses((status = 200, description = "Health after a fresh check", body = ProviderView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub(super) async fn test_provider(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    PathOf(id): PathOf<Uuid>,
) -> Answer {
    Ok(json(StatusCode::OK, &run(&s, c, || providers::check_now(id)).await?))
}

/// Needs the Operator role or above.
#[utoipa::path(post, path = "/api/v1/providers/test", tag = "providers", request_body = ProviderForm, responses((status = 200, description = "Connection test of unsaved settings", body = TestReport), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub(super) async fn test_provider_form(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    Body(form): Body<ProviderForm>,
) -> Answer {
    Ok(json(StatusCode::OK, &run(&s, c, || providers::test(form)).await?))
}

/// Any role.
#[utoipa::path(get, path = "/api/v1/migrations", tag = "migrations", responses((status = 200, description = "Every migration, running ones first", body = Vec<JobView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub(super) async fn list_migrations(State(s): State<ServerState>, ApiCaller(c): ApiCaller) -> Answer {
    Ok(json(StatusCode::OK, &run(&s, c, migrations::list).await?))
}

/// Any role.
#[utoipa::path(get, path = "/api/v1/migrations/{id}", tag = "migrations", params(("id" = Uuid, Path, description = "Its id")), responses((status = 200, description = "One migration with its counters", body = JobView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub(super) async fn get_migration(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    PathOf(id): PathOf<Uuid>,
) -> Answer {
    Ok(json(StatusCode::OK, &run(&s, c, || migrations::get(id)).await?))
}

/// Needs the Operator role or above.
#[utoipa::path(post, path = "/api/v1/migrations", tag = "migrations", request_body = JobForm, responses((status = 201, description = "Created (not started)", body = JobView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub(super) async fn create_migration(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    Body(form): Body<JobForm>,
) -> Answer {
    Ok(json(StatusCode::CREATED, &run(&s, c, || migrations::create(form)).await?))
}

/// Needs the Operator role or above.
#[utoipa::path(post, path = "/api/v1/migrations/plan", tag = "migrations", request_body = JobForm, responses((status = 200, description = "Dry-run plan with time and cost estimates; stores nothing", body = Estimate), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub(super) async fn plan_migration(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    Body(form): Body<JobForm>,
) -> Answer {
    Ok(json(StatusCode::OK, &run(&s, c, || wizard::estimate(form)).await?))
}

/// Optional body of `retry`: only these source keys (all failed items when absent).
#[derive(utoipa::ToSchema, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryBody {
    #[serde(default)]
    keys: Option<Vec<String>>,
}

/// Needs the Operator role or above.
#[utoipa::path(post, path = "/api/v1/migrations/{id}/{action}", tag = "migrations", params(("id" = Uuid, Path, description = "The migration"), ("action" = String, Path, description = "start, pause, resume, cancel, retry or rollback")), request_body = RetryBody, responses((status = 200, description = "The migration after the action", body = JobView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub(super) async fn act_on_migration(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    PathOf((id, action)): PathOf<(Uuid, String)>,
    body: axum::body::Bytes,
) -> Answer {
    let view = match action.as_str() {
        "start" => run(&s, c, || migrations::start(id)).await?,
        "pause" => run(&s, c, || migrations::pause(id)).await?,
        "resume" => run(&s, c, || migrations::resume(id)).await?,
        "cancel" => run(&s, c, || migrations::cancel(id)).await?,
        "rollback" => run(&s, c, || migrations::roll_back(id)).await?,
        "retry" => {
            let keys = super::optional_json::<RetryBody>(&body)?.unwrap_or_default().keys;
            run(&s, c, || migrations::retry_failed(id, keys)).await?
        }
        _ => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "A migration can be started, paused, resumed, cancelled, retried or rolled back: \
                 POST …/start, …/pause, …/resume, …/cancel, …/retry or …/rollback.",
            ));
        }
    };
    Ok(json(StatusCode::OK, &view))
}

/// Body of `bandwidth`.
#[derive(utoipa::ToSchema, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandwidthBody {
    bytes_per_second: Option<i64>,
}

/// Needs the Operator role or above.
#[utoipa::path(put, path = "/api/v1/migrations/{id}/bandwidth", tag = "migrations", params(("id" = Uuid, Path, description = "Its id")), request_body = BandwidthBody, responses((status = 200, description = "The migration with its new limit", body = JobView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub(super) async fn set_bandwidth(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    PathOf(id): PathOf<Uuid>,
    Body(body): Body<BandwidthBody>,
) -> Answer {
    Ok(json(StatusCode::OK, &run(&s, c, || migrations::set_bandwidth(id, body.bytes_per_second)).await?))
}

/// Query of `items`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ItemsQuery {
    status: Option<ItemStatus>,
    search: Option<String>,
    after: Option<String>,
    limit: Option<i64>,
}

/// A page of items and the cursor for the next one.
#[derive(utoipa::ToSchema, Debug, Serialize)]
pub struct ItemsPage {
    items: Vec<ItemView>,
    /// Pass as `after` for the next page; absent on the last page.
    next: Option<String>,
}

/// Any role.
#[utoipa::path(get, path = "/api/v1/migrations/{id}/items", tag = "migrations", params(("id" = Uuid, Path, description = "The migration"), ("status" = Option<ItemStatus>, Query, description = "Only items in this status"), ("search" = Option<String>, Query, description = "Part of the source key, any case"), ("after" = Option<String>, Query, description = "The previous page's `next`"), ("limit" = Option<i64>, Query, description = "1 to 1000, 100 when absent")), responses((status = 200, description = "A page of items in key order", body = ItemsPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub(super) async fn migration_items(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    PathOf(id): PathOf<Uuid>,
    QueryOf(q): QueryOf<ItemsQuery>,
) -> Answer {
    if q.limit.is_some_and(|l| !(1..=1000).contains(&l)) {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "limit is 1 to 1000."));
    }
    let query = ItemQuery { status: q.status, search: q.search, after: q.after, limit: q.limit };
    let page = run(&s, c, || migrations::items(id, query)).await?;
    let next = if page.more { page.items.last().map(|i| i.source_key.clone()) } else { None };
    Ok(json(StatusCode::OK, &ItemsPage { items: page.items, next }))
}

/// Any role.
#[utoipa::path(get, path = "/api/v1/migrations/{id}/report.csv", tag = "migrations", params(("id" = Uuid, Path, description = "The migration"), ("plan" = Option<bool>, Query, description = "The plan instead of the results")), responses((status = 200, description = "Every item as CSV (or the plan with plan=true)", content_type = "text/csv"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub(super) async fn migration_report(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    PathOf(id): PathOf<Uuid>,
    QueryOf(q): QueryOf<ReportQuery>,
) -> Answer {
    // Reading the migration first answers 404 and checks the role the usual way.
    run(&s, c, || migrations::get(id)).await?;
    Ok(crate::report::job_csv(s.app.store.clone(), &id.to_string(), q.plan.unwrap_or(false)).await)
}

/// Query of `report.csv`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReportQuery {
    plan: Option<bool>,
}

/// Query of `documents`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DocumentsQuery {
    search: Option<String>,
    after: Option<Uuid>,
    limit: Option<i64>,
}

/// Any role.
#[utoipa::path(get, path = "/api/v1/documents", tag = "documents", params(("search" = Option<String>, Query, description = "Part of a title or key"), ("after" = Option<Uuid>, Query, description = "The last id of the previous page"), ("limit" = Option<i64>, Query, description = "1 to 500, 50 when absent")), responses((status = 200, description = "A page of the catalog", body = DocumentPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub(super) async fn list_documents(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    QueryOf(q): QueryOf<DocumentsQuery>,
) -> Answer {
    if q.limit.is_some_and(|l| !(1..=500).contains(&l)) {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "limit is 1 to 500."));
    }
    Ok(json(StatusCode::OK, &run(&s, c, || catalog::list(q.search, q.after, q.limit)).await?))
}

/// Any role.
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents", params(("id" = Uuid, Path, description = "Its id")), responses((status = 200, description = "A document with its copies", body = DocumentDetail), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub(super) async fn get_document(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    PathOf(id): PathOf<Uuid>,
) -> Answer {
    Ok(json(StatusCode::OK, &run(&s, c, || catalog::get(id)).await?))
}

/// Needs the Admin role or above.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery), responses((status = 200, description = "A page of the audit log, newest first", body = AuditPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub(super) async fn audit_log(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    QueryOf(q): QueryOf<AuditQuery>,
) -> Answer {
    Ok(json(StatusCode::OK, &run(&s, c, || security::audit_page(q)).await?))
}
