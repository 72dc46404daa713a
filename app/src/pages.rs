//! One page per file.

pub mod dashboard;
pub mod documents;
pub mod login;
pub mod migrations;
pub mod not_found;
pub mod provider_form;
pub mod providers;
pub mod settings;
pub mod setup;
