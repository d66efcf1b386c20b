//! Any text through the connection-string parsers and their judgement. A masked string must
//! never be longer than the input plus the `****` markers, and never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlscope_core::Policy;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = tlscope_core::connection::parse(text) {
        let _ = tlscope_core::judge::connection(&c, 1, &Policy::default());
    }
});
