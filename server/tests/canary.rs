//! A canary secret put into a provider never reaches Ferry's log, at debug level,
//! through saving, editing, connection tests that fail, and a migration whose
//! every item fails against that provider.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, with the value shown")]

mod common;

use std::process::Stdio;

use serde_json::{Value, json};

const CANARY: &str = "CANARY-4b1d-secret-never-logged";

/// Sends a create call and returns the new thing's id.
async fn id_of(request: reqwest::RequestBuilder) -> String {
    let created: Value = request.send().await.unwrap().json().await.unwrap();
    created["id"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned()
}

#[tokio::test]
async fn a_canary_secret_never_reaches_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::create_admin(&data, &[]);
    let log_path = dir.path().join("ferry.log");
    let port = common::free_port();
    let mut child = common::ferry(&data, &[])
        .args(["--listen", &format!("127.0.0.1:{port}"), "--log-level", "debug"])
        .stderr(Stdio::from(std::fs::File::create(&log_path).unwrap()))
        .spawn()
        .unwrap();
    common::wait_listening(port);
    let base = format!("http://127.0.0.1:{port}");
    let console = common::sign_in(&base).await;
    let made: Value = console
        .post(format!("{base}/api/tokens/create"))
        .form(&[("name", "canary check")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = made["secret"].as_str().unwrap().to_owned();
    let api = reqwest::Client::new();
    let call = |method: reqwest::Method, path: &str| {
        api.request(method, format!("{base}{path}")).bearer_auth(&token)
    };

    // An S3 provider nobody answers for, holding the canary as its secret key.
    let closed = common::free_port();
    let form = json!({ "name": "Canary", "kind": "s3", "endpoint": format!("http://127.0.0.1:{closed}"),
                       "region": "us-east-1", "bucket": "canary", "path_style": true,
                       "access_key_id": "AKIACANARY", "secret_access_key": CANARY });
    let id = id_of(call(reqwest::Method::POST, "/api/v1/providers").json(&form)).await;
    let test = call(reqwest::Method::POST, "/api/v1/providers/test").json(&form).send().await.unwrap();
    assert!(test.text().await.unwrap().contains("\"ok\":false"), "the test fails: nothing listens");
    call(reqwest::Method::POST, &format!("/api/v1/providers/{id}/test")).send().await.unwrap();
    let mut changed = form.clone();
    changed["secret_access_key"] = json!(format!("{CANARY}-2"));
    let res =
        call(reqwest::Method::PUT, &format!("/api/v1/providers/{id}")).json(&changed).send().await.unwrap();
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());

    // A migration from a local folder into it: every item fails, with errors logged.
    let source = dir.path().join("source");
    common::write_documents(&source, 3);
    let local = common::local_provider(&console, &base, "Source", &source).await;
    let job = json!({ "name": "Into the canary", "source_id": local, "dest_id": id, "strategy": "copy",
                      "overwrite": "overwrite", "max_attempts": 1 });
    let job_id = id_of(call(reqwest::Method::POST, "/api/v1/migrations").json(&job)).await;
    call(reqwest::Method::POST, &format!("/api/v1/migrations/{job_id}/start")).send().await.unwrap();
    let view = common::finished(&console, &base, &job_id).await;
    assert_ne!(view["status"], "completed", "{view}");

    let status =
        std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success());
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.lines().count() > 10 && log.contains("DEBUG"), "a debug log was written:\n{log}");
    assert!(!log.contains(CANARY), "the canary secret is in the log:\n{log}");
    assert!(!log.contains(&token[8..]), "the API token is in the log");
}
