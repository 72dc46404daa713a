//! The server over real HTTP on a loopback port: probes, the page guard, sign-in,
//! setup, roles, sessions and the live channel. Told against SQLite always and
//! against PostgreSQL when `TEST_DATABASE_URL` names one.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, with the value shown")]

mod common;
#[path = "api/security.rs"]
mod security;

use std::net::SocketAddr;
use std::sync::Arc;

use ferry_db::Store;
use ferry_model::provider::Health;
use ferry_server::config::{Config, Overrides};
use futures::{SinkExt, StreamExt};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use serde_json::json;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

struct Ferry {
    base: String,
    addr: SocketAddr,
    store: Arc<dyn Store>,
    sealer: Arc<ferry_db::seal::Sealer>,
    app: app::ssr::AppState,
    _shutdown: watch::Sender<bool>,
    _dir: tempfile::TempDir,
}

async fn start(database_url: Option<String>) -> Ferry {
    start_with(Overrides { database_url, ..Overrides::default() }).await
}

async fn start_with(overrides: Overrides) -> Ferry {
    let dir = tempfile::tempdir().unwrap();
    let overrides = Overrides { data_dir: Some(dir.path().to_owned()), ..overrides };
    let config = Config::load(None, &overrides).unwrap();
    let store = ferry_server::open_store(&config).await.unwrap();
    let sealer = ferry_server::open_sealer(&config, store.as_ref()).await.unwrap();
    let (tx, rx) = watch::channel(false);
    let app = ferry_server::app_state(&config, store.clone(), sealer.clone());
    let router = ferry_server::build_router(&config, app.clone(), rx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    Ferry { base: format!("http://{addr}"), addr, store, sealer, app, _shutdown: tx, _dir: dir }
}

/// A client that acts like the console's own pages: browsers mark their requests
/// to Ferry as same-origin, which the cross-site check looks for.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(same_origin_headers())
        .build()
        .unwrap()
}

fn same_origin_headers() -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("sec-fetch-site", reqwest::header::HeaderValue::from_static("same-origin"));
    headers
}

async fn post_form(
    c: &reqwest::Client,
    ferry: &Ferry,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let res = c.post(format!("{}{path}", ferry.base)).form(form).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("ferry_session="))
        .map(str::to_owned)
}

async fn story(ferry: Ferry) {
    let c = client();
    let url = |p: &str| format!("{}{p}", ferry.base);

    // Probes.
    let res = c.get(url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = c.get(url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains(ferry.store.dialect().as_str()));

    // With no account, every page leads to setup.
    for path in ["/", "/settings", "/login"] {
        let res = c.get(url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(res.headers()[LOCATION], "/setup", "{path}");
    }
    let res = c.get(url("/setup")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Create administrator"), "setup page renders on the server");
    assert!(html.contains("/pkg/ferry.js"), "and loads the wasm bundle");

    // Malformed setup input: field-level messages, never a 500.
    let (status, body) = post_form(
        &c,
        &ferry,
        "/api/setup",
        &[("username", "admin"), ("password", "short"), ("confirm", "short")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("\"field\":\"password\""), "{body}");
    let (status, body) = post_form(
        &c,
        &ferry,
        "/api/setup",
        &[("username", "<b>x</b>"), ("password", "long enough 1"), ("confirm", "long enough 1")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("\"field\":\"username\""), "{body}");
    let (status, body) = post_form(&c, &ferry, "/api/setup", &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "missing fields: {body}");
    let res = c
        .post(url("/api/setup"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("username[=%%%&&password[]=1")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "garbage form: {}", res.status());
    assert_eq!(ferry.store.count_users().await.unwrap(), 0, "nothing was created");

    // Setup creates the administrator and signs in with an HttpOnly, SameSite cookie.
    let res = c
        .post(url("/api/setup"))
        .form(&[
            ("username", "Admin"),
            ("password", "correct horse battery"),
            ("confirm", "correct horse battery"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = session_cookie(&res).expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    let res = c.get(url("/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Sign out") && html.contains("Dashboard"));
    let stolen = cookie.split(';').next().unwrap().to_owned();

    // Setup is one-time.
    let (status, body) = post_form(
        &c,
        &ferry,
        "/api/setup",
        &[
            ("username", "second"),
            ("password", "correct horse battery"),
            ("confirm", "correct horse battery"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let res = c.get(url("/setup")).send().await.unwrap();
    assert_eq!(res.headers()[LOCATION], "/");

    // The dashboard's figures come from the database.
    let res = c.post(url("/api/dashboard/counts")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let counts: ferry_model::DashboardCounts = res.json().await.unwrap();
    assert_eq!((counts.users, counts.admins, counts.viewers), (1, 1, 0));
    assert_eq!(counts.database, ferry.store.dialect().as_str());
    assert!(counts.active_sessions >= 1);

    // Administrators add users; names are unique.
    let viewer = [
        ("username", "vera"),
        ("password", "viewer password"),
        ("confirm", "viewer password"),
        ("role", "viewer"),
    ];
    let (status, body) = post_form(&c, &ferry, "/api/users/create", &viewer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = post_form(&c, &ferry, "/api/users/create", &viewer).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("taken"), "{body}");
    let (status, body) = post_form(
        &c,
        &ferry,
        "/api/users/create",
        &[
            ("username", "x1"),
            ("password", "viewer password"),
            ("confirm", "viewer password"),
            ("role", "root"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("\"field\":\"role\""), "{body}");

    // Sign out ends the session on the server: the old cookie is worthless.
    let (status, _) = post_form(&c, &ferry, "/api/logout", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let replay = client();
    let res = replay.get(url("/settings")).header(COOKIE, &stolen).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/login?next=%2Fsettings");
    let res = replay.post(url("/api/dashboard/counts")).header(COOKIE, &stolen).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // Wrong password and unknown user read the same.
    let (s1, wrong) =
        post_form(&c, &ferry, "/api/login", &[("username", "admin"), ("password", "nope nope nope")]).await;
    let (s2, unknown) =
        post_form(&c, &ferry, "/api/login", &[("username", "ghost"), ("password", "nope nope nope")]).await;
    assert_eq!((s1, s2), (StatusCode::UNPROCESSABLE_ENTITY, StatusCode::UNPROCESSABLE_ENTITY));
    assert_eq!(wrong, unknown);
    assert!(wrong.contains("Wrong username or password."), "{wrong}");
    let (status, _) = post_form(&c, &ferry, "/api/login", &[("username", "")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // A viewer signs in (with a fresh session id) and cannot do admin work.
    let v = client();
    let res = v
        .post(url("/api/login"))
        .form(&[("username", "vera"), ("password", "viewer password"), ("next", "//evil.example")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "\"/\"", "next never leaves the site");
    let (status, body) = post_form(
        &v,
        &ferry,
        "/api/users/create",
        &[
            ("username", "mallory"),
            ("password", "mallory password"),
            ("confirm", "mallory password"),
            ("role", "admin"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(ferry.store.user_by_username("mallory").await.unwrap_err().is_not_found());
    let res = v.post(url("/api/users/list")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "viewers may look");

    // Administrators change roles and disable accounts; nobody does it to themselves.
    let a = client();
    let (status, _) =
        post_form(&a, &ferry, "/api/login", &[("username", "admin"), ("password", "correct horse battery")])
            .await;
    assert_eq!(status, StatusCode::OK);
    let users: serde_json::Value = a.post(url("/api/users/list")).send().await.unwrap().json().await.unwrap();
    let id_of = |name: &str| {
        users.as_array().unwrap().iter().find(|u| u["username"] == name).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (vera, admin) = (id_of("vera"), id_of("admin"));
    let cases = [
        (&v, "role", &vera, "role", "admin", StatusCode::FORBIDDEN),
        (&a, "role", &vera, "role", "operator", StatusCode::OK),
        (&a, "role", &admin, "role", "viewer", StatusCode::CONFLICT),
        (&a, "disable", &admin, "disabled", "true", StatusCode::CONFLICT),
        (&a, "role", &vera, "role", "root", StatusCode::BAD_REQUEST),
        (&a, "disable", &vera, "disabled", "true", StatusCode::OK),
    ];
    for (client, op, id, field, value, expected) in cases {
        let path = format!("/api/users/{op}");
        let (status, body) = post_form(client, &ferry, &path, &[("id", id.as_str()), (field, value)]).await;
        assert_eq!(status, expected, "{op} {field}={value}: {body}");
    }
    let vera_now = ferry.store.user_by_id(vera.parse().unwrap()).await.unwrap().user;
    assert_eq!((vera_now.role, vera_now.disabled), (ferry_model::Role::Operator, true));
    // Disabling ends the account's sessions at once; enabling lets it back in.
    let res = v.post(url("/api/users/list")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "a disabled account's session stops working");
    for (op, field, value) in [("disable", "disabled", "false"), ("role", "role", "viewer")] {
        let path = format!("/api/users/{op}");
        let (status, body) = post_form(&a, &ferry, &path, &[("id", vera.as_str()), (field, value)]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let res = v
        .post(url("/api/login"))
        .form(&[("username", "vera"), ("password", "viewer password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "enabled again, the account signs in");

    // The audit log saw it all, without secrets.
    let log = ferry.store.list_audit(100).await.unwrap();
    let actions: Vec<_> = log.iter().map(|e| e.action.as_str()).collect();
    for expected in [
        "user.created",
        "user.sign_in",
        "user.sign_out",
        "user.sign_in_failed",
        "user.role_changed",
        "user.disabled",
        "user.enabled",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    assert!(log.iter().all(|e| !e.detail.contains("password") || e.detail.contains("wrong")));

    live_channel(&ferry, &v).await;
    providers(&ferry, &v).await;
}

async fn save(
    c: &reqwest::Client,
    ferry: &Ferry,
    form: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    let res = c
        .post(format!("{}/api/providers/save", ferry.base))
        .json(&json!({ "form": form }))
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

fn field_of(body: &serde_json::Value) -> Vec<String> {
    body["Fields"]
        .as_array()
        .map(|a| a.iter().map(|p| p["field"].as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

async fn providers(ferry: &Ferry, viewer: &reqwest::Client) {
    const CANARY: &str = "canary-secret-5a1f0c";
    let url = |p: &str| format!("{}{p}", ferry.base);
    let c = client();
    let res = c
        .post(url("/api/login"))
        .form(&[("username", "admin"), ("password", "correct horse battery")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let folder = tempfile::tempdir().unwrap();
    let root = folder.path().to_str().unwrap().to_owned();
    let a_file = folder.path().join("file.txt");
    std::fs::write(&a_file, b"x").unwrap();

    // Bad input: each problem is named by field, and nothing is saved.
    let s3 = |extra: serde_json::Value| {
        let mut form = json!({ "name": "Bucket", "kind": "s3", "endpoint": "http://127.0.0.1:9", "bucket": "ferry-test",
                               "access_key_id": "AKIAFERRY", "secret_access_key": CANARY });
        form.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        form
    };
    for (form, field) in [
        (json!({ "name": "X", "kind": "ftp" }), "kind"),
        (s3(json!({ "secret_access_key": "" })), "secret_access_key"),
        (s3(json!({ "endpoint": "http://[::ffff:169.254.169.254]" })), "endpoint"),
        (s3(json!({ "endpoint": "file:///etc/passwd" })), "endpoint"),
        (s3(json!({ "bucket": "no" })), "bucket"),
        (s3(json!({ "name": "" })), "name"),
        (json!({ "name": "Disk", "kind": "local", "root": format!("{root}/missing") }), "root"),
        (json!({ "name": "Disk", "kind": "local", "root": a_file.to_str().unwrap() }), "root"),
        (json!({ "name": "Disk", "kind": "local", "root": "relative/dir" }), "root"),
    ] {
        let (status, body) = save(&c, ferry, form.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{form}: {body}");
        assert!(field_of(&body).contains(&field.to_owned()), "{form}: {body}");
        assert!(!body.to_string().contains(CANARY), "{body}");
    }
    let res = c
        .post(url("/api/providers/save"))
        .header("content-type", "application/json")
        .body("{\"form\": {\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "malformed JSON");
    let (status, body) = save(&c, ferry, s3(json!({ "surprise": 1 }))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "unknown field: {body}");
    assert!(ferry.store.list_providers().await.unwrap().is_empty(), "nothing saved");

    // Good input: saved, secrets sealed and never sent back.
    let (status, local) = save(&c, ferry, json!({ "name": "Disk", "kind": "local", "root": root })).await;
    assert_eq!(status, StatusCode::OK, "{local}");
    let (status, bucket) = save(&c, ferry, s3(json!({}))).await;
    assert_eq!(status, StatusCode::OK, "{bucket}");
    assert_eq!(bucket["secret_set"], true);
    let listed = c.post(url("/api/providers/list")).send().await.unwrap().text().await.unwrap();
    assert!(listed.contains("ferry-test") && !listed.contains(CANARY), "{listed}");
    let stored = ferry.store.list_providers().await.unwrap();
    assert!(stored.iter().all(|p| !p.secrets.as_deref().unwrap_or_default().contains(CANARY)));
    let (status, body) = save(&c, ferry, json!({ "name": "disk", "kind": "local", "root": root })).await;
    assert_eq!(
        (status, field_of(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["name".to_owned()]),
        "{body}"
    );

    // Editing without a secret keeps the stored one.
    let id = bucket["id"].as_str().unwrap().to_owned();
    let (status, edited) =
        save(&c, ferry, s3(json!({ "id": id, "secret_access_key": "", "prefix": "in" }))).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(
        (edited["secret_set"].as_bool(), edited["settings"]["prefix"].as_str()),
        (Some(true), Some("in/"))
    );

    // Test connection: the folder works end to end; a closed port is explained.
    let res = c
        .post(url("/api/providers/test"))
        .json(&json!({ "form": { "id": local["id"], "name": "Disk", "kind": "local", "root": root } }))
        .send()
        .await
        .unwrap();
    let report: ferry_model::provider::TestReport = res.json().await.unwrap();
    assert!(report.ok, "{report:?}");
    assert!(report.steps.iter().any(|s| s.name == "Read it back" && s.ok), "{report:?}");
    assert_eq!(
        std::fs::read_dir(folder.path()).unwrap().count(),
        1,
        "the probe is gone: only file.txt is left"
    );
    let res = c
        .post(url("/api/providers/test"))
        .json(&json!({ "form": s3(json!({ "id": id, "secret_access_key": "" })) }))
        .send()
        .await
        .unwrap();
    let report: ferry_model::provider::TestReport = res.json().await.unwrap();
    assert!(!report.ok);
    assert!(report.problem.as_deref().unwrap_or_default().contains("could not connect"), "{report:?}");
    assert!(!format!("{report:?}").contains(CANARY));

    // The health check records both verdicts.
    assert_eq!(
        app::ssr::providers::check_health_once(
            ferry.store.as_ref(),
            &ferry.sealer,
            ferry.app.settings.endpoint_policy
        )
        .await,
        2
    );
    let health: Vec<_> =
        ferry.store.list_providers().await.unwrap().into_iter().map(|p| (p.name, p.health)).collect();
    assert!(health.contains(&("Disk".to_owned(), Health::Healthy)), "{health:?}");
    assert!(health.contains(&("Bucket".to_owned(), Health::Failing)), "{health:?}");

    // Viewers read but cannot change.
    let res = viewer.post(url("/api/providers/list")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (status, _) = save(viewer, ferry, json!({ "name": "V", "kind": "local", "root": root })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let res = viewer.post(url("/api/providers/delete")).form(&[("id", id.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Disable, delete, and a second delete finds nothing.
    let res = c
        .post(url("/api/providers/status"))
        .form(&[("id", id.as_str()), ("status", "disabled")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = c.post(url("/api/providers/delete")).form(&[("id", id.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = c.post(url("/api/providers/delete")).form(&[("id", id.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = c.post(url("/api/providers/delete")).form(&[("id", "not-a-uuid")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // The audit log names each change and never the secret.
    let log = ferry.store.list_audit(500).await.unwrap();
    let actions: Vec<_> = log.iter().map(|e| e.action.as_str()).collect();
    for expected in ["provider.created", "provider.changed", "provider.status_changed", "provider.deleted"] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    assert!(log.iter().all(|e| !format!("{e:?}").contains(CANARY)));

    migrations(ferry, &c, viewer, folder.path(), local["id"].as_str().unwrap()).await;
}

async fn migrations(
    ferry: &Ferry,
    c: &reqwest::Client,
    viewer: &reqwest::Client,
    source_root: &std::path::Path,
    source_id: &str,
) {
    let url = |p: &str| format!("{}{p}", ferry.base);
    // Documents in the source folder; an empty destination folder.
    std::fs::create_dir_all(source_root.join("in/sub")).unwrap();
    for i in 0..5 {
        std::fs::write(source_root.join(format!("in/sub/{i}.pdf")), format!("pdf {i}").repeat(100)).unwrap();
    }
    std::fs::write(source_root.join("in/skip.txt"), b"not a pdf").unwrap();
    let dest_dir = tempfile::tempdir().unwrap();
    let (status, dest) =
        save(c, ferry, json!({ "name": "Archive", "kind": "local", "root": dest_dir.path() })).await;
    assert_eq!(status, StatusCode::OK, "{dest}");
    let dest_id = dest["id"].as_str().unwrap();
    let form = |extra: serde_json::Value| {
        let mut form = json!({ "name": "Invoices", "source_id": source_id, "source_prefix": "in", "dest_id": dest_id,
                               "dest_prefix": "2026/", "strategy": "copy", "overwrite": "if-different",
                               "filter": { "extensions": ["pdf"] } });
        form.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json!({ "form": form })
    };
    let create = |body: serde_json::Value| async move {
        let res = c.post(url("/api/migrations/create")).json(&body).send().await.unwrap();
        let status = res.status();
        (status, res.json::<serde_json::Value>().await.unwrap_or_default())
    };

    // Bad input: named fields, nothing created.
    for (extra, field) in [
        (json!({ "name": "" }), "name"),
        (json!({ "concurrency": 0 }), "concurrency"),
        (json!({ "concurrency": 100000 }), "concurrency"),
        (json!({ "bandwidth_limit": -5 }), "bandwidth_limit"),
        (json!({ "dest_id": source_id, "dest_prefix": "in/sub/" }), "dest_prefix"),
        (json!({ "source_id": uuid::Uuid::now_v7() }), "source_id"),
        (json!({ "source_prefix": "../etc" }), "source_prefix"),
        (json!({ "filter": { "include": ["[oops"] } }), "filter.include"),
    ] {
        let (status, body) = create(form(extra.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{extra}: {body}");
        assert!(field_of(&body).contains(&field.to_owned()), "{extra}: {body}");
    }
    let (status, _) = create(form(json!({ "strategy": "teleport" }))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "unknown strategy");
    assert!(ferry.store.list_jobs().await.unwrap().is_empty());

    // A viewer may look but not create or start.
    let res = viewer.post(url("/api/migrations/create")).json(&form(json!({}))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    wizard(ferry, c, viewer, source_id, &form(json!({}))).await;

    // Create, start, and watch it finish.
    let (status, job) = create(form(json!({}))).await;
    assert_eq!(status, StatusCode::OK, "{job}");
    assert_eq!(job["status"], "draft");
    let id = job["id"].as_str().unwrap().to_owned();
    let res = viewer.post(url("/api/migrations/start")).form(&[("id", id.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = c.post(url("/api/migrations/start")).form(&[("id", id.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    let last = common::wait_for_status(c, &ferry.base, &id, &["completed"]).await;
    assert_eq!(last["status"], "completed", "{last}");
    assert_eq!(
        (last["counts"]["done"].as_i64(), last["counts"]["total"].as_i64()),
        (Some(5), Some(5)),
        "{last}"
    );
    for i in 0..5 {
        let copied = std::fs::read(dest_dir.path().join(format!("2026/sub/{i}.pdf"))).unwrap();
        assert_eq!(copied, format!("pdf {i}").repeat(100).into_bytes());
    }
    assert!(!dest_dir.path().join("2026/skip.txt").exists(), "filtered out");
    let items = common::items(c, &ferry.base, &id, "verified", 2).await;
    assert_eq!(items.len(), 2, "paged");
    let page = c
        .post(url("/api/migrations/items"))
        .json(&json!({ "id": id, "status": null, "search": "SUB/3", "after": null, "limit": 10 }))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "{page}");
    assert_eq!(
        (page["items"][0]["source_key"].as_str(), page["more"].as_bool()),
        (Some("in/sub/3.pdf"), Some(false))
    );
    let first = c
        .post(url("/api/migrations/items"))
        .json(&json!({ "id": id, "status": null, "search": null, "after": null, "limit": 2 }))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(first["more"], true, "three more follow: {first}");
    let view = common::job(c, &ferry.base, &id).await;
    assert_eq!(
        (view["plan"]["copy"].as_i64(), view["plan"]["hash_matched"].as_i64()),
        (Some(5), Some(5)),
        "{view}"
    );
    assert_eq!(items[0]["source_key"], "in/sub/0.pdf");
    assert_eq!(items[0]["source_sha256"].as_str().map(str::len), Some(64));

    // The report: one CSV row per item with both hashes; the plan as CSV too.
    let res = viewer.get(url(&format!("/migrations/{id}/report.csv"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("Invoices-report.csv"));
    let csv = res.text().await.unwrap();
    let lines: Vec<_> = csv.lines().collect();
    assert_eq!(lines.len(), 6, "{csv}");
    assert!(lines[0].starts_with("source_key,dest_key,size,action,status"));
    assert!(lines[1].starts_with("in/sub/0.pdf,2026/sub/0.pdf,"), "{csv}");
    assert!(
        lines[1].contains(",verified,1,") && lines[1].matches(|c: char| c.is_ascii_hexdigit()).count() >= 128,
        "{csv}"
    );
    let plan = viewer
        .get(url(&format!("/migrations/{id}/report.csv?plan=1")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(plan.starts_with("source_key,dest_key,size,action,reason\r\n"), "{plan}");
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(same_origin_headers())
        .build()
        .unwrap();
    let res = anonymous.get(url(&format!("/migrations/{id}/report.csv"))).send().await.unwrap();
    assert!(res.status().is_redirection() || res.status() == StatusCode::UNAUTHORIZED, "{}", res.status());
    let res = viewer.get(url("/migrations/not-an-id/report.csv")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // Prometheus figures: counts only, for scrapers without a session.
    let metrics = anonymous.get(url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("# TYPE ferry_migrations gauge"), "{metrics}");
    assert!(metrics.contains("ferry_migrations{status=\"completed\"} 1"), "{metrics}");
    assert!(metrics.contains("ferry_items{status=\"verified\"} 5"), "{metrics}");
    assert!(metrics.contains("ferry_documents 5"), "{metrics}");
    assert!(!metrics.contains("Invoices") && !metrics.contains("pdf"), "no names or keys: {metrics}");

    // The bandwidth limit can be changed (also while running); nonsense is refused.
    let res = c
        .post(url("/api/migrations/bandwidth"))
        .form(&[("id", id.as_str()), ("bytes_per_second", "1048576")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        ferry.store.job_by_id(id.parse().unwrap()).await.unwrap().spec.bandwidth_limit,
        Some(1_048_576)
    );
    let res = c
        .post(url("/api/migrations/bandwidth"))
        .form(&[("id", id.as_str()), ("bytes_per_second", "-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res =
        viewer.post(url("/api/migrations/bandwidth")).form(&[("id", id.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Ended: pausing is refused; starting again finds nothing to copy.
    let res = c.post(url("/api/migrations/pause")).form(&[("id", id.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let list: serde_json::Value =
        viewer.post(url("/api/migrations/list")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list[0]["name"], "Invoices");
    assert_eq!(list[0]["source"], "Disk");
    // The providers it uses cannot be deleted now.
    let res = c.post(url("/api/providers/delete")).form(&[("id", dest_id)]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // Roll it back: the copies go, the sources stay.
    let res = viewer.post(url("/api/migrations/rollback")).form(&[("id", id.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = c.post(url("/api/migrations/rollback")).form(&[("id", id.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    let last = common::wait_for_status(c, &ferry.base, &id, &["rolled_back"]).await;
    assert_eq!(last["status"], "rolled_back", "{last}");
    assert!(!dest_dir.path().join("2026/sub/0.pdf").exists(), "the copy is gone");
    assert!(source_root.join("in/sub/0.pdf").exists(), "the source stays");
    let res = c.post(url("/api/migrations/rollback")).form(&[("id", id.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT, "only once");

    // Schedules: bad ones are named; a due one is started by the scheduler.
    for (schedule, why) in
        [("cron 61 * * * *", "minute"), ("at 2001-01-01T00:00:00Z", "passed"), ("hourly", "manual")]
    {
        let (status, body) = create(form(json!({ "name": "Nightly", "schedule": schedule }))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{schedule}: {body}");
        assert!(body.to_string().contains(why), "{schedule}: {body}");
    }
    let (status, nightly) =
        create(form(json!({ "name": "Nightly", "dest_prefix": "nightly/", "schedule": "cron 0 2 * * *" })))
            .await;
    assert_eq!(status, StatusCode::OK, "{nightly}");
    assert_eq!(nightly["schedule"], "cron 0 2 * * *");
    let next: chrono::DateTime<chrono::Utc> = nightly["next_run"].as_str().unwrap().parse().unwrap();
    assert_eq!(next.format("%H:%M").to_string(), "02:00");
    assert_eq!(
        app::ssr::migrations::start_due(&ferry.app, next - chrono::Duration::minutes(1)).await,
        0,
        "not yet"
    );
    assert_eq!(app::ssr::migrations::start_due(&ferry.app, next).await, 1);
    let nightly_id = nightly["id"].as_str().unwrap().to_owned();
    let last = common::wait_for_status(c, &ferry.base, &nightly_id, &["completed"]).await;
    assert_eq!(last["status"], "completed", "{last}");
    assert!(dest_dir.path().join("nightly/sub/0.pdf").exists());
    let following: chrono::DateTime<chrono::Utc> = last["next_run"].as_str().unwrap().parse().unwrap();
    assert!(following > chrono::Utc::now(), "the next night: {following}");

    let log = ferry.store.list_audit(500).await.unwrap();
    assert!(log.iter().any(|e| e.actor_name == "scheduler"));
    for action in ["job.created", "job.started", "job.rolled_back"] {
        assert!(log.iter().any(|e| e.action == action), "{action}");
    }

    live_progress(ferry, c, source_root, &nightly_id, &create_slow(ferry, c, source_id, dest_id).await).await;
    failed_items(ferry, c, viewer, source_id).await;
}

/// A migration of 16 × 64 KiB held to 256 KiB/s: about four seconds of work.
/// The wizard's questions: folders, the live preview, the review's estimate, and
/// the price table — none of which stores a migration or touches a provider.
async fn wizard(
    ferry: &Ferry,
    c: &reqwest::Client,
    viewer: &reqwest::Client,
    source_id: &str,
    form: &serde_json::Value,
) {
    let url = |p: &str| format!("{}{p}", ferry.base);
    let read = |res: reqwest::Response| async move {
        let status = res.status();
        (status, res.json::<serde_json::Value>().await.unwrap_or_default())
    };
    let folders = |prefix: &str| {
        viewer.post(url("/api/wizard/folders")).form(&[("provider_id", source_id), ("prefix", prefix)]).send()
    };
    let (status, top) = read(folders("").await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{top}");
    assert!(top["folders"].as_array().unwrap().iter().any(|f| f == "in/"), "{top}");
    let (_, inside) = read(folders("in").await.unwrap()).await;
    assert_eq!(
        (inside["folders"].clone(), inside["files"].as_u64()),
        (json!(["in/sub/"]), Some(1)),
        "{inside}"
    );
    let (status, bad) = read(folders("../etc").await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");

    let preview = |filter: serde_json::Value| {
        viewer
            .post(url("/api/wizard/preview"))
            .json(&json!({ "source_id": source_id, "source_prefix": "in", "filter": filter }))
            .send()
    };
    let (status, found) = read(preview(json!({ "extensions": ["PDF"] })).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!((found["listed"].as_u64(), found["matching"].as_u64()), (Some(6), Some(5)), "{found}");
    assert_eq!(found["bytes"].as_u64(), Some(5 * 500), "{found}");
    assert_eq!(found["sample"][0]["key"], "sub/0.pdf");
    let (status, bad) = read(preview(json!({ "include": ["[oops"] })).await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert!(bad.to_string().contains("filter.include"), "{bad}");

    // The estimate plans without storing; viewers may not ask (it reads documents).
    let res = viewer.post(url("/api/wizard/estimate")).json(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (status, estimate) = read(c.post(url("/api/wizard/estimate")).json(form).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{estimate}");
    assert_eq!(
        (estimate["copy"].as_u64(), estimate["skip"].as_u64(), estimate["filtered_out"].as_u64()),
        (Some(5), Some(0), Some(1)),
        "{estimate}"
    );
    assert_eq!(estimate["bytes"].as_u64(), Some(5 * 500), "{estimate}");
    assert!(estimate["seconds"].as_u64().is_some_and(|s| s >= 1), "a speed test ran: {estimate}");
    assert_eq!(estimate["cost"], json!([]), "local folders cost nothing: {estimate}");
    assert!(ferry.store.list_jobs().await.unwrap().is_empty(), "an estimate creates nothing");

    // Prices: everyone reads them; only an administrator changes them, with checked figures.
    let (status, prices) = read(viewer.post(url("/api/prices/get")).send().await.unwrap()).await;
    assert_eq!((status, prices["currency"].as_str()), (StatusCode::OK, Some("USD")), "{prices}");
    let mut changed = prices.clone();
    changed["egress_per_gb"] = json!(0.05);
    let res = viewer.post(url("/api/prices/save")).json(&json!({ "table": changed })).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let mut negative = prices.clone();
    negative["egress_per_gb"] = json!(-1);
    let (status, refused) =
        read(c.post(url("/api/prices/save")).json(&json!({ "table": negative })).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused.to_string().contains("egress_per_gb"), "{refused}");
    let (status, _) =
        read(c.post(url("/api/prices/save")).json(&json!({ "table": changed })).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let (_, now) = read(viewer.post(url("/api/prices/get")).send().await.unwrap()).await;
    assert_eq!(now["egress_per_gb"], 0.05);
}

async fn create_slow(ferry: &Ferry, c: &reqwest::Client, source_id: &str, dest_id: &str) -> String {
    let form = json!({ "form": { "name": "Slow", "source_id": source_id, "source_prefix": "slow", "dest_id": dest_id,
                                 "dest_prefix": "slow/", "strategy": "copy", "overwrite": "if-different",
                                 "concurrency": 4, "bandwidth_limit": 262_144 } });
    let res = c.post(format!("{}/api/migrations/create", ferry.base)).json(&form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

/// A signed-in, same-origin websocket.
async fn socket_for(
    ferry: &Ferry,
    username: &str,
    password: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let res = client()
        .post(format!("{}/api/login", ferry.base))
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .unwrap();
    let cookie = session_cookie(&res).unwrap().split(';').next().unwrap().to_owned();
    let mut req = format!("ws://{}/ws", ferry.addr).into_client_request().unwrap();
    req.headers_mut().insert(ORIGIN, ferry.base.parse().unwrap());
    req.headers_mut().insert(COOKIE, cookie.parse().unwrap());
    tokio_tungstenite::connect_async(req).await.unwrap().0
}

async fn next_live(
    socket: &mut tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
) -> Option<ferry_model::LiveMessage> {
    let msg = tokio::time::timeout(std::time::Duration::from_secs(20), socket.next()).await.ok()??.ok()?;
    serde_json::from_str(msg.to_text().ok()?).ok()
}

async fn live_progress(
    ferry: &Ferry,
    c: &reqwest::Client,
    source_root: &std::path::Path,
    done_id: &str,
    slow_id: &str,
) {
    use ferry_model::LiveMessage;
    use tokio_tungstenite::tungstenite::Message;
    std::fs::create_dir_all(source_root.join("slow")).unwrap();
    for i in 0..16 {
        std::fs::write(source_root.join(format!("slow/{i:02}.bin")), vec![u8::try_from(i).unwrap(); 65_536])
            .unwrap();
    }
    let mut socket = socket_for(ferry, "vera", "viewer password").await;
    let ghost = uuid::Uuid::now_v7();
    let watch = json!({ "type": "watch", "jobs": [done_id, ghost, slow_id] }).to_string();
    socket.send(Message::Text(watch.into())).await.unwrap();

    // A finished migration: one snapshot. One that does not exist: gone.
    let (mut finished, mut gone) = (None, false);
    while finished.is_none() || !gone {
        match next_live(&mut socket).await.expect("a message") {
            LiveMessage::Progress(p) if p.job_id.to_string() == done_id => finished = Some(p),
            LiveMessage::Gone { job_id } => gone = job_id == ghost,
            _ => {}
        }
    }
    let finished = finished.unwrap();
    assert_eq!(finished.status, ferry_model::job::JobStatus::Completed);
    assert_eq!((finished.counts.done, finished.fraction()), (5, 1.0), "{finished:?}");
    assert_eq!(finished.eta_secs, None, "nothing left to estimate");

    // A running one: counters advance while it runs, pushed without asking again.
    let res =
        c.post(format!("{}/api/migrations/start", ferry.base)).form(&[("id", slow_id)]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut seen = Vec::new();
    let mut rated = false;
    loop {
        let Some(message) = next_live(&mut socket).await else { panic!("progress stopped: {seen:?}") };
        let LiveMessage::Progress(p) = message else { continue };
        if p.job_id.to_string() != slow_id {
            continue;
        }
        if p.status == ferry_model::job::JobStatus::Running && p.counts.done > 0 {
            rated |= p.bytes_per_sec > 0.0 && p.eta_secs.is_some() && !p.recent.is_empty();
        }
        seen.push(p.counts.done);
        if p.status == ferry_model::job::JobStatus::Completed {
            break;
        }
    }
    assert_eq!(seen.last(), Some(&16), "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "never backwards: {seen:?}");
    let distinct = seen.iter().collect::<std::collections::BTreeSet<_>>().len();
    assert!(distinct >= 3, "several steps pushed while it ran: {seen:?}");
    assert!(rated, "a rate, an ETA and recent items while running");

    // A request the server does not understand closes the socket plainly.
    socket.send(Message::Text("{\"type\":\"explode\"}".into())).await.unwrap();
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(5), socket.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => {
                assert_eq!(frame.map(|f| u16::from(f.code)), Some(1003));
                break;
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

/// Items that fail are reported with their reason; once the cause is fixed,
/// retrying the chosen ones finishes the migration.
async fn failed_items(ferry: &Ferry, c: &reqwest::Client, viewer: &reqwest::Client, source_id: &str) {
    let url = |p: &str| format!("{}{p}", ferry.base);
    let dest_dir = tempfile::tempdir().unwrap();
    let (status, dest) =
        save(c, ferry, json!({ "name": "Blocked", "kind": "local", "root": dest_dir.path() })).await;
    assert_eq!(status, StatusCode::OK, "{dest}");
    // A file where the copies need a folder: those copies cannot be written.
    std::fs::write(dest_dir.path().join("sub"), b"in the way").unwrap();
    let form = json!({ "form": { "name": "Blocked run", "source_id": source_id, "source_prefix": "in",
                                 "dest_id": dest["id"], "strategy": "copy", "overwrite": "if-different",
                                 "max_attempts": 1 } });
    let res = c.post(url("/api/migrations/create")).json(&form).send().await.unwrap();
    let id = res.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let res = c.post(url("/api/migrations/start")).form(&[("id", id.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let last = common::wait_for_status(c, &ferry.base, &id, &["completed_with_errors"]).await;
    assert_eq!(last["status"], "completed_with_errors", "{last}");
    assert_eq!(
        (last["counts"]["failed"].as_i64(), last["counts"]["done"].as_i64()),
        (Some(5), Some(1)),
        "{last}"
    );
    let failed = common::items(c, &ferry.base, &id, "failed", 100).await;
    assert_eq!(failed.len(), 5);
    assert!(failed.iter().all(|i| i["error_message"].as_str().is_some_and(|m| !m.is_empty())), "{failed:?}");
    let outbox = ferry.store.job_events(Some(id.parse().unwrap()), Some("item_failed"), 10).await.unwrap();
    assert_eq!(outbox.len(), 5, "each failure is in the outbox");

    // Bad retries: a viewer, an item that did not fail, too many keys.
    let retry = |who: &reqwest::Client, keys: serde_json::Value| {
        let body = json!({ "id": id, "keys": keys });
        let req = who.post(url("/api/migrations/retry")).json(&body);
        async move { req.send().await.unwrap() }
    };
    assert_eq!(retry(viewer, json!(["in/sub/0.pdf"])).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(retry(c, json!(["in/skip.txt"])).await.status(), StatusCode::CONFLICT);
    let many: Vec<String> = (0..10_001).map(|i| format!("k{i}")).collect();
    assert_eq!(retry(c, json!(many)).await.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Fix the cause, retry two chosen items: only those run.
    std::fs::remove_file(dest_dir.path().join("sub")).unwrap();
    let res = retry(c, json!(["in/sub/0.pdf", "in/sub/1.pdf"])).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    let last = common::wait_for_status(c, &ferry.base, &id, &["completed_with_errors"]).await;
    assert_eq!(
        (last["counts"]["failed"].as_i64(), last["counts"]["done"].as_i64()),
        (Some(3), Some(3)),
        "{last}"
    );
    assert!(dest_dir.path().join("sub/0.pdf").exists() && !dest_dir.path().join("sub/2.pdf").exists());
    // Then all the rest.
    let res = retry(c, serde_json::Value::Null).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    let last = common::wait_for_status(c, &ferry.base, &id, &["completed"]).await;
    assert_eq!(
        (last["counts"]["failed"].as_i64(), last["counts"]["done"].as_i64()),
        (Some(0), Some(6)),
        "{last}"
    );
}

async fn live_channel(ferry: &Ferry, signed_in: &reqwest::Client) {
    let ws_url = format!("ws://{}/ws", ferry.addr);
    let origin = ferry.base.clone();

    // Without a session: refused.
    let mut req = ws_url.as_str().into_client_request().unwrap();
    req.headers_mut().insert(ORIGIN, origin.parse().unwrap());
    let err = tokio_tungstenite::connect_async(req).await.unwrap_err().to_string();
    assert!(err.contains("401"), "{err}");

    // A session cookie, from a real sign-in.
    let res = signed_in
        .post(format!("{}/api/login", ferry.base))
        .form(&[("username", "vera"), ("password", "viewer password")])
        .send()
        .await
        .unwrap();
    let cookie = session_cookie(&res).unwrap().split(';').next().unwrap().to_owned();

    // Another site's page: refused even with the cookie.
    let mut req = ws_url.as_str().into_client_request().unwrap();
    req.headers_mut().insert(ORIGIN, "http://evil.example".parse().unwrap());
    req.headers_mut().insert(COOKIE, cookie.parse().unwrap());
    let err = tokio_tungstenite::connect_async(req).await.unwrap_err().to_string();
    assert!(err.contains("403"), "{err}");

    // Same origin with a session: heartbeats with a rising sequence.
    let mut req = ws_url.as_str().into_client_request().unwrap();
    req.headers_mut().insert(ORIGIN, origin.parse().unwrap());
    req.headers_mut().insert(COOKIE, cookie.parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let mut seqs = Vec::new();
    while seqs.len() < 2 {
        let msg = socket.next().await.unwrap().unwrap();
        let text = msg.into_text().unwrap();
        if let ferry_model::LiveMessage::Heartbeat { seq, .. } = serde_json::from_str(&text).unwrap() {
            seqs.push(seq);
        }
    }
    assert_eq!(seqs, [1, 2]);
}

#[tokio::test]
async fn sqlite_server_story() {
    story(start(None).await).await;
}

#[tokio::test]
async fn postgres_server_story() {
    let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("SKIPPED postgres_server_story: TEST_DATABASE_URL is not set");
        return;
    };
    let schema = format!("ferry_srv_{}", uuid::Uuid::now_v7().simple());
    let admin = sqlx::PgPool::connect(&base).await.unwrap();
    sqlx::query(&format!("create schema {schema}")).execute(&admin).await.unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    story(start(Some(format!("{base}{sep}options=-c%20search_path%3D{schema}"))).await).await;
    sqlx::query(&format!("drop schema {schema} cascade")).execute(&admin).await.unwrap();
}

#[tokio::test]
async fn sqlite_security_story() {
    security::story(&start(None).await).await;
}

#[tokio::test]
async fn postgres_security_story() {
    let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("SKIPPED postgres_security_story: TEST_DATABASE_URL is not set");
        return;
    };
    let schema = format!("ferry_sec_{}", uuid::Uuid::now_v7().simple());
    let admin = sqlx::PgPool::connect(&base).await.unwrap();
    sqlx::query(&format!("create schema {schema}")).execute(&admin).await.unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    security::story(&start(Some(format!("{base}{sep}options=-c%20search_path%3D{schema}"))).await).await;
    sqlx::query(&format!("drop schema {schema} cascade")).execute(&admin).await.unwrap();
}

#[tokio::test]
async fn a_public_https_url_brings_hsts_and_is_the_only_origin_accepted() {
    let public = "https://ferry.example";
    let ferry = start_with(Overrides { public_url: Some(public.to_owned()), ..Overrides::default() }).await;
    let c = reqwest::Client::new();
    let res = c.get(format!("{}/healthz", ferry.base)).send().await.unwrap();
    assert!(res.headers()["strict-transport-security"].to_str().unwrap().contains("max-age="));
    let login = |origin: String| {
        c.post(format!("{}/api/login", ferry.base)).header(ORIGIN, origin).form(&[("username", "x")]).send()
    };
    // The address it was reached at is not its public origin: refused.
    assert_eq!(login(ferry.base.clone()).await.unwrap().status(), StatusCode::FORBIDDEN);
    // The public origin passes the check (and meets the form's own validation).
    assert_eq!(login(public.to_owned()).await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
}
