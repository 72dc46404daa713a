//! Driving the real `ferry` binary: start it, create the administrator, sign in,
//! add providers and migrations over HTTP.

#![allow(dead_code, reason = "each test file uses the helpers it needs")]

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const PASSWORD: &str = "correct horse battery";

/// `ferry` with quiet logs, a data directory and extra environment.
pub fn ferry(data: &Path, env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferry"));
    cmd.env_remove("RUST_LOG")
        .env("FERRY__LOG__LEVEL", "warn")
        .envs(env.iter().copied())
        .arg("--data-dir")
        .arg(data)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// Starts `ferry serve` and waits until it listens.
pub fn serve(data: &Path, port: u16, env: &[(&str, &str)]) -> Child {
    let child = ferry(data, env).args(["--listen", &format!("127.0.0.1:{port}")]).spawn().unwrap();
    wait_listening(port);
    child
}

/// Waits (at most 30 s) until something listens on the loopback port.
pub fn wait_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "ferry did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Creates the administrator the way scripts do.
pub fn create_admin(data: &Path, env: &[(&str, &str)]) {
    let mut create = ferry(data, env)
        .args(["admin", "create-user", "--username", "admin", "--role", "admin"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    create.stdin.take().unwrap().write_all(format!("{PASSWORD}\n").as_bytes()).unwrap();
    assert!(create.wait().unwrap().success());
}

/// A signed-in client.
pub async fn sign_in(base: &str) -> reqwest::Client {
    // Browsers mark the console's own requests as same-origin; so does this client.
    let mut same_origin = reqwest::header::HeaderMap::new();
    same_origin.insert("sec-fetch-site", reqwest::header::HeaderValue::from_static("same-origin"));
    let c = reqwest::Client::builder().cookie_store(true).default_headers(same_origin).build().unwrap();
    let res = c
        .post(format!("{base}/api/login"))
        .form(&[("username", "admin"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    c
}

/// Adds a local-folder provider; returns its id.
pub async fn local_provider(c: &reqwest::Client, base: &str, name: &str, root: &Path) -> String {
    let res = c
        .post(format!("{base}/api/providers/save"))
        .json(&json!({ "form": { "name": name, "kind": "local", "root": root } }))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    body["id"].as_str().unwrap_or_else(|| panic!("{body}")).to_owned()
}

/// Creates a copy migration and starts it; returns its id.
pub async fn start_copy(
    c: &reqwest::Client,
    base: &str,
    source: &str,
    dest: &str,
    concurrency: u32,
) -> String {
    start_migration(c, base, "Everything", (source, dest), "copy", concurrency).await
}

/// Creates a migration with this strategy and starts it; returns its id.
pub async fn start_migration(
    c: &reqwest::Client,
    base: &str,
    name: &str,
    (source, dest): (&str, &str),
    strategy: &str,
    concurrency: u32,
) -> String {
    let form = json!({ "form": { "name": name, "source_id": source, "dest_id": dest, "strategy": strategy,
                                 "overwrite": "if-different", "concurrency": concurrency } });
    let created: Value = c
        .post(format!("{base}/api/migrations/create"))
        .json(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned();
    let res =
        c.post(format!("{base}/api/migrations/start")).form(&[("id", id.as_str())]).send().await.unwrap();
    assert!(res.status().is_success());
    id
}

/// The migration as the API shows it.
pub async fn job(c: &reqwest::Client, base: &str, id: &str) -> Value {
    body(c.post(format!("{base}/api/migrations/get")).form(&[("id", id)])).await
}

/// The first `limit` items of a migration with this status, in key order.
pub async fn items(c: &reqwest::Client, base: &str, id: &str, status: &str, limit: u32) -> Vec<Value> {
    let query = json!({ "id": id, "status": status, "after": null, "limit": limit });
    let page = body(c.post(format!("{base}/api/migrations/items")).json(&query)).await;
    page["items"].as_array().unwrap_or_else(|| panic!("{page}")).clone()
}

/// Sends a request and reads its JSON answer.
async fn body(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// Waits (at most five minutes) until the migration reaches one of `wanted`.
pub async fn wait_for_status(c: &reqwest::Client, base: &str, id: &str, wanted: &[&str]) -> Value {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let view = job(c, base, id).await;
        if view["status"].as_str().is_some_and(|s| wanted.contains(&s)) {
            return view;
        }
        assert!(Instant::now() < deadline, "never reached {wanted:?}: {view}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the migration has ended.
pub async fn finished(c: &reqwest::Client, base: &str, id: &str) -> Value {
    wait_for_status(c, base, id, &["completed", "completed_with_errors", "failed"]).await
}

/// A document's bytes, different for each `i`.
pub fn document(i: usize) -> Vec<u8> {
    format!("document {i:05} ").repeat(2000 + i % 97).into_bytes()
}

/// Writes `n` documents under `root/docs`.
pub fn write_documents(root: &Path, n: usize) {
    std::fs::create_dir_all(root.join("docs")).unwrap();
    for i in 0..n {
        std::fs::write(root.join(format!("docs/{i:05}.pdf")), document(i)).unwrap();
    }
}

/// Every document arrived intact.
pub fn assert_copied(dest: &Path, n: usize) {
    for i in 0..n {
        let copied = std::fs::read(dest.join(format!("docs/{i:05}.pdf"))).unwrap();
        assert!(copied == document(i), "docs/{i:05}.pdf differs");
    }
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Every file under `root` by relative path, with its SHA-256, read straight from
/// disk (not through Ferry). A missing folder has none.
pub fn manifest(root: &Path) -> std::collections::BTreeMap<String, String> {
    use sha2::{Digest, Sha256};
    let mut found = std::collections::BTreeMap::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                let hash = Sha256::digest(std::fs::read(&path).unwrap());
                found.insert(rel, hash.iter().map(|b| format!("{b:02x}")).collect());
            }
        }
    }
    found
}
