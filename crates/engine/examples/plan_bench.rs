//! Planning memory and speed (figures, not a test): plans a migration whose source
//! lists N synthetic objects (generated on the fly, never held) into an empty
//! destination, with the plan written to a SQLite store, and prints the peak
//! resident memory before and after. The planner streams, so the peak must not
//! grow with N.
//!
//! `cargo run --release -p ferry-engine --example plan_bench -- 1000000`

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use chrono::Utc;
use ferry_db::{JobSpec, ProviderWrite};
use ferry_model::job::{FilterSpec, JobStatus, OverwritePolicy, Strategy};
use ferry_model::provider::{ProviderKind, ProviderStatus};
use ferry_storage::{
    ByteStream, Capabilities, DeleteOptions, GetOptions, GetResult, ListOptions, ListStream, ObjectKey,
    ObjectMeta, Provider, ProviderError, ProviderInfo, PutOptions, PutResult, Result,
};
use futures::StreamExt;

/// Lists `count` objects named `obj/0000000` … in key order, made up as it goes.
#[derive(Debug)]
struct Synthetic {
    count: u64,
}

#[async_trait]
impl Provider for Synthetic {
    fn info(&self) -> ProviderInfo {
        ProviderInfo { kind: "synthetic", root: String::new() }
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }

    fn list<'a>(&'a self, _prefix: &ObjectKey, _options: ListOptions) -> ListStream<'a> {
        futures::stream::iter(0..self.count)
            .map(|i| {
                let key = ObjectKey::new(format!("obj/{i:09}"))
                    .map_err(|e| ProviderError::unsupported("list").with_key(e))?;
                let mut meta = ObjectMeta::new(key, 4096);
                meta.etag = Some(format!("\"{i:x}\""));
                meta.modified = Some(Utc::now());
                Ok(meta)
            })
            .boxed()
    }

    async fn head(&self, _key: &ObjectKey) -> Result<ObjectMeta> {
        Err(ProviderError::unsupported("head"))
    }

    async fn get(&self, _key: &ObjectKey, _options: GetOptions) -> Result<GetResult> {
        Err(ProviderError::unsupported("get"))
    }

    async fn put(&self, _key: &ObjectKey, _body: ByteStream, _options: PutOptions) -> Result<PutResult> {
        Err(ProviderError::unsupported("put"))
    }

    async fn delete(&self, _key: &ObjectKey, _options: DeleteOptions) -> Result<()> {
        Err(ProviderError::unsupported("delete"))
    }
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let count: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let dir = tempfile::tempdir()?;
    let store = ferry_db::connect(&format!("sqlite://{}", dir.path().join("ferry.db").display())).await?;
    let mut ids = Vec::new();
    for name in ["source", "destination"] {
        let write = ProviderWrite {
            id: uuid::Uuid::now_v7(),
            name: name.into(),
            kind: ProviderKind::Local,
            settings: "{}".into(),
            secrets: None,
            status: ProviderStatus::Active,
            primary: false,
        };
        ids.push(store.create_provider(&write).await?.id);
    }
    let spec = JobSpec {
        name: "plan bench".into(),
        source_id: ids[0],
        source_prefix: String::new(),
        dest_id: ids[1],
        dest_prefix: String::new(),
        filter: FilterSpec::default(),
        strategy: Strategy::Copy,
        overwrite: OverwritePolicy::IfDifferent,
        verify: true,
        dry_run: true,
        concurrency: 8,
        bandwidth_limit: None,
        max_attempts: 5,
        mirror_deletes: false,
        max_deletes: 0,
        schedule: "manual".into(),
    };
    let job = store.create_job(&spec, None).await?;
    store.transition_job(job.id, JobStatus::Draft, JobStatus::Planning, None, Utc::now()).await?;
    let source: Arc<dyn Provider> = Arc::new(Synthetic { count });
    let dest: Arc<dyn Provider> = Arc::new(Synthetic { count: 0 });
    let before = peak_rss_kib();
    let started = Instant::now();
    let summary = ferry_engine::plan(store.as_ref(), &job, source.as_ref(), dest.as_ref()).await?;
    let secs = started.elapsed().as_secs_f64();
    let after = peak_rss_kib();
    let counts = store.job_counts(job.id).await?;
    #[allow(clippy::print_stdout, reason = "a benchmark's figures are its output")]
    {
        println!(
            "planned {} objects ({} items stored) in {secs:.1} s = {:.0} objects/s; peak RSS {} MiB before, {} MiB after",
            summary.listed,
            counts.total,
            summary.listed as f64 / secs,
            before / 1024,
            after / 1024
        );
    }
    Ok(())
}
