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

use super::{ApiCaller, ApiError, Body, PathOf, QueryOf, json, run};
use crate::state::ServerState;

pub(super) fn routes() -> Router<ServerState> {
    Router::new()
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

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "There is no such API call.")
}

/// Who the token acts for.
#[derive(Debug, Serialize)]
pub(super) struct Me {
    username: String,
    role: Role,
    token: Option<String>,
}

async fn me(ApiCaller(caller): ApiCaller) -> Answer {
    let me = Me { username: caller.user.username, role: caller.user.role, token: caller.token };
    Ok(json(StatusCode::OK, &me))
}

async fn list_providers(State(s): State<ServerState>, ApiCaller(c): ApiCaller) -> Answer {
    Ok(json(StatusCode::OK, &run(&s, c, providers::list).await?))
}

async fn get_provider(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    PathOf(id): PathOf<Uuid>,
) -> Answer {
    Ok(json(StatusCode::OK, &run(&s, c, || providers::get(id)).await?))
}

async fn create_provider(
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

async fn update_provider(
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

async fn delete_provider(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    PathOf(id): PathOf<Uuid>,
) -> Answer {
    run(&s, c, || providers::delete(id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn test_provider(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    PathOf(id): PathOf<Uuid>,
) -> Answer {
    Ok(json(StatusCode::OK, &run(&s, c, || providers::check_now(id)).await?))
}

async fn test_provider_form(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    Body(form): Body<ProviderForm>,
) -> Answer {
    Ok(json(StatusCode::OK, &run(&s, c, || providers::test(form)).await?))
}

async fn list_migrations(State(s): State<ServerState>, ApiCaller(c): ApiCaller) -> Answer {
    Ok(json(StatusCode::OK, &run(&s, c, migrations::list).await?))
}

async fn get_migration(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    PathOf(id): PathOf<Uuid>,
) -> Answer {
    Ok(json(StatusCode::OK, &run(&s, c, || migrations::get(id)).await?))
}

async fn create_migration(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    Body(form): Body<JobForm>,
) -> Answer {
    Ok(json(StatusCode::CREATED, &run(&s, c, || migrations::create(form)).await?))
}

async fn plan_migration(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    Body(form): Body<JobForm>,
) -> Answer {
    Ok(json(StatusCode::OK, &run(&s, c, || wizard::estimate(form)).await?))
}

/// Optional body of `retry`: only these source keys (all failed items when absent).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RetryBody {
    #[serde(default)]
    keys: Option<Vec<String>>,
}

async fn act_on_migration(
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BandwidthBody {
    bytes_per_second: Option<i64>,
}

async fn set_bandwidth(
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
#[derive(Debug, Serialize)]
pub(super) struct ItemsPage {
    items: Vec<ItemView>,
    /// Pass as `after` for the next page; absent on the last page.
    next: Option<String>,
}

async fn migration_items(
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

async fn migration_report(
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

async fn list_documents(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    QueryOf(q): QueryOf<DocumentsQuery>,
) -> Answer {
    if q.limit.is_some_and(|l| !(1..=500).contains(&l)) {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "limit is 1 to 500."));
    }
    Ok(json(StatusCode::OK, &run(&s, c, || catalog::list(q.search, q.after, q.limit)).await?))
}

async fn get_document(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    PathOf(id): PathOf<Uuid>,
) -> Answer {
    Ok(json(StatusCode::OK, &run(&s, c, || catalog::get(id)).await?))
}

async fn audit_log(
    State(s): State<ServerState>,
    ApiCaller(c): ApiCaller,
    QueryOf(q): QueryOf<AuditQuery>,
) -> Answer {
    Ok(json(StatusCode::OK, &run(&s, c, || security::audit_page(q)).await?))
}
