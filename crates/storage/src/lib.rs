//! Storage providers: the `Provider` trait, object keys and metadata, and the
//! providers themselves (local folder, S3-compatible, in-memory).
//!
//! The providers arrive with the providers issue; this crate exists now so that the
//! workspace has its final shape and the dependency direction is fixed.
