//! `ferry migrate`: one migration from the command line, run in this process
//! against Ferry's own database, so it is catalogued, audited, resumable and
//! visible in the console like any other. A progress bar on a terminal, a line
//! every ten seconds otherwise, and an exit code scripts can trust.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::error::AppError;
use app::ssr::migrations::{create_as, open_pair, replan};
use app::ssr::providers::register_location;
use app::ssr::{Actor, AppState};
use chrono::Utc;
use clap::{Args, ValueEnum};
use ferry_db::{DbError, JobRecord, Store};
use ferry_engine::{EngineError, PlanSummary};
use ferry_model::RateWindow;
use ferry_model::job::{FilterSpec, JobCounts, JobForm, JobStatus, OverwritePolicy, Strategy};
use ferry_model::progress::{human_bytes, human_duration};
use ferry_model::provider::ProviderForm;
use uuid::Uuid;

/// `ferry migrate …`
#[derive(Debug, Args)]
#[command(after_help = "\
LOCATIONS (--from, --to):
  NAME[:FOLDER]         a provider registered in the console, optionally a folder in it
  s3://BUCKET[/FOLDER]  an S3 bucket at --endpoint (AWS when none), with the keys in
                        AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (region: AWS_REGION)
  PATH                  a local folder (absolute, or starting with ./ or ../); a missing
                        destination folder is created
S3 buckets and folders given this way are registered as providers, so the migration
shows in the console and in the catalog.

EXIT STATUS: 0 completed (a dry run: planned), 1 ended with failed items or failed,
2 bad input or Ferry could not start it, 130 interrupted (the migration is paused
and `ferry migrate --job NAME` carries on).")]
pub struct MigrateArgs {
    /// Where the documents are.
    #[arg(long, value_name = "LOCATION", required_unless_present = "job")]
    pub from: Option<String>,
    /// Where they go.
    #[arg(long, value_name = "LOCATION", required_unless_present = "job")]
    pub to: Option<String>,
    /// Runs (or carries on with) the saved migration of this name instead.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["from", "to"])]
    pub job: Option<String>,
    /// The migration's name (default: from, to and the time).
    #[arg(long)]
    pub name: Option<String>,
    /// copy keeps the source; move deletes each source once its copy is verified;
    /// mirror keeps the destination in step.
    #[arg(long, value_enum, default_value = "copy")]
    pub strategy: StrategyArg,
    /// What to do when the destination has the key already.
    #[arg(long, value_enum, default_value = "if-different")]
    pub overwrite: OverwriteArg,
    /// Skip the hash check of each copy (not recommended).
    #[arg(long)]
    pub no_verify: bool,
    /// Plan only: show what would happen and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Objects in flight at once (1–256).
    #[arg(long, default_value_t = 32)]
    pub concurrency: i64,
    /// Bandwidth limit such as 50M (bytes per second; K, M, G are powers of 1024).
    #[arg(long, value_name = "RATE", value_parser = parse_bytes)]
    pub bandwidth: Option<i64>,
    /// Attempts per object before it counts as failed (1–20).
    #[arg(long, default_value_t = 5)]
    pub max_attempts: i64,
    /// Only keys matching this glob (repeatable), e.g. 'invoices/**/*.pdf'.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Leave out keys matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Only these file extensions (repeatable, or comma-separated), e.g. pdf,docx.
    #[arg(long = "ext", value_name = "EXT", value_delimiter = ',')]
    pub extensions: Vec<String>,
    /// Only objects at least this big (e.g. 1M).
    #[arg(long, value_name = "SIZE", value_parser = parse_bytes)]
    pub min_size: Option<i64>,
    /// Only objects at most this big.
    #[arg(long, value_name = "SIZE", value_parser = parse_bytes)]
    pub max_size: Option<i64>,
    /// Mirror: delete destination objects the source no longer has.
    #[arg(long)]
    pub delete: bool,
    /// Mirror: stop and ask when a run would delete more than this.
    #[arg(long, default_value_t = 100)]
    pub max_deletes: i64,
    /// S3 service URL for s3:// locations, e.g. http://127.0.0.1:9000.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// S3 service URL for the source only.
    #[arg(long, value_name = "URL")]
    pub from_endpoint: Option<String>,
    /// S3 service URL for the destination only.
    #[arg(long, value_name = "URL")]
    pub to_endpoint: Option<String>,
    /// Address buckets as https://host/bucket instead of https://bucket.host
    /// (default: path style for a custom endpoint, virtual hosts for AWS).
    #[arg(long, value_enum)]
    pub addressing: Option<Addressing>,
    /// How progress is shown: a bar on a terminal, else a line every ten seconds.
    #[arg(long, value_enum, default_value = "auto")]
    pub progress: ProgressArg,
    /// Print the result as JSON on standard output.
    #[arg(long)]
    pub json: bool,
}

/// `--strategy`
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StrategyArg {
    /// Copy; the source stays.
    Copy,
    /// Copy, verify, then delete the source.
    Move,
    /// Keep the destination in step with the source.
    Mirror,
}

/// `--overwrite`
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OverwriteArg {
    /// Leave what the destination has.
    SkipExisting,
    /// Replace it (the prior object is kept for rollback).
    Overwrite,
    /// Replace it when the source is newer.
    IfNewer,
    /// Replace it when the content differs.
    IfDifferent,
}

/// `--addressing`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Addressing {
    /// https://host/bucket
    Path,
    /// https://bucket.host
    VirtualHost,
}

/// `--progress`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressArg {
    /// A bar on a terminal, lines otherwise.
    Auto,
    /// Always the bar.
    Bar,
    /// A line every ten seconds.
    Lines,
    /// Only the summary at the end.
    None,
}

/// Why `ferry migrate` stopped short.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The arguments or the locations are not usable.
    #[error("{0}")]
    Input(String),
    /// The migration stopped on an error.
    #[error("{0}")]
    Engine(#[from] EngineError),
    /// The database failed.
    #[error("the database: {0}")]
    Store(#[from] DbError),
}

impl MigrateError {
    /// The exit status for it.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            MigrateError::Engine(EngineError::TooManyDeletes { .. }) => 1,
            _ => 2,
        }
    }
}

fn input(e: AppError) -> MigrateError {
    let text = match e {
        AppError::Fields(problems) => problems
            .iter()
            .map(|p| format!("{}: {}", p.field.replace('_', " "), p.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    };
    MigrateError::Input(text)
}

pub use ferry_model::wizard::parse_bytes;

/// A location on the command line, before it is found or registered.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Location {
    Named { name: String, folder: String },
    S3 { bucket: String, folder: String },
    Local { path: String },
}

fn parse_location(text: &str) -> Result<Location, MigrateError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(MigrateError::Input("a location is empty".to_owned()));
    }
    if let Some(rest) = t.strip_prefix("s3://") {
        let (bucket, folder) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(MigrateError::Input(format!("`{t}` names no bucket: write s3://BUCKET/FOLDER")));
        }
        return Ok(Location::S3 { bucket: bucket.to_owned(), folder: folder.to_owned() });
    }
    if let Some(path) = t.strip_prefix("file://") {
        return Ok(Location::Local { path: path.to_owned() });
    }
    if t.starts_with('/') || t.starts_with("./") || t.starts_with("../") || t == "." || t == ".." {
        return Ok(Location::Local { path: t.to_owned() });
    }
    if t.contains("://") {
        return Err(MigrateError::Input(format!("`{t}`: only s3:// and file:// locations are known")));
    }
    let (name, folder) = t.split_once(':').unwrap_or((t, ""));
    Ok(Location::Named { name: name.to_owned(), folder: folder.to_owned() })
}

/// Finds or registers the provider for a location; returns its id and the folder.
async fn resolve(
    state: &AppState,
    args: &MigrateArgs,
    text: &str,
    endpoint: Option<&str>,
    is_destination: bool,
) -> Result<(Uuid, String), MigrateError> {
    match parse_location(text)? {
        Location::Named { name, folder } => {
            let providers = state.store.list_providers().await?;
            let found = providers.iter().find(|p| p.name.eq_ignore_ascii_case(&name)).ok_or_else(|| {
                let known: Vec<_> = providers.iter().map(|p| p.name.as_str()).collect();
                MigrateError::Input(format!(
                    "no provider is called “{name}” (known: {}); or give s3://BUCKET or a folder path",
                    if known.is_empty() { "none yet".to_owned() } else { known.join(", ") }
                ))
            })?;
            Ok((found.id, folder))
        }
        Location::Local { path } => {
            let path = Path::new(&path);
            if is_destination && !path.exists() {
                std::fs::create_dir_all(path).map_err(|e| {
                    MigrateError::Input(format!("cannot create the folder {}: {e}", path.display()))
                })?;
            }
            let root = path
                .canonicalize()
                .map_err(|e| MigrateError::Input(format!("the folder {}: {e}", path.display())))?;
            let root = root.to_string_lossy().into_owned();
            let form = ProviderForm {
                name: truncate(&format!("folder {root}"), 100),
                kind: "local".to_owned(),
                status: "active".to_owned(),
                root,
                ..ProviderForm::default()
            };
            let record = register_location(state, &form).await.map_err(input)?;
            Ok((record.id, String::new()))
        }
        Location::S3 { bucket, folder } => {
            let endpoint = endpoint.unwrap_or_default().trim_end_matches('/').to_owned();
            let env = |k: &str| std::env::var(k).unwrap_or_default();
            let path_style = match args.addressing {
                Some(a) => a == Addressing::Path,
                None => !endpoint.is_empty(),
            };
            let at = if endpoint.is_empty() { "AWS".to_owned() } else { endpoint.clone() };
            let form = ProviderForm {
                name: truncate(&format!("s3 {bucket} at {at}"), 100),
                kind: "s3".to_owned(),
                status: "active".to_owned(),
                endpoint,
                region: std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".to_owned()),
                bucket,
                path_style,
                access_key_id: env("AWS_ACCESS_KEY_ID"),
                secret_access_key: env("AWS_SECRET_ACCESS_KEY"),
                session_token: env("AWS_SESSION_TOKEN"),
                ..ProviderForm::default()
            };
            let record = register_location(state, &form).await.map_err(input)?;
            Ok((record.id, folder))
        }
    }
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Creates the migration the arguments describe (or finds the named one).
async fn job_of(state: &AppState, args: &MigrateArgs) -> Result<JobRecord, MigrateError> {
    if let Some(name) = &args.job {
        let jobs = state.store.list_jobs().await?;
        return jobs
            .into_iter()
            .find(|j| j.spec.name.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| MigrateError::Input(format!("no migration is called “{name}”")));
    }
    let (from, to) = match (&args.from, &args.to) {
        (Some(from), Some(to)) => (from, to),
        _ => return Err(MigrateError::Input("give --from and --to, or --job".to_owned())),
    };
    let shared = args.endpoint.as_deref();
    let (source_id, source_prefix) =
        resolve(state, args, from, args.from_endpoint.as_deref().or(shared), false).await?;
    let (dest_id, dest_prefix) =
        resolve(state, args, to, args.to_endpoint.as_deref().or(shared), true).await?;
    let name = args.name.clone().unwrap_or_else(|| {
        truncate(&format!("{from} → {to} ({})", Utc::now().format("%Y-%m-%d %H:%M:%S%.3f")), 120)
    });
    let form = JobForm {
        name,
        source_id,
        source_prefix,
        dest_id,
        dest_prefix,
        filter: FilterSpec {
            include: args.include.clone(),
            exclude: args.exclude.clone(),
            extensions: args.extensions.clone(),
            min_size: args.min_size.and_then(|v| u64::try_from(v).ok()),
            max_size: args.max_size.and_then(|v| u64::try_from(v).ok()),
            modified_before: None,
            modified_after: None,
        },
        strategy: match args.strategy {
            StrategyArg::Copy => Strategy::Copy,
            StrategyArg::Move => Strategy::Move,
            StrategyArg::Mirror => Strategy::Mirror,
        },
        overwrite: match args.overwrite {
            OverwriteArg::SkipExisting => OverwritePolicy::SkipExisting,
            OverwriteArg::Overwrite => OverwritePolicy::Overwrite,
            OverwriteArg::IfNewer => OverwritePolicy::IfNewer,
            OverwriteArg::IfDifferent => OverwritePolicy::IfDifferent,
        },
        verify: !args.no_verify,
        dry_run: args.dry_run,
        concurrency: args.concurrency,
        bandwidth_limit: args.bandwidth,
        max_attempts: args.max_attempts,
        mirror_deletes: args.delete,
        max_deletes: args.max_deletes,
        schedule: String::new(),
    };
    create_as(state, &form, Actor::CommandLine).await.map_err(input)
}

/// Draws progress on standard error.
struct Meter {
    mode: ProgressArg,
    started: Instant,
    window: RateWindow,
    last_line: Option<Instant>,
    drawn: bool,
}

impl Meter {
    fn new(mode: ProgressArg) -> Self {
        let mode = match mode {
            ProgressArg::Auto if std::io::stderr().is_terminal() => ProgressArg::Bar,
            ProgressArg::Auto => ProgressArg::Lines,
            other => other,
        };
        // Lines start after the first ten seconds: a short run prints its summary only.
        let last_line = Some(Instant::now());
        Self { mode, started: Instant::now(), window: RateWindow::default(), last_line, drawn: false }
    }

    fn interval(&self) -> Duration {
        if self.mode == ProgressArg::Bar { Duration::from_millis(250) } else { Duration::from_secs(1) }
    }

    fn show(&mut self, status: JobStatus, counts: &JobCounts) {
        let elapsed = self.started.elapsed();
        let now_ms = i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX);
        let finished = counts.done + counts.failed;
        self.window.record(now_ms, finished, counts.done_bytes + counts.failed_bytes);
        let (objects_per_sec, bytes_per_sec) = self.window.rates();
        let eta = self.window.eta_secs(counts).map_or_else(|| "–".to_owned(), human_duration);
        let settled = counts.done + counts.failed + counts.skipped;
        let planning = if status == JobStatus::Planning { " (still listing)" } else { "" };
        let text = format!(
            "{settled}/{}{planning} objects · {} of {} · {objects_per_sec:.0}/s · {}/s · {} failed · ETA {eta}",
            counts.total,
            human_bytes((counts.done_bytes + counts.skipped_bytes) as f64),
            human_bytes(counts.total_bytes as f64),
            human_bytes(bytes_per_sec),
            counts.failed,
        );
        let mut err = std::io::stderr().lock();
        match self.mode {
            ProgressArg::Bar => {
                let fraction = if counts.total > 0 { settled as f64 / counts.total as f64 } else { 0.0 };
                let filled = (fraction.clamp(0.0, 1.0) * 24.0).round() as usize;
                let bar = format!("{}{}", "#".repeat(filled), "-".repeat(24 - filled));
                let _ = write!(err, "\r\x1b[2K[{bar}] {text}");
                self.drawn = true;
            }
            ProgressArg::Lines => {
                if self.last_line.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
                    let _ = writeln!(err, "ferry: {} s: {text}", elapsed.as_secs());
                    self.last_line = Some(Instant::now());
                }
            }
            ProgressArg::Auto | ProgressArg::None => {}
        }
        let _ = err.flush();
    }

    fn finish(&mut self) {
        if self.drawn {
            eprintln!();
            self.drawn = false;
        }
    }
}

/// Runs `ferry migrate`; returns the exit status.
///
/// # Errors
/// [`MigrateError`] when it cannot start or stops on an error.
pub async fn migrate(state: &AppState, args: &MigrateArgs) -> Result<u8, MigrateError> {
    let job = job_of(state, args).await?;
    let (source, dest) = open_pair(state, &job).await.map_err(input)?;
    let store = state.store.clone();
    let options = state.runner.options().clone();
    let id = job.id;
    eprintln!("ferry: migration “{}” ({id})", job.spec.name);
    let engine = async {
        let status = store.job_by_id(id).await?.status;
        match status {
            JobStatus::Paused => {
                store.transition_job(id, JobStatus::Paused, JobStatus::Running, None, Utc::now()).await?;
                ferry_engine::run_job(store.clone(), id, source, dest, &options).await?;
                Ok(None)
            }
            JobStatus::Running => {
                ferry_engine::run_job(store.clone(), id, source, dest, &options).await?;
                Ok(None)
            }
            JobStatus::Planning => {
                replan(&store, id, source, dest, &options).await?;
                Ok(None)
            }
            _ => {
                let (plan, _) = ferry_engine::start(&store, id, source, dest, &options).await?;
                Ok::<_, MigrateError>(Some(plan))
            }
        }
    };
    tokio::pin!(engine);
    let mut meter = Meter::new(if args.json && args.progress == ProgressArg::Auto {
        ProgressArg::None
    } else {
        args.progress
    });
    let mut tick = tokio::time::interval(meter.interval());
    let mut interrupted = false;
    let plan = loop {
        tokio::select! {
            result = &mut engine => break result,
            _ = tick.tick() => {
                if meter.mode != ProgressArg::None && let Ok(counts) = store.job_counts(id).await {
                    let status = store.job_by_id(id).await.map_or(JobStatus::Running, |j| j.status);
                    meter.show(status, &counts);
                }
            }
            signal = tokio::signal::ctrl_c(), if !interrupted => {
                if signal.is_err() {
                    continue;
                }
                interrupted = true;
                meter.finish();
                let paused = store.transition_job(id, JobStatus::Running, JobStatus::Paused, None, Utc::now()).await;
                if matches!(paused, Ok(true)) {
                    eprintln!("ferry: pausing — objects in flight finish first (Ctrl-C again to stop at once)");
                } else {
                    eprintln!("ferry: interrupted while planning; `ferry migrate --job` plans again and goes on");
                    return Ok(130);
                }
            }
        }
    };
    meter.finish();
    let plan = plan?;
    let job = store.job_by_id(id).await?;
    let counts = store.job_counts(id).await?;
    report(&job, &counts, plan.as_ref(), meter.started.elapsed(), args.json);
    if counts.failed > 0 {
        // The first few failures, so the cause is on screen without opening the report.
        for item in store.search_items(id, Some(ferry_model::job::ItemStatus::Failed), None, None, 5).await? {
            eprintln!(
                "ferry: failed {}: {}",
                item.source_key,
                item.error_message.as_deref().unwrap_or("no message was recorded")
            );
        }
        if counts.failed > 5 {
            eprintln!("ferry: … and {} more failed", counts.failed - 5);
        }
    }
    Ok(match job.status {
        JobStatus::Completed | JobStatus::Ready => 0,
        JobStatus::Paused => 130,
        _ => 1,
    })
}

fn report(job: &JobRecord, counts: &JobCounts, plan: Option<&PlanSummary>, took: Duration, json: bool) {
    let secs = took.as_secs_f64().max(0.001);
    let status = job.status.as_str().replace('_', " ");
    if let Some(plan) = plan.filter(|_| job.spec.dry_run) {
        eprintln!(
            "ferry: plan for “{}”: {} to copy, {} to overwrite, {} to delete, {} to skip ({} filtered out) · {} to transfer",
            job.spec.name,
            plan.copy,
            plan.overwrite,
            plan.delete,
            plan.skip,
            plan.filtered_out,
            human_bytes(plan.bytes as f64)
        );
    } else {
        eprintln!(
            "ferry: “{}” {status} in {:.1} s: {} done ({}), {} skipped, {} failed · {:.0} objects/s · {}/s",
            job.spec.name,
            secs,
            counts.done,
            human_bytes(counts.done_bytes as f64),
            counts.skipped,
            counts.failed,
            counts.done as f64 / secs,
            human_bytes(counts.done_bytes as f64 / secs),
        );
    }
    if let Some(error) = &job.error {
        eprintln!("ferry: {error}");
    }
    if counts.failed > 0 {
        eprintln!(
            "ferry: see the failed items in the console (Migrations → {}) or in /migrations/{}/report.csv",
            job.spec.name, job.id
        );
    }
    if json {
        let value = serde_json::json!({
            "id": job.id,
            "name": job.spec.name,
            "status": job.status,
            "counts": counts,
            "plan": plan.map(|p| serde_json::json!({
                "listed": p.listed, "filtered_out": p.filtered_out, "copy": p.copy,
                "overwrite": p.overwrite, "skip": p.skip, "delete": p.delete, "bytes": p.bytes,
            })),
            "seconds": took.as_secs_f64(),
        });
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{value}");
    }
}

/// Opens what `ferry migrate` needs, runs it and closes the database.
///
/// # Errors
/// Start-up failures as [`crate::StartError`].
pub async fn run(config: &crate::config::Config, args: &MigrateArgs) -> Result<u8, crate::StartError> {
    let store: Arc<dyn Store> = crate::open_store(config).await?;
    let sealer = crate::open_sealer(config, store.as_ref()).await?;
    let state = crate::app_state(config, store.clone(), sealer);
    // On PostgreSQL, a console elsewhere hears of this run's progress at once.
    let relay = crate::spawn_relay(store.clone(), state.runner.options().events.clone());
    let code = match migrate(&state, args).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ferry: {e}");
            e.exit_code()
        }
    };
    relay.iter().for_each(tokio::task::JoinHandle::abort);
    store.close().await;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_with_binary_units() {
        assert_eq!(parse_bytes("4096"), Ok(4096));
        assert_eq!(parse_bytes("64K"), Ok(65_536));
        assert_eq!(parse_bytes("50M"), Ok(50 << 20));
        assert_eq!(parse_bytes("1GiB"), Ok(1 << 30));
        assert_eq!(parse_bytes("2mb"), Ok(2 << 20));
        assert!(parse_bytes("fast").is_err());
        assert!(parse_bytes("5X").is_err());
        assert!(parse_bytes("-5").is_err());
        assert!(parse_bytes("99999999999T").is_err(), "overflow is refused, not wrapped");
    }

    #[test]
    fn locations_are_told_apart() {
        let s3 = |b: &str, f: &str| Location::S3 { bucket: b.to_owned(), folder: f.to_owned() };
        assert_eq!(parse_location("s3://src/small/").ok(), Some(s3("src", "small/")));
        assert_eq!(parse_location("s3://src").ok(), Some(s3("src", "")));
        assert!(parse_location("s3:///x").is_err());
        assert_eq!(parse_location("./data").ok(), Some(Location::Local { path: "./data".to_owned() }));
        assert_eq!(parse_location("file:///srv/x").ok(), Some(Location::Local { path: "/srv/x".to_owned() }));
        assert_eq!(
            parse_location("Archive:2024/").ok(),
            Some(Location::Named { name: "Archive".to_owned(), folder: "2024/".to_owned() })
        );
        assert!(parse_location("https://example.com/x").is_err());
        assert!(parse_location("  ").is_err());
    }
}
