//! Server functions, by area. Each is thin: authorise, parse, call the store or the
//! engine, map the error. The logic lives in `crate::ssr`.

pub mod accounts;
pub mod catalog;
pub mod dashboard;
pub mod migrations;
pub mod providers;
pub mod security;
pub mod wizard;
