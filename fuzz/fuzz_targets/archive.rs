//! See `stackpack::fuzzing::archive`: arbitrary bytes read as a `.sts` and linted.
#![no_main]
use libfuzzer_sys::fuzz_target;
use stackpack::fuzzing;

fuzz_target!(|data: &[u8]| {
    fuzzing::archive(data);
});
