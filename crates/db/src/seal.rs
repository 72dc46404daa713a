//! Secrets at rest: values sealed with XChaCha20-Poly1305 under a 256-bit master key,
//! bound to the row they belong to (its id is the associated data, so a sealed value
//! copied onto another row does not open).
//!
//! The master key comes from `FERRY_MASTER_KEY` (64 hex digits or base64 of 32 bytes)
//! or from a key file created on first run with mode 0600. The database keeps a
//! sealed check value, so a wrong key is refused at start-up rather than producing
//! garbage later.

use std::fmt;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::Store;

/// Sealed values start with this, so a later scheme can be told apart.
const PREFIX: &str = "v1:";
/// The setting that holds the check value.
const CHECK_SETTING: &str = "master_key_check";
const CHECK_TEXT: &[u8] = b"ferry master key check";
const NONCE_LEN: usize = 24;

/// Why the master key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// `FERRY_MASTER_KEY` or the key file holds something that is not a key.
    #[error("{0}")]
    Malformed(String),
    /// The key file cannot be read or created.
    #[error("{0}")]
    Io(String),
    /// The key does not open what the database holds.
    #[error("{0}")]
    Mismatch(String),
    /// The database could not be asked.
    #[error("cannot check the master key against the database: {0}")]
    Store(#[from] crate::DbError),
}

/// A sealed value could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a sealed secret could not be opened (wrong master key, or the value was altered)")]
pub struct OpenError;

/// The 256-bit master key. Never printed.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    /// A fresh random key.
    #[must_use]
    pub fn generate() -> Self {
        Self(XChaCha20Poly1305::generate_key(&mut OsRng).into())
    }

    /// Parses 64 hex digits or the base64 of 32 bytes.
    ///
    /// # Errors
    /// [`KeyError::Malformed`] naming `source`, never echoing the value.
    pub fn parse(text: &str, source: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&text[i * 2..i * 2 + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .ok()
        } else {
            STANDARD.decode(text).ok()
        };
        bytes.and_then(|b| <[u8; 32]>::try_from(b).ok()).map(Self).ok_or_else(|| {
            KeyError::Malformed(format!(
                "{source} is not a master key: expected 64 hex digits or base64 of 32 bytes \
                 (make one with `openssl rand -hex 32`)"
            ))
        })
    }

    /// The key as 64 hex digits, as the key file stores it.
    #[must_use]
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Where the key came from, for the start-up log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// The `FERRY_MASTER_KEY` environment variable.
    Environment,
    /// An existing key file.
    File,
    /// A key file created just now.
    NewFile,
}

/// Seals and opens secrets with the master key.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer(<key redacted>)")
    }
}

impl Sealer {
    /// A sealer for `key`.
    #[must_use]
    pub fn new(key: &MasterKey) -> Self {
        Self { cipher: XChaCha20Poly1305::new(&key.0.into()) }
    }

    /// Seals `plain`, bound to `bound_to` (a row id or a setting name).
    #[must_use]
    pub fn seal(&self, plain: &[u8], bound_to: &[u8]) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        // Encryption with a valid key and nonce cannot fail for in-memory buffers;
        // an empty output would simply fail to open later, never leak.
        let sealed = self.cipher.encrypt(&nonce, Payload { msg: plain, aad: bound_to }).unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        format!("{PREFIX}{}", STANDARD.encode(out))
    }

    /// Opens what [`Sealer::seal`] made with the same `bound_to`.
    ///
    /// # Errors
    /// [`OpenError`] for a wrong key, another row's value or altered text.
    pub fn open(&self, sealed: &str, bound_to: &[u8]) -> Result<Vec<u8>, OpenError> {
        let body = sealed.strip_prefix(PREFIX).ok_or(OpenError)?;
        let raw = STANDARD.decode(body).map_err(|_| OpenError)?;
        if raw.len() < NONCE_LEN + 16 {
            return Err(OpenError);
        }
        let (nonce, ciphertext) = raw.split_at(NONCE_LEN);
        self.cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: bound_to })
            .map_err(|_| OpenError)
    }

    /// Checks the key against the database's check value, storing one on first use.
    ///
    /// # Errors
    /// [`KeyError::Mismatch`] when the database was sealed with another key.
    pub async fn verify_with(&self, store: &dyn Store, source_hint: &str) -> Result<(), KeyError> {
        if let Some(check) = store.setting(CHECK_SETTING).await? {
            return match self.open(&check, CHECK_SETTING.as_bytes()) {
                Ok(plain) if plain == CHECK_TEXT => Ok(()),
                _ => Err(KeyError::Mismatch(format!(
                    "the master key from {source_hint} is not the one this database's secrets were sealed \
                     with; use the original key (FERRY_MASTER_KEY or the key file)"
                ))),
            };
        }
        store
            .insert_setting_if_absent(CHECK_SETTING, &self.seal(CHECK_TEXT, CHECK_SETTING.as_bytes()))
            .await?;
        // Another process may have stored its own check value first: ask again.
        match store.setting(CHECK_SETTING).await? {
            Some(check) if self.open(&check, CHECK_SETTING.as_bytes()).is_ok() => Ok(()),
            _ => Err(KeyError::Mismatch(format!(
                "the master key from {source_hint} does not match the one another Ferry process registered"
            ))),
        }
    }
}

/// Whether the database already holds sealed data (a check value).
///
/// # Errors
/// The store's error.
pub async fn database_has_sealed_data(store: &dyn Store) -> Result<bool, crate::DbError> {
    Ok(store.setting(CHECK_SETTING).await?.is_some())
}

/// The key from `env_value` when given, else from `file`, creating the file (mode
/// 0600) only when `may_create` — that is, when the database holds nothing sealed
/// yet, so a lost key file is reported instead of silently replaced.
///
/// # Errors
/// [`KeyError`] describing the problem in one line.
pub fn load_master_key(
    env_value: Option<&str>,
    file: &Path,
    may_create: bool,
) -> Result<(MasterKey, KeySource), KeyError> {
    if let Some(value) = env_value {
        return Ok((MasterKey::parse(value, "FERRY_MASTER_KEY")?, KeySource::Environment));
    }
    match std::fs::read_to_string(file) {
        Ok(text) => {
            Ok((MasterKey::parse(&text, &format!("the key file {}", file.display()))?, KeySource::File))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !may_create {
                return Err(KeyError::Mismatch(format!(
                    "the master key file {} is missing but the database holds sealed secrets; restore the \
                     file or set FERRY_MASTER_KEY to the original key",
                    file.display()
                )));
            }
            let key = MasterKey::generate();
            write_key_file(file, &key)?;
            Ok((key, KeySource::NewFile))
        }
        Err(e) => Err(KeyError::Io(format!("cannot read the master key file {}: {e}", file.display()))),
    }
}

fn write_key_file(file: &Path, key: &MasterKey) -> Result<(), KeyError> {
    let io = |e: std::io::Error| {
        KeyError::Io(format!("cannot create the master key file {}: {e}", file.display()))
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut handle = options.open(file).map_err(io)?;
    handle.write_all(format!("{}\n", key.to_hex()).as_bytes()).map_err(io)?;
    handle.sync_all().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_row() {
        let sealer = Sealer::new(&MasterKey::generate());
        let sealed = sealer.seal(b"hunter2", b"row-1");
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("hunter2"));
        assert_eq!(sealer.open(&sealed, b"row-1").unwrap(), b"hunter2");
        assert_eq!(sealer.open(&sealed, b"row-2"), Err(OpenError));
        let other = Sealer::new(&MasterKey::generate());
        assert_eq!(other.open(&sealed, b"row-1"), Err(OpenError));
        let mut altered = sealed.clone();
        altered.pop();
        altered.push('A');
        assert_eq!(sealer.open(&altered, b"row-1"), Err(OpenError));
        assert_eq!(sealer.open("v1:", b"row-1"), Err(OpenError));
        assert_eq!(sealer.open("plain", b"row-1"), Err(OpenError));
        // Two seals of the same value differ (fresh nonce each time).
        assert_ne!(sealer.seal(b"x", b"r"), sealer.seal(b"x", b"r"));
    }

    #[test]
    fn keys_parse_from_hex_or_base64_and_never_echo() {
        let key = MasterKey::generate();
        let hex = key.to_hex();
        assert_eq!(MasterKey::parse(&hex, "t").unwrap().0, key.0);
        assert_eq!(MasterKey::parse(&STANDARD.encode(key.0), "t").unwrap().0, key.0);
        let err = MasterKey::parse("not-a-key-but-secret-text", "FERRY_MASTER_KEY").unwrap_err().to_string();
        assert!(err.contains("FERRY_MASTER_KEY") && !err.contains("secret-text"), "{err}");
        assert!(!format!("{key:?}").contains(&hex[..8]));
    }

    #[test]
    fn the_key_file_is_created_once_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let missing = load_master_key(None, &path, false).unwrap_err().to_string();
        assert!(missing.contains("missing"), "{missing}");
        let (first, source) = load_master_key(None, &path, true).unwrap();
        assert_eq!(source, KeySource::NewFile);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let (again, source) = load_master_key(None, &path, true).unwrap();
        assert_eq!(source, KeySource::File);
        assert_eq!(again.0, first.0);
        let (env, source) = load_master_key(Some(&MasterKey::generate().to_hex()), &path, true).unwrap();
        assert_eq!(source, KeySource::Environment);
        assert_ne!(env.0, first.0);
        std::fs::write(&path, "garbage").unwrap();
        assert!(matches!(load_master_key(None, &path, true), Err(KeyError::Malformed(_))));
    }
}
