//! The migration engine: planner, queue, workers, verifier, rollback and catalog.
//!
//! The engine arrives with the engine issue; this crate exists now so that the
//! workspace has its final shape and the dependency direction is fixed.
