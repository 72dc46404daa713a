//! `ferry migrate` as scripts use it: the real binary, a SQLite database, local
//! folders and (when scripts/test.sh started it) an S3 server. Results are checked
//! by hashing files directly, exit codes and messages as a script would read them.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, with the value shown")]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::manifest;

const KEY: &str = "2f7c1b9a4e6d8c0f3a5b7d9e1c2f4a6b8d0e2c4f6a8b0d2e4c6f8a0b2d4e6f8a";

fn migrate(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ferry"))
        .env_remove("RUST_LOG")
        .env("FERRY__LOG__LEVEL", "warn")
        .env("FERRY_MASTER_KEY", KEY)
        .envs(env.iter().copied())
        .arg("--data-dir")
        .arg(data)
        .arg("migrate")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(out)))
}

fn seed(root: &Path) {
    std::fs::create_dir_all(root.join("scans/2026")).unwrap();
    for i in 0..40 {
        std::fs::write(root.join(format!("scans/2026/{i:03}.pdf")), format!("scan {i} ").repeat(50 + i))
            .unwrap();
    }
    std::fs::write(root.join("scans/readme.txt"), b"not a scan").unwrap();
}

fn only_pdfs(m: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    m.iter().filter(|(k, _)| k.ends_with(".pdf")).map(|(k, v)| (k.clone(), v.clone())).collect()
}

#[test]
fn folders_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let (data, src, dst) = (dir.path().join("data"), dir.path().join("src"), dir.path().join("dst"));
    seed(&src);
    let before = manifest(&src);
    let (from, to) = (src.to_str().unwrap(), dst.join("archive"));
    let to = to.to_str().unwrap();

    // A dry run plans and changes nothing; the missing destination folder is made.
    let out = migrate(&data, &["--from", from, "--to", to, "--ext", "pdf", "--dry-run", "--json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan = json(&out);
    assert_eq!(plan["status"], "ready");
    assert_eq!((plan["plan"]["copy"].as_u64(), plan["plan"]["filtered_out"].as_u64()), (Some(40), Some(1)));
    assert!(stderr(&out).contains("40 to copy"), "{}", stderr(&out));
    assert!(manifest(&dst).is_empty(), "a dry run writes nothing");

    // The copy: every PDF arrives intact; the text file is filtered out.
    let out = migrate(&data, &["--from", from, "--to", to, "--ext", "pdf", "--json", "--name", "Scans"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let result = json(&out);
    assert_eq!((result["status"].as_str(), result["counts"]["done"].as_i64()), (Some("completed"), Some(40)));
    assert_eq!(manifest(&dst.join("archive")), only_pdfs(&before));
    assert!(stderr(&out).contains("“Scans” completed"), "{}", stderr(&out));

    // The same again: everything is there already.
    let out = migrate(&data, &["--from", from, "--to", to, "--ext", "pdf", "--json"], &[]);
    let again = json(&out);
    assert_eq!((again["counts"]["done"].as_i64(), again["counts"]["skipped"].as_i64()), (Some(0), Some(40)));

    // A saved migration runs again by name; a name in use is refused.
    let out = migrate(&data, &["--job", "scans", "--json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["name"], "Scans");
    let out = migrate(&data, &["--from", from, "--to", to, "--name", "SCANS"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("exists already"), "{}", stderr(&out));

    // Bad input: exit 2 with the reason, nothing created.
    for (args, says) in [
        (vec!["--from", from, "--to", to, "--concurrency", "0"], "concurrency"),
        (vec!["--from", "Nowhere", "--to", to], "no provider is called “Nowhere”"),
        (vec!["--from", from, "--to", to, "--bandwidth", "fast"], "not a size"),
        (vec!["--from", from, "--to", "ftp://example.com/x"], "only s3:// and file://"),
        (vec!["--from", from, "--to", to, "--include", "[oops"], "filter"),
        (vec!["--job", "Unknown"], "no migration is called"),
        (vec!["--from", from], "--to"),
    ] {
        let out = migrate(&data, &args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }

    // Items that cannot be written: exit 1, and the failures are named.
    let blocked = dir.path().join("blocked");
    std::fs::create_dir_all(&blocked).unwrap();
    std::fs::write(blocked.join("scans"), b"a file where a folder must go").unwrap();
    let out = migrate(
        &data,
        &["--from", from, "--to", blocked.to_str().unwrap(), "--max-attempts", "1", "--json"],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let failed = json(&out);
    assert_eq!(
        (failed["status"].as_str(), failed["counts"]["failed"].as_i64()),
        (Some("completed_with_errors"), Some(41))
    );
    assert!(stderr(&out).contains("41 failed") && stderr(&out).contains("report.csv"), "{}", stderr(&out));
    // Each failure names the file in the way, in words a person can act on.
    assert!(stderr(&out).contains("a file named `scans` is where a folder must go"), "{}", stderr(&out));

    // A move: sources go only once their copies are in place.
    let moved = dir.path().join("moved");
    let out = migrate(
        &data,
        &["--from", from, "--to", moved.to_str().unwrap(), "--strategy", "move", "--json"],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(manifest(&moved), before);
    assert!(manifest(&src).is_empty(), "moved away");
}

#[test]
fn buckets_from_the_command_line() {
    let Ok(endpoint) = std::env::var("FERRY_TEST_S3_S3SFS") else {
        eprintln!(
            "SKIPPED buckets_from_the_command_line: FERRY_TEST_S3_S3SFS is not set (scripts/test.sh starts s3s-fs)"
        );
        return;
    };
    let key = std::env::var("FERRY_TEST_S3_ACCESS_KEY").unwrap_or_else(|_| "ferrytestkey".into());
    let secret =
        std::env::var("FERRY_TEST_S3_SECRET_KEY").unwrap_or_else(|_| "ferrytestsecret0123456789".into());
    let bucket = format!("ferry-cli-{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
    let config = ferry_storage::s3::S3Config::new(Some(endpoint.clone()), &bucket, &key, &secret);
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async { ferry_storage::s3::S3Provider::connect(config).await?.ensure_bucket().await })
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let (data, src, back) = (dir.path().join("data"), dir.path().join("src"), dir.path().join("back"));
    seed(&src);
    let before = manifest(&src);
    let env = [("AWS_ACCESS_KEY_ID", key.as_str()), ("AWS_SECRET_ACCESS_KEY", secret.as_str())];
    let s3 = format!("s3://{bucket}/upload/");
    let up = migrate(
        &data,
        &["--from", src.to_str().unwrap(), "--to", &s3, "--endpoint", &endpoint, "--json"],
        &env,
    );
    assert_eq!(up.status.code(), Some(0), "{}", stderr(&up));
    assert_eq!(json(&up)["counts"]["done"].as_i64(), Some(41));
    let down = migrate(
        &data,
        &["--from", &s3, "--to", back.to_str().unwrap(), "--endpoint", &endpoint, "--json"],
        &env,
    );
    assert_eq!(down.status.code(), Some(0), "{}", stderr(&down));
    assert_eq!(manifest(&back), before, "a round trip through the bucket changes no byte");

    // A changed secret for the same bucket replaces the stored one; a wrong one fails plainly.
    let wrong = [("AWS_ACCESS_KEY_ID", key.as_str()), ("AWS_SECRET_ACCESS_KEY", "wrong-secret-0123456789")];
    let never = dir.path().join("never");
    let out =
        migrate(&data, &["--from", &s3, "--to", never.to_str().unwrap(), "--endpoint", &endpoint], &wrong);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(manifest(&never).is_empty());
}
