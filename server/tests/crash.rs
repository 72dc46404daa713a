//! The `ferry` binary killed with SIGKILL in the middle of a migration, then
//! started again: the migration carries on by itself and ends exactly as an
//! uninterrupted run would — every document in place and intact, nothing
//! half-written left behind.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, with the value shown")]

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const FILES: usize = 1200;

fn ferry(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferry"));
    cmd.env_remove("RUST_LOG")
        .env("FERRY__LOG__LEVEL", "warn")
        .arg("--data-dir")
        .arg(data)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    cmd
}

fn serve(data: &Path, port: u16) -> Child {
    let child =
        ferry(data).args(["--listen", &format!("127.0.0.1:{port}")]).stderr(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "ferry did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn document(i: usize) -> Vec<u8> {
    format!("document {i:05} ").repeat(2000 + i % 97).into_bytes()
}

fn leftovers(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                dirs.push(entry.path());
            } else if entry.file_name().to_string_lossy().starts_with(".ferry") {
                found.push(entry.path().display().to_string());
            }
        }
    }
    found
}

async fn job(c: &reqwest::Client, base: &str, id: &str) -> Value {
    c.post(format!("{base}/api/migrations/get"))
        .form(&[("id", id)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migration_killed_mid_run_finishes_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (source, dest) = (dir.path().join("source"), dir.path().join("dest"));
    std::fs::create_dir_all(source.join("docs")).unwrap();
    std::fs::create_dir_all(&dest).unwrap();
    for i in 0..FILES {
        std::fs::write(source.join(format!("docs/{i:05}.pdf")), document(i)).unwrap();
    }

    // An administrator, created the way scripts do.
    let mut create = ferry(&data)
        .args(["admin", "create-user", "--username", "admin", "--role", "admin"])
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    create.stdin.take().unwrap().write_all(b"correct horse battery\n").unwrap();
    assert!(create.wait().unwrap().success());

    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(&data, port);
    let c = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let res = c
        .post(format!("{base}/api/login"))
        .form(&[("username", "admin"), ("password", "correct horse battery")])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let mut ids = Vec::new();
    for (name, root) in [("Source", &source), ("Destination", &dest)] {
        let res = c
            .post(format!("{base}/api/providers/save"))
            .json(&json!({ "form": { "name": name, "kind": "local", "root": root } }))
            .send()
            .await
            .unwrap();
        let body: Value = res.json().await.unwrap();
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    let form = json!({ "form": { "name": "Everything", "source_id": ids[0], "dest_id": ids[1], "strategy": "copy",
                                 "overwrite": "if-different", "concurrency": 2 } });
    let created: Value = c
        .post(format!("{base}/api/migrations/create"))
        .json(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let res =
        c.post(format!("{base}/api/migrations/start")).form(&[("id", id.as_str())]).send().await.unwrap();
    assert!(res.status().is_success());

    // Kill it once some documents are across, mid-flight.
    let deadline = Instant::now() + Duration::from_secs(120);
    let done_at_kill = loop {
        let view = job(&c, &base, &id).await;
        let done = view["counts"]["done"].as_i64().unwrap_or(0);
        if done >= 50 {
            break done;
        }
        assert_ne!(view["status"], "completed", "finished before it could be interrupted: raise FILES");
        assert!(Instant::now() < deadline, "no progress: {view}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(done_at_kill < FILES as i64, "interrupted part-way");

    // Start again: the migration resumes by itself.
    let mut server = serve(&data, port);
    let c = reqwest::Client::builder().cookie_store(true).build().unwrap();
    c.post(format!("{base}/api/login"))
        .form(&[("username", "admin"), ("password", "correct horse battery")])
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    let view = loop {
        let view = job(&c, &base, &id).await;
        if view["status"] == "completed" || view["status"] == "completed_with_errors" {
            break view;
        }
        assert!(Instant::now() < deadline, "did not finish after the restart: {view}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    server.kill().unwrap();
    server.wait().unwrap();

    assert_eq!(view["status"], "completed", "{view}");
    assert_eq!(view["counts"]["done"].as_i64(), Some(FILES as i64), "{view}");
    assert_eq!(view["counts"]["failed"].as_i64(), Some(0), "{view}");
    for i in 0..FILES {
        let copied = std::fs::read(dest.join(format!("docs/{i:05}.pdf"))).unwrap();
        assert!(copied == document(i), "docs/{i:05}.pdf differs");
    }
    assert!(leftovers(&dest).is_empty(), "half-written files left: {:?}", leftovers(&dest));
    assert_eq!(
        std::fs::read_dir(source.join("docs")).unwrap().count(),
        FILES,
        "the copy left the source alone"
    );
}
