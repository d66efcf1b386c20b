//! Any bytes through the raw ASN.1 tree builder: Ok or Err, never a panic or a runaway.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tlscope_core::asn1::tree(data);
});
