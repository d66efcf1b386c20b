//! Any text as JavaScript/TypeScript (oxc), Python (RustPython's parser) and Go (tree-sitter),
//! through `tlscope-source`'s reading of TLS settings and the core's judgement of them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlscope_core::Policy;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let policy = Policy::default();
    for path in ["app.ts", "app.js", "app.py", "main.go"] {
        if let Ok(settings) = tlscope_source::settings(path, text) {
            let _ = tlscope_core::code::judge(&settings, &policy);
        }
    }
});
