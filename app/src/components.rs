//! Widgets the pages share.

pub mod empty;
pub mod form;
pub mod layout;
pub mod live;
pub mod status;
