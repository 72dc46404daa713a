//! One page per file.

pub mod dashboard;
pub mod documents;
pub mod login;
pub mod migration_detail;
pub mod migration_items;
pub mod migration_new;
pub mod migrations;
pub mod not_found;
pub mod prices;
pub mod provider_form;
pub mod providers;
pub mod security;
pub mod settings;
pub mod setup;
pub mod users;
