//! Handlebars templates: scan (both forms), escape to STJ form, render the import pass.
#![no_main]
use libfuzzer_sys::fuzz_target;
use stackpack::fuzzing;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        fuzzing::template(text);
    }
});
