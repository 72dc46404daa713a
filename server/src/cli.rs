//! The command line.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::{LogFormat, Overrides};

/// Ferry moves documents and objects between storage providers, and never loses one.
#[derive(Debug, Parser)]
#[command(name = "ferry", version, about)]
pub struct Cli {
    /// Settings shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Flags that override the configuration file and `FERRY__…` variables.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Configuration file (default: ./ferry.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory (default ./data).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite://FILE or postgres://USER@HOST:PORT/DB.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Address to listen on (default 127.0.0.1:3000).
    #[arg(long, global = true, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// The URL people use to reach Ferry (for origin checks and Secure cookies).
    #[arg(long, global = true, value_name = "URL")]
    pub public_url: Option<String>,
    /// Directory holding the built console (default target/site).
    #[arg(long, global = true, value_name = "DIR")]
    pub site_root: Option<PathBuf>,
    /// Log format.
    #[arg(long, global = true, value_enum)]
    pub log_format: Option<LogFormat>,
    /// Log filter, e.g. info or ferry=debug.
    #[arg(long, global = true, value_name = "FILTER")]
    pub log_level: Option<String>,
}

impl GlobalArgs {
    /// The flags as configuration overrides.
    #[must_use]
    pub fn overrides(&self) -> Overrides {
        Overrides {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            listen: self.listen,
            public_url: self.public_url.clone(),
            site_root: self.site_root.clone(),
            log_format: self.log_format,
            log_level: self.log_level.clone(),
        }
    }
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the console and API (the default).
    Serve,
    /// Run migration workers only, no console: more processes on one PostgreSQL
    /// database share the items of running migrations.
    Worker,
    /// Run one migration here and now, with a progress bar: between providers
    /// registered in the console, S3 buckets or local folders.
    Migrate(Box<crate::migrate::MigrateArgs>),
    /// Administrative tasks for scripts.
    Admin {
        /// The task.
        #[command(subcommand)]
        task: AdminTask,
    },
}

/// `ferry admin …`
#[derive(Debug, Subcommand)]
pub enum AdminTask {
    /// Create an account. The password is read from standard input (one line) or
    /// asked for on the terminal.
    CreateUser {
        /// Sign-in name.
        #[arg(long)]
        username: String,
        /// admin, operator or viewer.
        #[arg(long, default_value = "admin")]
        role: String,
    },
}
