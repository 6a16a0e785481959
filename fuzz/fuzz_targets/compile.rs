//! A node file in a declarative pack: load, model, checks, compile, archive, and the classic
//! lint of that archive, which must find no error when the checks found none.
#![no_main]
use libfuzzer_sys::fuzz_target;
use stackpack::fuzzing;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        fuzzing::compile(text);
    }
});
