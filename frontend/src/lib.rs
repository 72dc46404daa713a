//! The browser entry point: hydrate the server-rendered console.

use wasm_bindgen::prelude::wasm_bindgen;

/// Called by the generated loader once the wasm is instantiated.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
