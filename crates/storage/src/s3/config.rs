//! The S3 provider's settings.

use std::fmt;
use std::time::Duration;

use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDns, ResolveDnsError};

use crate::{ErrorKind, ProviderError, Result};

/// Whether the SDK adds its own checksums to requests and checks responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChecksumBehaviour {
    /// Only where the S3 API requires it: works with every server (the default).
    #[default]
    WhenRequired,
    /// Wherever the SDK can (its own default since 2025; breaks some servers).
    WhenSupported,
}

/// How to reach a bucket.
#[derive(Clone)]
pub struct S3Config {
    /// The service URL; `None` means AWS S3 itself.
    pub endpoint: Option<String>,
    /// The region (`us-east-1`, `auto` for R2, …).
    pub region: String,
    /// The bucket.
    pub bucket: String,
    /// A key prefix inside the bucket: empty, or ending with `/`.
    pub prefix: String,
    /// Address the bucket in the path (MinIO, Ceph, most self-hosted servers).
    pub path_style: bool,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key; never printed.
    pub secret_access_key: String,
    /// Session token, for temporary credentials; never printed.
    pub session_token: Option<String>,
    /// Bodies larger than this go multipart.
    pub multipart_threshold: u64,
    /// Size of each multipart part (S3 needs at least 5 MiB except for the last).
    pub part_size: u64,
    /// Parts uploaded at once for one object.
    pub part_concurrency: usize,
    /// How long to wait for a connection.
    pub connect_timeout: Duration,
    /// How long a read may stall before the request fails.
    pub read_timeout: Duration,
    /// The SDK's own checksum behaviour.
    pub checksums: ChecksumBehaviour,
    /// Send each body's SHA-256 as `x-amz-checksum-sha256` (the server then refuses
    /// damaged bytes). Turn off for servers that reject the header.
    pub send_checksums: bool,
    /// The server honours `If-None-Match: *` on PutObject.
    pub conditional_writes: bool,
    /// The longest key the server stores (1024 on AWS; some servers less).
    pub max_key_bytes: usize,
    /// The server stores object tags (AWS, MinIO, Ceph; not every small server).
    pub tags: bool,
    /// Checked on every address the endpoint's name resolves to, each time a
    /// connection is made: a refused address is never connected to, so a name that
    /// starts resolving to a cloud metadata address later is still refused.
    pub address_guard: Option<AddressGuard>,
}

/// Says why an address may not be connected to, if it may not.
pub type AddressGuard = std::sync::Arc<dyn Fn(std::net::IpAddr) -> Option<&'static str> + Send + Sync>;

/// Resolves names with the system resolver and drops the addresses the guard refuses.
#[derive(Clone)]
struct GuardedResolver(AddressGuard);

impl fmt::Debug for GuardedResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GuardedResolver")
    }
}

impl ResolveDns for GuardedResolver {
    fn resolve_dns<'a>(&'a self, name: &'a str) -> DnsFuture<'a> {
        DnsFuture::new(async move {
            let found = tokio::net::lookup_host((name, 0)).await.map_err(ResolveDnsError::new)?;
            let mut refused = None;
            let allowed: Vec<std::net::IpAddr> = found
                .map(|a| a.ip())
                .filter(|ip| match (self.0)(*ip) {
                    Some(why) => {
                        refused = Some(why);
                        false
                    }
                    None => true,
                })
                .collect();
            match (allowed.is_empty(), refused) {
                (true, Some(why)) => {
                    Err(ResolveDnsError::new(format!("{name} resolves to a refused address: {why}")))
                }
                _ => Ok(allowed),
            }
        })
    }
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("path_style", &self.path_style)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.as_ref().map(|_| "<redacted>"))
            .field("multipart_threshold", &self.multipart_threshold)
            .field("part_size", &self.part_size)
            .field("part_concurrency", &self.part_concurrency)
            .finish_non_exhaustive()
    }
}

const MIB: u64 = 1024 * 1024;

impl S3Config {
    /// Settings for `bucket` at `endpoint` with the defaults for everything else.
    #[must_use]
    pub fn new(endpoint: Option<String>, bucket: &str, access_key_id: &str, secret_access_key: &str) -> Self {
        Self {
            endpoint,
            region: "us-east-1".to_owned(),
            bucket: bucket.to_owned(),
            prefix: String::new(),
            path_style: true,
            access_key_id: access_key_id.to_owned(),
            secret_access_key: secret_access_key.to_owned(),
            session_token: None,
            multipart_threshold: 16 * MIB,
            part_size: 16 * MIB,
            part_concurrency: 4,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            checksums: ChecksumBehaviour::WhenRequired,
            send_checksums: true,
            conditional_writes: false,
            max_key_bytes: 1024,
            tags: true,
            address_guard: None,
        }
    }

    /// Checks the settings before any request.
    ///
    /// # Errors
    /// `InvalidConfig` naming the setting.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(ProviderError::new(ErrorKind::InvalidConfig, "configure", m));
        if let Some(endpoint) = &self.endpoint
            && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
        {
            return bad(format!("the endpoint must be an http:// or https:// URL, not `{endpoint}`"));
        }
        let b = &self.bucket;
        let bucket_ok = (3..=63).contains(&b.len())
            && b.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
            && b.starts_with(|c: char| c.is_ascii_alphanumeric())
            && b.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !bucket_ok {
            return bad(format!(
                "`{b}` is not a bucket name: 3 to 63 lowercase letters, digits, dots and hyphens"
            ));
        }
        if !self.prefix.is_empty() && !self.prefix.ends_with('/') {
            return bad("the prefix must end with `/`".to_owned());
        }
        if self.access_key_id.is_empty() || self.secret_access_key.is_empty() {
            return bad("an access key id and a secret access key are required".to_owned());
        }
        if self.part_size == 0 || self.part_concurrency == 0 {
            return bad("part size and part concurrency must be at least 1".to_owned());
        }
        Ok(())
    }

    /// The SDK configuration these settings make (TLS with ring, timeouts, checksums).
    ///
    /// # Errors
    /// `InvalidConfig` for unusable settings.
    pub fn sdk_config(&self) -> Result<aws_sdk_s3::Config> {
        let plain = self.endpoint.as_deref().is_some_and(|e| e.to_ascii_lowercase().starts_with("http://"));
        let http = if plain {
            super::dialer::plain_http_client(self.address_guard.clone(), self.connect_timeout)
        } else {
            let builder = aws_smithy_http_client::Builder::new()
                .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring));
            match &self.address_guard {
                Some(guard) => builder.build_with_resolver(GuardedResolver(guard.clone())),
                None => builder.build_https(),
            }
        };
        let (request, response) = match self.checksums {
            ChecksumBehaviour::WhenRequired => {
                (RequestChecksumCalculation::WhenRequired, ResponseChecksumValidation::WhenRequired)
            }
            ChecksumBehaviour::WhenSupported => {
                (RequestChecksumCalculation::WhenSupported, ResponseChecksumValidation::WhenSupported)
            }
        };
        let mut builder = aws_sdk_s3::config::Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()))
            .credentials_provider(Credentials::new(
                self.access_key_id.clone(),
                self.secret_access_key.clone(),
                self.session_token.clone(),
                None,
                "ferry",
            ))
            .force_path_style(self.path_style)
            .http_client(http)
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(self.connect_timeout)
                    .read_timeout(self.read_timeout)
                    .build(),
            )
            // The engine retries with its own pacer; the SDK tries a request at most twice.
            .retry_config(RetryConfig::standard().with_max_attempts(2))
            .request_checksum_calculation(request)
            .response_checksum_validation(response);
        if let Some(endpoint) = &self.endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        Ok(builder.build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_settings_are_named() {
        let ok = S3Config::new(Some("http://127.0.0.1:9000".into()), "my-bucket", "ak", "sk");
        assert!(ok.validate().is_ok());
        let cases = [
            (S3Config { endpoint: Some("ftp://x".into()), ..ok.clone() }, "endpoint"),
            (S3Config { bucket: "Bad_Bucket".into(), ..ok.clone() }, "bucket"),
            (S3Config { bucket: "ab".into(), ..ok.clone() }, "bucket"),
            (S3Config { prefix: "no-slash".into(), ..ok.clone() }, "prefix"),
            (S3Config { secret_access_key: String::new(), ..ok.clone() }, "secret"),
        ];
        for (config, word) in cases {
            let err = config.validate().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidConfig);
            assert!(err.to_string().contains(word), "{err}");
        }
    }

    #[test]
    fn secrets_are_redacted() {
        let mut config = S3Config::new(None, "bucket", "AKIAEXAMPLE", "very-secret-key");
        config.session_token = Some("session-secret".into());
        let shown = format!("{config:?}");
        assert!(!shown.contains("very-secret-key") && !shown.contains("session-secret"), "{shown}");
    }
}
