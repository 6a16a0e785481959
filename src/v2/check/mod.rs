//! The checks of a loaded 2.0 pack: layout and manifest (this file), nodes and identifiers
//! ([`nodes`]), cross-references ([`refs`]), embedded languages ([`lang`]) and remediation hints
//! ([`hints`]).

pub mod hints;
pub mod lang;
pub mod nodes;
pub mod refs;

use super::load::{Pack, FOLDERS, MANIFEST};
use super::rules;
use super::schema::{self, Targets};
use super::yaml::{Kind, Node};
use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::source::Span;
use std::collections::BTreeSet;

/// The six install states `configurationUrls` covers.
pub const STATES: [&str; 6] = [
    "NOT_INSTALLED",
    "PROVISIONING",
    "WAITING_FOR_DATA",
    "INSTALLED",
    "DEPROVISIONING",
    "ERROR",
];

/// The file tags and their roots.
pub const TAGS: [(&str, &str); 3] = [("!include", "includes"), ("!icon", "icons"), ("!resource", "resources")];

/// Run every check.
pub fn run(pack: &Pack, targets: &Targets, diags: &mut Diagnostics) {
    layout(pack, diags);
    manifest(pack, targets, diags);
    let referenced = tags(pack, diags);
    orphans(pack, &referenced, diags);
    let embedded = nodes::run(pack, targets, diags);
    refs::run(pack, diags);
    lang::run(pack, &embedded, diags);
    hints::run(pack, &embedded, diags);
}

fn layout(pack: &Pack, diags: &mut Diagnostics) {
    let is_dir = matches!(pack.origin, super::load::Origin::Dir(_));
    let old_dialect: Vec<&str> = pack
        .other_top_level
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| *name == "stackpack.conf" || *name == "provisioning")
        .collect();
    // A pack still entirely in the old dialect (no stackpack.yaml): one finding that says so and
    // how to migrate, not also "no stackpack.yaml", "no settings" and every page an orphan.
    let unmigrated = pack.manifest.is_none() && old_dialect.contains(&"stackpack.conf");
    if unmigrated {
        let parts = old_dialect
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(" and ");
        diags.push(
            Diagnostic::at_path(
                &rules::OLD_DIALECT,
                pack.display("stackpack.conf"),
                format!("this pack is written in the old 2.0 dialect ({parts}), which `sts stackpack package` refuses: it has no stackpack.yaml"),
            )
            .help(
                "migrate it: stackpack.conf → stackpack.yaml (the same keys in YAML, pages and logo as `!resource \"x.md\"`), \
                 provisioning/*.sty → settings/ (no root template; `{{ include \"x\" … }}` → `!include x`, \
                 `{{ get \"urn\" }}` → the URN, no `:shared:` segment in identifiers), then delete the old files",
            )
            .severity(crate::diag::Severity::Error),
        );
    }
    let required: &[(&str, bool)] = if is_dir {
        &[
            (MANIFEST, false),
            ("README.md", false),
            ("settings", true),
            ("resources", true),
        ]
    } else {
        // Guess: archives carry no entries for empty top-level folders, so only files are checked.
        &[(MANIFEST, false), ("README.md", false)]
    };
    for (path, dir) in required {
        let present = if *dir {
            pack.dirs.contains(*path)
        } else {
            pack.files.contains_key(*path)
        };
        if !present && !(unmigrated && (*path == MANIFEST || *path == "settings")) {
            let what = if *dir { "directory" } else { "file" };
            diags.push(
                Diagnostic::at_path(
                    &rules::MISSING_PATH,
                    pack.display(path),
                    format!("the pack has no `{path}` {what}"),
                )
                .help(if *path == "README.md" {
                    "add a README.md (it may be empty): `sts stackpack package` refuses a pack without it".to_string()
                } else {
                    format!("create `{path}`: every 2.0 pack needs it")
                }),
            );
        }
    }
    for (name, _) in &pack.other_top_level {
        if name == "stackpack.conf" || name == "provisioning" {
            if unmigrated {
                continue;
            }
            let severity = if pack.manifest.is_none() {
                crate::diag::Severity::Error
            } else {
                crate::diag::Severity::Warning
            };
            diags.push(
                Diagnostic::at_path(&rules::OLD_DIALECT, pack.display(name), format!("`{name}` belongs to the old 2.0 dialect and is not packaged"))
                    .help("move its content to stackpack.yaml and settings/**/*.sty (tags `!include`/`!icon`/`!resource` instead of handlebars helpers), then delete it")
                    .severity(severity),
            );
        } else if !name.starts_with('.')
            && name != super::load::TARGETS_FILE
            && name != super::changelog::DIR
            // `stackpack test`'s sample telemetry and expectations (docs/testing.md).
            && name != "tests"
        {
            diags.push(
                Diagnostic::at_path(
                    &rules::NOT_SHIPPED,
                    pack.display(name),
                    format!("`{name}` is not part of the archive"),
                )
                .help("only stackpack.yaml, README.md, settings/, resources/, icons/ and includes/ ship"),
            );
        }
    }
}

fn manifest(pack: &Pack, targets: &Targets, diags: &mut Diagnostics) {
    let Some((file, m)) = &pack.manifest else { return };
    if let Some(st) = schema::schema().get("StackpackYaml") {
        let mut w = schema::Walk {
            schema: schema::schema(),
            targets,
            diags,
            embedded: Vec::new(),
        };
        w.check_struct(m, st, "");
    }
    match m.get("schemaVersion") {
        Some(v) if v.as_str() == Some("2.0") => {}
        Some(v) => diags.push(
            Diagnostic::new(
                &rules::SCHEMA_VERSION,
                v.span,
                format!("`schemaVersion` is {}, not \"2.0\"", shown(pack, v)),
            )
            .help("write `schemaVersion: \"2.0\"` (quoted: unquoted 2.0 is a number)"),
        ),
        None => diags.push(
            Diagnostic::new(
                &rules::SCHEMA_VERSION,
                Span::file_start(*file),
                "stackpack.yaml has no `schemaVersion`",
            )
            .help("add `schemaVersion: \"2.0\"`"),
        ),
    }
    if let Some(n) = m.get("name") {
        if let Some(name) = n.as_str() {
            let ok = name.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !ok {
                let fixed: String = name
                    .to_ascii_lowercase()
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                    .collect();
                diags.push(
                    Diagnostic::new(
                        &rules::PACK_NAME,
                        n.span,
                        format!("the pack name `{name}` does not match ^[a-z][a-z0-9-]*$"),
                    )
                    .help(format!(
                        "use lower-case letters, digits and `-`, e.g. `{}`",
                        fixed.trim_matches('-')
                    )),
                );
            }
        }
    }
    if let Some(v) = m.get("version") {
        let raw = pack.sources.text(v.span);
        match v.as_str() {
            Some(s) if semver::Version::parse(s).is_ok() && raw.starts_with('"') => {}
            Some(s) if semver::Version::parse(s).is_ok() => diags.push(
                Diagnostic::new(
                    &rules::PACK_VERSION,
                    v.span,
                    format!("the version `{s}` is not double-quoted"),
                )
                .help(format!(
                    "write `version: \"{s}\"`: `sts stackpack test-deploy` only rewrites double-quoted versions"
                )),
            ),
            _ => {
                let text = match &v.kind {
                    Kind::Str(s) => s.clone(),
                    _ => raw.to_string(),
                };
                diags.push(
                    Diagnostic::new(
                        &rules::PACK_VERSION,
                        v.span,
                        format!("the version `{text}` is not a semantic version X.Y.Z"),
                    )
                    .help("write three numbers, quoted: `version: \"1.0.0\"`"),
                );
            }
        }
    }
    let urls_key = m
        .as_map()
        .and_then(|e| e.iter().find(|(k, _)| k.value == "configurationUrls"))
        .map(|(k, _)| k.span);
    if let Some(c) = m.get("configurationUrls") {
        if let Some(entries) = c.as_map() {
            let missing: Vec<&str> = STATES
                .iter()
                .copied()
                .filter(|s| !entries.iter().any(|(k, _)| k.value == *s))
                .collect();
            if !missing.is_empty() {
                diags.push(
                    Diagnostic::new(
                        &rules::CONFIGURATION_URLS,
                        urls_key.unwrap_or(c.span),
                        format!("`configurationUrls` has no page for {}", missing.join(", ")),
                    )
                    .help(format!("add `{}: !resource <page>.md` (pages may repeat)", missing[0])),
                );
            }
            for (k, _) in entries {
                if !STATES.contains(&k.value.as_str()) {
                    let mut d = Diagnostic::new(
                        &rules::CONFIGURATION_URLS,
                        k.span,
                        format!("`{}` is not an install state", k.value),
                    );
                    d = match did_you_mean(&k.value, STATES) {
                        Some(s) => d.help(format!("did you mean `{s}`?")),
                        None => d.help(format!("the states are {}", STATES.join(", "))),
                    };
                    diags.push(d);
                }
            }
        }
    }
    // Empty pages that users will see.
    let mut pages: Vec<&Node> = Vec::new();
    for key in ["overviewUrl", "detailedOverviewUrl"] {
        pages.extend(m.get(key));
    }
    if let Some(entries) = m.get("configurationUrls").and_then(Node::as_map) {
        pages.extend(entries.iter().map(|(_, v)| v));
    }
    let mut seen = BTreeSet::new();
    for p in pages {
        if p.tag.as_deref() != Some("!resource") {
            continue;
        }
        let Some(rel) = p.as_str() else { continue };
        let path = format!("resources/{rel}");
        if pack
            .files
            .get(&path)
            .is_some_and(|b| b.iter().all(u8::is_ascii_whitespace))
            && seen.insert(path.clone())
        {
            diags.push(
                Diagnostic::new(&rules::EMPTY_PAGE, p.span, format!("`{path}` is empty"))
                    .help("write what users should see on this page (or point at another page)"),
            );
        }
    }
}

fn shown(pack: &Pack, v: &Node) -> String {
    match &v.kind {
        Kind::Str(s) => format!("\"{s}\""),
        _ => pack.sources.text(v.span).to_string(),
    }
}

/// Check every tag of every YAML file; returns the pack paths the tags reference.
fn tags(pack: &Pack, diags: &mut Diagnostics) -> BTreeSet<String> {
    let mut referenced = BTreeSet::new();
    let mut roots: Vec<&Node> = pack.manifest_node().into_iter().collect();
    roots.extend(pack.sty.iter().flat_map(|f| f.docs.iter()));
    for root in roots {
        root.walk(&mut |n| {
            let Some(tag) = n.tag.as_deref() else { return };
            let Some((_, dir)) = TAGS.iter().find(|(t, _)| *t == tag) else {
                let mut d = Diagnostic::new(&rules::UNKNOWN_TAG, n.span, format!("unknown tag `{tag}`"));
                d = match did_you_mean(tag, TAGS.iter().map(|(t, _)| *t)) {
                    Some(t) => d.help(format!("did you mean `{t}`?")),
                    None => d.help("2.0 files know `!include` (includes/), `!icon` (icons/) and `!resource` (resources/)"),
                };
                diags.push(d);
                return;
            };
            let Some(rel) = n.as_str() else {
                diags.push(
                    Diagnostic::new(&rules::TAG_ON_COLLECTION, n.span, format!("`{tag}` takes a file path, not {}", n.type_name()))
                        .help(format!("write `{tag} <path under {dir}/>`")),
                );
                return;
            };
            // `iconbase64: ""` occurs in published packs for a group without an icon.
            if rel.is_empty() {
                diags.push(
                    Diagnostic::new(&rules::TAG_PATH, n.span, format!("`{tag}` has an empty path"))
                        .help(format!("name a file under {dir}/")),
                );
                return;
            }
            if rel.starts_with('/') || rel.contains('\\') || rel.split('/').any(|s| s == ".." ) || rel.as_bytes().get(1) == Some(&b':') {
                diags.push(
                    Diagnostic::new(&rules::TAG_PATH, n.span, format!("`{tag} {rel}` leaves `{dir}/`"))
                        .help(format!("tags resolve against `{dir}/` of the pack, whatever file they are in: write the path below it, without `..` or a leading `/`")),
                );
                return;
            }
            let rel_clean = rel.trim_start_matches("./");
            let path = format!("{dir}/{rel_clean}");
            if pack.files.contains_key(&path) {
                referenced.insert(path);
            } else {
                let mut d = Diagnostic::new(&rules::TAG_TARGET_MISSING, n.span, format!("`{tag} {rel}` names `{path}`, which does not exist"));
                let prefix = format!("{dir}/");
                let candidates: Vec<&str> = pack
                    .files
                    .keys()
                    .filter_map(|p| p.strip_prefix(prefix.as_str()))
                    .collect();
                d = match did_you_mean(rel_clean, candidates.iter().copied()) {
                    Some(c) => d.help(format!("did you mean `{tag} {c}`?")),
                    None => d.help(format!("tags resolve against `{dir}/` (not against the .sty file's folder); create the file or fix the path")),
                };
                diags.push(d);
            }
        });
    }
    referenced
}

fn orphans(pack: &Pack, referenced: &BTreeSet<String>, diags: &mut Diagnostics) {
    for path in pack.files.keys() {
        let top = path.split('/').next().unwrap_or("");
        let orphan_kind = match top {
            "includes" | "icons" => true,
            // Release notes are kept beside the pages by convention (and by `release`). Without
            // a stackpack.yaml nothing can name the pages: that is the finding, not the pages.
            "resources" => pack.manifest.is_some() && path.ends_with(".md") && path != "resources/RELEASE.md",
            _ => false,
        };
        if orphan_kind && FOLDERS.contains(&top) && !referenced.contains(path) {
            diags.push(
                Diagnostic::at_path(
                    &rules::ORPHAN_FILE,
                    pack.display(path),
                    format!("`{path}` is not referenced by any tag"),
                )
                .help("reference it (`!include`, `!icon`, `!resource`) or delete it"),
            );
        }
    }
}
