//! Any bytes through decoding and the per-item judgements: Ok or Err, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlscope_core::{Policy, Timestamp, decode, judge};

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = decode(data) {
        let _ = judge::decoded(&d, &Policy::default(), Timestamp::from_unix(1_800_000_000));
    }
});
