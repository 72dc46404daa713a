//! Providers as the console sees them: kinds, statuses, health, the add/edit form
//! and the rules that form must pass — checked in the browser for quick feedback
//! and again on the server, which alone decides.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What kind of storage a provider is.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// A folder on the machine Ferry runs on.
    Local,
    /// A bucket on an S3-compatible service.
    S3,
}

impl ProviderKind {
    /// Every kind, in the order the form offers them.
    pub const ALL: [ProviderKind; 2] = [ProviderKind::S3, ProviderKind::Local];

    /// The stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Local => "local",
            ProviderKind::S3 => "s3",
        }
    }

    /// A name for people.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            ProviderKind::Local => "Local folder",
            ProviderKind::S3 => "S3-compatible bucket",
        }
    }
}

impl FromStr for ProviderKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "local" => Ok(ProviderKind::Local),
            "s3" => Ok(ProviderKind::S3),
            other => Err(format!("`{other}` is not a kind of provider Ferry knows (local or s3).")),
        }
    }
}

/// Whether Ferry may read and write a provider.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderStatus {
    /// Read and written.
    Active,
    /// Only read: a source, never a destination.
    ReadOnly,
    /// Not used at all, nor health-checked.
    Disabled,
}

impl ProviderStatus {
    /// Every status.
    pub const ALL: [ProviderStatus; 3] =
        [ProviderStatus::Active, ProviderStatus::ReadOnly, ProviderStatus::Disabled];

    /// The stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderStatus::Active => "active",
            ProviderStatus::ReadOnly => "read_only",
            ProviderStatus::Disabled => "disabled",
        }
    }

    /// A name for people.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            ProviderStatus::Active => "Active",
            ProviderStatus::ReadOnly => "Read-only",
            ProviderStatus::Disabled => "Disabled",
        }
    }

    /// Whether Ferry may write to it.
    #[must_use]
    pub fn writable(self) -> bool {
        self == ProviderStatus::Active
    }
}

impl FromStr for ProviderStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "active" => Ok(ProviderStatus::Active),
            "read_only" => Ok(ProviderStatus::ReadOnly),
            "disabled" => Ok(ProviderStatus::Disabled),
            other => Err(format!("`{other}` is not a provider status (active, read_only or disabled).")),
        }
    }
}

/// The last health check's verdict.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// Not checked yet.
    Unknown,
    /// The last check reached the provider.
    Healthy,
    /// The last check failed; the message says why.
    Failing,
}

impl Health {
    /// The stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Healthy => "healthy",
            Health::Failing => "failing",
        }
    }

    /// A name for people.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Health::Unknown => "Not checked yet",
            Health::Healthy => "Healthy",
            Health::Failing => "Failing",
        }
    }
}

impl FromStr for Health {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "unknown" => Ok(Health::Unknown),
            "healthy" => Ok(Health::Healthy),
            "failing" => Ok(Health::Failing),
            other => Err(format!("unknown health `{other}`")),
        }
    }
}

/// The SDK's own checksum behaviour for an S3 provider.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SdkChecksums {
    /// Only where the S3 API requires one: works with every server.
    #[default]
    WhenRequired,
    /// Wherever the SDK can; some servers store or refuse the framing it adds.
    WhenSupported,
}

/// Where an S3 provider's bucket is; no secrets here.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Settings {
    /// The service URL; empty means AWS S3 itself.
    #[serde(default)]
    pub endpoint: String,
    /// The region.
    pub region: String,
    /// The bucket.
    pub bucket: String,
    /// A folder inside the bucket: empty or ending with `/`.
    #[serde(default)]
    pub prefix: String,
    /// Address the bucket in the URL path rather than the host name.
    #[serde(default)]
    pub path_style: bool,
    /// The access key id (not a secret: it names the key).
    pub access_key_id: String,
    /// The SDK's checksum behaviour.
    #[serde(default)]
    pub sdk_checksums: SdkChecksums,
}

/// Where a local provider's folder is.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalSettings {
    /// An absolute path to an existing folder.
    pub root: String,
}

/// A provider's settings by kind; stored as JSON.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ProviderSettings {
    /// A local folder.
    Local(LocalSettings),
    /// An S3 bucket.
    S3(S3Settings),
}

impl ProviderSettings {
    /// The kind these settings are for.
    #[must_use]
    pub fn kind(&self) -> ProviderKind {
        match self {
            ProviderSettings::Local(_) => ProviderKind::Local,
            ProviderSettings::S3(_) => ProviderKind::S3,
        }
    }

    /// Where the documents are, in one line: a path or `bucket/prefix at endpoint`.
    #[must_use]
    pub fn location(&self) -> String {
        match self {
            ProviderSettings::Local(l) => l.root.clone(),
            ProviderSettings::S3(s) => {
                let at = if s.endpoint.is_empty() { "AWS S3" } else { s.endpoint.as_str() };
                format!("{}/{} at {at}", s.bucket, s.prefix)
            }
        }
    }
}

/// A provider as lists and forms show it. Secrets are never part of it: only
/// whether they are set.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderView {
    /// Stable id.
    pub id: Uuid,
    /// Unique name.
    pub name: String,
    /// Settings by kind.
    pub settings: ProviderSettings,
    /// Whether Ferry reads, writes or ignores it.
    pub status: ProviderStatus,
    /// The preferred destination for new migrations.
    pub primary: bool,
    /// Whether a secret access key is stored.
    pub secret_set: bool,
    /// Whether a session token is stored.
    pub session_token_set: bool,
    /// The last health check's verdict.
    pub health: Health,
    /// What the last check found, in plain words.
    pub health_message: String,
    /// When it was checked.
    pub last_check_at: Option<DateTime<Utc>>,
    /// Documents the catalog knows on this provider.
    pub documents: i64,
    /// Their total size in bytes.
    pub bytes: i64,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

/// The add/edit form exactly as typed. Every field is text so nothing typed is
/// lost to a parse error; [`ProviderForm::validate`] turns it into settings.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProviderForm {
    /// Set when editing.
    pub id: Option<Uuid>,
    /// Unique name.
    pub name: String,
    /// `local` or `s3`.
    pub kind: String,
    /// `active`, `read_only` or `disabled`.
    pub status: String,
    /// The preferred destination.
    pub primary: bool,
    /// Local: the folder.
    pub root: String,
    /// S3: the service URL, empty for AWS.
    pub endpoint: String,
    /// S3: the region.
    pub region: String,
    /// S3: the bucket.
    pub bucket: String,
    /// S3: folder inside the bucket.
    pub prefix: String,
    /// S3: path-style addressing.
    pub path_style: bool,
    /// S3: access key id.
    pub access_key_id: String,
    /// S3: a new secret; empty keeps the stored one when editing.
    pub secret_access_key: String,
    /// S3: a new session token; empty keeps the stored one unless `clear_session_token`.
    pub session_token: String,
    /// S3: forget the stored session token.
    pub clear_session_token: bool,
    /// S3: `when_required` or `when_supported`.
    pub sdk_checksums: String,
}

impl fmt::Display for ProviderForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "provider form `{}` ({})", self.name, self.kind)
    }
}

/// A problem with one field of a form, in words for the person filling it in.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    /// The field's name (the form's `name` attribute).
    pub field: String,
    /// What to change.
    pub message: String,
}

impl FieldProblem {
    /// A problem with `field`.
    #[must_use]
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self { field: field.to_owned(), message: message.into() }
    }
}

/// A validated form: what to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidProvider {
    /// Trimmed name.
    pub name: String,
    /// Settings by kind.
    pub settings: ProviderSettings,
    /// Status.
    pub status: ProviderStatus,
    /// Primary flag.
    pub primary: bool,
    /// A new secret access key, when one was typed.
    pub new_secret: Option<String>,
    /// A new session token, when one was typed.
    pub new_session_token: Option<String>,
    /// Forget the stored session token.
    pub clear_session_token: bool,
}

/// Which endpoint addresses a provider may use.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EndpointPolicy {
    /// Allow link-local and cloud metadata addresses (off: they hand out cloud credentials).
    pub allow_metadata: bool,
    /// Refuse private and loopback ranges (off: MinIO on a LAN is normal).
    pub refuse_private: bool,
}

/// Host names that are cloud metadata services whatever they resolve to.
const METADATA_NAMES: [&str; 4] =
    ["metadata.google.internal", "metadata.goog", "metadata", "instance-data.ec2.internal"];

impl EndpointPolicy {
    /// Why an address may not be used as an endpoint, if it may not.
    #[must_use]
    pub fn refuses_ip(self, ip: IpAddr) -> Option<&'static str> {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        if !self.allow_metadata && is_metadata_ip(ip) {
            return Some(
                "That address is a cloud metadata service (it hands out the server's own credentials), so Ferry refuses it. An administrator can allow it in the configuration.",
            );
        }
        if self.refuse_private && is_private_ip(ip) {
            return Some("Private and loopback addresses are refused by this Ferry's configuration.");
        }
        None
    }

    /// Why a host name may not be used as an endpoint, if it may not. Names are
    /// also checked after they resolve, on the server.
    #[must_use]
    pub fn refuses_name(self, name: &str) -> Option<&'static str> {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if !self.allow_metadata && METADATA_NAMES.contains(&name.as_str()) {
            return Some(
                "That host name is a cloud metadata service, so Ferry refuses it. An administrator can allow it in the configuration.",
            );
        }
        if self.refuse_private && (name == "localhost" || name.ends_with(".localhost")) {
            return Some("Private and loopback addresses are refused by this Ferry's configuration.");
        }
        None
    }
}

fn is_metadata_ip(ip: IpAddr) -> bool {
    match ip {
        // Link-local: AWS, GCP, Azure, OpenStack and Oracle metadata all live here.
        IpAddr::V4(v4) => v4.is_link_local() || v4 == Ipv4Addr::new(100, 100, 100, 200),
        IpAddr::V6(v6) => {
            v6 == Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254)
                || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

fn is_private_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_unspecified()
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => v6.is_loopback() || v6.is_unspecified() || (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// Longest provider name, in characters.
pub const NAME_MAX: usize = 80;

impl ProviderForm {
    /// Checks every field and says what is wrong with each, all at once.
    ///
    /// `editing_secret_set` is whether the provider being edited already has a
    /// secret (a new provider has none, so the secret is then required).
    ///
    /// # Errors
    /// One [`FieldProblem`] per field that needs attention.
    pub fn validate(
        &self,
        policy: EndpointPolicy,
        editing_secret_set: bool,
    ) -> Result<ValidProvider, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            problems
                .push(FieldProblem::new("name", "Give the provider a name, for example “Archive bucket”."));
        } else if name.chars().count() > NAME_MAX {
            problems.push(FieldProblem::new("name", format!("Use at most {NAME_MAX} characters.")));
        } else if name.chars().any(char::is_control) {
            problems.push(FieldProblem::new("name", "The name cannot contain control characters."));
        }
        let status = if self.status.trim().is_empty() {
            Ok(ProviderStatus::Active)
        } else {
            self.status.parse::<ProviderStatus>()
        }
        .unwrap_or_else(|message| {
            problems.push(FieldProblem::new("status", message));
            ProviderStatus::Active
        });
        let kind = match self.kind.parse::<ProviderKind>() {
            Ok(kind) => Some(kind),
            Err(message) => {
                let message = if self.kind.trim().is_empty() {
                    "Choose a kind of provider.".to_owned()
                } else {
                    message
                };
                problems.push(FieldProblem::new("kind", message));
                None
            }
        };
        let settings = match kind {
            Some(ProviderKind::Local) => self.local_settings(&mut problems),
            Some(ProviderKind::S3) => self.s3_settings(policy, editing_secret_set, &mut problems),
            None => None,
        };
        match settings {
            Some(settings) if problems.is_empty() => {
                let is_s3 = settings.kind() == ProviderKind::S3;
                let keep = |value: &str| (is_s3 && !value.trim().is_empty()).then(|| value.trim().to_owned());
                Ok(ValidProvider {
                    name,
                    settings,
                    status,
                    primary: self.primary,
                    new_secret: keep(&self.secret_access_key),
                    new_session_token: keep(&self.session_token),
                    clear_session_token: is_s3 && self.clear_session_token,
                })
            }
            _ => Err(problems),
        }
    }

    fn local_settings(&self, problems: &mut Vec<FieldProblem>) -> Option<ProviderSettings> {
        let root = self.root.trim();
        if root.is_empty() {
            problems
                .push(FieldProblem::new("root", "Enter the folder's full path, for example /srv/documents."));
            return None;
        }
        if !root.starts_with('/') {
            problems.push(FieldProblem::new("root", "Enter a full path that starts with /."));
            return None;
        }
        if root.contains('\0') || root.split('/').any(|part| part == "..") {
            problems.push(FieldProblem::new("root", "The path cannot contain `..` or NUL characters."));
            return None;
        }
        let root = if root.len() > 1 { root.trim_end_matches('/') } else { root };
        Some(ProviderSettings::Local(LocalSettings { root: root.to_owned() }))
    }

    fn s3_settings(
        &self,
        policy: EndpointPolicy,
        editing_secret_set: bool,
        problems: &mut Vec<FieldProblem>,
    ) -> Option<ProviderSettings> {
        let before = problems.len();
        let endpoint = self.endpoint.trim().trim_end_matches('/').to_owned();
        if !endpoint.is_empty()
            && let Err(message) = check_endpoint(&endpoint, policy)
        {
            problems.push(FieldProblem::new("endpoint", message));
        }
        let region = self.region.trim().to_owned();
        let region = if region.is_empty() { "us-east-1".to_owned() } else { region };
        if region.len() > 64 || !region.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            problems.push(FieldProblem::new(
                "region",
                "A region is letters, digits and hyphens, like us-east-1 or auto.",
            ));
        }
        let bucket = self.bucket.trim().to_owned();
        if let Err(message) = check_bucket(&bucket) {
            problems.push(FieldProblem::new("bucket", message));
        }
        let mut prefix = self.prefix.trim().trim_start_matches('/').to_owned();
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        if prefix.len() > 512 || prefix.chars().any(char::is_control) || prefix.split('/').any(|p| p == "..")
        {
            problems.push(FieldProblem::new(
                "prefix",
                "A folder is at most 512 characters, without control characters or `..`.",
            ));
        }
        let access_key_id = self.access_key_id.trim().to_owned();
        if access_key_id.is_empty() {
            problems
                .push(FieldProblem::new("access_key_id", "Enter the access key id the service gave you."));
        } else if access_key_id.len() > 256
            || access_key_id.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            problems.push(FieldProblem::new(
                "access_key_id",
                "An access key id has no spaces and at most 256 characters.",
            ));
        }
        let secret = self.secret_access_key.trim();
        if secret.is_empty() && !editing_secret_set {
            problems.push(FieldProblem::new(
                "secret_access_key",
                "Enter the secret access key that goes with the access key id.",
            ));
        } else if secret.len() > 1024 || secret.chars().any(char::is_control) {
            problems.push(FieldProblem::new(
                "secret_access_key",
                "That secret has characters a secret key never has.",
            ));
        }
        if self.session_token.len() > 8192 || self.session_token.trim().chars().any(char::is_control) {
            problems.push(FieldProblem::new("session_token", "That session token is not valid."));
        }
        let sdk_checksums = match self.sdk_checksums.trim() {
            "" | "when_required" => SdkChecksums::WhenRequired,
            "when_supported" => SdkChecksums::WhenSupported,
            _ => {
                problems.push(FieldProblem::new("sdk_checksums", "Choose when_required or when_supported."));
                SdkChecksums::WhenRequired
            }
        };
        (problems.len() == before).then_some(ProviderSettings::S3(S3Settings {
            endpoint,
            region,
            bucket,
            prefix,
            path_style: self.path_style,
            access_key_id,
            sdk_checksums,
        }))
    }

    /// The form filled in from a stored provider (secrets left empty).
    #[must_use]
    pub fn from_view(view: &ProviderView) -> Self {
        let mut form = ProviderForm {
            id: Some(view.id),
            name: view.name.clone(),
            kind: view.settings.kind().as_str().to_owned(),
            status: view.status.as_str().to_owned(),
            primary: view.primary,
            ..ProviderForm::default()
        };
        match &view.settings {
            ProviderSettings::Local(l) => form.root = l.root.clone(),
            ProviderSettings::S3(s) => {
                form.endpoint = s.endpoint.clone();
                form.region = s.region.clone();
                form.bucket = s.bucket.clone();
                form.prefix = s.prefix.clone();
                form.path_style = s.path_style;
                form.access_key_id = s.access_key_id.clone();
                form.sdk_checksums = if s.sdk_checksums == SdkChecksums::WhenSupported {
                    "when_supported"
                } else {
                    "when_required"
                }
                .to_owned();
            }
        }
        form
    }
}

/// Checks an S3 bucket name (the rules every S3-compatible service accepts).
///
/// # Errors
/// A message for the form.
pub fn check_bucket(bucket: &str) -> Result<(), &'static str> {
    if bucket.is_empty() {
        return Err("Enter the bucket's name.");
    }
    let ok = (3..=63).contains(&bucket.len())
        && bucket.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric())
        && !bucket.contains("..")
        && bucket.parse::<Ipv4Addr>().is_err();
    if ok {
        Ok(())
    } else {
        Err(
            "A bucket name is 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.",
        )
    }
}

/// Checks an endpoint URL: http or https, a host, no credentials or query, and a
/// host the policy allows (every spelling of an address is normalised first:
/// decimal, hex and octal IPv4, IPv4-mapped IPv6).
///
/// # Errors
/// A message for the form.
pub fn check_endpoint(endpoint: &str, policy: EndpointPolicy) -> Result<(), String> {
    let url = url::Url::parse(endpoint).map_err(|_| {
        "Enter the service's address as a URL, for example https://s3.example.com or http://10.0.0.5:9000.".to_owned()
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("The address must start with http:// or https://.".to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Put the access key in its own field, not in the address.".to_owned());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("The address cannot have a query (?…) or fragment (#…).".to_owned());
    }
    if url.path() != "/" && !url.path().is_empty() {
        return Err(
            "Enter the service's address only; put the bucket and folder in their own fields.".to_owned()
        );
    }
    let refused = match url.host() {
        Some(url::Host::Ipv4(v4)) => policy.refuses_ip(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => policy.refuses_ip(IpAddr::V6(v6)),
        Some(url::Host::Domain(name)) => policy.refuses_name(name),
        None => return Err("The address needs a host name.".to_owned()),
    };
    refused.map_or(Ok(()), |why| Err(why.to_owned()))
}

/// What Test connection found.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestReport {
    /// Whether every step passed.
    pub ok: bool,
    /// The steps, in order.
    pub steps: Vec<TestStep>,
    /// What the provider can do, as far as Ferry could tell.
    pub capabilities: Vec<String>,
    /// Total time, in milliseconds.
    pub total_ms: u64,
    /// The failure in plain words, with what to do about it.
    pub problem: Option<String>,
}

/// One step of a connection test.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestStep {
    /// What was tried: "List", "Write a probe object", …
    pub name: String,
    /// Whether it worked.
    pub ok: bool,
    /// How long it took, in milliseconds.
    pub millis: u64,
    /// What happened.
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3_form() -> ProviderForm {
        ProviderForm {
            name: "Archive".into(),
            kind: "s3".into(),
            endpoint: "http://127.0.0.1:9000".into(),
            bucket: "archive-2026".into(),
            access_key_id: "AKIAEXAMPLE".into(),
            secret_access_key: "s3cret".into(),
            ..ProviderForm::default()
        }
    }

    fn field_of(result: Result<ValidProvider, Vec<FieldProblem>>) -> Vec<String> {
        result.err().unwrap_or_default().into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn a_complete_s3_form_validates_with_defaults_filled_in() {
        let valid = s3_form().validate(EndpointPolicy::default(), false).unwrap();
        let ProviderSettings::S3(s3) = &valid.settings else { panic!("not s3") };
        assert_eq!(s3.region, "us-east-1");
        assert_eq!(s3.endpoint, "http://127.0.0.1:9000");
        assert_eq!(valid.new_secret.as_deref(), Some("s3cret"));
        assert_eq!(valid.status, ProviderStatus::Active);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let form = ProviderForm {
            name: " ".into(),
            bucket: "Bad_Bucket".into(),
            endpoint: "ftp://host".into(),
            secret_access_key: String::new(),
            access_key_id: String::new(),
            ..s3_form()
        };
        let fields = field_of(form.validate(EndpointPolicy::default(), false));
        for f in ["name", "bucket", "endpoint", "secret_access_key", "access_key_id"] {
            assert!(fields.contains(&f.to_owned()), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn an_edit_may_keep_the_stored_secret() {
        let form = ProviderForm { secret_access_key: String::new(), ..s3_form() };
        let valid = form.validate(EndpointPolicy::default(), true).unwrap();
        assert_eq!(valid.new_secret, None);
    }

    #[test]
    fn unknown_kinds_and_statuses_are_refused() {
        let form = ProviderForm { kind: "ftp".into(), status: "sometimes".into(), ..s3_form() };
        let fields = field_of(form.validate(EndpointPolicy::default(), false));
        assert_eq!(fields, vec!["status".to_owned(), "kind".to_owned()]);
    }

    #[test]
    fn metadata_addresses_are_refused_in_every_spelling() {
        let policy = EndpointPolicy::default();
        for endpoint in [
            "http://169.254.169.254",
            "http://169.254.169.254:80/",
            "http://2852039166",
            "http://0xA9FEA9FE",
            "http://0251.0376.0251.0376",
            "http://0xa9.0xfe.0xa9.0xfe",
            "http://[::ffff:169.254.169.254]",
            "http://[::ffff:a9fe:a9fe]",
            "http://[fd00:ec2::254]",
            "http://169.254.170.2",
            "http://100.100.100.200",
            "http://metadata.google.internal",
            "http://METADATA.google.internal.",
        ] {
            let err = check_endpoint(endpoint, policy).expect_err(endpoint);
            assert!(err.contains("metadata"), "{endpoint}: {err}");
        }
        let allowing = EndpointPolicy { allow_metadata: true, ..policy };
        assert!(check_endpoint("http://169.254.169.254", allowing).is_ok());
    }

    #[test]
    fn private_addresses_are_allowed_unless_refused() {
        let open = EndpointPolicy::default();
        let closed = EndpointPolicy { refuse_private: true, ..open };
        for endpoint in
            ["http://10.0.0.5:9000", "http://127.0.0.1:9000", "http://[::1]:9000", "http://localhost:9000"]
        {
            assert!(check_endpoint(endpoint, open).is_ok(), "{endpoint}");
            assert!(check_endpoint(endpoint, closed).is_err(), "{endpoint}");
        }
        assert!(check_endpoint("https://s3.eu-west-1.amazonaws.com", closed).is_ok());
    }

    #[test]
    fn endpoints_must_be_plain_http_urls() {
        let policy = EndpointPolicy::default();
        for bad in
            ["s3.example.com", "ftp://h", "http://user:pw@h", "http://h/bucket", "http://h?x=1", "http://"]
        {
            assert!(check_endpoint(bad, policy).is_err(), "{bad}");
        }
    }

    #[test]
    fn bucket_names_follow_the_s3_rules() {
        for good in ["abc", "my-bucket.2026", "a1b"] {
            assert!(check_bucket(good).is_ok(), "{good}");
        }
        for bad in
            ["", "ab", "Upper", "under_score", "-start", "end-", "a..b", "192.168.1.1", &"a".repeat(64)]
        {
            assert!(check_bucket(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn local_roots_must_be_absolute_and_plain() {
        let form = |root: &str| ProviderForm {
            kind: "local".into(),
            name: "Disk".into(),
            root: root.into(),
            ..ProviderForm::default()
        };
        assert!(form("/srv/docs/").validate(EndpointPolicy::default(), false).is_ok());
        for bad in ["", "relative/path", "/srv/../etc", "/srv/\0x"] {
            assert_eq!(
                field_of(form(bad).validate(EndpointPolicy::default(), false)),
                vec!["root".to_owned()],
                "{bad:?}"
            );
        }
        let valid = form("/srv/docs/").validate(EndpointPolicy::default(), false).unwrap();
        assert_eq!(valid.settings, ProviderSettings::Local(LocalSettings { root: "/srv/docs".into() }));
        assert_eq!(valid.new_secret, None);
    }

    #[test]
    fn settings_round_trip_as_tagged_json() {
        let settings = s3_form().validate(EndpointPolicy::default(), false).unwrap().settings;
        let text = serde_json::to_string(&settings).unwrap();
        assert!(text.contains(r#""kind":"s3""#), "{text}");
        assert!(!text.contains("s3cret"), "{text}");
        assert_eq!(serde_json::from_str::<ProviderSettings>(&text).unwrap(), settings);
    }
}
