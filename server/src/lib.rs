//! The `ferry` binary's library: configuration, start-up, the router, sessions and
//! the live channel. `main.rs` only parses the command line and calls in here.

pub mod admin;
pub mod api;
pub mod cli;
pub mod config;
pub mod guard;
pub mod metrics;
pub mod migrate;
pub mod origin;
pub mod report;
pub mod routes;
pub mod session_store;
pub mod shield;
pub mod state;
pub mod telemetry;
pub mod ws;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use app::ssr::{AppState, ConsoleSettings};
use ferry_db::Store;
use ferry_db::seal::{self, KeyError, KeySource, Sealer};
use leptos::prelude::LeptosOptions;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Config;
use crate::routes::RouterOptions;
use crate::state::ServerState;

/// Why Ferry could not start; printed as one line, exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration is invalid.
    #[error("configuration error: {0}")]
    Config(#[from] config::ConfigError),
    /// The data directory cannot be created or written.
    #[error("data directory {path}: {reason}")]
    DataDir {
        /// The directory.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The database cannot be opened, reached or migrated.
    #[error("{0}")]
    Database(#[from] ferry_db::DbError),
    /// The master key is malformed, missing or not the one the database knows.
    #[error("master key: {0}")]
    MasterKey(#[from] KeyError),
    /// The listen address is taken or not ours.
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// What went wrong.
        reason: String,
    },
}

/// Creates the data directory if needed and proves it is writable.
///
/// # Errors
/// [`StartError::DataDir`] naming the directory and the reason.
pub fn prepare_data_dir(dir: &Path) -> Result<(), StartError> {
    let fail = |reason: String| StartError::DataDir { path: dir.display().to_string(), reason };
    std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    let probe = dir.join(format!(".ferry-write-probe-{}", std::process::id()));
    std::fs::write(&probe, b"ok").map_err(|e| fail(format!("not writable: {e}")))?;
    std::fs::remove_file(&probe).map_err(|e| fail(format!("not writable: {e}")))?;
    Ok(())
}

/// Opens the configured database, preparing the data directory for SQLite.
///
/// # Errors
/// [`StartError::DataDir`] or [`StartError::Database`].
pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>, StartError> {
    prepare_data_dir(&config.data_dir)?;
    Ok(ferry_db::connect(&config.database_url()).await?)
}

/// Loads the master key (`FERRY_MASTER_KEY`, else the key file, created on first
/// run) and checks it against the database.
///
/// # Errors
/// [`StartError::MasterKey`] saying what is wrong, never showing the key.
pub async fn open_sealer(config: &Config, store: &dyn Store) -> Result<Arc<Sealer>, StartError> {
    let env = std::env::var("FERRY_MASTER_KEY").ok().filter(|v| !v.trim().is_empty());
    let file = config.master_key_file();
    let sealed = seal::database_has_sealed_data(store).await.map_err(KeyError::from)?;
    let (key, source) = seal::load_master_key(env.as_deref(), &file, !sealed)?;
    let hint = match source {
        KeySource::Environment => "FERRY_MASTER_KEY".to_owned(),
        KeySource::File | KeySource::NewFile => format!("the key file {}", file.display()),
    };
    if source == KeySource::NewFile {
        tracing::info!(file = %file.display(), "created a new master key for provider secrets; back it up");
    }
    let sealer = Sealer::new(&key);
    sealer.verify_with(store, &hint).await?;
    Ok(Arc::new(sealer))
}

/// Leptos's options for this configuration.
#[must_use]
pub fn leptos_options(config: &Config) -> LeptosOptions {
    // LEPTOS_* variables (cargo-leptos sets them) apply first; Ferry's own keys win.
    let mut options = leptos::config::get_configuration(None)
        .map(|c| c.leptos_options)
        .unwrap_or_else(|_| LeptosOptions::builder().output_name("ferry").build());
    options.output_name = "ferry".into();
    options.site_root = config.server.site_root.to_string_lossy().into();
    options.site_pkg_dir = "pkg".into();
    options.site_addr = config.server.listen;
    options
}

/// The state every server function and handler reaches.
#[must_use]
pub fn app_state(config: &Config, store: Arc<dyn Store>, sealer: Arc<Sealer>) -> AppState {
    AppState {
        leptos_options: leptos_options(config),
        store,
        settings: Arc::new(ConsoleSettings {
            secure_cookies: config.secure_cookies(),
            endpoint_policy: config.endpoint_policy(),
        }),
        sealer,
        runner: Arc::new(app::ssr::migrations::Runner::new(ferry_engine::WorkerOptions {
            limits: ferry_engine::ProviderLimits::new(config.providers.concurrency),
            ..ferry_engine::WorkerOptions::default()
        })),
    }
}

/// Builds the router for a state and configuration (used by `serve` and by tests).
pub fn build_router(config: &Config, app: AppState, shutdown: watch::Receiver<bool>) -> axum::Router {
    let state = ServerState {
        app,
        shutdown,
        public_origin: config.server.public_url.as_ref().map(origin::origin_of),
    };
    routes::router(
        state,
        RouterOptions { secure_cookies: config.secure_cookies(), idle_minutes: config.session.idle_minutes },
    )
}

/// Runs migration workers until SIGINT or SIGTERM, with no console. On SQLite this
/// is only useful instead of `serve`; on PostgreSQL any number of workers share
/// the work of running migrations.
///
/// # Errors
/// [`StartError`] when start-up fails.
pub async fn work(config: Config) -> Result<(), StartError> {
    let store = open_store(&config).await?;
    let sealer = open_sealer(&config, store.as_ref()).await?;
    let app = app_state(&config, store.clone(), sealer);
    let relay = spawn_relay(store.clone(), app.runner.options().events.clone());
    if store.dialect() == ferry_db::Dialect::Sqlite {
        tracing::warn!("a worker on SQLite shares nothing: run `ferry serve` alone, or use PostgreSQL");
    }
    tracing::info!(database = %ferry_db::redact_url(&config.database_url()), "Ferry worker is ready");
    let signal = shutdown_signal();
    tokio::pin!(signal);
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            () = &mut signal => break,
            _ = tick.tick() => app.runner.help_with_running_jobs(&app).await,
        }
    }
    tracing::info!("Ferry worker stopped; its leases expire and other workers take its items over");
    relay.iter().for_each(tokio::task::JoinHandle::abort);
    store.close().await;
    Ok(())
}

/// Carries engine events between processes sharing a PostgreSQL database: what
/// this process's workers do is notified (at most four times a second per job),
/// and what others notify is published here for live pages. Nothing on SQLite.
pub fn spawn_relay(store: Arc<dyn Store>, events: ferry_engine::Events) -> Vec<tokio::task::JoinHandle<()>> {
    if store.dialect() != ferry_db::Dialect::Postgres {
        return Vec::new();
    }
    let outgoing = {
        let (store, events) = (store.clone(), events.clone());
        tokio::spawn(async move {
            let mut heard = events.subscribe();
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            let mut changed = std::collections::HashSet::new();
            loop {
                tokio::select! {
                    event = heard.recv() => match event {
                        Ok(ferry_engine::Event { kind: ferry_engine::EventKind::Changed, .. }) => {}
                        Ok(event) => {
                            changed.insert(event.job_id);
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                    },
                    _ = tick.tick() => {
                        for id in changed.drain() {
                            if let Err(e) = store.notify(id).await {
                                tracing::debug!(job = %id, error = %e, "cannot notify other processes");
                            }
                        }
                    }
                }
            }
        })
    };
    let incoming = tokio::spawn(async move {
        loop {
            match store.listen().await {
                Ok(Some(mut ids)) => {
                    while let Some(id) = futures::StreamExt::next(&mut ids).await {
                        events.publish(id, ferry_engine::EventKind::Changed);
                    }
                    tracing::debug!("lost the notification connection; listening again");
                }
                Ok(None) => return,
                Err(e) => tracing::warn!(error = %e, "cannot listen for other processes' progress"),
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    });
    vec![outgoing, incoming]
}

/// Binds the listen address, saying clearly when it is taken.
///
/// # Errors
/// [`StartError::Listen`].
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr).await.map_err(|e| StartError::Listen {
        addr,
        reason: if e.kind() == std::io::ErrorKind::AddrInUse {
            "the address is already in use (is another Ferry running?)".to_owned()
        } else {
            e.to_string()
        },
    })
}

/// Runs the console until SIGINT or SIGTERM.
///
/// # Errors
/// [`StartError`] when start-up fails; serving errors are logged.
pub async fn serve(config: Config) -> Result<(), StartError> {
    let store = open_store(&config).await?;
    let site = config.server.site_root.join("pkg").join("ferry.wasm");
    if !site.is_file() {
        tracing::warn!(
            site_root = %config.server.site_root.display(),
            "the console's browser files are missing; run scripts/build-site.sh (pages will render but not hydrate)"
        );
    }
    let sealer = open_sealer(&config, store.as_ref()).await?;
    let listener = bind(config.server.listen).await?;
    let health = (config.providers.health_interval_secs > 0).then(|| {
        tokio::spawn(app::ssr::providers::health_loop(
            store.clone(),
            sealer.clone(),
            config.endpoint_policy(),
            Duration::from_secs(config.providers.health_interval_secs),
        ))
    });
    let sessions = session_store::DbSessionStore::new(store.clone());
    let cleanup = sessions.spawn_cleanup(Duration::from_secs(600));
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let app = app_state(&config, store.clone(), sealer);
    let relay = spawn_relay(store.clone(), app.runner.options().events.clone());
    // Migrations that were planning or running when Ferry stopped carry on.
    app.runner.resume_interrupted(&app).await;
    let scheduler = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(30));
            loop {
                tick.tick().await;
                app::ssr::migrations::start_due(&app, chrono::Utc::now()).await;
            }
        })
    };
    let router = build_router(&config, app, shutdown_rx);
    tracing::info!(
        address = %format!("http://{}", config.server.listen),
        database = %ferry_db::redact_url(&config.database_url()),
        "Ferry is ready"
    );
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing open requests");
            let _ = shutdown_tx.send(true);
            let _ = stop_tx.send(());
        });
    // Open requests get ten seconds after the signal; then Ferry stops regardless.
    let deadline = async {
        if stop_rx.await.is_ok() {
            tokio::time::sleep(Duration::from_secs(10)).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        result = server => if let Err(e) = result { tracing::error!(error = %e, "server error") },
        () = deadline => tracing::warn!("open requests did not finish within 10 s; stopping anyway"),
    }
    cleanup.abort();
    scheduler.abort();
    relay.iter().for_each(tokio::task::JoinHandle::abort);
    if let Some(health) = health {
        health.abort();
    }
    store.close().await;
    tracing::info!("Ferry stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
