//! Any text as a TOML policy; an accepted policy must export and read back unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlscope_core::Policy;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = Policy::from_toml(text) {
        assert_eq!(Policy::from_toml(&p.to_toml()).ok(), Some(p));
    }
});
