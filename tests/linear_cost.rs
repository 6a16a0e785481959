//! Linearity guard (issue 15.4): the work every input path does grows linearly with the pack.
//!
//! Not a timed test: it counts work — heap allocations and allocated bytes (a counting global
//! allocator), bytes the template scanner examined, calls to and bytes handed to the Handlebars
//! parser, characters walked for offset ↔ column conversions — on generated packs of 1 000 and
//! 10 000 nodes, in each of their forms (declarative sources, classic source tree, `.sts`), for
//! lint, import and diff, and on generated StackPack 2.0 packs of 1 000 and 10 000 nodes
//! (`synth::v2`: lint of the sources and of the `.sts`, diff of two `.sts`), and fails when any
//! count grows more than 12× for 10× the nodes.
//!
//! One `#[test]`: the counters are process-wide, so the paths run one after the other.

use stackpack::check::CheckOptions;
use stackpack::diag::Diagnostics;
use stackpack::synth::{classic, v2, ClassicForms, SynthSpec, V2Forms};
use std::sync::atomic::Ordering::Relaxed;

#[path = "helpers/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::{ALLOCS, ALLOC_BYTES};

const METRICS: [&str; 6] = [
    "allocations",
    "allocated bytes",
    "template bytes scanned",
    "Handlebars parser calls",
    "Handlebars parser bytes",
    "characters walked for columns",
];

fn counters() -> [usize; 6] {
    [
        ALLOCS.load(Relaxed),
        ALLOC_BYTES.load(Relaxed),
        stackpack::template::SCANNED_BYTES.load(Relaxed),
        stackpack::template::HANDLEBARS_CALLS.load(Relaxed),
        stackpack::template::HANDLEBARS_BYTES.load(Relaxed),
        stackpack::source::CHAR_WALK.load(Relaxed),
    ]
}

/// The work `f` does, per metric.
fn work(f: impl FnOnce()) -> [usize; 6] {
    let before = counters();
    f();
    let after = counters();
    let mut out = [0; 6];
    for i in 0..6 {
        out[i] = after[i] - before[i];
    }
    out
}

type Path = (&'static str, fn(&ClassicForms));

fn lint_declarative(f: &ClassicForms) {
    let r = stackpack::pipeline::analyze(&f.declarative, &CheckOptions::default());
    assert!(r.is_ok());
}

fn lint_tree(f: &ClassicForms) {
    let mut diags = Diagnostics::new();
    let c = stackpack::classic::lint::analyse(&f.tree, &mut diags);
    assert!(matches!(c, Ok(Some(_))), "{diags:?}");
}

fn lint_sts(f: &ClassicForms) {
    let mut diags = Diagnostics::new();
    let c = stackpack::classic::lint::analyse(&f.sts, &mut diags);
    assert!(matches!(c, Ok(Some(_))), "{diags:?}");
}

fn import_tree(f: &ClassicForms) {
    let mut diags = Diagnostics::new();
    let Ok(Some(c)) = stackpack::classic::lint::analyse(&f.tree, &mut diags) else {
        panic!("{diags:?}")
    };
    let opts = stackpack::classic::import::ImportOptions {
        version: Some("1.0.0".into()),
    };
    assert!(stackpack::classic::import::convert(&c, &opts, &mut diags).is_ok());
}

fn diff_sts(f: &ClassicForms) {
    let old =
        stackpack::diff::entries_of(&f.sts).and_then(|e| stackpack::diff::snapshot(&e).map_err(|e| e.to_string()));
    let new =
        stackpack::diff::entries_of(&f.sts).and_then(|e| stackpack::diff::snapshot(&e).map_err(|e| e.to_string()));
    match (old, new) {
        (Ok(o), Ok(n)) => {
            let _ = stackpack::diff::compare(&o, &n, "old", "new");
        }
        (o, n) => panic!("{:?} {:?}", o.err(), n.err()),
    }
}

const PATHS: [Path; 5] = [
    ("lint of the declarative sources", lint_declarative),
    ("lint of the classic tree", lint_tree),
    ("lint of the .sts", lint_sts),
    ("import of the classic tree", import_tree),
    ("diff of two .sts", diff_sts),
];

fn lint_v2_source(f: &V2Forms) {
    let a = stackpack::v2::analyze(&f.source, &Default::default());
    assert!(a.is_ok_and(|a| !a.diags.has_errors()));
}

fn lint_v2_sts(f: &V2Forms) {
    let a = stackpack::v2::analyze(&f.sts, &Default::default());
    assert!(a.is_ok_and(|a| !a.diags.has_errors()));
}

fn diff_v2_sts(f: &V2Forms) {
    assert!(stackpack::v2::diff::diff_paths_of(&f.sts, &f.sts).is_ok());
}

type V2Path = (&'static str, fn(&V2Forms));

const V2_PATHS: [V2Path; 3] = [
    ("lint of the 2.0 sources", lint_v2_source),
    ("lint of the 2.0 .sts", lint_v2_sts),
    ("diff of two 2.0 .sts", diff_v2_sts),
];

/// Metrics below this at 1 000 nodes are fixed costs, not growth: not compared.
const FLOOR: usize = 1_000;
/// 10× the nodes may cost at most this many times the work (10× plus fixed-cost slack).
const MAX_GROWTH: f64 = 12.0;

#[test]
fn work_grows_linearly_on_every_input_path() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut forms = Vec::new();
    for nodes in [1_000, 10_000] {
        let spec = SynthSpec {
            nodes,
            resource_bytes: 0,
            seed: 42,
        };
        let f = classic(&dir.path().join(nodes.to_string()), &spec).unwrap_or_else(|e| panic!("{e}"));
        forms.push(f);
    }
    let mut v2_forms = Vec::new();
    for nodes in [1_000, 10_000] {
        let spec = SynthSpec {
            nodes,
            resource_bytes: 0,
            seed: 42,
        };
        let f = v2(&dir.path().join(format!("v2-{nodes}")), &spec).unwrap_or_else(|e| panic!("{e}"));
        v2_forms.push(f);
    }
    // Warm-up: one-time costs (lazy statics) are not growth.
    for (_, path) in PATHS {
        path(&forms[0]);
    }
    for (_, path) in V2_PATHS {
        path(&v2_forms[0]);
    }
    let mut measured: Vec<(&str, [usize; 6], [usize; 6])> = Vec::new();
    for (name, path) in PATHS {
        // Each measurement starts with an empty cache of checked tags, so both sizes pay for
        // parsing their distinct tags.
        stackpack::template::forget_checked_tags();
        let small = work(|| path(&forms[0]));
        stackpack::template::forget_checked_tags();
        let large = work(|| path(&forms[1]));
        measured.push((name, small, large));
    }
    for (name, path) in V2_PATHS {
        stackpack::template::forget_checked_tags();
        let small = work(|| path(&v2_forms[0]));
        stackpack::template::forget_checked_tags();
        let large = work(|| path(&v2_forms[1]));
        measured.push((name, small, large));
    }
    let mut failures = Vec::new();
    for (name, small, large) in measured {
        for i in 0..METRICS.len() {
            if small[i] < FLOOR {
                continue;
            }
            let growth = large[i] as f64 / small[i] as f64;
            eprintln!("{name}: {} {} → {} ({growth:.1}×)", METRICS[i], small[i], large[i]);
            if growth > MAX_GROWTH {
                failures.push(format!(
                    "{name}: {} grew {growth:.1}× ({} → {}) for 10× the nodes",
                    METRICS[i], small[i], large[i]
                ));
            }
        }
    }
    // The Handlebars parser is quadratic in the text it is given (pest's line/column lookups):
    // it must only ever see one bounded tag, never a whole file.
    let longest = stackpack::template::HANDLEBARS_MAX_BYTES.load(Relaxed);
    if longest > stackpack::template::MAX_TAG_BYTES + 64 {
        failures.push(format!(
            "the Handlebars parser was handed {longest} bytes at once (at most one tag, {} bytes)",
            stackpack::template::MAX_TAG_BYTES
        ));
    }
    assert!(failures.is_empty(), "super-linear work:\n{}", failures.join("\n"));
}
