//! `/api/v1`: the JSON API for scripts. Every call carries an API token
//! (`Authorization: Bearer fry_…`); cookies are ignored, so a browser cannot be
//! tricked into calling it. Handlers run the same logic as the console's server
//! functions, with the token's caller in place of a session, and every error is
//! `{"error": {"code", "message", "field"?}}` with a stable code.

mod handlers;
pub mod openapi;

use std::future::Future;

use app::error::AppError;
use app::ssr::{Caller, TokenCaller};
use axum::Router;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use leptos::prelude::provide_context;
use leptos::reactive::computed::ScopedFuture;
use leptos::reactive::owner::Owner;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::state::ServerState;

/// The largest request body the API reads.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The API's routes, under `/api/v1`.
pub fn router() -> Router<ServerState> {
    handlers::routes().layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// Every error answer: `{"error": {...}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    error: ApiError,
}

/// An error as the API sends it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApiError {
    #[serde(skip)]
    #[schema(ignore)]
    status: StatusCode,
    /// Stable, machine-readable: `unauthenticated`, `forbidden`, `not_found`, …
    code: &'static str,
    /// For a person.
    message: String,
    /// The field at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    /// Every field at fault, when several are.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fields: Vec<ferry_model::provider::FieldProblem>,
}

impl ApiError {
    /// An error with a status, a code and a message.
    #[must_use]
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), field: None, fields: Vec::new() }
    }

    /// 400 for a request Ferry cannot read: `what` is not valid, with the parser's words.
    #[must_use]
    pub fn unreadable(what: &str, detail: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", format!("{what} is not valid: {}", short(detail)))
    }

    /// 404 for something the caller named.
    #[must_use]
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} was not found."))
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        let message = error.to_string();
        let status = StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let code = match &error {
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::Invalid { .. } | AppError::Fields(_) => "invalid",
            AppError::Conflict(_) => "conflict",
            AppError::NotFound(_) => "not_found",
            AppError::Throttled(_) => "throttled",
            AppError::Unavailable => "unavailable",
            AppError::Internal { .. } => "internal",
            AppError::Request(_) => "bad_request",
        };
        let mut out = Self::new(status, code, message);
        match error {
            AppError::Invalid { field, .. } => out.field = Some(field),
            AppError::Fields(problems) => out.fields = problems,
            _ => {}
        }
        out
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status;
        let mut res = (status, axum::Json(ErrorBody { error: self })).into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        res
    }
}

/// The caller behind the request's bearer token.
#[derive(Debug, Clone)]
pub struct ApiCaller(pub Caller);

impl FromRequestParts<ServerState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ServerState) -> Result<Self, Self::Rejection> {
        let unauthenticated = |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", m);
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(unauthenticated(
                "Send an API token: Authorization: Bearer fry_… (make one on your Settings page).",
            ));
        };
        let secret = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(|| unauthenticated("The Authorization header must be `Bearer <token>`."))?;
        let addr = parts.extensions.get::<ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string());
        match app::ssr::security::caller_of_token(state.app.store.as_ref(), secret, addr).await {
            Ok(Ok(caller)) => Ok(ApiCaller(caller)),
            Ok(Err(refusal)) => Err(unauthenticated(refusal.message())),
            Err(e) => Err(e.into()),
        }
    }
}

/// A JSON body whose every fault is answered in the API's error shape: 400 for
/// malformed JSON, 413 for too large, 415 without a JSON content type, 422 for
/// unknown fields, missing fields and wrong types.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

fn json_rejection(rejection: &JsonRejection) -> ApiError {
    let detail = rejection.body_text();
    match rejection {
        JsonRejection::JsonDataError(_) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!("The JSON does not fit this call: {}", short(&detail)),
        ),
        JsonRejection::JsonSyntaxError(_) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("The body is not JSON: {}", short(&detail)),
        ),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as JSON, with Content-Type: application/json.",
        ),
        _ if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("The body is larger than {} KiB.", MAX_BODY_BYTES / 1024),
        ),
        _ => ApiError::unreadable("The body", &detail),
    }
}

/// An optional JSON body: none when empty, else parsed like [`Body`].
///
/// # Errors
/// 400 for malformed JSON, 422 for JSON that does not fit.
pub fn optional_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<Option<T>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(bytes).map(Some).map_err(|e| {
        if e.is_data() {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("The JSON does not fit this call: {}", short(&e.to_string())),
            )
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("The body is not JSON: {}", short(&e.to_string())),
            )
        }
    })
}

/// At most 300 characters of a parser's message (it may quote the input).
fn short(text: &str) -> String {
    let mut out: String = text.chars().filter(|c| !c.is_control()).take(300).collect();
    if text.chars().count() > 300 {
        out.push('…');
    }
    out
}

/// Path parameters, with a malformed one answered as 400.
#[derive(Debug)]
pub struct PathOf<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PathOf<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| PathOf(p.0))
            .map_err(|e: PathRejection| ApiError::unreadable("The path", &e.body_text()))
    }
}

/// Query parameters, with a malformed one answered as 400.
#[derive(Debug)]
pub struct QueryOf<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryOf<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| QueryOf(q.0))
            .map_err(|e: QueryRejection| ApiError::unreadable("The query string", &e.body_text()))
    }
}

/// Runs console logic as the token's caller: the same checks, the same audit
/// entries, the same errors as the console's server functions.
pub async fn run<T, F, Fut>(state: &ServerState, caller: Caller, body: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    let owner = Owner::new();
    let app = state.app.clone();
    let future = owner.with(|| {
        provide_context(app);
        provide_context(TokenCaller(caller));
        ScopedFuture::new(body())
    });
    future.await.map_err(ApiError::from)
}

/// A JSON answer with a status.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    (status, axum::Json(value)).into_response()
}
