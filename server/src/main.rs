//! `ferry`: parse the command line, load the configuration, run the command.

use std::process::ExitCode;

use clap::Parser;
use ferry_server::cli::{AdminTask, Cli, Command};
use ferry_server::config::Config;
use ferry_server::{StartError, admin, open_store, serve, telemetry};

fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("ferry: {message}");
    ExitCode::from(code)
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.global.config.as_deref(), &cli.global.overrides()) {
        Ok(config) => config,
        Err(e) => return fail(2, StartError::Config(e)),
    };
    telemetry::init(config.log.format, &config.log.level);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => match serve(config).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(2, e),
        },
        Command::Worker => match ferry_server::work(config).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(2, e),
        },
        Command::Migrate(args) => match ferry_server::migrate::run(&config, &args).await {
            Ok(code) => ExitCode::from(code),
            Err(e) => fail(2, e),
        },
        Command::Admin { task: AdminTask::CreateUser { username, role } } => {
            let store = match open_store(&config).await {
                Ok(store) => store,
                Err(e) => return fail(2, e),
            };
            let result = match admin::read_password() {
                Ok(password) => admin::create_user(store.as_ref(), &username, &role, password).await,
                Err(e) => Err(e),
            };
            store.close().await;
            match result {
                Ok(done) => {
                    eprintln!("ferry: created user {} ({})", done.username, done.role);
                    ExitCode::SUCCESS
                }
                Err(e) => fail(1, e),
            }
        }
    }
}
