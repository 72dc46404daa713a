//! Any text given as a key is either refused or a key that stays under the
//! provider's root, round-trips, and joins only into keys that do too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        ferry_storage::key::check_key_properties(text);
    }
});
