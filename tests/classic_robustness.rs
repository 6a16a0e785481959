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

/// Issue 15: 20 000 STJ nodes of one name import in linear time (the short-id de-duplication
/// used to retry `-2`, `-3`, … from the start for every node).
#[test]
fn import_of_many_same_named_nodes_is_linear() {
    let n = 20_000;
    let mut nodes = String::new();
    for i in 0..n {
        if i > 0 {
            nodes.push(',');
        }
        nodes.push_str(&format!(
            "{{\"_type\":\"Layer\",\"id\":-{},\"name\":\"Same\",\"identifier\":\"urn:stackpack:big:shared:layer:{i}:same\",\"order\":1.0}}",
            i + 1
        ));
    }
    let stj = format!("{{\"_version\":\"1.0.0\",\"timestamp\":\"2020-01-01T00:00:00Z\",\"nodes\":[{nodes}]}}");
    let mut files = BTreeMap::new();
    files.insert(
        "stackpack.conf".to_string(),
        b"name = big\ndisplayName = \"Big\"\nversion = \"1.0.0\"\nprovision = \"BigProvision\"\nisMultiConfig = false\n".to_vec(),
    );
    files.insert(
        "provisioning/BigProvision.groovy".to_string(),
        b"class BigProvision extends ProvisioningScript { def install(Map<String, Object> config) { context().stackPack().importSnapshot(\"templates/big.stj\", [:]) } }\n".to_vec(),
    );
    files.insert("provisioning/templates/big.stj".to_string(), stj.into_bytes());
    let start = std::time::Instant::now();
    let mut d = Diagnostics::new();
    let c = stackpack::classic::lint::analyse_files(Files::new(Origin::Archive("big.sts".into()), files), &mut d);
    let imported = stackpack::classic::import::convert(&c, &Default::default(), &mut d).expect("converts");
    let elapsed = start.elapsed();
    let nodes = imported
        .files
        .get("nodes/big.yaml")
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    // Every node kept, with distinct ids; the last one got the last suffix.
    assert!(nodes.contains(&format!("id: same-{n}\n")), "last id missing");
    assert_eq!(nodes.matches("- id: same").count(), n);
    // Debug build on a shared 2-core machine: the quadratic version took minutes.
    assert!(elapsed.as_secs() < 60, "import of {n} nodes took {elapsed:?}");
}
