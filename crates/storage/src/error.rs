//! `ProviderError`: what went wrong, as a kind the engine can act on, and whether
//! trying again may help. The engine decides from these predicates, never from text.

use std::fmt;
use std::time::Duration;

/// A provider result.
pub type Result<T, E = ProviderError> = std::result::Result<T, E>;

/// What kind of failure this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The object (or version) does not exist.
    NotFound,
    /// A conditional create found the object already there.
    AlreadyExists,
    /// Credentials or permissions refuse the operation.
    PermissionDenied,
    /// The provider asks us to slow down.
    RateLimited,
    /// A precondition (If-Match, If-None-Match) failed.
    PreconditionFailed,
    /// The provider's configuration is wrong (bucket missing, bad endpoint).
    InvalidConfig,
    /// The request is not acceptable (a key this provider cannot store or reach).
    InvalidInput,
    /// The provider cannot do this at all.
    Unsupported,
    /// The bytes do not match their declared checksum (corrupted in transit).
    ChecksumMismatch,
    /// Anything else: network failures, server errors, corrupt responses.
    Unexpected,
}

impl ErrorKind {
    /// A stable snake-case name, stored with failed items.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::AlreadyExists => "already_exists",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::PreconditionFailed => "precondition_failed",
            ErrorKind::InvalidConfig => "invalid_config",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::ChecksumMismatch => "checksum_mismatch",
            ErrorKind::Unexpected => "unexpected",
        }
    }
}

/// Whether trying the same operation again may succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// It will fail the same way.
    Permanent,
    /// It may work later (after `retry_after`, when given).
    Temporary,
}

/// A failed provider operation.
#[derive(Debug, thiserror::Error)]
pub struct ProviderError {
    kind: ErrorKind,
    retry: Retry,
    op: &'static str,
    key: Option<String>,
    message: String,
    retry_after: Option<Duration>,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed", self.op)?;
        if let Some(key) = &self.key {
            write!(f, " for `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl ProviderError {
    /// A new error; the retry class defaults from the kind (rate limits and
    /// unexpected failures are temporary, the rest permanent).
    #[must_use]
    pub fn new(kind: ErrorKind, op: &'static str, message: impl Into<String>) -> Self {
        let retry = match kind {
            // A corrupted transfer may well succeed when the bytes are sent again.
            ErrorKind::RateLimited | ErrorKind::Unexpected | ErrorKind::ChecksumMismatch => Retry::Temporary,
            _ => Retry::Permanent,
        };
        Self { kind, retry, op, key: None, message: message.into(), retry_after: None, source: None }
    }

    /// The operation is not available on this provider.
    #[must_use]
    pub fn unsupported(op: &'static str) -> Self {
        Self::new(ErrorKind::Unsupported, op, "this provider does not support it")
    }

    /// Names the key concerned.
    #[must_use]
    pub fn with_key(mut self, key: impl fmt::Display) -> Self {
        self.key = Some(key.to_string());
        self
    }

    /// Overrides the retry class.
    #[must_use]
    pub fn with_retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// How long the provider asked us to wait.
    #[must_use]
    pub fn with_retry_after(mut self, after: Duration) -> Self {
        self.retry_after = Some(after);
        self
    }

    /// Keeps the underlying error for logs.
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// The kind.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The operation that failed (`get`, `put`, …).
    #[must_use]
    pub fn op(&self) -> &'static str {
        self.op
    }

    /// The key concerned, if any.
    #[must_use]
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The message, without operation and key.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The wait the provider asked for, if any.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Whether trying again may help.
    #[must_use]
    pub fn is_temporary(&self) -> bool {
        self.retry == Retry::Temporary
    }

    /// Whether the object was not there.
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }

    /// Whether the provider cannot do this at all.
    #[must_use]
    pub fn is_unsupported(&self) -> bool {
        self.kind == ErrorKind::Unsupported
    }

    /// An I/O error, classified: missing files are `NotFound`, permissions are
    /// `PermissionDenied`, interrupted or timed-out calls are temporary.
    #[must_use]
    pub fn from_io(op: &'static str, err: std::io::Error) -> Self {
        use std::io::ErrorKind as Io;
        let kind = match err.kind() {
            Io::NotFound => ErrorKind::NotFound,
            Io::PermissionDenied | Io::ReadOnlyFilesystem => ErrorKind::PermissionDenied,
            Io::AlreadyExists => ErrorKind::AlreadyExists,
            Io::InvalidInput | Io::InvalidFilename | Io::NotADirectory | Io::IsADirectory => {
                ErrorKind::InvalidInput
            }
            _ => ErrorKind::Unexpected,
        };
        let retry = match err.kind() {
            Io::Interrupted | Io::TimedOut | Io::WouldBlock => Retry::Temporary,
            Io::StorageFull | Io::QuotaExceeded => Retry::Temporary,
            _ if kind == ErrorKind::Unexpected => Retry::Temporary,
            _ => Retry::Permanent,
        };
        Self::new(kind, op, err.to_string()).with_retry(retry).with_source(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_class_follows_the_kind() {
        assert!(ProviderError::new(ErrorKind::RateLimited, "put", "slow down").is_temporary());
        assert!(!ProviderError::new(ErrorKind::NotFound, "get", "gone").is_temporary());
        let io = ProviderError::from_io("get", std::io::Error::from(std::io::ErrorKind::NotFound));
        assert!(io.is_not_found() && !io.is_temporary());
        let io = ProviderError::from_io("put", std::io::Error::from(std::io::ErrorKind::TimedOut));
        assert!(io.is_temporary());
    }

    #[test]
    fn display_names_operation_and_key() {
        let err = ProviderError::new(ErrorKind::PermissionDenied, "put", "access denied").with_key("a/b.txt");
        assert_eq!(err.to_string(), "put failed for `a/b.txt`: access denied");
        assert_eq!(err.kind().as_str(), "permission_denied");
    }
}
