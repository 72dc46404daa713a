//! The same-origin check for requests that change state or open the live channel.

use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};

/// `scheme://host[:port]` of a URL, lowercased, default ports dropped.
#[must_use]
pub fn origin_of(url: &url::Url) -> String {
    url.origin().ascii_serialization()
}

/// Whether the request's `Origin` is Ferry's own: the configured public origin, or
/// else the `Host` the request was sent to. A request without `Origin` is refused.
#[must_use]
pub fn same_origin(headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Ok(parsed) = url::Url::parse(origin) else { return false };
    let origin = origin_of(&parsed);
    if let Some(expected) = public_origin {
        return origin == expected;
    }
    let Some(host) = headers.get(HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    ["http", "https"].iter().any(|scheme| {
        url::Url::parse(&format!("{scheme}://{host}")).is_ok_and(|own| origin_of(&own) == origin)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&'static str>, host: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(HOST, HeaderValue::from_static(host));
        if let Some(o) = origin {
            h.insert(ORIGIN, HeaderValue::from_static(o));
        }
        h
    }

    #[test]
    fn own_host_is_accepted() {
        assert!(same_origin(&headers(Some("http://127.0.0.1:3000"), "127.0.0.1:3000"), None));
        assert!(same_origin(&headers(Some("https://ferry.example"), "ferry.example"), None));
    }

    #[test]
    fn other_sites_and_missing_origins_are_refused() {
        assert!(!same_origin(&headers(Some("http://evil.example"), "127.0.0.1:3000"), None));
        assert!(!same_origin(&headers(Some("http://127.0.0.1:3001"), "127.0.0.1:3000"), None));
        assert!(!same_origin(&headers(None, "127.0.0.1:3000"), None));
        assert!(!same_origin(&headers(Some("null"), "127.0.0.1:3000"), None));
    }

    #[test]
    fn configured_public_origin_wins() {
        let public = Some("https://ferry.example");
        assert!(same_origin(&headers(Some("https://ferry.example"), "10.0.0.5:3000"), public));
        assert!(!same_origin(&headers(Some("http://10.0.0.5:3000"), "10.0.0.5:3000"), public));
    }
}
