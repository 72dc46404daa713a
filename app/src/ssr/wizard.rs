//! The wizard's questions to the server: which folders a provider has, what the
//! filters select (a live preview), and the review's plan, duration and cost —
//! all without storing or changing anything on either provider.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use chrono::Utc;
use ferry_db::JobRecord;
use ferry_engine::Filter;
use ferry_model::Role;
use ferry_model::job::{FilterSpec, JobForm, JobStatus};
use ferry_model::provider::ProviderKind;
use ferry_model::wizard::{
    Estimate, FolderList, PriceTable, SampleObject, SelectionPreview, Workload, estimate_cost,
    estimate_seconds,
};
use ferry_storage::{GetOptions, ListOptions, ObjectKey, Provider};
use futures::TryStreamExt;
use uuid::Uuid;

use super::migrations::folder_key;
use super::{db_error, require, state};
use crate::error::AppError;

/// Objects a folder listing reads at most.
const FOLDER_SCAN: u64 = 10_000;
/// Objects a selection preview reads at most.
const PREVIEW_SCAN: u64 = 100_000;
/// Objects the review's plan reads at most.
const ESTIMATE_SCAN: u64 = 200_000;
/// Keys in a preview's sample.
const SAMPLE: usize = 20;
/// The speed probe reads at most this much of each object, from at most 3 objects.
const PROBE_BYTES: u64 = 8 * 1024 * 1024;
/// The setting that holds the price table.
const PRICES: &str = "prices";

fn listing_error(e: &ferry_storage::ProviderError) -> AppError {
    AppError::Conflict(format!(
        "Ferry could not list that provider: {e}. Check it on the Providers page (Check now)."
    ))
}

/// The folders directly under `prefix` on a provider, found by listing at most
/// ten thousand objects beneath it.
///
/// # Errors
/// An unknown or disabled provider, a bad folder, a listing failure.
pub async fn folders(provider_id: Uuid, prefix: String) -> Result<FolderList, AppError> {
    require(Role::Viewer).await?;
    let state = state()?;
    let (prefix, key) = folder_key("prefix", &prefix)?;
    let provider = super::providers::open(&state, provider_id).await?;
    let mut listing = provider.list(&key, ListOptions::default());
    let mut folders = BTreeSet::new();
    let mut list = FolderList { prefix: prefix.clone(), ..FolderList::default() };
    let mut seen = 0_u64;
    while let Some(meta) = listing.try_next().await.map_err(|e| listing_error(&e))? {
        seen += 1;
        if seen > FOLDER_SCAN {
            list.truncated = true;
            break;
        }
        let rest = meta.key.as_str().strip_prefix(prefix.as_str()).unwrap_or(meta.key.as_str());
        match rest.split_once('/') {
            Some((folder, _)) if !folder.is_empty() => {
                folders.insert(format!("{prefix}{folder}/"));
            }
            _ => list.files += 1,
        }
    }
    list.folders = folders.into_iter().collect();
    Ok(list)
}

/// What `filter` selects under `prefix` on the source: count, bytes and a sample.
///
/// # Errors
/// A bad filter (named by field), an unknown provider, a listing failure.
pub async fn preview(
    source_id: Uuid,
    source_prefix: String,
    filter: FilterSpec,
) -> Result<SelectionPreview, AppError> {
    require(Role::Viewer).await?;
    let state = state()?;
    let (prefix, key) = folder_key("source_prefix", &source_prefix)?;
    let filter =
        Filter::new(&filter).map_err(|e| AppError::invalid(&format!("filter.{}", e.field), e.message))?;
    let provider = super::providers::open(&state, source_id).await?;
    let mut listing = provider.list(&key, ListOptions::default());
    let mut found = SelectionPreview::default();
    while let Some(meta) = listing.try_next().await.map_err(|e| listing_error(&e))? {
        if found.listed >= PREVIEW_SCAN {
            found.stopped_early = true;
            break;
        }
        found.listed += 1;
        let rel = meta.key.as_str().strip_prefix(prefix.as_str()).unwrap_or(meta.key.as_str());
        if rel.is_empty() || !filter.matches(rel, &meta) {
            continue;
        }
        found.matching += 1;
        found.bytes += meta.size;
        if found.sample.len() < SAMPLE {
            found.sample.push(SampleObject { key: rel.to_owned(), size: meta.size });
        }
    }
    Ok(found)
}

/// Reads up to three of the objects to copy (at most 8 MiB of each) and
/// returns (seconds to the first byte, bytes per second).
async fn probe(source: &dyn Provider, keys: &[ObjectKey]) -> Option<(f64, f64)> {
    let started = Instant::now();
    let mut latency = 0.0;
    let mut reading = Duration::ZERO;
    let mut bytes = 0_u64;
    let mut objects = 0_u32;
    for key in keys.iter().take(3) {
        if started.elapsed() > Duration::from_secs(5) {
            break;
        }
        let t0 = Instant::now();
        let Ok(mut got) = source.get(key, GetOptions::default()).await else { continue };
        latency += t0.elapsed().as_secs_f64();
        objects += 1;
        let t1 = Instant::now();
        let mut read = 0_u64;
        while let Ok(Some(chunk)) = got.body.try_next().await {
            read += chunk.len() as u64;
            if read >= PROBE_BYTES {
                break;
            }
        }
        reading += t1.elapsed();
        bytes += read;
    }
    if objects == 0 {
        return None;
    }
    let rate = if bytes == 0 || reading.is_zero() {
        // Only empty objects: time is all latency.
        f64::INFINITY
    } else {
        bytes as f64 / reading.as_secs_f64()
    };
    Some((latency / f64::from(objects), rate))
}

/// The review's figures for a form: the plan's counts (without storing it), a
/// duration from a short speed probe of the source, and the cost at the
/// administrator's prices.
///
/// # Errors
/// [`AppError::Fields`] for a form that cannot be created; listing failures.
pub async fn estimate(mut form: JobForm) -> Result<Estimate, AppError> {
    require(Role::Operator).await?;
    let state = state()?;
    if form.name.trim().is_empty() {
        // The name is asked for last; the estimate does not need it.
        "Preview".clone_into(&mut form.name);
    }
    let spec = super::migrations::validate(&state, &form).await?;
    let now = Utc::now();
    let job = JobRecord {
        id: Uuid::now_v7(),
        spec,
        status: JobStatus::Draft,
        run_no: 0,
        error: None,
        created_by: None,
        created_at: now,
        updated_at: now,
        started_at: None,
        finished_at: None,
    };
    let (source, dest) = super::migrations::open_pair(&state, &job).await?;
    let plan =
        ferry_engine::preview(state.store.as_ref(), &job, source.as_ref(), dest.as_ref(), ESTIMATE_SCAN)
            .await
            .map_err(|e| AppError::Conflict(format!("Ferry could not make the plan: {e}.")))?;
    // Probe with the first few objects the plan copies (listing again is cheap next to copying).
    let (prefix, key) = folder_key("source_prefix", &job.spec.source_prefix)?;
    let filter = Filter::new(&job.spec.filter).map_err(|e| AppError::invalid("filter", e.message))?;
    let mut probe_keys = Vec::new();
    let mut listing = source.list(&key, ListOptions::default());
    while probe_keys.len() < 3 {
        match listing.try_next().await {
            Ok(Some(meta)) => {
                let rel = meta.key.as_str().strip_prefix(prefix.as_str()).unwrap_or(meta.key.as_str());
                if !rel.is_empty() && filter.matches(rel, &meta) {
                    probe_keys.push(meta.key);
                }
            }
            _ => break,
        }
    }
    drop(listing);
    let measured = probe(source.as_ref(), &probe_keys).await;
    let prices = load_prices(&state).await?;
    let kind = |id: Uuid| {
        let store = state.store.clone();
        async move { store.provider_by_id(id).await.map(|p| p.kind == ProviderKind::S3).map_err(db_error) }
    };
    let work = Workload {
        listed: plan.listed,
        writes: plan.copy + plan.overwrite,
        overwrites: plan.overwrite,
        bytes: plan.bytes,
        source_priced: kind(job.spec.source_id).await?,
        dest_priced: kind(job.spec.dest_id).await?,
    };
    let cost = estimate_cost(&work, &prices);
    let seconds = measured.and_then(|(latency, rate)| {
        estimate_seconds(
            plan.copy + plan.overwrite,
            plan.bytes,
            latency,
            if rate.is_finite() { rate } else { 1e12 },
            u64::try_from(job.spec.concurrency).unwrap_or(1),
            job.spec.bandwidth_limit.and_then(|b| u64::try_from(b).ok()),
        )
    });
    Ok(Estimate {
        listed: plan.listed,
        filtered_out: plan.filtered_out,
        copy: plan.copy,
        overwrite: plan.overwrite,
        skip: plan.skip,
        delete: plan.delete,
        max_deletes: u64::try_from(job.spec.max_deletes).unwrap_or(0),
        bytes: plan.bytes,
        stopped_early: plan.stopped_early,
        probe_bytes_per_sec: measured.map(|m| m.1).filter(|r| r.is_finite()),
        probe_latency_secs: measured.map(|m| m.0),
        seconds: if plan.copy + plan.overwrite == 0 { Some(0) } else { seconds },
        cost_total: cost.iter().map(|l| l.amount).sum(),
        cost,
        prices: Some(prices),
    })
}

async fn load_prices(state: &super::AppState) -> Result<PriceTable, AppError> {
    let stored = state.store.setting(PRICES).await.map_err(db_error)?;
    Ok(stored.and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_default())
}

/// The price table the estimates use (the default until an administrator edits it).
///
/// # Errors
/// Role or store failures.
pub async fn prices() -> Result<PriceTable, AppError> {
    require(Role::Viewer).await?;
    load_prices(&state()?).await
}

/// Replaces the price table (administrators only).
///
/// # Errors
/// [`AppError::Invalid`] naming the figure to fix.
pub async fn save_prices(table: PriceTable) -> Result<PriceTable, AppError> {
    let caller = require(Role::Admin).await?;
    let state = state()?;
    table.validate().map_err(|(field, message)| AppError::invalid(field, message))?;
    let text = serde_json::to_string(&table).map_err(|e| AppError::invalid("prices", e.to_string()))?;
    state.store.set_setting(PRICES, &text).await.map_err(db_error)?;
    caller.audit(state.store.as_ref(), "prices.changed", "price table", text).await;
    Ok(table)
}
