//! What a provider can do, declared once and asked before acting.

use std::collections::BTreeSet;

use crate::HashKind;

/// A flat description of a provider's abilities. Optional operations are only
/// called when their flag is set; everything else returns `Unsupported`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// `get` honours a byte range.
    pub read_with_range: bool,
    /// Large objects are written in parts.
    pub write_multipart: bool,
    /// `put` can refuse to overwrite (`if_none_match`).
    pub write_if_not_exists: bool,
    /// `copy_within` copies on the provider without moving bytes through Ferry.
    pub copy_server_side: bool,
    /// Objects keep versions; `get`/`delete` accept a version id.
    pub versions: bool,
    /// User metadata is stored and returned.
    pub user_metadata: bool,
    /// Object tags are stored (`put`) and read (`get_tags`).
    pub tags: bool,
    /// The content type is stored and returned.
    pub content_type: bool,
    /// Modification times given to `put` are kept.
    pub preserve_modified: bool,
    /// Keys differing only in case name the same object.
    pub case_insensitive: bool,
    /// The longest key the provider stores, in bytes.
    pub max_key_bytes: Option<usize>,
    /// Content hashes the provider reports in metadata.
    pub hashes: BTreeSet<HashKind>,
}
