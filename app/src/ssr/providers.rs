//! The provider registry behind the console: validation that needs the server
//! (names that resolve, folders that exist), sealed secrets, connection tests and
//! the periodic health check.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use ferry_db::{DbError, ProviderRecord, ProviderWrite, Store, seal::Sealer};
use ferry_model::Role;
use ferry_model::provider::{
    EndpointPolicy, FieldProblem, Health, ProviderForm, ProviderSettings, ProviderStatus, ProviderView,
    S3Settings, SdkChecksums, TestReport, TestStep, ValidProvider,
};
use ferry_storage::local::LocalProvider;
use ferry_storage::s3::{ChecksumBehaviour, S3Config, S3Provider};
use ferry_storage::{
    DeleteOptions, ErrorKind, GetOptions, ListOptions, ObjectKey, Provider, ProviderError, PutOptions,
    body_from_bytes, collect_body,
};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Actor, AppState, db_error, internal, require, state};
use crate::error::AppError;

/// How long one step of a connection test or health check may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);

/// The secrets of one provider, sealed together as JSON.
#[derive(Default, Serialize, Deserialize)]
struct Secrets {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret_access_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session_token: Option<String>,
}

fn open_secrets(sealer: &Sealer, record: &ProviderRecord) -> Result<Secrets, AppError> {
    let Some(sealed) = &record.secrets else { return Ok(Secrets::default()) };
    let plain = sealer
        .open(sealed, record.id.as_bytes())
        .map_err(|e| internal(format_args!("provider {}: {e}", record.id)))?;
    serde_json::from_slice(&plain)
        .map_err(|e| internal(format_args!("provider {}: secrets unreadable: {e}", record.id)))
}

fn seal_secrets(sealer: &Sealer, id: Uuid, secrets: &Secrets) -> Result<Option<String>, AppError> {
    if secrets.secret_access_key.is_none() && secrets.session_token.is_none() {
        return Ok(None);
    }
    let plain = serde_json::to_vec(secrets).map_err(|e| internal(format_args!("sealing secrets: {e}")))?;
    Ok(Some(sealer.seal(&plain, id.as_bytes())))
}

fn settings_of(record: &ProviderRecord) -> Result<ProviderSettings, AppError> {
    serde_json::from_str(&record.settings)
        .map_err(|e| internal(format_args!("provider {} has unreadable settings: {e}", record.id)))
}

/// What the console may see of a stored provider.
///
/// # Errors
/// [`AppError::Internal`] when the stored settings or secrets cannot be read.
pub fn view_of(sealer: &Sealer, record: &ProviderRecord) -> Result<ProviderView, AppError> {
    let secrets = open_secrets(sealer, record)?;
    Ok(ProviderView {
        id: record.id,
        name: record.name.clone(),
        settings: settings_of(record)?,
        status: record.status,
        primary: record.primary,
        secret_set: secrets.secret_access_key.is_some(),
        session_token_set: secrets.session_token.is_some(),
        health: record.health,
        health_message: record.health_message.clone(),
        last_check_at: record.last_check_at,
        documents: record.documents,
        bytes: record.bytes,
        created_at: record.created_at,
        updated_at: record.updated_at,
    })
}

fn invalid_fields(problems: Vec<FieldProblem>) -> AppError {
    AppError::Fields(problems)
}

/// Checks that need the server: the endpoint's name must not resolve to a refused
/// address, and a local folder must exist (and be writable when Ferry will write).
async fn server_checks(valid: &ValidProvider, policy: EndpointPolicy) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    match &valid.settings {
        ProviderSettings::S3(s3) if !s3.endpoint.is_empty() => {
            if let Some(why) = resolved_endpoint_refusal(&s3.endpoint, policy).await {
                problems.push(FieldProblem::new("endpoint", why));
            }
        }
        ProviderSettings::S3(_) => {}
        ProviderSettings::Local(local) => {
            if let Some(why) = local_root_problem(&local.root, valid.status.writable()).await {
                problems.push(FieldProblem::new("root", why));
            }
        }
    }
    problems
}

/// Why the endpoint's host, once resolved, is refused (names that point at a
/// metadata address count as that address).
async fn resolved_endpoint_refusal(endpoint: &str, policy: EndpointPolicy) -> Option<String> {
    let url = url::Url::parse(endpoint).ok()?;
    let Some(url::Host::Domain(host)) = url.host() else { return None };
    let port = url.port_or_known_default().unwrap_or(443);
    let lookup = tokio::time::timeout(Duration::from_secs(5), tokio::net::lookup_host((host, port))).await;
    let addrs: Vec<IpAddr> = match lookup {
        Ok(Ok(addrs)) => addrs.map(|a| a.ip()).collect(),
        // A name that does not resolve now is not refused here: Test connection says so.
        _ => return None,
    };
    addrs
        .into_iter()
        .find_map(|ip| policy.refuses_ip(ip))
        .map(|why| format!("{host} resolves to a refused address. {why}"))
}

async fn local_root_problem(root: &str, must_write: bool) -> Option<String> {
    let meta = match tokio::fs::metadata(root).await {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Some(format!("There is no folder at {root} on the Ferry server. Create it first."));
        }
        Err(e) => return Some(format!("Ferry cannot open {root}: {e}.")),
    };
    if !meta.is_dir() {
        return Some(format!("{root} is a file, not a folder."));
    }
    if must_write {
        let probe =
            std::path::Path::new(root).join(format!(".ferry-write-check-{}", Uuid::now_v7().simple()));
        match tokio::fs::write(&probe, b"").await {
            Ok(()) => {
                let _ = tokio::fs::remove_file(&probe).await;
            }
            Err(e) => {
                return Some(format!(
                    "Ferry may not write to {root} ({e}). Fix the folder's permissions, or make the provider read-only."
                ));
            }
        }
    }
    None
}

/// Validates a form fully (field rules, then server checks), merging secrets with
/// what is stored when editing. Nothing is written.
async fn prepare(
    state: &AppState,
    form: &ProviderForm,
) -> Result<(Uuid, ValidProvider, Secrets, Option<ProviderRecord>), AppError> {
    let existing = match form.id {
        Some(id) => Some(state.store.provider_by_id(id).await.map_err(not_found)?),
        None => None,
    };
    let mut secrets = match &existing {
        Some(record) => open_secrets(&state.sealer, record)?,
        None => Secrets::default(),
    };
    // A provider that changes kind keeps no secrets from before.
    if existing.as_ref().is_some_and(|r| r.kind.as_str() != form.kind.trim()) {
        secrets = Secrets::default();
    }
    let policy = state.settings.endpoint_policy;
    let valid = form.validate(policy, secrets.secret_access_key.is_some()).map_err(invalid_fields)?;
    let problems = server_checks(&valid, policy).await;
    if !problems.is_empty() {
        return Err(invalid_fields(problems));
    }
    match &valid.settings {
        ProviderSettings::Local(_) => secrets = Secrets::default(),
        ProviderSettings::S3(_) => {
            if let Some(secret) = &valid.new_secret {
                secrets.secret_access_key = Some(secret.clone());
            }
            if valid.clear_session_token {
                secrets.session_token = None;
            }
            if let Some(token) = &valid.new_session_token {
                secrets.session_token = Some(token.clone());
            }
        }
    }
    let id = existing.as_ref().map_or_else(Uuid::now_v7, |r| r.id);
    Ok((id, valid, secrets, existing))
}

/// Every provider (viewers may look).
///
/// # Errors
/// Role or store failures.
pub async fn list() -> Result<Vec<ProviderView>, AppError> {
    require(Role::Viewer).await?;
    let state = state()?;
    let records = state.store.list_providers().await.map_err(db_error)?;
    records.iter().map(|r| view_of(&state.sealer, r)).collect()
}

/// One provider (viewers may look).
///
/// # Errors
/// [`AppError::NotFound`] for an unknown id.
pub async fn get(id: Uuid) -> Result<ProviderView, AppError> {
    require(Role::Viewer).await?;
    let state = state()?;
    let record = state.store.provider_by_id(id).await.map_err(not_found)?;
    view_of(&state.sealer, &record)
}

fn not_found(e: DbError) -> AppError {
    super::db_error_about("That provider")(e)
}

fn name_taken(e: DbError, name: &str) -> AppError {
    match e {
        DbError::Conflict { .. } => AppError::Fields(vec![FieldProblem::new(
            "name",
            format!("Another provider is already called “{name}”. Choose another name."),
        )]),
        other => not_found(other),
    }
}

/// Creates or updates a provider from the form (operators and administrators).
///
/// # Errors
/// [`AppError::Fields`] naming each field to fix; nothing is saved then.
pub async fn save(form: ProviderForm) -> Result<ProviderView, AppError> {
    let caller = require(Role::Operator).await?;
    let state = state()?;
    let record = save_as(&state, &form, Actor::Person(&caller)).await?;
    view_of(&state.sealer, &record)
}

/// Creates or updates a provider from the form on behalf of `actor` (the console,
/// or `ferry migrate` registering a location given on its command line).
///
/// # Errors
/// [`AppError::Fields`] naming each field to fix; nothing is saved then.
pub async fn save_as(
    state: &AppState,
    form: &ProviderForm,
    actor: Actor<'_>,
) -> Result<ProviderRecord, AppError> {
    let (id, valid, secrets, existing) = prepare(state, form).await?;
    let write = ProviderWrite {
        id,
        name: valid.name.clone(),
        kind: valid.settings.kind(),
        settings: serde_json::to_string(&valid.settings)
            .map_err(|e| internal(format_args!("settings: {e}")))?,
        secrets: seal_secrets(&state.sealer, id, &secrets)?,
        status: valid.status,
        primary: valid.primary,
    };
    let record = match &existing {
        None => state.store.create_provider(&write).await,
        Some(_) => state.store.update_provider(&write).await,
    }
    .map_err(|e| name_taken(e, &valid.name))?;
    let (action, detail) = match &existing {
        None => (
            "provider.created",
            format!(
                "added {} “{}” at {}",
                valid.settings.kind().label(),
                valid.name,
                valid.settings.location()
            ),
        ),
        Some(old) => (
            "provider.changed",
            format!("changed “{}” (now “{}” at {})", old.name, valid.name, valid.settings.location()),
        ),
    };
    actor.audit(state.store.as_ref(), action, &record.name, detail).await;
    if existing.is_some()
        && (valid.new_secret.is_some() || valid.new_session_token.is_some() || valid.clear_session_token)
    {
        actor
            .audit(
                state.store.as_ref(),
                "provider.secret_replaced",
                &record.name,
                "replaced stored credentials".to_owned(),
            )
            .await;
    }
    Ok(record)
}

/// Finds the provider `form` names, or registers it, for a location given on the
/// command line. A provider of that name with the same kind and place is reused
/// (its secret replaced only when a different one is given); one with another
/// kind or place is an error, so nothing registered is changed by surprise.
///
/// # Errors
/// [`AppError::Fields`] for a location that does not validate, [`AppError::Conflict`]
/// for a name taken by something else.
pub async fn register_location(state: &AppState, form: &ProviderForm) -> Result<ProviderRecord, AppError> {
    let records = state.store.list_providers().await.map_err(db_error)?;
    let Some(existing) = records.into_iter().find(|r| r.name.eq_ignore_ascii_case(form.name.trim())) else {
        return save_as(state, form, Actor::CommandLine).await;
    };
    let valid =
        form.validate(state.settings.endpoint_policy, existing.secrets.is_some()).map_err(invalid_fields)?;
    if settings_of(&existing)? != valid.settings {
        return Err(AppError::Conflict(format!(
            "A provider called “{}” exists with other settings. Use its name, or remove it first.",
            existing.name
        )));
    }
    let stored = open_secrets(&state.sealer, &existing)?;
    if valid.new_secret.is_none() || valid.new_secret == stored.secret_access_key {
        return Ok(existing);
    }
    let update = ProviderForm { id: Some(existing.id), ..form.clone() };
    save_as(state, &update, Actor::CommandLine).await
}

/// Changes a provider's status (operators and administrators).
///
/// # Errors
/// [`AppError::NotFound`] for an unknown id.
pub async fn set_status(id: Uuid, status: ProviderStatus) -> Result<ProviderView, AppError> {
    let caller = require(Role::Operator).await?;
    let state = state()?;
    let record = state.store.provider_by_id(id).await.map_err(not_found)?;
    state.store.set_provider_status(id, status, Utc::now()).await.map_err(not_found)?;
    caller
        .audit(
            state.store.as_ref(),
            "provider.status_changed",
            &record.name,
            format!("{} → {}", record.status.label(), status.label()),
        )
        .await;
    let record = state.store.provider_by_id(id).await.map_err(not_found)?;
    view_of(&state.sealer, &record)
}

/// Deletes a provider, refused while the catalog or a migration refers to it.
///
/// # Errors
/// [`AppError::Conflict`] while it is in use.
pub async fn delete(id: Uuid) -> Result<(), AppError> {
    let caller = require(Role::Operator).await?;
    let state = state()?;
    let record = state.store.provider_by_id(id).await.map_err(not_found)?;
    state.store.delete_provider(id).await.map_err(|e| match e {
        DbError::Conflict { .. } => AppError::Conflict(format!(
            "“{}” is still used by migrations or catalogued documents, so it cannot be deleted. Disable it instead.",
            record.name
        )),
        other => not_found(other),
    })?;
    caller
        .audit(
            state.store.as_ref(),
            "provider.deleted",
            &record.name,
            format!("deleted {}", settings_location(&record)),
        )
        .await;
    Ok(())
}

fn settings_location(record: &ProviderRecord) -> String {
    settings_of(record).map(|s| s.location()).unwrap_or_default()
}

/// Tests a provider as the form describes it, before or after saving
/// (operators and administrators).
///
/// # Errors
/// [`AppError::Fields`] when the form itself is not valid.
pub async fn test(form: ProviderForm) -> Result<TestReport, AppError> {
    require(Role::Operator).await?;
    let state = state()?;
    let (_, valid, secrets, _) = prepare(&state, &form).await?;
    Ok(run_test(&valid.settings, &secrets, valid.status.writable(), state.settings.endpoint_policy).await)
}

/// Opens a registered provider for the engine; a disabled one is refused.
///
/// # Errors
/// [`AppError::NotFound`], [`AppError::Conflict`] for a disabled provider, or the
/// provider's own refusal in plain words.
pub async fn open(state: &AppState, id: Uuid) -> Result<Arc<dyn Provider>, AppError> {
    let record = state.store.provider_by_id(id).await.map_err(not_found)?;
    if record.status == ProviderStatus::Disabled {
        return Err(AppError::Conflict(format!("“{}” is disabled: enable it first.", record.name)));
    }
    let settings = settings_of(&record)?;
    let secrets = open_secrets(&state.sealer, &record)?;
    connect(&settings, &secrets, state.settings.endpoint_policy).await.map_err(|e| {
        AppError::Conflict(format!("“{}” cannot be opened: {}", record.name, explain(&settings, &e)))
    })
}

/// Builds the storage provider a registry entry describes.
async fn connect(
    settings: &ProviderSettings,
    secrets: &Secrets,
    policy: EndpointPolicy,
) -> Result<Arc<dyn Provider>, ProviderError> {
    match settings {
        ProviderSettings::Local(local) => Ok(Arc::new(LocalProvider::new(&local.root)?)),
        ProviderSettings::S3(s3) => Ok(Arc::new(S3Provider::connect(s3_config(s3, secrets, policy)).await?)),
    }
}

fn s3_config(s3: &S3Settings, secrets: &Secrets, policy: EndpointPolicy) -> S3Config {
    let endpoint = (!s3.endpoint.is_empty()).then(|| s3.endpoint.clone());
    let mut config = S3Config::new(
        endpoint,
        &s3.bucket,
        &s3.access_key_id,
        secrets.secret_access_key.as_deref().unwrap_or_default(),
    );
    config.region.clone_from(&s3.region);
    config.prefix.clone_from(&s3.prefix);
    config.path_style = s3.path_style;
    config.session_token.clone_from(&secrets.session_token);
    config.checksums = match s3.sdk_checksums {
        SdkChecksums::WhenRequired => ChecksumBehaviour::WhenRequired,
        SdkChecksums::WhenSupported => ChecksumBehaviour::WhenSupported,
    };
    config.connect_timeout = Duration::from_secs(5);
    config.read_timeout = Duration::from_secs(15);
    // Checked again at every connection: a name may resolve elsewhere than when saved.
    config.address_guard = Some(Arc::new(move |ip| policy.refuses_ip(ip)));
    config
}

/// What a failure means, in words a person can act on.
fn explain(settings: &ProviderSettings, err: &ProviderError) -> String {
    let text = err.message();
    match (settings, err.kind()) {
        (ProviderSettings::S3(_), ErrorKind::PermissionDenied)
            if text.contains("SignatureDoesNotMatch") || text.contains("InvalidAccessKeyId") =>
        {
            "The service refused the access key or the secret: check that both are typed exactly as the service gave them.".to_owned()
        }
        (ProviderSettings::S3(s3), ErrorKind::PermissionDenied) if text.contains("AccessDenied") => format!(
            "The credentials were accepted but may not use bucket “{}” (access denied). Ask for list, read, write and delete rights on it.",
            s3.bucket
        ),
        (ProviderSettings::S3(s3), ErrorKind::PermissionDenied) => format!(
            "The service refused the request ({text}): the access key or secret is wrong, or they may not use bucket “{}”.",
            s3.bucket
        ),
        (ProviderSettings::S3(s3), ErrorKind::InvalidConfig) if text.contains("NoSuchBucket") => format!(
            "There is no bucket called “{}” at this address. Check the bucket's name and the region.",
            s3.bucket
        ),
        (ProviderSettings::S3(s3), ErrorKind::NotFound) if err.op() == "check bucket" => format!(
            "There is no bucket called “{}” at this address. Check the bucket's name and the region.",
            s3.bucket
        ),
        (ProviderSettings::S3(s3), ErrorKind::Unexpected) if text.contains("reach") || text.contains("timed out") => {
            let at = if s3.endpoint.is_empty() { "AWS S3" } else { s3.endpoint.as_str() };
            format!("Ferry could not connect to {at}: check the address and port, and that the service is running ({text}).")
        }
        (ProviderSettings::Local(local), ErrorKind::PermissionDenied) => {
            format!("Ferry may not use the folder {}: fix its permissions.", local.root)
        }
        (ProviderSettings::Local(local), ErrorKind::InvalidConfig) => {
            format!("The folder {} cannot be used: {text}.", local.root)
        }
        (_, ErrorKind::ChecksumMismatch) => {
            "The object read back differs from what was written: the service corrupts data or changes it on the way. Do not use it for migrations until this is fixed.".to_owned()
        }
        _ => format!("The provider answered: {text}."),
    }
}

async fn timed<T>(step: impl Future<Output = Result<T, ProviderError>>) -> (Result<T, ProviderError>, u64) {
    let started = Instant::now();
    let result = match tokio::time::timeout(STEP_TIMEOUT, step).await {
        Ok(result) => result,
        Err(_) => Err(ProviderError::new(
            ErrorKind::Unexpected,
            "test",
            format!("no answer within {} seconds (timed out)", STEP_TIMEOUT.as_secs()),
        )),
    };
    (result, u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX))
}

/// Runs the connection test: connect, list one key and, when writable, write,
/// read back (SHA-256 compared) and delete a probe object.
async fn run_test(
    settings: &ProviderSettings,
    secrets: &Secrets,
    writable: bool,
    policy: EndpointPolicy,
) -> TestReport {
    let started = Instant::now();
    let mut report =
        TestReport { ok: false, steps: Vec::new(), capabilities: Vec::new(), total_ms: 0, problem: None };
    let finish = |mut report: TestReport| {
        report.total_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        report
    };
    let fail = |report: &mut TestReport, name: &str, millis: u64, err: &ProviderError| {
        report.steps.push(TestStep {
            name: name.to_owned(),
            ok: false,
            millis,
            detail: err.message().to_owned(),
        });
        report.problem = Some(explain(settings, err));
    };

    let (provider, millis) = timed(async {
        match settings {
            ProviderSettings::S3(s3) => {
                // Listing, the next step, reaches the bucket: its errors carry the
                // service's reason, which a HEAD request's empty body cannot.
                let provider = S3Provider::connect(s3_config(s3, secrets, policy)).await?;
                Ok(Arc::new(provider) as Arc<dyn Provider>)
            }
            ProviderSettings::Local(_) => connect(settings, secrets, policy).await,
        }
    })
    .await;
    let provider = match provider {
        Ok(p) => {
            report.steps.push(TestStep {
                name: "Connect".into(),
                ok: true,
                millis,
                detail: "reached the storage".into(),
            });
            p
        }
        Err(e) => {
            fail(&mut report, "Connect", millis, &e);
            return finish(report);
        }
    };
    let caps = provider.capabilities();
    let flag = |on: bool, yes: &str, no: &str| if on { yes.to_owned() } else { no.to_owned() };
    report.capabilities = vec![
        flag(caps.versions, "Keeps versions", "No versioning"),
        flag(caps.write_multipart, "Multipart uploads", "Single-part writes only"),
        flag(caps.user_metadata, "Stores metadata", "No user metadata"),
        flag(caps.write_if_not_exists, "Conditional writes", "No conditional writes"),
    ];
    if let Some(max) = caps.max_key_bytes {
        report.capabilities.push(format!("Keys up to {max} bytes"));
    }

    let (listed, millis) = timed(async {
        let mut stream = provider.list(&ObjectKey::root(), ListOptions::default());
        match stream.next().await {
            Some(Ok(meta)) => Ok(Some(meta.key.as_str().to_owned())),
            Some(Err(e)) => Err(e),
            None => Ok(None),
        }
    })
    .await;
    match listed {
        Ok(first) => report.steps.push(TestStep {
            name: "List".into(),
            ok: true,
            millis,
            detail: first.map_or_else(|| "empty so far".to_owned(), |k| format!("found “{k}”")),
        }),
        Err(e) => {
            fail(&mut report, "List", millis, &e);
            return finish(report);
        }
    }
    if !writable {
        report.steps.push(TestStep {
            name: "Write".into(),
            ok: true,
            millis: 0,
            detail: "skipped: the provider is read-only".into(),
        });
        report.ok = true;
        return finish(report);
    }

    let probe = match ObjectKey::new(format!(".ferry-probe/{}", Uuid::now_v7())) {
        Ok(key) => key,
        Err(e) => {
            fail(
                &mut report,
                "Write",
                0,
                &ProviderError::new(ErrorKind::InvalidInput, "test", e.to_string()),
            );
            return finish(report);
        }
    };
    let data: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(31) % 251) as u8).collect();
    let sha = super::sha256_hex(&data);
    let (written, millis) = timed(provider.put(
        &probe,
        body_from_bytes(data.clone()),
        PutOptions { size: Some(data.len() as u64), ..PutOptions::default() },
    ))
    .await;
    if let Err(e) = written {
        fail(&mut report, "Write a probe object", millis, &e);
        return finish(report);
    }
    report.steps.push(TestStep {
        name: "Write a probe object".into(),
        ok: true,
        millis,
        detail: format!("{} (4 KiB)", probe.as_str()),
    });

    let (read, millis) = timed(async {
        let got = provider.get(&probe, GetOptions::default()).await?;
        collect_body(got.body).await
    })
    .await;
    let read_ok = match read {
        Ok(bytes) if super::sha256_hex(&bytes) == sha => {
            report.steps.push(TestStep {
                name: "Read it back".into(),
                ok: true,
                millis,
                detail: format!("SHA-256 matches ({}…)", &sha[..12]),
            });
            true
        }
        Ok(_) => {
            let e = ProviderError::new(
                ErrorKind::ChecksumMismatch,
                "test",
                "the probe read back with another SHA-256",
            );
            fail(&mut report, "Read it back", millis, &e);
            false
        }
        Err(e) => {
            fail(&mut report, "Read it back", millis, &e);
            false
        }
    };
    // The probe is deleted even when reading failed, so nothing is left behind.
    let (deleted, millis) = timed(provider.delete(&probe, DeleteOptions::default())).await;
    match deleted {
        Ok(()) => report.steps.push(TestStep {
            name: "Delete it".into(),
            ok: true,
            millis,
            detail: "removed".into(),
        }),
        Err(e) => {
            let explained = report.problem.is_some();
            report.steps.push(TestStep {
                name: "Delete it".into(),
                ok: false,
                millis,
                detail: e.message().to_owned(),
            });
            if !explained {
                report.problem = Some(explain(settings, &e));
            }
            return finish(report);
        }
    }
    report.ok = read_ok;
    finish(report)
}

/// Checks every provider that is not disabled once: connect and list one key.
/// Returns how many were checked.
pub async fn check_health_once(store: &dyn Store, sealer: &Sealer, policy: EndpointPolicy) -> usize {
    let records = match store.list_providers().await {
        Ok(records) => records,
        Err(e) => {
            tracing::warn!(error = %e, "health check: cannot list providers");
            return 0;
        }
    };
    let mut checked = 0;
    for record in records.iter().filter(|r| r.status != ProviderStatus::Disabled) {
        let (settings, secrets) = match (settings_of(record), open_secrets(sealer, record)) {
            (Ok(settings), Ok(secrets)) => (settings, secrets),
            _ => continue,
        };
        let (result, millis) = timed(async {
            let provider = connect(&settings, &secrets, policy).await?;
            let mut stream = provider.list(&ObjectKey::root(), ListOptions::default());
            match stream.next().await {
                Some(Err(e)) => Err(e),
                _ => Ok(()),
            }
        })
        .await;
        let (health, message) = match result {
            Ok(()) => (Health::Healthy, format!("Listed in {millis} ms")),
            Err(e) => (Health::Failing, explain(&settings, &e)),
        };
        if let Err(e) = store.set_provider_health(record.id, health, &message, Utc::now()).await {
            tracing::warn!(error = %e, provider = %record.name, "health check: cannot record the result");
        } else {
            checked += 1;
        }
        if health == Health::Failing {
            tracing::warn!(provider = %record.name, %message, "provider health check failed");
        }
    }
    checked
}

/// Runs [`check_health_once`] now and then every `interval`, until the process ends.
pub async fn health_loop(
    store: Arc<dyn Store>,
    sealer: Arc<Sealer>,
    policy: EndpointPolicy,
    interval: Duration,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        check_health_once(store.as_ref(), &sealer, policy).await;
    }
}

/// Checks one provider now (the list page's "Check now"), recording the verdict.
///
/// # Errors
/// [`AppError::NotFound`] for an unknown id.
pub async fn check_now(id: Uuid) -> Result<ProviderView, AppError> {
    require(Role::Operator).await?;
    let state = state()?;
    let record = state.store.provider_by_id(id).await.map_err(not_found)?;
    let settings = settings_of(&record)?;
    let secrets = open_secrets(&state.sealer, &record)?;
    let report = run_test(&settings, &secrets, false, state.settings.endpoint_policy).await;
    let (health, message) = if report.ok {
        (Health::Healthy, format!("Listed in {} ms", report.total_ms))
    } else {
        (Health::Failing, report.problem.unwrap_or_else(|| "The check failed.".to_owned()))
    };
    state.store.set_provider_health(id, health, &message, Utc::now()).await.map_err(not_found)?;
    let record = state.store.provider_by_id(id).await.map_err(not_found)?;
    view_of(&state.sealer, &record)
}
