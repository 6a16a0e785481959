//! Inputs that once crashed (or nearly crashed) a parser, replayed through the same entry points
//! the fuzz targets use, plus the fuzz seeds themselves. Each must return without panicking.

use stackpack::fuzzing;

#[test]
fn seeds_run_clean() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    let mut n = 0;
    for (target, run) in [
        ("manifest", fuzzing::manifest as fn(&str)),
        ("nodes_yaml", fuzzing::nodes_yaml),
        ("template", fuzzing::template),
        ("hocon", fuzzing::hocon),
        ("stj", fuzzing::stj),
        ("compile", fuzzing::compile),
    ] {
        let Ok(entries) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        for e in entries.flatten() {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            run(&text);
            // Every prefix, too: truncated files are the most common broken input.
            for cut in (0..text.len()).step_by(97).filter(|c| text.is_char_boundary(*c)) {
                run(&text[..cut]);
            }
            n += 1;
        }
    }
    assert!(n >= 6, "fuzz seeds missing");
    // Archive seeds as bytes, and truncated or bit-flipped copies of them.
    let mut archives = 0;
    if let Ok(entries) = std::fs::read_dir(root.join("archive")) {
        for e in entries.flatten() {
            let bytes = std::fs::read(e.path()).unwrap_or_default();
            fuzzing::archive(&bytes);
            for cut in (0..bytes.len()).step_by(61) {
                fuzzing::archive(&bytes[..cut]);
                let mut flipped = bytes.clone();
                flipped[cut] ^= 0x5a;
                fuzzing::archive(&flipped);
            }
            archives += 1;
        }
    }
    assert!(archives >= 1, "archive fuzz seed missing");
}

#[test]
fn hostile_templates() {
    for t in [
        "{{",
        "}}",
        "\\{{",
        "{{{",
        "{{!--",
        "{{#if}}",
        "{{/if}}",
        "{{else}}",
        "{{#if a}}{{else}}{{else}}{{/if}}",
        "{{ get }}",
        "{{ include }}",
        "{{ include \"x\" \"bogus\" }}",
        "{{ \"unterminated }}",
        "{{ (a (b }}",
        "{{ a=b=c }}",
        "{{~#if x~}}{{~/if~}}",
        "\\{{#if x}}\\{{/if}}",
        "{{> partial}}",
        "{{ x }}\u{1F600}{{ y }}",
        "{{ get \"urn:a\" \"Type=Parameter;Name=x\" }}",
        "{{#each a}}{{/each}}",
        "{{ include \"./a\" }}",
    ] {
        fuzzing::template(t);
    }
}

#[test]
fn hostile_yaml_and_toml() {
    for t in [
        "- - - - [",
        "a: &a [*a]",
        "? [a]: b",
        "views: [{grouping: 1}]",
        "syncs: [{component-actions: [1, {}]}]",
        "\u{feff}x: 1",
        "a: !!binary xx",
    ] {
        fuzzing::nodes_yaml(t);
    }
    for t in [
        "name = 1",
        "[pages]\noverview = 3",
        "steps = [1]",
        "[[faqs]]",
        "version = \"1.0.0\"\n[dependencies]\ncommon = 3",
        "x = 1979-05-27T07:32:00Z",
    ] {
        fuzzing::manifest(t);
    }
}

/// The compile seed is a clean pack (so the fuzz target's oracle, "lint accepts what build
/// accepted", is exercised from the first input): its checks find no error.
#[test]
fn the_compile_seed_builds_clean() {
    let seed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/compile/pack.yaml");
    let text = std::fs::read_to_string(seed).unwrap_or_default();
    assert!(fuzzing::compile_is_clean(&text), "the compile seed has errors");
}
