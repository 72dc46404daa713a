//! Storage providers: the [`Provider`] trait that every backend implements, the
//! validated [`ObjectKey`], object metadata, typed errors, and the providers
//! themselves (in-memory and local folder here; S3-compatible next).
//!
//! Bodies are streams of [`bytes::Bytes`]; nothing here buffers a whole object,
//! except the in-memory provider, whose objects live in memory by definition.

mod capabilities;
mod error;
pub mod key;
pub mod layer;
mod meta;
mod provider;

pub mod conformance;
#[cfg(feature = "local")]
pub mod local;
#[cfg(feature = "memory")]
pub mod memory;
#[cfg(feature = "s3")]
pub mod s3;

pub use capabilities::Capabilities;
pub use error::{ErrorKind, ProviderError, Result, Retry};
pub use key::{KeyError, MAX_KEY_BYTES, ObjectKey};
pub use meta::{HashKind, ObjectMeta};
pub use provider::{
    ByteStream, DeleteOptions, GetOptions, GetResult, ListOptions, ListStream, Provider, ProviderInfo,
    PutOptions, PutResult, body_from_bytes, check_sha256, collect_body,
};
