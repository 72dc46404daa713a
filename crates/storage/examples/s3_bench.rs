//! Put and get throughput through the S3 provider: many small objects and fewer
//! large ones, with a fixed number of transfers in flight. Prints one line per
//! shape and direction; scripts/bench-providers.sh runs it beside s5cmd.
//!
//! Environment: `FERRY_BENCH_S3_ENDPOINT`, `FERRY_BENCH_S3_BUCKET`,
//! `FERRY_BENCH_S3_ACCESS_KEY`, `FERRY_BENCH_S3_SECRET_KEY`, and optionally
//! `FERRY_BENCH_SHAPES` (`name:count:bytes,…`, default `4KiB:2000:4096,1MiB:200:1048576`)
//! and `FERRY_BENCH_CONCURRENCY` (default 32).

use std::error::Error;
use std::sync::Arc;
use std::time::Instant;

use ferry_storage::s3::{S3Config, S3Provider};
use ferry_storage::{GetOptions, ObjectKey, Provider, PutOptions, body_from_bytes};
use futures::{StreamExt, TryStreamExt};

fn var(name: &str) -> Result<String, Box<dyn Error>> {
    std::env::var(name).map_err(|_| format!("{name} is not set").into())
}

#[allow(clippy::print_stdout, reason = "a benchmark's figures are its output")]
fn report(direction: &str, shape: &str, count: usize, bytes: usize, secs: f64) {
    let mib = (count * bytes) as f64 / (1024.0 * 1024.0);
    println!(
        "ferry-s3 {direction:<3} {shape:<6} objs={count:<6} MiB={mib:<8.1} secs={secs:<7.2} objs/s={:<8.0} MiB/s={:.1}",
        count as f64 / secs,
        mib / secs
    );
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut config = S3Config::new(
        Some(var("FERRY_BENCH_S3_ENDPOINT")?),
        &var("FERRY_BENCH_S3_BUCKET")?,
        &var("FERRY_BENCH_S3_ACCESS_KEY")?,
        &var("FERRY_BENCH_S3_SECRET_KEY")?,
    );
    config.part_concurrency = 4;
    let provider = Arc::new(S3Provider::connect(config).await?);
    provider.ensure_bucket().await?;
    let concurrency: usize =
        std::env::var("FERRY_BENCH_CONCURRENCY").ok().and_then(|v| v.parse().ok()).unwrap_or(32);
    let shapes =
        std::env::var("FERRY_BENCH_SHAPES").unwrap_or_else(|_| "4KiB:2000:4096,1MiB:200:1048576".into());
    for shape in shapes.split(',') {
        let mut parts = shape.split(':');
        let (Some(name), Some(count), Some(bytes)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("bad shape `{shape}` (name:count:bytes)").into());
        };
        let (count, bytes): (usize, usize) = (count.parse()?, bytes.parse()?);
        let data = bytes::Bytes::from((0..bytes).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
        let keys: Vec<ObjectKey> = (0..count)
            .map(|i| ObjectKey::new(format!("ferry-bench/{name}/{i:06}")))
            .collect::<Result<_, _>>()?;

        let started = Instant::now();
        futures::stream::iter(keys.iter().cloned())
            .map(|key| {
                let provider = provider.clone();
                let data = data.clone();
                async move {
                    let options = PutOptions { size: Some(data.len() as u64), ..PutOptions::default() };
                    provider.put(&key, body_from_bytes(data), options).await
                }
            })
            .buffer_unordered(concurrency)
            .try_collect::<Vec<_>>()
            .await?;
        report("put", name, count, bytes, started.elapsed().as_secs_f64());

        let started = Instant::now();
        let read: Vec<usize> = futures::stream::iter(keys.iter().cloned())
            .map(|key| {
                let provider = provider.clone();
                async move {
                    let got = provider.get(&key, GetOptions::default()).await?;
                    got.body.try_fold(0usize, |n, chunk| async move { Ok(n + chunk.len()) }).await
                }
            })
            .buffer_unordered(concurrency)
            .try_collect()
            .await?;
        if read.iter().any(|&n| n != bytes) {
            return Err("a download returned the wrong number of bytes".into());
        }
        report("get", name, count, bytes, started.elapsed().as_secs_f64());
    }
    Ok(())
}
