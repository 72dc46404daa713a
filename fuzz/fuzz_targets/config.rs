//! Any text given as `ferry.toml` is a configuration or a clear error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(e) = ferry_server::config::Config::from_toml_str(text) {
            assert!(!e.to_string().is_empty());
        }
    }
});
