//! Decorators that wrap any provider.

pub mod faulty;
