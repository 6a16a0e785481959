//! No input makes the classic reader panic: every corpus text file truncated at many points,
//! and with bytes flipped, is analysed (and imported) without a crash.

mod classic_common;

use classic_common::*;
use stackpack::archive::read::{read_from, Limits};
use stackpack::classic::pack::{Files, Origin};
use stackpack::diag::Diagnostics;
use std::collections::BTreeMap;

fn corpus_files(pack: &str) -> BTreeMap<String, Vec<u8>> {
    let mut d = Diagnostics::new();
    let f = Files::open(&corpus(pack), &mut d).expect("open").expect("files");
    f.files
}

fn analyse(files: BTreeMap<String, Vec<u8>>) {
    let mut d = Diagnostics::new();
    let mut f = Files::new(Origin::Archive("x.sts".into()), files);
    let conf = stackpack::classic::conf::load(&mut f, &mut d);
    let prov = stackpack::classic::stj::provisioning(&conf, &mut f, &mut d);
    let _ = stackpack::classic::stj::analyse(&conf, &prov, &mut f, &mut d);
    // Rendering the findings must not panic either (spans stay inside their files).
    let _ = stackpack::diag::render::render(
        stackpack::diag::render::Format::Human,
        &d,
        &f.sources,
        Default::default(),
    );
}

#[test]
fn truncated_and_corrupted_texts_do_not_panic() {
    if !corpus_available() {
        return;
    }
    for pack in ["sap", "splunk", "autosync"] {
        let files = corpus_files(pack);
        let texts: Vec<String> = files
            .keys()
            .filter(|k| k.ends_with(".stj") || k.ends_with(".conf") || k.ends_with(".handlebars"))
            .cloned()
            .collect();
        for path in texts {
            let original = files[&path].clone();
            let step = (original.len() / 12).max(1);
            for cut in (0..original.len()).step_by(step) {
                let mut m = files.clone();
                m.insert(path.clone(), original[..cut].to_vec());
                analyse(m);
                for b in [b'{', b'"', 0xff] {
                    let mut m = files.clone();
                    let mut bytes = original.clone();
                    bytes[cut] = b;
                    m.insert(path.clone(), bytes);
                    analyse(m);
                }
            }
        }
    }
}

#[test]
fn garbage_archives_do_not_panic() {
    let mut d = Diagnostics::new();
    for data in [
        &b""[..],
        b"PK",
        b"PK\x03\x04garbage",
        b"PK\x05\x06\0\0\0\0\xff\xff\xff\xff\0\0\0\0\0\0\0\0\0\0",
    ] {
        assert!(read_from(std::io::Cursor::new(data.to_vec()), "g.sts", &Limits::default(), &mut d).is_none());
    }
    assert!(d.has_errors());
}
