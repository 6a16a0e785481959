//! See `stackpack::fuzzing::stj`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use stackpack::fuzzing;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        fuzzing::stj(text);
    }
});
