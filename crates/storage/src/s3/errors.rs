//! From the SDK's errors to `ProviderError`, by status and error code, never
//! carrying credentials or signatures.

use std::time::Duration;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use crate::{ErrorKind, ObjectKey, ProviderError, Retry};

/// Maps any SDK operation error.
pub(crate) fn map_sdk_error<E>(
    op: &'static str,
    key: Option<&ObjectKey>,
    err: SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let mapped = match &err {
        SdkError::TimeoutError(_) => ProviderError::new(ErrorKind::Unexpected, op, "the request timed out")
            .with_retry(Retry::Temporary),
        SdkError::DispatchFailure(failure) => {
            let why = if failure.is_timeout() {
                "timed out connecting to the endpoint"
            } else if failure.is_io() {
                "cannot reach the endpoint (connection failed)"
            } else {
                "the request could not be sent"
            };
            ProviderError::new(ErrorKind::Unexpected, op, why).with_retry(Retry::Temporary)
        }
        SdkError::ResponseError(_) => {
            ProviderError::new(ErrorKind::Unexpected, op, "the service sent a response Ferry could not read")
                .with_retry(Retry::Temporary)
        }
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let code = service.err().code().unwrap_or_default().to_owned();
            let message = service.err().message().unwrap_or_default().to_owned();
            let retry_after = service
                .raw()
                .headers()
                .get("retry-after")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            from_status(op, status, &code, &message, retry_after)
        }
        _ => ProviderError::new(ErrorKind::Unexpected, op, "the request could not be built"),
    };
    match key {
        Some(k) => mapped.with_key(k),
        None => mapped,
    }
}

/// Classifies an S3 error response.
pub(crate) fn from_status(
    op: &'static str,
    status: u16,
    code: &str,
    message: &str,
    retry_after: Option<Duration>,
) -> ProviderError {
    let kind = match (status, code) {
        (_, "NoSuchBucket") => ErrorKind::InvalidConfig,
        (
            _,
            "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "AccessDenied" | "InvalidToken" | "ExpiredToken",
        ) => ErrorKind::PermissionDenied,
        (_, "BadDigest" | "InvalidDigest" | "XAmzContentSHA256Mismatch" | "InvalidChecksum") => {
            ErrorKind::ChecksumMismatch
        }
        (_, "SlowDown" | "TooManyRequests" | "RequestLimitExceeded") | (429, _) => ErrorKind::RateLimited,
        (404, _) | (_, "NoSuchKey" | "NoSuchVersion") => ErrorKind::NotFound,
        (401 | 403, _) => ErrorKind::PermissionDenied,
        (412, _) => ErrorKind::PreconditionFailed,
        (409, _) => ErrorKind::AlreadyExists,
        (501, _) | (_, "NotImplemented") => ErrorKind::Unsupported,
        (400..=499, _) => ErrorKind::InvalidInput,
        _ => ErrorKind::Unexpected,
    };
    let text = match (code.is_empty(), message.is_empty()) {
        (true, _) => format!("HTTP {status}"),
        (false, true) => format!("{code} (HTTP {status})"),
        (false, false) => format!("{code}: {message} (HTTP {status})"),
    };
    let mut err = ProviderError::new(kind, op, text);
    if status == 503 || status >= 500 && kind == ErrorKind::Unexpected {
        err = err.with_retry(Retry::Temporary);
    }
    if let Some(after) = retry_after {
        err = err.with_retry_after(after);
    }
    err
}

/// Percent-encodes a query-string component (everything but unreserved characters).
pub(crate) fn encode_query(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Percent-encodes a key for `x-amz-copy-source` (everything but unreserved and `/`).
pub(crate) fn encode_copy_source(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for byte in key.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_codes_map_to_kinds() {
        let kind = |status, code| from_status("get", status, code, "", None).kind();
        assert_eq!(kind(404, ""), ErrorKind::NotFound);
        assert_eq!(kind(404, "NoSuchBucket"), ErrorKind::InvalidConfig);
        assert_eq!(kind(403, "SignatureDoesNotMatch"), ErrorKind::PermissionDenied);
        assert_eq!(kind(400, "BadDigest"), ErrorKind::ChecksumMismatch);
        assert_eq!(kind(503, "SlowDown"), ErrorKind::RateLimited);
        assert_eq!(kind(412, ""), ErrorKind::PreconditionFailed);
        assert_eq!(kind(400, "InvalidArgument"), ErrorKind::InvalidInput);
        let busy = from_status("put", 503, "ServiceUnavailable", "", Some(Duration::from_secs(3)));
        assert!(busy.is_temporary());
        assert_eq!(busy.retry_after(), Some(Duration::from_secs(3)));
        assert!(!from_status("get", 403, "AccessDenied", "", None).is_temporary());
    }

    #[test]
    fn copy_sources_are_encoded() {
        assert_eq!(encode_copy_source("a b/c+d%#?.txt"), "a%20b/c%2Bd%25%23%3F.txt");
        assert_eq!(encode_copy_source("caf\u{e9}"), "caf%C3%A9");
    }
}
