//! `sqlx::migrate!` embeds the migrations: a new or changed one rebuilds the crate.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
