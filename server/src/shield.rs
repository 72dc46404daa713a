//! What every request passes before and after the handlers: changes from other
//! sites are refused, and every response carries the security headers.

use axum::extract::{Request, State};
use axum::http::header::{
    CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::origin::same_origin;
use crate::state::ServerState;

/// The policy for everything that is not a console page (pages set their own,
/// with the nonce of their inline scripts): nothing may load, nothing may frame it.
pub const STRICT_POLICY: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Whether a request may change state: safe methods always; the JSON API always
/// (it accepts bearer tokens only, which a browser never attaches by itself);
/// anything else only from Ferry's own pages, proven by `Origin`, or by
/// `Sec-Fetch-Site: same-origin` where a browser sent no `Origin`.
#[must_use]
pub fn may_change_state(
    method: &Method,
    path: &str,
    headers: &axum::http::HeaderMap,
    public: Option<&str>,
) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) || path.starts_with("/api/v1/") {
        return true;
    }
    if headers.contains_key(axum::http::header::ORIGIN) {
        return same_origin(headers, public);
    }
    headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("same-origin")
}

/// Refuses cross-site changes with 403 before any handler runs.
pub async fn same_site_only(State(state): State<ServerState>, req: Request, next: Next) -> Response {
    if may_change_state(req.method(), req.uri().path(), req.headers(), state.public_origin.as_deref()) {
        return next.run(req).await;
    }
    tracing::warn!(path = %req.uri().path(), "refused a cross-site request");
    let error = app::error::AppError::Request(
        "Ferry refused this request because it came from another site. Use Ferry's own pages, or the JSON API with a token."
            .to_owned(),
    );
    let body = serde_json::to_string(&error).unwrap_or_default();
    (StatusCode::FORBIDDEN, [(CONTENT_TYPE, "application/json")], body).into_response()
}

/// Adds the security headers to every response (HSTS only when Ferry is served
/// over https).
pub async fn headers(State(state): State<ServerState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.entry(CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(STRICT_POLICY));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin"));
    h.insert(
        HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if state.public_origin.as_deref().is_some_and(|o| o.starts_with("https://")) {
        h.insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("127.0.0.1:3000"));
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn reads_and_the_token_api_pass() {
        let cross = headers(&[("origin", "http://evil.example")]);
        assert!(may_change_state(&Method::GET, "/api/providers/list", &cross, None));
        assert!(may_change_state(&Method::POST, "/api/v1/migrations", &cross, None));
    }

    #[test]
    fn changes_need_this_site() {
        let own = headers(&[("origin", "http://127.0.0.1:3000")]);
        assert!(may_change_state(&Method::POST, "/api/login", &own, None));
        let cross = headers(&[("origin", "http://evil.example"), ("sec-fetch-site", "same-origin")]);
        assert!(!may_change_state(&Method::POST, "/api/login", &cross, None));
        let fetch_meta = headers(&[("sec-fetch-site", "same-origin")]);
        assert!(may_change_state(&Method::POST, "/api/login", &fetch_meta, None));
        let other = headers(&[("sec-fetch-site", "cross-site")]);
        assert!(!may_change_state(&Method::DELETE, "/api/login", &other, None));
        assert!(!may_change_state(&Method::POST, "/api/login", &headers(&[]), None));
    }

    #[test]
    fn no_server_function_answers_get() {
        // GET never changes state: every server function takes POST, so the
        // cross-site check above sees every one of them.
        let registered: Vec<_> = leptos::server_fn::axum::server_fn_paths().collect();
        assert!(registered.len() >= 40, "all server functions are registered: {}", registered.len());
        for (path, method) in registered {
            assert_eq!(method, Method::POST, "{path}");
        }
    }
}
