//! Security over real HTTP: headers, the cross-site check, sign-in throttling,
//! API tokens, the JSON API with hostile input, the audit log, and a canary
//! secret that must never come back out.

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, ORIGIN};
use serde_json::{Value, json};

use super::{Ferry, client, post_form};

const CANARY: &str = "CANARY-9f3e1c7a-never-shown";

/// Everything a response said, kept to look for the canary at the end.
#[derive(Default)]
struct Seen(String);

impl Seen {
    async fn text(&mut self, res: reqwest::Response) -> (StatusCode, String) {
        let status = res.status();
        for (name, value) in res.headers() {
            self.0.push_str(&format!("{name}: {value:?}\n"));
        }
        let text = res.text().await.unwrap();
        self.0.push_str(&text);
        (status, text)
    }

    async fn json(&mut self, res: reqwest::Response) -> (StatusCode, Value) {
        let url = res.url().to_string();
        let (status, text) = self.text(res).await;
        (
            status,
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON from {url} ({status}): {text}")),
        )
    }
}

pub async fn story(ferry: &Ferry) {
    let url = |p: &str| format!("{}{p}", ferry.base);
    let mut seen = Seen::default();
    let admin = client();
    let (status, body) = post_form(
        &admin,
        ferry,
        "/api/setup",
        &[("username", "root"), ("password", "root password 1"), ("confirm", "root password 1")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    headers(ferry).await;
    cross_site(ferry, &admin).await;
    throttling(ferry).await;

    // Tokens: made on the settings page, shown once, stored as a hash.
    let make = |name: &str, role: Option<&str>| {
        let mut form = vec![("name", name.to_owned())];
        if let Some(role) = role {
            form.push(("role", role.to_owned()));
        }
        admin.post(url("/api/tokens/create")).form(&form).send()
    };
    let (status, made) = seen.json(make("ci deploy", None).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{made}");
    let secret = made["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("fry_") && secret.len() == 68, "{secret}");
    let (_, viewer_made) = seen.json(make("read only", Some("viewer")).await.unwrap()).await;
    let viewer_secret = viewer_made["secret"].as_str().unwrap().to_owned();
    let (status, body) = seen.text(make("", None).await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, listed) = seen.text(admin.post(url("/api/tokens/list")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        listed.contains("ci deploy") && !listed.contains(&secret[10..]),
        "never the secret again: {listed}"
    );
    let stored = ferry.store.list_tokens(None).await.unwrap();
    assert_eq!(stored.len(), 2);

    let api = |method: reqwest::Method, path: &str, token: &str| {
        reqwest::Client::new().request(method, url(path)).header(AUTHORIZATION, format!("Bearer {token}"))
    };
    let get = |path: &str, token: &str| api(reqwest::Method::GET, path, token);
    let post = |path: &str, token: &str| api(reqwest::Method::POST, path, token);

    // Without a token, with a cookie only, or with a made-up token: 401.
    let (status, body) = seen.json(reqwest::get(url("/api/v1/providers")).await.unwrap()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));
    let (status, _) = seen.json(admin.get(url("/api/v1/providers")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the API ignores session cookies");
    let (status, _) = seen.json(get("/api/v1/me", "fry_0000").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, me) = seen.json(get("/api/v1/me", &secret).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((me["username"].as_str(), me["role"].as_str()), (Some("root"), Some("admin")));

    // Providers over the API, one holding the canary secret.
    let dir = tempfile::tempdir().unwrap();
    let local = json!({ "name": "Scans", "kind": "local", "root": dir.path() });
    let (status, created) =
        seen.json(post("/api/v1/providers", &secret).json(&local).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let provider_id = created["id"].as_str().unwrap().to_owned();
    let s3 = json!({ "name": "Canary bucket", "kind": "s3", "endpoint": "http://127.0.0.1:9", "region": "us-east-1",
                     "bucket": "canary", "access_key_id": "AKIACANARY", "secret_access_key": CANARY });
    let (status, body) = seen.json(post("/api/v1/providers", &secret).json(&s3).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let canary_id = body["id"].as_str().unwrap().to_owned();
    let (status, _) =
        seen.json(post(&format!("/api/v1/providers/{canary_id}/test"), &secret).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) =
        seen.json(post("/api/v1/providers/test", &secret).json(&s3).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = seen.json(get("/api/v1/providers", &viewer_secret).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "a viewer token reads");
    assert_eq!(body.as_array().unwrap().len(), 2);
    let (status, body) =
        seen.json(post("/api/v1/providers", &viewer_secret).json(&local).send().await.unwrap()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "{body}"
    );

    // Hostile and malformed input: the right status and code, and nothing changes.
    let providers_before = ferry.store.list_providers().await.unwrap().len();
    let jobs_before = ferry.store.list_jobs().await.unwrap().len();
    let job = |extra: Value| {
        let mut form = json!({ "name": "Nightly", "source_id": provider_id, "dest_id": provider_id,
                               "source_prefix": "in", "dest_prefix": "out",
                               "strategy": "copy", "overwrite": "if-different" });
        if let (Some(form), Some(extra)) = (form.as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                form.insert(k.clone(), v.clone());
            }
        }
        form
    };
    let missing = uuid::Uuid::now_v7();
    let long_key = "k".repeat(2000);
    let raw = |method: reqwest::Method, path: &str, body: &str, content_type: &str| {
        api(method, path, &secret).header(CONTENT_TYPE, content_type.to_owned()).body(body.to_owned())
    };
    let json_type = "application/json";
    let mut cases: Vec<(&str, reqwest::RequestBuilder, StatusCode, &str)> = vec![
        (
            "malformed JSON",
            raw(reqwest::Method::POST, "/api/v1/providers", "{\"name\": ", json_type),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "not JSON at all",
            raw(reqwest::Method::POST, "/api/v1/migrations", "\u{0}\u{1}", json_type),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "no content type",
            raw(reqwest::Method::POST, "/api/v1/providers", "{}", "text/plain"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "oversized body",
            raw(
                reqwest::Method::POST,
                "/api/v1/providers",
                &format!("{{\"name\":\"{}\"}}", "x".repeat(300_000)),
                json_type,
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
        ),
        (
            "unknown field",
            post("/api/v1/providers", &secret)
                .json(&json!({ "name": "x", "kind": "local", "root": "/tmp", "admin": true })),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "wrong type",
            post("/api/v1/migrations", &secret).json(&job(json!({ "concurrency": "lots" }))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "unknown job field",
            post("/api/v1/migrations", &secret).json(&job(json!({ "sudo": 1 }))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "negative concurrency",
            post("/api/v1/migrations", &secret).json(&job(json!({ "concurrency": -4 }))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            "huge concurrency",
            post("/api/v1/migrations", &secret).json(&job(json!({ "concurrency": 9_000_000_000_i64 }))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            "negative bandwidth",
            post("/api/v1/migrations", &secret).json(&job(json!({ "bandwidth_limit": -1 }))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            "number too big for JSON field",
            post("/api/v1/migrations", &secret).json(&job(json!({ "bandwidth_limit": 1e300 }))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "invalid cron",
            post("/api/v1/migrations", &secret).json(&job(json!({ "schedule": "cron: every tuesday" }))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            "prefix with ..",
            post("/api/v1/migrations", &secret).json(&job(json!({ "source_prefix": "../etc" }))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            "prefix with NUL",
            post("/api/v1/migrations", &secret).json(&job(json!({ "dest_prefix": "a\u{0}b" }))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            "prefix with a control character",
            post("/api/v1/migrations", &secret).json(&job(json!({ "dest_prefix": "a\u{1b}[31m" }))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            "2,000-byte prefix",
            post("/api/v1/migrations", &secret).json(&job(json!({ "source_prefix": long_key }))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            "source that does not exist",
            post("/api/v1/migrations", &secret).json(&job(json!({ "source_id": missing }))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            "id that is not a UUID",
            get("/api/v1/migrations/not-a-uuid", &secret),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "migration that does not exist",
            get(&format!("/api/v1/migrations/{missing}"), &secret),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "start what does not exist",
            post(&format!("/api/v1/migrations/{missing}/start"), &secret),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "unknown action",
            post(&format!("/api/v1/migrations/{missing}/explode"), &secret),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "document that does not exist",
            get(&format!("/api/v1/documents/{missing}"), &secret),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "provider that does not exist",
            api(reqwest::Method::DELETE, &format!("/api/v1/providers/{missing}"), &secret),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "items limit out of range",
            get(&format!("/api/v1/migrations/{missing}/items?limit=100000"), &secret),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            "items status unknown",
            get(&format!("/api/v1/migrations/{missing}/items?status=exploded"), &secret),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        ("no such call", get("/api/v1/nothing-here", &secret), StatusCode::NOT_FOUND, "not_found"),
        (
            "viewer token starts a migration",
            post(&format!("/api/v1/migrations/{missing}/start"), &viewer_secret),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "viewer token deletes a provider",
            api(reqwest::Method::DELETE, &format!("/api/v1/providers/{provider_id}"), &viewer_secret),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "audit log for a viewer token",
            get("/api/v1/audit", &viewer_secret),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
    ];
    let metadata = |endpoint: &str| {
        let mut form = s3.clone();
        form["name"] = json!(format!("Metadata {endpoint}"));
        form["endpoint"] = json!(endpoint);
        post("/api/v1/providers", &secret).json(&form)
    };
    for endpoint in [
        "http://169.254.169.254",
        "http://0xA9FEA9FE",
        "http://2852039166",
        "http://[::ffff:169.254.169.254]",
        "http://[fd00:ec2::254]",
        "http://metadata.google.internal",
    ] {
        cases.push((
            "a cloud metadata endpoint",
            metadata(endpoint),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ));
    }
    for (what, request, status, code) in cases {
        let (got, body) = seen.json(request.send().await.unwrap()).await;
        assert_eq!(got, status, "{what}: {body}");
        assert_eq!(body["error"]["code"].as_str(), Some(code), "{what}: {body}");
        assert!(!body["error"]["message"].as_str().unwrap_or_default().is_empty(), "{what}: a message");
    }
    // The console's server functions, sent the same kinds of input by a signed-in admin.
    let server_fn = |path: &str| admin.post(url(path));
    let fn_cases: Vec<(&str, reqwest::RequestBuilder, StatusCode)> = vec![
        (
            "malformed JSON",
            server_fn("/api/migrations/create").header(CONTENT_TYPE, json_type).body("{\"form\": "),
            StatusCode::BAD_REQUEST,
        ),
        (
            "unknown field",
            server_fn("/api/migrations/create").json(&json!({ "form": job(json!({ "sudo": true })) })),
            StatusCode::BAD_REQUEST,
        ),
        (
            "wrong type",
            server_fn("/api/migrations/create").json(&json!({ "form": job(json!({ "concurrency": [] })) })),
            StatusCode::BAD_REQUEST,
        ),
        (
            "negative concurrency",
            server_fn("/api/migrations/create").json(&json!({ "form": job(json!({ "concurrency": -1 })) })),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "huge bandwidth",
            server_fn("/api/migrations/bandwidth").form(&[
                ("id", missing.to_string().as_str()),
                ("bytes_per_second", "99999999999999999999999"),
            ]),
            StatusCode::BAD_REQUEST,
        ),
        (
            "invalid cron",
            server_fn("/api/migrations/create")
                .json(&json!({ "form": job(json!({ "schedule": "cron: 61 * * * *" })) })),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "prefix with ..",
            server_fn("/api/migrations/create")
                .json(&json!({ "form": job(json!({ "dest_prefix": "a/../../b" })) })),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "name with NUL",
            server_fn("/api/providers/save")
                .json(&json!({ "form": { "name": "a\u{0}b", "kind": "local", "root": "/tmp" } })),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "id that is not a UUID",
            server_fn("/api/migrations/get").form(&[("id", "../../etc")]),
            StatusCode::BAD_REQUEST,
        ),
        (
            "migration that does not exist",
            server_fn("/api/migrations/start").form(&[("id", missing.to_string().as_str())]),
            StatusCode::NOT_FOUND,
        ),
        (
            "token for a role above one's own",
            server_fn("/api/tokens/create").form(&[("name", "x"), ("role", "superuser")]),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (what, request, status) in fn_cases {
        let (got, body) = seen.text(request.send().await.unwrap()).await;
        assert_eq!(got, status, "server function, {what}: {body}");
        assert!(!body.is_empty() && !body.contains("panicked"), "{what}: {body}");
    }
    assert_eq!(ferry.store.list_providers().await.unwrap().len(), providers_before, "no provider changed");
    assert_eq!(ferry.store.list_jobs().await.unwrap().len(), jobs_before, "no migration was created");

    // A migration through the API: plan, create, start, items, report.
    std::fs::create_dir_all(dir.path().join("in")).unwrap();
    for i in 0..3 {
        std::fs::write(dir.path().join(format!("in/{i}.txt")), format!("document {i}")).unwrap();
    }
    let (status, plan) =
        seen.json(post("/api/v1/migrations/plan", &secret).json(&job(json!({}))).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(plan["copy"], 3, "{plan}");
    assert_eq!(ferry.store.list_jobs().await.unwrap().len(), jobs_before, "planning creates nothing");
    let (status, created) = seen
        .json(
            post("/api/v1/migrations", &secret)
                .json(&job(json!({ "name": "<script>alert(1)</script>" })))
                .send()
                .await
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let (status, _) =
        seen.json(post(&format!("/api/v1/migrations/{id}/start"), &secret).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (_, view) =
            seen.json(get(&format!("/api/v1/migrations/{id}"), &viewer_secret).send().await.unwrap()).await;
        if view["status"] == "completed" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never completed: {view}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (status, page) = seen
        .json(get(&format!("/api/v1/migrations/{id}/items?limit=2"), &secret).send().await.unwrap())
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let next = page["next"].as_str().unwrap().to_owned();
    let (_, rest) = seen
        .json(
            get(&format!("/api/v1/migrations/{id}/items?limit=2&after={next}"), &secret)
                .send()
                .await
                .unwrap(),
        )
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["next"].is_null(), "{rest}");
    let (status, csv) =
        seen.text(get(&format!("/api/v1/migrations/{id}/report.csv"), &secret).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(csv.lines().count(), 4, "{csv}");
    let (status, docs) =
        seen.json(get("/api/v1/documents?search=in/1", &viewer_secret).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{docs}");
    let doc = docs["documents"][0]["id"].as_str().unwrap_or_else(|| panic!("{docs}")).to_owned();
    let (status, detail) =
        seen.json(get(&format!("/api/v1/documents/{doc}"), &viewer_secret).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{detail}");

    // The OpenAPI document describes every call, its token and its errors.
    let (status, doc) = seen.json(reqwest::get(url("/api/v1/openapi.json")).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");
    for path in [
        "/api/v1/me",
        "/api/v1/providers",
        "/api/v1/providers/{id}",
        "/api/v1/providers/{id}/test",
        "/api/v1/migrations",
        "/api/v1/migrations/plan",
        "/api/v1/migrations/{id}/{action}",
        "/api/v1/migrations/{id}/items",
        "/api/v1/migrations/{id}/report.csv",
        "/api/v1/documents/{id}",
        "/api/v1/audit",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    assert_eq!(doc["components"]["securitySchemes"]["token"]["scheme"], "bearer");
    for schema in ["JobForm", "JobView", "ProviderForm", "ItemView", "ErrorBody", "DocumentDetail"] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema} in the document");
    }
    let job_form = &doc["components"]["schemas"]["JobForm"]["properties"];
    assert!(job_form["strategy"].is_object() && job_form["bandwidth_limit"].is_object(), "{job_form}");

    // Revoked tokens stop at once.
    let token_id = made["token"]["id"].as_str().unwrap().to_owned();
    let (status, _) = post_form(&admin, ferry, "/api/tokens/revoke", &[("id", &token_id)]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = seen.json(get("/api/v1/me", &secret).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error"]["message"].as_str().unwrap().contains("revoked"), "{body}");

    // The audit log names the token, filters, and exports; viewers cannot read it.
    let (status, page) = seen
        .json(
            admin
                .post(url("/api/audit/list"))
                .json(&json!({ "query": { "action": "job.", "limit": 10 } }))
                .send()
                .await
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let entries = page["entries"].as_array().unwrap();
    assert!(
        !entries.is_empty() && entries.iter().all(|e| e["action"].as_str().unwrap().starts_with("job.")),
        "{page}"
    );
    assert!(entries.iter().any(|e| e["actor"].as_str().unwrap().contains("token \"ci deploy\"")), "{page}");
    let (status, csv) = seen.text(admin.get(url("/audit.csv?action=token.")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        csv.starts_with("occurred_at,actor,")
            && csv.contains("token.created")
            && csv.contains("token.revoked"),
        "{csv}"
    );
    assert!(!csv.contains("provider.created"), "filtered: {csv}");
    let (status, csv) = seen.text(admin.get(url("/audit.csv")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.contains("provider.created") && csv.contains("user.sign_in_failed"), "{csv}");
    let anonymous = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = anonymous.get(url("/audit.csv")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "to sign-in");
    let viewer = client();
    let hash = app::ssr::password::hash("viewer password".to_owned()).await.unwrap();
    let role = ferry_model::Role::Viewer;
    ferry
        .store
        .create_user(&ferry_db::NewUser { username: "vic".to_owned(), password_hash: hash, role })
        .await
        .unwrap();
    let (status, _) =
        post_form(&viewer, ferry, "/api/login", &[("username", "vic"), ("password", "viewer password")])
            .await;
    assert_eq!(status, StatusCode::OK);
    let res = viewer.get(url("/audit.csv")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "viewers cannot read the audit log");

    // The canary never came back: not in any answer, header, report or audit entry.
    for entry in ferry.store.list_audit(10_000).await.unwrap() {
        assert!(!format!("{entry:?}").contains(CANARY), "audit: {entry:?}");
    }
    let (_, page) = seen.text(admin.get(url(&format!("/providers/{canary_id}"))).send().await.unwrap()).await;
    assert!(page.contains("Canary bucket"), "the edit page rendered");
    assert!(!seen.0.contains(CANARY), "the canary secret leaked into a response");
}

/// Pages carry a nonce-based policy; everything carries the rest.
async fn headers(ferry: &Ferry) {
    let res = reqwest::get(format!("{}/login", ferry.base)).await.unwrap();
    let h = res.headers().clone();
    let policy = h["content-security-policy"].to_str().unwrap().to_owned();
    let html = res.text().await.unwrap();
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|r| r.split('\'').next())
        .unwrap_or_else(|| panic!("{policy}"));
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "the page's scripts carry the policy's nonce");
    for part in [
        "script-src 'self'",
        "'wasm-unsafe-eval'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "style-src 'self';",
    ] {
        assert!(policy.contains(part), "{part} in {policy}");
    }
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert!(h.get("strict-transport-security").is_none(), "plain http has no HSTS");
    let again = reqwest::get(format!("{}/login", ferry.base)).await.unwrap();
    assert_ne!(again.headers()["content-security-policy"].to_str().unwrap(), policy, "a new nonce each time");
    let probe = reqwest::get(format!("{}/healthz", ferry.base)).await.unwrap();
    assert!(probe.headers()["content-security-policy"].to_str().unwrap().starts_with("default-src 'none'"));
    assert_eq!(probe.headers()["x-content-type-options"], "nosniff");
}

/// Changes from another site are refused before they reach a handler.
async fn cross_site(ferry: &Ferry, admin: &reqwest::Client) {
    let url = |p: &str| format!("{}{p}", ferry.base);
    let cookie_jar = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let res = cookie_jar
        .post(url("/api/login"))
        .header(ORIGIN, "http://evil.example")
        .form(&[("username", "root"), ("password", "root password 1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "cross-site sign-in");
    assert!(res.headers().get("set-cookie").is_none());
    let res = cookie_jar
        .post(url("/api/login"))
        .form(&[("username", "root"), ("password", "root password 1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no Origin and no Sec-Fetch-Site");
    let before = ferry.store.list_providers().await.unwrap().len();
    let res = admin
        .post(url("/api/providers/save"))
        .header(ORIGIN, "http://evil.example")
        .header("sec-fetch-site", "cross-site")
        .json(&json!({ "form": { "name": "Planted", "kind": "local", "root": "/tmp" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "a signed-in admin's cookie does not carry a cross-site change"
    );
    assert!(res.text().await.unwrap().contains("another site"));
    assert_eq!(ferry.store.list_providers().await.unwrap().len(), before);
    let res = admin.post(url("/api/users/list")).header(ORIGIN, ferry.base.clone()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the page's own origin passes");
}

/// Failures slow down, then lock the account; administrators see and lift locks.
async fn throttling(ferry: &Ferry) {
    let guest = client();
    let wrong = [("username", "root"), ("password", "not the password")];
    let right = [("username", "root"), ("password", "root password 1")];
    for n in 1..=5 {
        let (status, body) = post_form(&guest, ferry, "/api/login", &wrong).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "failure {n}: {body}");
    }
    let (status, body) = post_form(&guest, ferry, "/api/login", &right).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "locked even with the right password: {body}");
    assert!(body.contains("Too many failed sign-ins"), "{body}");
    let admin = client();
    let root_session = client();
    let locks_seen_by = |c: reqwest::Client| async move {
        let res = c.post(format!("{}/api/locks/list", ferry.base)).send().await.unwrap();
        (res.status(), res.text().await.unwrap())
    };
    // The root account is locked, so a second administrator is made directly in the store.
    let hash = app::ssr::password::hash("keeper password".to_owned()).await.unwrap();
    ferry
        .store
        .create_user(&ferry_db::NewUser {
            username: "keeper".to_owned(),
            password_hash: hash,
            role: ferry_model::Role::Admin,
        })
        .await
        .unwrap();
    let (status, _) =
        post_form(&admin, ferry, "/api/login", &[("username", "keeper"), ("password", "keeper password")])
            .await;
    assert_eq!(status, StatusCode::OK);
    let (status, locks) = locks_seen_by(admin.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(locks.contains("\"subject\":\"root\"") && locks.contains("\"kind\":\"account\""), "{locks}");
    let (status, _) = locks_seen_by(root_session.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) =
        post_form(&admin, ferry, "/api/locks/clear", &[("kind", "account"), ("subject", "root")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = post_form(&root_session, ferry, "/api/login", &right).await;
    assert_eq!(status, StatusCode::OK, "unlocked: {body}");
    let log = ferry.store.list_audit(100).await.unwrap();
    assert!(log.iter().any(|e| e.action == "security.unlocked"));
    assert!(log.iter().any(|e| e.action == "user.sign_in_failed" && e.detail.contains("locked")));
}
