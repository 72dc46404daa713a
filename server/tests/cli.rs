//! The `ferry` binary as an operator meets it: bad configuration stops start-up with
//! one clear line and exit code 2, a taken port is named, accounts can be created
//! from scripts, and SIGTERM shuts it down cleanly.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, with the value shown")]

use std::io::Write;
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn ferry(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferry"));
    cmd.current_dir(dir).env_remove("RUST_LOG").env("FERRY__LOG__LEVEL", "warn").stdin(Stdio::null());
    cmd
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The last line Ferry printed (logs may come before it).
fn last_line(out: &Output) -> String {
    stderr_of(out).lines().last().unwrap_or_default().to_owned()
}

#[test]
fn unknown_keys_stop_start_up_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = ferry(dir.path()).env("FERRY__SERVER__LISTN", "127.0.0.1:1").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    let line = last_line(&out);
    assert!(line.contains("FERRY__SERVER__LISTN"), "{line}");
    assert_eq!(stderr_of(&out).lines().count(), 1, "one line: {}", stderr_of(&out));

    std::fs::write(dir.path().join("ferry.toml"), "[server]\nlisten = \"127.0.0.1:1\"\ncolour = \"blue\"\n")
        .unwrap();
    let out = ferry(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let line = last_line(&out);
    assert!(line.contains("server.colour") && line.contains("ferry.toml"), "{line}");
}

#[test]
fn bad_values_stop_start_up_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = ferry(dir.path()).args(["--database-url", "mysql://root:pw@localhost/x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(last_line(&out).contains("database_url"), "{}", stderr_of(&out));
    assert!(!stderr_of(&out).contains(":pw@"), "the password is not printed");

    // A data directory that cannot exist (beneath a regular file) — even root cannot write there.
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let out = ferry(dir.path()).arg("--data-dir").arg(file.join("data")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(last_line(&out).contains("data directory"), "{}", stderr_of(&out));

    let out = ferry(dir.path())
        .args(["--database-url", "postgres://ferry:secret@127.0.0.1:1/ferry"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let line = last_line(&out);
    assert!(line.contains("PostgreSQL") && line.contains("127.0.0.1:1"), "{line}");
    assert!(!stderr_of(&out).contains("secret"));
}

#[test]
fn an_occupied_port_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = ferry(dir.path()).args(["--listen", &addr]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    let line = last_line(&out);
    assert!(line.contains(&addr) && line.contains("already in use"), "{line}");
}

#[test]
fn admin_create_user_reads_the_password_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let create = |name: &str, role: &str, password: &str| {
        let mut child = ferry(dir.path())
            .args(["admin", "create-user", "--username", name, "--role", role])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let out = create("Ops", "operator", "operator password");
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(last_line(&out).contains("created user ops (operator)"), "{}", stderr_of(&out));
    assert!(dir.path().join("data/ferry.db").is_file(), "default SQLite file in ./data");

    let out = create("ops", "viewer", "another password");
    assert_eq!(out.status.code(), Some(1));
    assert!(last_line(&out).contains("taken"), "{}", stderr_of(&out));
    let out = create("pat", "root", "another password");
    assert!(last_line(&out).contains("role"), "{}", stderr_of(&out));
    let out = create("pat", "viewer", "short");
    assert!(last_line(&out).contains("password"), "{}", stderr_of(&out));
}

#[test]
fn sigterm_shuts_down_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = ferry(dir.path())
        .args(["--listen", &format!("127.0.0.1:{port}"), "--log-format", "json", "--log-level", "info"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "ferry did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?} {}", out.status, stderr_of(&out));
    let log = stderr_of(&out);
    // JSON logs: every line is an object; the shutdown is reported.
    for line in log.lines() {
        assert!(serde_json::from_str::<serde_json::Value>(line).is_ok(), "not JSON: {line}");
    }
    assert!(log.contains("Ferry stopped"), "{log}");

    // The first run created the master key file, readable by its owner only…
    assert!(log.contains("created a new master key"), "{log}");
    let key_file = dir.path().join("data/master.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // …and a wrong, malformed or lost key stops the next start with one clear line.
    let listen = format!("127.0.0.1:{port}");
    let start_with = |key: Option<&str>| {
        let mut cmd = ferry(dir.path());
        cmd.args(["--listen", &listen]);
        if let Some(key) = key {
            cmd.env("FERRY_MASTER_KEY", key);
        }
        cmd.output().unwrap()
    };
    let other = "ab".repeat(32);
    let out = start_with(Some(&other));
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(last_line(&out).contains("FERRY_MASTER_KEY is not the one"), "{}", stderr_of(&out));
    assert!(!stderr_of(&out).contains(&other));
    let out = start_with(Some("garbage-key-text"));
    assert_eq!(out.status.code(), Some(2));
    assert!(last_line(&out).contains("not a master key"), "{}", stderr_of(&out));
    assert!(!stderr_of(&out).contains("garbage-key-text"));
    std::fs::remove_file(&key_file).unwrap();
    let out = start_with(None);
    assert_eq!(out.status.code(), Some(2));
    assert!(last_line(&out).contains("missing"), "{}", stderr_of(&out));
    assert!(!key_file.exists(), "a lost key is reported, never silently replaced");
}
