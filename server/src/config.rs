//! Ferry's configuration: defaults, then an optional `ferry.toml`, then `FERRY__…`
//! environment variables, then command-line flags. Unknown keys are refused.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// The whole configuration tree.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where Ferry keeps its files (the SQLite database, keys). Default `./data`.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default `sqlite://<data_dir>/ferry.db`.
    pub database_url: Option<SecretString>,
    /// The HTTP server.
    pub server: ServerConfig,
    /// Logging.
    pub log: LogConfig,
    /// Sign-in sessions.
    pub session: SessionConfig,
    /// Storage providers.
    pub providers: ProvidersConfig,
    /// The file holding the master key that seals provider secrets, used when
    /// `FERRY_MASTER_KEY` is not set. Default `<data_dir>/master.key`, created on first run.
    pub master_key_file: Option<PathBuf>,
}

/// `[providers]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvidersConfig {
    /// Allow link-local and cloud metadata addresses as endpoints. Default false.
    pub allow_metadata_endpoints: bool,
    /// Refuse private and loopback addresses as endpoints. Default false.
    pub refuse_private_endpoints: bool,
    /// Seconds between health checks of every enabled provider; 0 turns them off. Default 300.
    pub health_interval_secs: u64,
    /// The most transfers one provider serves at once across every migration of a
    /// process (each migration also has its own concurrency); 0: no bound. Default 128.
    pub concurrency: usize,
}

/// `[server]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on. Default `127.0.0.1:3000`.
    pub listen: SocketAddr,
    /// The address people use to reach Ferry, e.g. `https://ferry.example.com`.
    /// Used for the same-origin check; an `https` URL also makes cookies `Secure`.
    pub public_url: Option<url::Url>,
    /// The built console (HTML assets, wasm, CSS). Default `target/site`.
    pub site_root: PathBuf,
}

/// `[log]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `human` (default) or `json`.
    pub format: LogFormat,
    /// A tracing filter such as `info` or `ferry=debug,sqlx=warn`. `RUST_LOG` wins.
    pub level: String,
}

/// `[session]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    /// Minutes without activity after which a session ends. Default 720 (12 hours).
    pub idle_minutes: u32,
}

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// For people.
    Human,
    /// One JSON object a line, for collectors.
    Json,
}

#[derive(Serialize)]
struct Defaults {
    data_dir: PathBuf,
    server: ServerConfig,
    log: LogConfig,
    session: SessionConfig,
    providers: ProvidersConfig,
}

fn defaults() -> Defaults {
    Defaults {
        data_dir: PathBuf::from("data"),
        server: ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            public_url: None,
            site_root: PathBuf::from("target/site"),
        },
        log: LogConfig { format: LogFormat::Human, level: "info".to_owned() },
        session: SessionConfig { idle_minutes: 720 },
        providers: ProvidersConfig {
            allow_metadata_endpoints: false,
            refuse_private_endpoints: false,
            health_interval_secs: 300,
            concurrency: 128,
        },
    }
}

/// Values given on the command line; `None` leaves the layers below in charge.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Overrides {
    /// `--data-dir`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// `--database-url`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// `--listen`
    #[serde(skip_serializing_if = "Option::is_none", rename = "server.listen")]
    pub listen: Option<SocketAddr>,
    /// `--public-url`
    #[serde(skip_serializing_if = "Option::is_none", rename = "server.public_url")]
    pub public_url: Option<String>,
    /// `--site-root`
    #[serde(skip_serializing_if = "Option::is_none", rename = "server.site_root")]
    pub site_root: Option<PathBuf>,
    /// `--log-format`
    #[serde(skip_serializing_if = "Option::is_none", rename = "log.format")]
    pub log_format: Option<LogFormat>,
    /// `--log-level`
    #[serde(skip_serializing_if = "Option::is_none", rename = "log.level")]
    pub log_level: Option<String>,
}

/// A configuration Ferry cannot start with, said in one line.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Loads the layers. `file` is `--config`; without it `ferry.toml` is read when present.
    ///
    /// # Errors
    /// [`ConfigError`] naming the key and where it came from, for unknown keys and bad values.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(defaults()));
        match file {
            Some(path) if !path.is_file() => {
                return Err(ConfigError(format!("config file {} does not exist", path.display())));
            }
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new("ferry.toml").is_file() => {
                figment = figment.merge(Toml::file_exact("ferry.toml"))
            }
            None => {}
        }
        // Single underscores stay inside a key (`FERRY__LOG__FORMAT` → `log.format`,
        // `FERRY__DATA_DIR` → `data_dir`).
        figment = figment.merge(Env::prefixed("FERRY__").split("__"));
        for (key, value) in overrides_as_pairs(overrides)? {
            figment = figment.merge(Serialized::default(&key, value));
        }
        let config: Config = figment.extract().map_err(|e| ConfigError(describe(&e)))?;
        config.check()?;
        Ok(config)
    }

    /// Reads a configuration from TOML text over the defaults, with the same checks
    /// as [`Config::load`] but no file or environment (tests and fuzzing use it).
    ///
    /// # Errors
    /// [`ConfigError`] for unknown keys, bad values and malformed TOML.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        let config: Config = Figment::from(Serialized::defaults(defaults()))
            .merge(Toml::string(text))
            .extract()
            .map_err(|e| ConfigError(describe(&e)))?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.database_url {
            ferry_db::Dialect::from_url(url.expose_secret())
                .map_err(|e| ConfigError(format!("database_url: {e}")))?;
        }
        if let Some(url) = &self.server.public_url
            && !matches!(url.scheme(), "http" | "https")
        {
            return Err(ConfigError(format!(
                "server.public_url: expected an http:// or https:// URL, got `{url}`"
            )));
        }
        if self.session.idle_minutes == 0 {
            return Err(ConfigError("session.idle_minutes: must be at least 1".to_owned()));
        }
        Ok(())
    }

    /// The database URL in force: the configured one, or the SQLite file in the data directory.
    #[must_use]
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose_secret().to_owned(),
            None => format!("sqlite://{}", self.data_dir.join("ferry.db").display()),
        }
    }

    /// The master key file in force.
    #[must_use]
    pub fn master_key_file(&self) -> PathBuf {
        self.master_key_file.clone().unwrap_or_else(|| self.data_dir.join("master.key"))
    }

    /// Which provider endpoints are allowed.
    #[must_use]
    pub fn endpoint_policy(&self) -> ferry_model::provider::EndpointPolicy {
        ferry_model::provider::EndpointPolicy {
            allow_metadata: self.providers.allow_metadata_endpoints,
            refuse_private: self.providers.refuse_private_endpoints,
        }
    }

    /// Whether cookies must be `Secure`.
    #[must_use]
    pub fn secure_cookies(&self) -> bool {
        self.server.public_url.as_ref().is_some_and(|u| u.scheme() == "https")
    }
}

fn overrides_as_pairs(o: &Overrides) -> Result<Vec<(String, serde_json::Value)>, ConfigError> {
    let value = serde_json::to_value(o).map_err(|e| ConfigError(format!("command line: {e}")))?;
    Ok(value
        .as_object()
        .map(|map| map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default())
}

/// One line per problem, each naming the key and where its value came from.
fn describe(err: &figment::Error) -> String {
    err.clone()
        .into_iter()
        .map(|e| {
            let mut path = e.path.clone();
            if let figment::error::Kind::UnknownField(field, _) = &e.kind {
                path.push(field.clone());
            }
            let key = path.join(".");
            let source = e.metadata.as_ref().map(|m| {
                if m.name.contains("environment variable") {
                    let upper: Vec<_> = path.iter().map(|p| p.to_ascii_uppercase()).collect();
                    format!("environment variable FERRY__{}", upper.join("__"))
                } else if let Some(figment::Source::File(file)) = &m.source {
                    format!("file {}", file.display())
                } else {
                    "command line".to_owned()
                }
            });
            match (key.is_empty(), source) {
                (false, Some(source)) => format!("{key}: {} (in {source})", e.kind),
                (false, None) => format!("{key}: {}", e.kind),
                (true, _) => e.kind.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
#[expect(clippy::result_large_err, reason = "figment's Jail closures return its error type")]
mod tests {
    use super::*;
    use figment::Jail;

    #[test]
    fn toml_text_is_a_configuration_or_a_clear_error() {
        // The fuzz target's seeds parse; hostile text is refused with a message.
        let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus/config");
        for entry in std::fs::read_dir(seeds).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            assert!(Config::from_toml_str(&text).is_ok(), "{text}");
        }
        let config = Config::from_toml_str("[server]\npublic_url = \"https://ferry.example\"\n").unwrap();
        assert!(config.secure_cookies());
        for bad in [
            "[server",
            "surprise = 1",
            "[server]\nlisten = \"not an address\"",
            "[server]\npublic_url = \"ftp://x\"",
            "[session]\nidle_minutes = 0",
            "[session]\nidle_minutes = -5",
            "[session]\nidle_minutes = 99999999999999999999",
            "database_url = \"mysql://x\"",
            "\u{0}",
            "[[server]]",
        ] {
            let err = Config::from_toml_str(bad).unwrap_err();
            assert!(!err.to_string().is_empty(), "{bad}");
        }
    }

    #[test]
    fn defaults_give_a_sqlite_file_in_data() {
        Jail::expect_with(|_jail| {
            let config = Config::load(None, &Overrides::default()).unwrap();
            assert_eq!(config.database_url(), "sqlite://data/ferry.db");
            assert_eq!(config.server.listen.to_string(), "127.0.0.1:3000");
            assert_eq!(config.log.format, LogFormat::Human);
            assert!(!config.secure_cookies());
            Ok(())
        });
    }

    #[test]
    fn layers_apply_in_order() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "ferry.toml",
                "data_dir = \"from-file\"\n[server]\nlisten = \"127.0.0.1:4000\"\n",
            )?;
            jail.set_env("FERRY__SERVER__LISTEN", "127.0.0.1:5000");
            jail.set_env("FERRY__LOG__FORMAT", "json");
            let config = Config::load(None, &Overrides::default()).unwrap();
            assert_eq!(config.data_dir, PathBuf::from("from-file"));
            assert_eq!(config.server.listen.port(), 5000, "env beats the file");
            assert_eq!(config.log.format, LogFormat::Json);
            let flags = Overrides { listen: Some("127.0.0.1:6000".parse().unwrap()), ..Overrides::default() };
            let config = Config::load(None, &flags).unwrap();
            assert_eq!(config.server.listen.port(), 6000, "flags beat env");
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_named() {
        Jail::expect_with(|jail| {
            jail.set_env("FERRY__SERVER__LISTN", "127.0.0.1:1");
            let err = Config::load(None, &Overrides::default()).unwrap_err().to_string();
            assert!(err.contains("listn"), "{err}");
            assert!(err.contains("FERRY__SERVER__LISTN"), "{err}");
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.create_file("ferry.toml", "[sever]\nlisten = \"127.0.0.1:1\"\n")?;
            let err = Config::load(None, &Overrides::default()).unwrap_err().to_string();
            assert!(err.contains("sever"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn bad_values_are_named() {
        Jail::expect_with(|jail| {
            jail.set_env("FERRY__DATABASE_URL", "mysql://root:hunter2@localhost/x");
            let err = Config::load(None, &Overrides::default()).unwrap_err().to_string();
            assert!(err.starts_with("database_url"), "{err}");
            assert!(!err.contains("hunter2"), "{err}");
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.set_env("FERRY__SERVER__LISTEN", "not-an-address");
            let err = Config::load(None, &Overrides::default()).unwrap_err().to_string();
            assert!(err.contains("server.listen"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        Jail::expect_with(|jail| {
            jail.set_env("FERRY__DATABASE_URL", "postgres://ferry:hunter2@localhost/ferry");
            let config = Config::load(None, &Overrides::default()).unwrap();
            assert!(!format!("{config:?}").contains("hunter2"));
            Ok(())
        });
    }
}
