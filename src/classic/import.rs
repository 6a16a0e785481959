//! `stackpack import`: a classic pack (source tree or `.sts`) → declarative sources
//! (`stackpack.toml`, `nodes/*.yaml`, `scripts/`, `templates/`, `icons/`, `resources/`,
//! `provisioning/`) that `stackpack build` turns back into an equivalent archive.
//!
//! - Every STJ node becomes a typed node when the declarative format expresses all of its
//!   fields, else an `stj-nodes` entry kept verbatim (with a warning); nothing is dropped silently.
//! - Nodes get an explicit `identifier` whenever the generated URN would differ; nodes of an
//!   instance-imported template get `scope: instance`.
//! - The original provisioning Groovy is kept verbatim (`[provisioning] script`) together with
//!   the original template file names, so its `importSnapshot` paths still work.
//! - Sync templates are written in author form (`\{{`/`\}}` unescaped); import-time tags stay.

use super::lint::Classic;
use super::rules;
use super::stj::{Scope, StjFile, StjNode, GET_BASE};
use crate::diag::{Diagnostic, Diagnostics};
use crate::load::paths::normalize;
use crate::load::tree::{Kind, Value};
use crate::model::NodeKind;
use serde_yaml::{Mapping, Value as Y};
use std::collections::{BTreeMap, BTreeSet};

/// The declarative sources, as files (pack-relative path → bytes).
#[derive(Debug, Default)]
pub struct Imported {
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Options of the conversion.
#[derive(Debug, Default, Clone)]
pub struct ImportOptions {
    /// `--version`: the pack version (classic confs usually have none).
    pub version: Option<String>,
}

/// Convert an analysed classic pack. `Err` when the version is unknown (exit code 2).
pub fn convert(c: &Classic, opts: &ImportOptions, diags: &mut Diagnostics) -> Result<Imported, String> {
    let mut out = convert_sources(c, opts, diags)?;
    if let Some(manifest) = refined_manifest(&out, diags, &c.files.display_root()) {
        out.files.insert(crate::load::MANIFEST.to_string(), manifest);
    }
    Ok(out)
}

/// [`convert`] without the last step, [`refined_manifest`]: every source is final but
/// `stackpack.toml`, whose `min-stackstate-version` the check of the whole result may raise.
/// `import` writes the other files while that check runs.
pub fn convert_sources(c: &Classic, opts: &ImportOptions, diags: &mut Diagnostics) -> Result<Imported, String> {
    let mut cx = Cx {
        c,
        out: Imported::default(),
        diags,
        ids: BTreeSet::new(),
        next_suffix: BTreeMap::new(),
        id_index: BTreeMap::new(),
        templates_written: BTreeMap::new(),
        script_vars: BTreeSet::new(),
    };
    let version = match (&opts.version, &c.conf.version) {
        (Some(v), _) => v.clone(),
        (None, Some(v)) => v.value.clone(),
        (None, None) => match release_notes_version(c) {
            Some(v) => {
                cx.note(format!("the conf has no version; using {v}, the newest release in resources/RELEASE.md (pass --version to choose)"));
                v
            }
            None => {
                return Err(
                    "the conf has no `version` and resources/RELEASE.md names none: pass `--version X.Y.Z`".into(),
                )
            }
        },
    };
    if let Err(e) = semver::Version::parse(version.trim()) {
        return Err(format!("version `{version}` is not semver: {e}"));
    }
    let name = c.conf.name().to_string();
    if name.is_empty() {
        return Err("the conf has no usable `name`; fix stackpack.conf first (run `stackpack lint`)".into());
    }
    // Copy files: resources as they are; the provisioning class as the custom script.
    for (path, bytes) in &c.files.files {
        if path.starts_with("resources/") {
            cx.out.files.insert(path.clone(), bytes.clone());
        }
    }
    for file in &c.templates.files {
        cx.file_nodes(&name, file);
    }
    cx.manifest(&name, &version);
    // Provisioning files that no node includes (helper classes on the Groovy classpath) are kept
    // (the manifest lists them in [archive] include).
    let extra: Vec<String> = c
        .files
        .under("provisioning/")
        .filter(|path| {
            c.provisioning.class_file.as_deref() != Some(path.as_str())
                && !path.ends_with(".stj")
                && !cx.templates_written.contains_key(*path)
        })
        .cloned()
        .collect();
    for path in extra {
        if let Some(b) = c.files.bytes(&path) {
            cx.out.files.insert(path.clone(), b.to_vec());
        }
        cx.warn_path(
            &path,
            format!("`{path}` is not included by any node; it is kept with [archive] include"),
        );
    }
    Ok(cx.out)
}

/// Raise the manifest's `min-stackstate-version` to the first version of the newest feature the
/// imported pack uses (compat table, certain rows), or set it when the classic pack gave no
/// evidence at all (no `common` dependency: the published tutorial), and say why. The imported
/// sources are loaded as a pack for this the way `build` will, from memory: writing them to a
/// scratch directory first doubled the files created, most of import's time (issue 15).
/// Returns the new `stackpack.toml` when it changes.
pub fn refined_manifest(out: &Imported, diags: &mut Diagnostics, root: &str) -> Option<Vec<u8>> {
    let mut scratch = Diagnostics::new();
    let loaded = crate::load::load_from_memory(std::path::Path::new(root), &out.files, &mut scratch);
    let Ok(pack) = crate::model::build(loaded, &mut scratch) else {
        return None;
    };
    let declared = pack.manifest.min_stackstate.as_ref().map(|v| v.value.clone());
    let Some((need, feature, by, evidence)) = crate::compat::required_minimum(&pack) else {
        if declared.is_none() {
            diags.push(Diagnostic::at_path(
                &rules::NOT_EXPRESSIBLE,
                root.to_string(),
                "the classic pack does not say which StackState version it needs: set `min-stackstate-version` in stackpack.toml before building",
            ));
        }
        return None;
    };
    if declared.as_ref().is_some_and(|d| *d >= need) {
        return None;
    }
    let text = out
        .files
        .get(crate::load::MANIFEST)
        .map(|b| String::from_utf8_lossy(b).into_owned())?;
    let line = format!("min-stackstate-version = \"{need}\"");
    let updated = match text.lines().position(|l| l.starts_with("min-stackstate-version")) {
        Some(i) => {
            text.lines()
                .enumerate()
                .map(|(k, l)| if k == i { line.clone() } else { l.to_string() })
                .collect::<Vec<_>>()
                .join("\n")
                + "\n"
        }
        None => {
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            let at = lines
                .iter()
                .position(|l| l.starts_with("version"))
                .map_or(lines.len(), |i| i + 1);
            lines.insert(at, line.clone());
            lines.join("\n") + "\n"
        }
    };
    let why = match declared {
        Some(d) => format!("raised from {d}, the common-dependency evidence, "),
        None => String::new(),
    };
    diags.push(
        Diagnostic::at_path(
            &rules::NOT_EXPRESSIBLE,
            root.to_string(),
            format!("min-stackstate-version set to {need} ({why}because {by} uses {feature}, first in StackState {need}; evidence: {evidence}); check it against your release notes"),
        )
        .severity(crate::diag::Severity::Info),
    );
    Some(updated.into_bytes())
}

fn release_notes_version(c: &Classic) -> Option<String> {
    let text = std::str::from_utf8(c.files.bytes("resources/RELEASE.md")?).ok()?;
    for line in text.lines() {
        let Some(h) = line.strip_prefix("## ") else { continue };
        for tok in h.split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '.' || ch == '-')) {
            let t = tok.trim_start_matches('v');
            if semver::Version::parse(t).is_ok() {
                return Some(t.to_string());
            }
        }
    }
    None
}

struct Cx<'a, 'd> {
    c: &'a Classic,
    out: Imported,
    diags: &'d mut Diagnostics,
    /// (kind key, short id) already used.
    ids: BTreeSet<(String, String)>,
    /// (kind key, base id) → the next `-N` suffix to try for it.
    next_suffix: BTreeMap<(String, String), usize>,
    /// Negative id → identifier, for the STJ file being converted.
    id_index: BTreeMap<i64, String>,
    /// Archive path of an included template/script → pack-relative path written.
    templates_written: BTreeMap<String, String>,
    /// Import-time variables the original provisioning script computes (neither standard
    /// arguments nor steps): declared as `[provisioning] variables`.
    script_vars: BTreeSet<String>,
}

fn s(v: &str) -> Y {
    Y::String(v.to_string())
}

fn get<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    v.as_map()?.get(key)
}

fn gs<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    get(v, key)?.as_str()
}

fn gb(v: &Value, key: &str) -> Option<bool> {
    match get(v, key)?.kind {
        Kind::Bool(b) => Some(b),
        _ => None,
    }
}

fn gi(v: &Value, key: &str) -> Option<i64> {
    match get(v, key)?.kind {
        Kind::Int(i) => Some(i),
        _ => None,
    }
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_map().map(|m| m.keys().collect()).unwrap_or_default()
}

/// `true` when every key of `v` is in `allowed`.
fn only(v: &Value, allowed: &[&str]) -> bool {
    keys(v).iter().all(|k| allowed.contains(k))
}

impl Cx<'_, '_> {
    fn note(&mut self, msg: String) {
        let d = Diagnostic::at_path(&rules::NOT_EXPRESSIBLE, self.c.files.display_root(), msg)
            .severity(crate::diag::Severity::Info);
        self.diags.push(d);
    }

    fn warn_path(&mut self, path: &str, msg: String) {
        self.diags.push(Diagnostic::at_path(
            &rules::NOT_EXPRESSIBLE,
            self.c.files.display(path),
            msg,
        ));
    }

    fn warn(&mut self, span: crate::source::Span, msg: String, help: &str) {
        self.diags
            .push(Diagnostic::new(&rules::NOT_EXPRESSIBLE, span, msg).help(help.to_string()));
    }

    /// The source text behind a rendered value (the `{{ include … }}` tag, …).
    fn source_of(&self, v: &Value) -> &str {
        self.c.files.sources.text(v.span)
    }

    /// The `include` path written where `v` came from, normalised, relative to provisioning/.
    fn include_of(&self, v: &Value) -> Option<String> {
        let src = self.source_of(v);
        let i = src.find("include")?;
        let rest = &src[i + 7..];
        let q = rest.find('"')?;
        let rest = &rest[q + 1..];
        let e = rest.find('"')?;
        normalize(&rest[..e]).ok()
    }

    /// A unique short id for a node of `kind`.
    fn short_id(&mut self, kind: NodeKind, identifier: Option<&str>, name: &str) -> String {
        let base = identifier
            .and_then(|u| u.rsplit(':').next())
            .map(sanitize)
            .filter(|x| !x.is_empty())
            .or_else(|| Some(sanitize(name)).filter(|x| !x.is_empty()))
            .unwrap_or_else(|| "node".to_string());
        // The next suffix to try is remembered per base, so n nodes of one name cost O(n log n),
        // not O(n²) (issue 15); a suffix can still be taken by a node whose own base is `x-2`.
        let key = (kind.key().to_string(), base.clone());
        let mut n = self.next_suffix.get(&key).copied().unwrap_or(2);
        let mut id = base.clone();
        while !self.ids.insert((kind.key().to_string(), id.clone())) {
            id = format!("{base}-{n}");
            n += 1;
        }
        self.next_suffix.insert(key, n);
        id
    }

    /// A reference field → the URN it points at.
    fn ref_urn(&self, file: &StjFile, v: &Value) -> Option<(String, Option<String>)> {
        let Kind::Int(n) = v.kind else { return None };
        if n >= GET_BASE {
            return file.gets.get(&n).cloned();
        }
        if n >= 0 {
            return None;
        }
        self.id_index.get(&n).map(|u| (u.clone(), None))
    }

    /// Negative id → identifier of the node of `file` it stands for (a nested ExtTopology stands
    /// for its data source). One pass per file, so reference lookups are not O(nodes) each.
    fn index_ids(&mut self, file: &StjFile) {
        self.id_index.clear();
        for node in &file.nodes {
            let Some(ident) = node.identifier.as_ref() else {
                continue;
            };
            if let Some(n) = gi(&node.value, "id") {
                self.id_index.entry(n).or_insert_with(|| ident.value.clone());
            }
            if node.stj_type == "DataSource" {
                if let Some(n) = get(&node.value, "extTopology").and_then(|ext| gi(ext, "id")) {
                    self.id_index.entry(n).or_insert_with(|| ident.value.clone());
                }
            }
        }
    }

    fn file_nodes(&mut self, pack: &str, file: &StjFile) {
        self.index_ids(file);
        self.check_node_vars(file);
        let mut by_kind: BTreeMap<&'static str, Vec<Y>> = BTreeMap::new();
        for node in &file.nodes {
            let (kind, y) = match self.typed(pack, file, node) {
                Some(x) => x,
                None => (NodeKind::Stj, self.verbatim(pack, file, node)),
            };
            by_kind.entry(kind.key()).or_default().push(y);
        }
        let mut top = Mapping::new();
        for kind in NodeKind::ALL {
            if let Some(list) = by_kind.remove(kind.key()) {
                top.insert(s(kind.key()), Y::Sequence(list));
            }
        }
        let stem = file
            .rel
            .rsplit('/')
            .next()
            .unwrap_or("nodes")
            .trim_end_matches(".stj")
            .to_string();
        let header = format!("# Imported from {} by `stackpack import`.\n", file.rel);
        let path = format!("nodes/{}.yaml", sanitize_file(&stem));
        let mut doc = Y::Mapping(top);
        // Written in `fmt`'s layout and key order directly; what that writer does not lay out
        // (a tag) goes through serde_yaml and the formatter.
        crate::fmt::emit::order(crate::fmt::Role::V1Nodes, &mut doc);
        let text = match crate::fmt::emit::to_yaml(&doc) {
            Some(text) => Ok(text),
            None => serde_yaml::to_string(&doc).map(|t| {
                let role = crate::fmt::role_of(std::path::Path::new(&path));
                crate::fmt::canonical_yaml(role, t)
            }),
        };
        match text {
            Ok(text) => {
                self.out.files.insert(path, format!("{header}{text}").into_bytes());
            }
            Err(e) => self.warn_path(&file.rel, format!("cannot write the nodes of `{}`: {e}", file.rel)),
        }
    }

    /// Import-time variables in node fields that are neither standard arguments nor steps: the
    /// original script computes them, so the manifest declares them (`[provisioning] variables`).
    fn check_node_vars(&mut self, file: &StjFile) {
        fn strings<'v>(v: &'v Value, out: &mut Vec<&'v Value>) {
            match &v.kind {
                Kind::Str(_) => out.push(v),
                Kind::Seq(items) => items.iter().for_each(|i| strings(i, out)),
                Kind::Map(m) => m.entries.iter().for_each(|(_, x)| strings(x, out)),
                _ => {}
            }
        }
        let mut known: Vec<String> = super::stj::STANDARD_VARS.iter().map(|x| x.to_string()).collect();
        known.extend(self.c.conf.step_names().iter().map(|x| x.to_string()));
        let mut found: Vec<String> = Vec::new();
        for node in &file.nodes {
            let mut all = Vec::new();
            strings(&node.value, &mut all);
            for v in all {
                // Template and script bodies are checked where they are written to files.
                let src = self.source_of(v);
                if src.contains("include") {
                    continue;
                }
                for var in super::stj::tag_vars(v.as_str().unwrap_or("")) {
                    let root = var.split(['.', ' ']).next().unwrap_or("").to_string();
                    if !known.contains(&root) && !found.contains(&root) {
                        found.push(root);
                    }
                }
            }
        }
        // The original script passes these to its imports: the manifest declares them.
        self.script_vars.extend(found);
    }

    /// Common fields: id, name, description, identifier, scope.
    fn head(&mut self, pack: &str, file: &StjFile, node: &StjNode, kind: NodeKind) -> Mapping {
        let name = gs(&node.value, "name").unwrap_or("").to_string();
        let ident = node.identifier.as_ref().map(|i| i.value.clone());
        let id = self.short_id(kind, ident.as_deref(), &name);
        let mut m = Mapping::new();
        m.insert(s("id"), s(&id));
        if !name.is_empty() {
            m.insert(s("name"), s(&name));
        }
        if let Some(d) = gs(&node.value, "description") {
            m.insert(s("description"), s(d));
        }
        let segment = match kind {
            NodeKind::Stj => crate::model::kebab(&node.stj_type),
            k => k.urn_segment().to_string(),
        };
        let generated = match file.scope {
            Scope::Shared => format!("urn:stackpack:{pack}:shared:{segment}:{id}"),
            Scope::Instance => format!("urn:stackpack:{pack}:instance:{{{{instanceId}}}}:{segment}:{id}"),
        };
        if let Some(i) = &ident {
            if *i != generated {
                m.insert(s("identifier"), s(i));
            }
        }
        if file.scope == Scope::Instance {
            m.insert(s("scope"), s("instance"));
        }
        m
    }

    /// A Groovy body (`script`/`groovyScript`): written to `scripts/…`; returns its path and the
    /// import-time variables the original substitutes in it (`import-variables`).
    ///
    /// A body included in the default (handlebars) mode went through the import pass: the
    /// declarative script is the text that pass gives (escapes `\{{`/`\}}` resolved), with the
    /// `{{var}}` tags of import arguments kept and declared, so that `build` — which escapes every
    /// other brace — gives the same script after import (the Splunk and SolarWinds mapping
    /// functions label components with `{{instanceName}}`).
    fn script_file(&mut self, node: &StjNode, v: &Value, id_hint: &str) -> Option<(String, Vec<String>)> {
        let text = v.as_str()?;
        let identity = self.source_of(v).contains("\"identity\"");
        // (pack-relative path to write, bytes, the provisioning/ file it came from)
        // The included file as the classic pack ships it (escapes and all).
        let mut shipped = text.to_string();
        let (rel, bytes, src) = match self.include_of(v) {
            Some(inc) => {
                let src = format!("provisioning/{inc}");
                let original = self.c.files.bytes(&src)?.to_vec();
                shipped = String::from_utf8_lossy(&original).into_owned();
                let bytes = if identity { original } else { text.as_bytes().to_vec() };
                (inc, bytes, Some(src))
            }
            None => (
                format!("scripts/{}.groovy", sanitize_file(id_hint)),
                text.as_bytes().to_vec(),
                None,
            ),
        };
        let rel = if rel.starts_with("scripts/") {
            rel
        } else {
            format!("scripts/{rel}")
        };
        let mut vars = Vec::new();
        if !identity {
            let body = String::from_utf8_lossy(&bytes).into_owned();
            let mut known: Vec<String> = super::stj::STANDARD_VARS.iter().map(|x| x.to_string()).collect();
            known.extend(self.c.conf.step_names().iter().map(|x| x.to_string()));
            known.extend(self.script_vars.iter().cloned());
            for (name, _, _) in crate::check::scripts::var_tags(&body) {
                if known.contains(&name) && !vars.contains(&name) {
                    vars.push(name);
                }
            }
            if super::stj::stray_braces(&shipped, &known).is_some() {
                self.warn(
                    v.span,
                    format!("the Groovy body of `{}` contains `{{{{` or `}}}}` that the classic pack's import pass evaluates; `stackpack build` escapes them and copies them literally", node.stj_type),
                    "check that the script does not rely on import-time evaluation other than `{{var}}` of an import argument",
                );
            }
        }
        if let Some(src) = src {
            self.templates_written.insert(src, rel.clone());
        }
        self.out.files.insert(rel.clone(), bytes);
        Some((rel, vars))
    }

    /// A sync template (`handlebarsTemplate`): written in author form to `templates/…`.
    fn template_file(&mut self, node: &StjNode, v: &Value, id_hint: &str) -> Option<String> {
        let (rel, text) = match self.include_of(v) {
            Some(inc) => {
                let src = format!("provisioning/{inc}");
                let text = String::from_utf8(self.c.files.bytes(&src)?.to_vec()).ok()?;
                self.templates_written.insert(src, inc.clone());
                let name = inc.rsplit('/').next().unwrap_or(&inc).to_string();
                (
                    format!("templates/{name}"),
                    text.replace("\\{{", "{{").replace("\\}}", "}}"),
                )
            }
            // Inline: the rendered string is already the sync-time form.
            None => (
                format!("templates/{}.json.handlebars", sanitize_file(id_hint)),
                v.as_str()?.to_string(),
            ),
        };
        let mut vars: Vec<String> = super::stj::STANDARD_VARS.iter().map(|x| x.to_string()).collect();
        vars.extend(self.c.conf.step_names().iter().map(|x| x.to_string()));
        // Import-time tags whose variable the compiler does not know would become sync-time tags.
        let src_text = match self.include_of(v) {
            Some(inc) => self
                .c
                .files
                .bytes(&format!("provisioning/{inc}"))
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or("")
                .to_string(),
            None => String::new(),
        };
        if let Ok(sc) = crate::template::scan(&src_text, &[]) {
            // Plain unescaped variables are computed by the original script: declared in the
            // manifest (`[provisioning] variables`), so they stay import-time. Any other unknown
            // import-time tag (a helper) is reported.
            let known =
                |t: &crate::template::Tag| t.escaped || t.head == "include" || vars.iter().any(|x| *x == t.root());
            let plain = |t: &crate::template::Tag| t.kind == crate::template::TagKind::Expr && t.args.is_empty();
            let mut unknown: BTreeSet<String> = BTreeSet::new();
            for t in sc.tags.iter().filter(|t| !known(t)) {
                if plain(t) {
                    self.script_vars.insert(t.root().to_string());
                } else {
                    unknown.insert(t.head.clone());
                }
            }
            if !unknown.is_empty() {
                self.warn(
                    v.span,
                    format!(
                        "template of `{}` uses import-time variable(s) `{}` that are neither standard arguments nor steps: `stackpack build` will evaluate them at sync time",
                        node.identifier.as_ref().map(|i| i.value.as_str()).unwrap_or(&node.stj_type),
                        unknown.into_iter().collect::<Vec<_>>().join("`, `")
                    ),
                    "declare them as install steps, or replace them in templates/ by the values the provisioning script computes",
                );
            }
        }
        self.out.files.insert(rel.clone(), text.into_bytes());
        Some(rel)
    }

    fn struct_param(&self, node: &StjNode) -> Option<(String, bool)> {
        let params = get(&node.value, "parameters")?.as_seq()?;
        let [p] = params else { return None };
        if gs(p, "type") != Some("STRUCT_TYPE")
            || !only(p, &["_type", "id", "name", "type", "required", "multiple", "system"])
        {
            return None;
        }
        Some((gs(p, "name")?.to_string(), gb(p, "system").unwrap_or(false)))
    }

    /// The typed form of a node, when the declarative format expresses every field.
    fn typed(&mut self, pack: &str, file: &StjFile, node: &StjNode) -> Option<(NodeKind, Y)> {
        let v = &node.value;
        node.identifier.as_ref()?;
        const BASE: [&str; 5] = ["_type", "id", "identifier", "name", "description"];
        let with = |extra: &[&'static str]| -> Vec<&'static str> { BASE.iter().chain(extra).copied().collect() };
        let kind = NodeKind::from_stj_type(&node.stj_type)?;
        let mut m;
        match kind {
            NodeKind::ComponentType => {
                if !only(v, &with(&["iconbase64"])) {
                    return None;
                }
                let icon = match get(v, "iconbase64") {
                    Some(iv) => Some(self.include_of(iv)?),
                    None => None,
                };
                m = self.head(pack, file, node, kind);
                if let Some(icon) = icon {
                    let src = format!("provisioning/{icon}");
                    let bytes = self.c.files.bytes(&src)?.to_vec();
                    let rel = if icon.starts_with("icons/") {
                        icon.clone()
                    } else {
                        format!("icons/{icon}")
                    };
                    self.templates_written.insert(src, rel.clone());
                    self.out.files.insert(rel.clone(), bytes);
                    m.insert(s("icon"), s(&rel));
                }
            }
            NodeKind::RelationType => {
                if !only(v, &with(&["dependencyDirection"])) {
                    return None;
                }
                let dir = match gs(v, "dependencyDirection").unwrap_or("ONE_WAY") {
                    "ONE_WAY" => "one-way",
                    "BOTH" => "both",
                    "NONE" => "none",
                    _ => return None,
                };
                m = self.head(pack, file, node, kind);
                m.insert(s("dependency-direction"), s(dir));
            }
            NodeKind::Layer | NodeKind::Domain | NodeKind::Environment => {
                if !only(v, &with(&["order"])) {
                    return None;
                }
                let order = match get(v, "order").map(|o| &o.kind) {
                    Some(Kind::Int(i)) => Some(*i as f64),
                    Some(Kind::Float(f)) => Some(*f),
                    None => None,
                    _ => return None,
                };
                m = self.head(pack, file, node, kind);
                if let Some(o) = order {
                    m.insert(s("order"), Y::Number(o.into()));
                }
            }
            NodeKind::IdExtractor | NodeKind::ComponentMapping | NodeKind::RelationMapping => {
                let field = if kind == NodeKind::IdExtractor {
                    "groovyScript"
                } else {
                    "script"
                };
                if !only(v, &with(&[field, "parameters"])) {
                    return None;
                }
                let (param, system) = self.struct_param(node)?;
                if !system {
                    return None;
                }
                let sv = get(v, field)?;
                m = self.head(pack, file, node, kind);
                let id = m.get(s("id")).and_then(Y::as_str).unwrap_or("script").to_string();
                let (script, vars) = self.script_file(node, sv, &id)?;
                m.insert(s("script"), s(&script));
                m.insert(s("parameter"), s(&param));
                if !vars.is_empty() {
                    m.insert(s("import-variables"), Y::Sequence(vars.iter().map(|x| s(x)).collect()));
                }
            }
            NodeKind::ComponentTemplate | NodeKind::RelationTemplate => {
                if !only(v, &with(&["handlebarsTemplate", "parameters"])) {
                    return None;
                }
                let (param, system) = self.struct_param(node)?;
                let tv = get(v, "handlebarsTemplate")?;
                m = self.head(pack, file, node, kind);
                let id = m.get(s("id")).and_then(Y::as_str).unwrap_or("template").to_string();
                let t = self.template_file(node, tv, &id)?;
                m.insert(s("template"), s(&t));
                m.insert(s("parameter"), s(&param));
                if system {
                    m.insert(s("system-parameter"), Y::Bool(true));
                }
            }
            NodeKind::CheckFunction => {
                if !only(v, &with(&["parameters", "returnTypes", "script"])) {
                    return None;
                }
                let mut params = Vec::new();
                for p in get(v, "parameters").and_then(Value::as_seq).unwrap_or_default() {
                    if !only(p, &["_type", "id", "name", "type", "required", "multiple", "system"])
                        || gb(p, "system") == Some(true)
                    {
                        return None;
                    }
                    let ty = crate::model::ParamType::ALL
                        .iter()
                        .find(|(_, t)| Some(t.stj()) == gs(p, "type"))?;
                    let mut pm = Mapping::new();
                    pm.insert(s("name"), s(gs(p, "name")?));
                    pm.insert(s("type"), s(ty.0));
                    pm.insert(s("required"), Y::Bool(gb(p, "required").unwrap_or(true)));
                    pm.insert(s("multiple"), Y::Bool(gb(p, "multiple").unwrap_or(false)));
                    params.push(Y::Mapping(pm));
                }
                let mut returns = Vec::new();
                for r in get(v, "returnTypes").and_then(Value::as_seq).unwrap_or_default() {
                    returns.push(s(match r.as_str()? {
                        "HEALTH_STATE" => "health-state",
                        "RUN_STATE" => "run-state",
                        _ => return None,
                    }));
                }
                let sv = get(v, "script")?;
                m = self.head(pack, file, node, kind);
                let id = m.get(s("id")).and_then(Y::as_str).unwrap_or("check").to_string();
                let (script, vars) = self.script_file(node, sv, &id)?;
                m.insert(s("script"), s(&script));
                if !vars.is_empty() {
                    m.insert(s("import-variables"), Y::Sequence(vars.iter().map(|x| s(x)).collect()));
                }
                m.insert(s("parameters"), Y::Sequence(params));
                m.insert(s("returns"), Y::Sequence(returns));
            }
            NodeKind::DataSource => {
                if !only(v, &with(&["pluginId", "config", "extTopology", "uiRequestTimeout"]))
                    || gs(v, "pluginId") != Some("Sts")
                {
                    return None;
                }
                let cfg = get(v, "config")?;
                let ok_cfg = only(
                    cfg,
                    &[
                        "_type",
                        "id",
                        "topic",
                        "integrationType",
                        "autoExpireElements",
                        "expireElementsAfter",
                        "supportedDataTypes",
                        "supportedWindowingMethods",
                    ],
                ) && gs(cfg, "_type") == Some("Sts.StsTopologyDataSourceConfig")
                    && get(cfg, "supportedDataTypes")
                        .map(|x| x.to_json())
                        .is_none_or(|j| j == serde_json::json!(["TOPOLOGY_ELEMENTS"]))
                    && get(cfg, "supportedWindowingMethods")
                        .map(|x| x.to_json())
                        .is_none_or(|j| j == serde_json::json!([]));
                let ext = get(v, "extTopology")?;
                let settings = get(ext, "settings")?;
                let ok_ext = only(ext, &["_type", "id", "dataSource", "settings"])
                    && only(
                        settings,
                        &[
                            "_type",
                            "id",
                            "cleanupExpiredElements",
                            "cleanupInterval",
                            "maxBatchSize",
                            "maxBatchesPerSecond",
                        ],
                    );
                if !ok_cfg || !ok_ext {
                    return None;
                }
                m = self.head(pack, file, node, kind);
                m.insert(s("topic"), s(gs(cfg, "topic")?));
                m.insert(s("integration-type"), s(gs(cfg, "integrationType")?));
                let put_b = |m: &mut Mapping, k: &str, v: Option<bool>| {
                    if let Some(b) = v {
                        m.insert(s(k), Y::Bool(b));
                    }
                };
                let put_i = |m: &mut Mapping, k: &str, v: Option<i64>| {
                    if let Some(i) = v {
                        m.insert(s(k), Y::Number(i.into()));
                    }
                };
                put_b(&mut m, "auto-expire-elements", gb(cfg, "autoExpireElements"));
                put_i(&mut m, "expire-elements-after-ms", gi(cfg, "expireElementsAfter"));
                put_b(
                    &mut m,
                    "cleanup-expired-elements",
                    gb(settings, "cleanupExpiredElements"),
                );
                put_i(&mut m, "cleanup-interval-ms", gi(settings, "cleanupInterval"));
                put_i(&mut m, "max-batch-size", gi(settings, "maxBatchSize"));
                put_i(&mut m, "max-batches-per-second", gi(settings, "maxBatchesPerSecond"));
                put_i(&mut m, "ui-request-timeout-ms", gi(v, "uiRequestTimeout"));
            }
            NodeKind::Sync => {
                if !only(
                    v,
                    &with(&[
                        "extTopology",
                        "topologyDataQuery",
                        "componentActions",
                        "relationActions",
                        "defaultComponentAction",
                        "defaultRelationAction",
                    ]),
                ) {
                    return None;
                }
                let q = get(v, "topologyDataQuery")?;
                if !only(
                    q,
                    &[
                        "_type",
                        "id",
                        "componentIdExtractorFunction",
                        "relationIdExtractorFunction",
                        "consumerOffsetStartAtEarliest",
                    ],
                ) || gb(q, "consumerOffsetStartAtEarliest") == Some(true)
                {
                    return None;
                }
                let ds = self.ref_urn(file, get(v, "extTopology")?)?.0;
                let cid = self.ref_urn(file, get(q, "componentIdExtractorFunction")?)?.0;
                let rid = self.ref_urn(file, get(q, "relationIdExtractorFunction")?)?.0;
                // `typed`: a type-matching action (its `type` is required); `None`: a default action,
                // whose `type` is written only when it is not the compiler's default.
                let action = |cx: &Self, a: &Value, typed: Option<&str>| -> Option<Y> {
                    if !only(
                        a,
                        &[
                            "_type",
                            "id",
                            "type",
                            "templateFunction",
                            "mappingFunction",
                            "mergeStrategy",
                        ],
                    ) {
                        return None;
                    }
                    let mut am = Mapping::new();
                    match typed {
                        None => {
                            am.insert(s("type"), s(gs(a, "type")?));
                        }
                        Some(default) => {
                            if let Some(t) = gs(a, "type").filter(|t| *t != default) {
                                am.insert(s("type"), s(t));
                            }
                        }
                    }
                    am.insert(s("template"), s(&cx.ref_urn(file, get(a, "templateFunction")?)?.0));
                    if let Some(mf) = get(a, "mappingFunction") {
                        am.insert(s("mapping"), s(&cx.ref_urn(file, mf)?.0));
                    }
                    if let Some(ms) = gs(a, "mergeStrategy") {
                        am.insert(s("merge-strategy"), s(ms));
                    }
                    Some(Y::Mapping(am))
                };
                let dca = match get(v, "defaultComponentAction") {
                    Some(a) => Some(action(self, a, Some("default_component_mapping"))?),
                    None => None,
                };
                let dra = match get(v, "defaultRelationAction") {
                    Some(a) => Some(action(self, a, Some("default_relation_mapping"))?),
                    None => None,
                };
                let mut cas = Vec::new();
                for a in get(v, "componentActions").and_then(Value::as_seq).unwrap_or_default() {
                    cas.push(action(self, a, None)?);
                }
                let mut ras = Vec::new();
                for a in get(v, "relationActions").and_then(Value::as_seq).unwrap_or_default() {
                    ras.push(action(self, a, None)?);
                }
                m = self.head(pack, file, node, kind);
                m.insert(s("data-source"), s(&ds));
                m.insert(s("component-id-extractor"), s(&cid));
                m.insert(s("relation-id-extractor"), s(&rid));
                if let Some(a) = dca {
                    m.insert(s("default-component-action"), a);
                }
                if let Some(a) = dra {
                    m.insert(s("default-relation-action"), a);
                }
                if !cas.is_empty() {
                    m.insert(s("component-actions"), Y::Sequence(cas));
                }
                if !ras.is_empty() {
                    m.insert(s("relation-actions"), Y::Sequence(ras));
                }
            }
            NodeKind::View => {
                if !only(
                    v,
                    &with(&[
                        "query",
                        "queryVersion",
                        "groupingEnabled",
                        "groupedByDomains",
                        "groupedByLayers",
                        "groupedByRelations",
                        "autoGrouping",
                        "minimumGroupSize",
                        "showIndirectRelations",
                        "viewHealthStateConfiguration",
                    ]),
                ) || gs(v, "queryVersion").is_some_and(|q| q != "0.0.1")
                    // The typed view always writes the grouping flags; a view without one (SAP has
                    // no `groupedByRelations`) is kept verbatim so none is added.
                    || ["groupingEnabled", "groupedByLayers", "groupedByDomains", "groupedByRelations"]
                        .iter()
                        .any(|k| gb(v, k).is_none())
                {
                    return None;
                }
                let health = match get(v, "viewHealthStateConfiguration") {
                    None => None,
                    Some(h) => {
                        if !only(h, &["_type", "id", "enabled", "function", "arguments"])
                            || gb(h, "enabled") == Some(false)
                        {
                            return None;
                        }
                        let mut hm = Mapping::new();
                        hm.insert(s("function"), s(&self.ref_urn(file, get(h, "function")?)?.0));
                        let mut args = Mapping::new();
                        for a in get(h, "arguments").and_then(Value::as_seq).unwrap_or_default() {
                            if gs(a, "_type") != Some("ArgumentLongVal") {
                                return None;
                            }
                            let (_, sel) = self.ref_urn(file, get(a, "parameter")?)?;
                            let pname = sel?.strip_prefix("Type=Parameter;Name=")?.to_string();
                            args.insert(s(&pname), Y::Number(gi(a, "value")?.into()));
                        }
                        hm.insert(s("arguments"), Y::Mapping(args));
                        Some(hm)
                    }
                };
                m = self.head(pack, file, node, kind);
                m.insert(s("query"), s(gs(v, "query")?));
                let mut g = Mapping::new();
                g.insert(s("enabled"), Y::Bool(gb(v, "groupingEnabled").unwrap_or(false)));
                g.insert(s("by-layers"), Y::Bool(gb(v, "groupedByLayers").unwrap_or(false)));
                g.insert(s("by-domains"), Y::Bool(gb(v, "groupedByDomains").unwrap_or(false)));
                g.insert(s("by-relations"), Y::Bool(gb(v, "groupedByRelations").unwrap_or(false)));
                if let Some(a) = gb(v, "autoGrouping") {
                    g.insert(s("auto"), Y::Bool(a));
                }
                if let Some(n) = gi(v, "minimumGroupSize") {
                    g.insert(s("minimum-group-size"), Y::Number(n.into()));
                }
                m.insert(s("grouping"), Y::Mapping(g));
                m.insert(
                    s("show-indirect-relations"),
                    Y::Bool(gb(v, "showIndirectRelations").unwrap_or(false)),
                );
                if let Some(h) = health {
                    m.insert(s("health"), Y::Mapping(h));
                }
            }
            NodeKind::Stj => return None,
        }
        Some((kind, Y::Mapping(m)))
    }

    /// An `stj-nodes` entry: the node's fields as written, references turned into
    /// `{{ get "<urn>" }}` strings (the compiler resolves them again).
    fn verbatim(&mut self, pack: &str, file: &StjFile, node: &StjNode) -> Y {
        let mut m = self.head(pack, file, node, NodeKind::Stj);
        // `name` and `description` stay among the fields.
        m.remove(s("name"));
        m.remove(s("description"));
        if let Some(i) = &node.identifier {
            m.insert(s("identifier"), s(&i.value));
        }
        m.insert(s("type"), s(&node.stj_type));
        let mut fields = Mapping::new();
        if let Some(map) = node.value.as_map() {
            for (k, v) in &map.entries {
                if k.value == "_type" || k.value == "id" || k.value == "identifier" {
                    continue;
                }
                fields.insert(s(&k.value), self.verbatim_value(file, &k.value, v));
            }
        }
        m.insert(s("fields"), Y::Mapping(fields));
        let span = node.value.span.sub(0, 1);
        self.warn(
            span,
            format!(
                "`{}` node `{}` is kept verbatim as an stj-nodes entry",
                node.stj_type,
                node.identifier
                    .as_ref()
                    .map(|i| i.value.as_str())
                    .unwrap_or("(no identifier)")
            ),
            "the declarative format has no typed form for all of its fields; review nodes/*.yaml",
        );
        Y::Mapping(m)
    }

    fn verbatim_value(&mut self, file: &StjFile, key: &str, v: &Value) -> Y {
        match &v.kind {
            Kind::Int(n) if *n >= GET_BASE || (*n < 0 && key != "id") => match self.ref_urn(file, v) {
                Some((urn, None)) => s(&format!("{{{{ get \"{urn}\" }}}}")),
                Some((urn, Some(sel))) => s(&format!("{{{{ get \"{urn}\" \"{sel}\" }}}}")),
                None => {
                    self.warn(
                        v.span,
                        format!("reference {n} in `{key}` points at a nested object; kept as a number"),
                        "replace it by a reference to a node",
                    );
                    Y::Number((*n).into())
                }
            },
            Kind::Null => Y::Null,
            Kind::Bool(b) => Y::Bool(*b),
            Kind::Int(i) => Y::Number((*i).into()),
            Kind::Float(f) => Y::Number((*f).into()),
            Kind::Str(x) => s(x),
            Kind::Seq(items) => Y::Sequence(items.iter().map(|i| self.verbatim_value(file, key, i)).collect()),
            Kind::Map(m) => {
                let mut out = Mapping::new();
                for (k, x) in &m.entries {
                    out.insert(s(&k.value), self.verbatim_value(file, &k.value, x));
                }
                Y::Mapping(out)
            }
        }
    }

    fn manifest(&mut self, name: &str, version: &str) {
        use toml::Value as T;
        let conf = &self.c.conf;
        let mut t = toml::Table::new();
        let st = |x: &str| T::String(x.to_string());
        t.insert("name".into(), st(name));
        if let Some(d) = &conf.display_name {
            t.insert("display-name".into(), st(&d.value));
        }
        t.insert("version".into(), st(version));
        // A classic conf has no minimum StackState version (it lived in the build's version.sbt).
        // The compat table knows which minimum packs declared with each `common` version.
        let common = conf.dependencies.iter().find(|(k, _)| k.value == "common");
        let inferred = common.and_then(|(_, v)| {
            let v = semver::Version::parse(v.value.trim()).ok()?;
            let row = crate::compat::table::table().as_ref().ok()?.common_version(&v)?;
            Some((v, row.min_stackstate.clone()?, row.evidence.clone()))
        });
        // Without evidence here, refine_min_version infers it from the features the pack uses.
        if let Some((common, min, evidence)) = inferred {
            t.insert("min-stackstate-version".into(), st(&min.to_string()));
            self.note(format!(
                "min-stackstate-version set to {min}: packs depending on common {common} declare it (evidence: {evidence}); check it against your release notes"
            ));
        }
        if !conf.categories.is_empty() {
            t.insert(
                "categories".into(),
                T::Array(conf.categories.iter().map(|c| st(&c.value)).collect()),
            );
        }
        let res = |v: &Option<crate::source::Spanned<String>>| -> Option<String> {
            v.as_ref()
                .and_then(|x| super::conf::resource_path(&x.value).ok().flatten())
        };
        if let Some(logo) = res(&conf.logo_url) {
            t.insert("logo".into(), st(&logo));
        } else if let Some(l) = &conf.logo_url {
            self.warn(
                l.span,
                format!(
                    "logo URL `{}` is not a pack file; the declarative manifest cannot name it",
                    l.value
                ),
                "copy the logo to resources/ and set `logo`",
            );
        }
        if let Some(r) = &conf.release_status {
            t.insert(
                "release-status".into(),
                st(&r.value.to_ascii_lowercase().replace('_', "-")),
            );
        }
        if let Some(b) = conf.is_new {
            t.insert("is-new".into(), T::Boolean(b));
        }
        if let Some(b) = conf.is_multi_config {
            t.insert("multi-instance".into(), T::Boolean(b));
        }
        if let Some(d) = &conf.docs_url {
            t.insert("docs-url".into(), st(&d.value));
        }
        if !conf.dependencies.is_empty() {
            let mut deps = toml::Table::new();
            for (k, v) in &conf.dependencies {
                deps.insert(k.value.clone(), st(&v.value));
            }
            t.insert("dependencies".into(), T::Table(deps));
        }
        let mut pages = toml::Table::new();
        for (key, v) in [
            ("overview", &conf.overview_url),
            ("detailed-overview", &conf.detailed_overview_url),
            ("upgrade-instructions", &conf.upgrade_instructions),
        ] {
            if let Some(p) = res(v) {
                pages.insert(key.into(), st(&p));
            }
        }
        for (k, v) in &conf.configuration_urls {
            let key = crate::model::manifest::STATES
                .iter()
                .find(|(_, _, c)| *c == k.value)
                .map(|(d, _, _)| *d);
            if let (Some(key), Ok(Some(p))) = (key, super::conf::resource_path(&v.value)) {
                pages.insert(key.into(), st(&p));
            }
        }
        if !pages.is_empty() {
            t.insert("pages".into(), T::Table(pages));
        }
        if !conf.faqs.is_empty() {
            let faqs = conf
                .faqs
                .iter()
                .map(|(q, a)| {
                    let mut f = toml::Table::new();
                    f.insert("question".into(), st(&q.value));
                    f.insert("answer".into(), st(&a.value));
                    T::Table(f)
                })
                .collect();
            t.insert("faqs".into(), T::Array(faqs));
        }
        if !conf.steps.is_empty() {
            let steps = conf
                .steps
                .iter()
                .map(|x| {
                    let mut f = toml::Table::new();
                    f.insert("name".into(), st(&x.name.value));
                    f.insert("display".into(), st(&x.display.value));
                    f.insert("type".into(), st(&x.kind.value));
                    if let Some(d) = &x.default {
                        f.insert("default".into(), st(&d.value));
                    }
                    T::Table(f)
                })
                .collect();
            t.insert("steps".into(), T::Array(steps));
        }
        let mut prov = toml::Table::new();
        if let Some(class) = &conf.provision {
            prov.insert("class".into(), st(&class.value));
            if let Some(cf) = &self.c.provisioning.class_file {
                if let Some(b) = self.c.files.bytes(cf) {
                    self.out.files.insert(cf.clone(), b.to_vec());
                    prov.insert("script".into(), st(cf));
                    if !self.script_vars.is_empty() {
                        let vars = self.script_vars.iter().map(|v| st(v)).collect();
                        prov.insert("variables".into(), toml::Value::Array(vars));
                    }
                }
            }
        }
        let files = &self.c.templates.files;
        let shared: Vec<&StjFile> = files.iter().filter(|f| f.scope == Scope::Shared).collect();
        let instance: Vec<&StjFile> = files.iter().filter(|f| f.scope == Scope::Instance).collect();
        let base = |f: &StjFile| f.rel.rsplit('/').next().unwrap_or("").to_string();
        if let Some(f) = shared.first() {
            prov.insert("shared-template".into(), st(&base(f)));
        }
        if let Some(f) = instance.first() {
            prov.insert("instance-template".into(), st(&base(f)));
        }
        for f in shared.iter().skip(1).chain(instance.iter().skip(1)) {
            let rel = f.rel.clone();
            self.warn_path(&rel, format!("`{rel}` is a further template of the same scope: its nodes are compiled into the first one, so the script's `importSnapshot` of this file will fail"));
        }
        t.insert("provisioning".into(), T::Table(prov));
        // Files under provisioning/ that no node includes are shipped as they are.
        let mut include = Vec::new();
        for path in self.c.files.under("provisioning/") {
            let is_class = self.c.provisioning.class_file.as_deref() == Some(path.as_str());
            if !is_class && !path.ends_with(".stj") && !self.included_by_nodes(path) {
                include.push(st(path));
            }
        }
        if !include.is_empty() {
            let mut a = toml::Table::new();
            a.insert("include".into(), T::Array(include));
            t.insert("archive".into(), T::Table(a));
        }
        if conf.release_notes.is_some() {
            self.note("`releaseNotes` is set by `stackpack build` when resources/RELEASE.md exists (it is copied as is); consider moving its history into changelog/".into());
        } else if self.c.files.exists("resources/RELEASE.md") {
            // The classic conf did not name it: the rebuilt one must not either.
            t.insert("release-notes".into(), T::Boolean(false));
        }
        let mut tiles = Vec::new();
        for item in &conf.integrations {
            match integration(item) {
                Ok(tile) => tiles.push(T::Table(tile)),
                Err(why) => {
                    let n = get(item, "name").and_then(Value::as_str).unwrap_or("?").to_string();
                    self.warn(
                        item.span,
                        format!("integration `{n}` cannot be expressed in stackpack.toml ({why}); it is not rebuilt"),
                        "add it as `[[integrations]]` by hand",
                    );
                }
            }
        }
        if !tiles.is_empty() {
            t.insert("integrations".into(), T::Array(tiles));
        }
        let text = toml::to_string(&t).unwrap_or_default();
        let text = format!("# Imported by `stackpack import` from a classic StackPack.\n{text}");
        // In `fmt`'s layout and key order (one small file: the formatter is cheap here).
        let text = crate::fmt::format_source(crate::fmt::Kind::Toml, crate::fmt::Role::Manifest, &text).unwrap_or(text);
        self.out
            .files
            .insert(crate::load::MANIFEST.to_string(), text.into_bytes());
    }

    fn included_by_nodes(&self, path: &str) -> bool {
        self.templates_written.contains_key(path)
    }
}

/// `Sap Host!` → `sap-host`.
/// A conf `integrations[]` entry → an `[[integrations]]` table (paths made pack-relative).
fn integration(item: &Value) -> Result<toml::Table, String> {
    use toml::Value as T;
    const KEYS: [&str; 7] = [
        "name",
        "displayName",
        "version",
        "isNew",
        "logoUrl",
        "categories",
        "overviewUrl",
    ];
    if let Some(k) = keys(item).into_iter().find(|k| !KEYS.contains(k)) {
        return Err(format!("key `{k}`"));
    }
    let mut t = toml::Table::new();
    let name = gs(item, "name").ok_or("no `name`")?;
    t.insert("name".into(), T::String(name.to_string()));
    t.insert(
        "display-name".into(),
        T::String(gs(item, "displayName").ok_or("no `displayName`")?.to_string()),
    );
    if let Some(v) = gs(item, "version") {
        t.insert("version".into(), T::String(v.to_string()));
    }
    if let Some(b) = gb(item, "isNew") {
        t.insert("is-new".into(), T::Boolean(b));
    }
    for (conf_key, key) in [("logoUrl", "logo"), ("overviewUrl", "overview")] {
        if let Some(p) = gs(item, conf_key) {
            match super::conf::resource_path(p) {
                Ok(Some(rel)) => {
                    t.insert(key.into(), T::String(rel));
                }
                _ => return Err(format!("`{conf_key}` is not a file under resources/")),
            }
        }
    }
    if let Some(cats) = get(item, "categories") {
        let list = cats.as_seq().ok_or("`categories` is not a list")?;
        let mut out = Vec::new();
        for c in list {
            out.push(T::String(c.as_str().ok_or("a category is not a string")?.to_string()));
        }
        t.insert("categories".into(), T::Array(out));
    }
    Ok(t)
}

fn sanitize(s: &str) -> String {
    let mut out = String::new();
    let s = s.replace("{{", "").replace("}}", "");
    for c in s.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches(|c| c == '-' || c == '.' || c == '_').to_string()
}

/// A file name without path separators.
fn sanitize_file(s: &str) -> String {
    s.chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | ':') || c.is_control() {
                '-'
            } else {
                c
            }
        })
        .collect()
}

/// Write the imported files under `out` atomically: into a fresh sibling directory, renamed into
/// place at the end. `out` must not exist or be an empty directory.
/// Prefix of the staging directories of [`write`].
pub const STAGING_PREFIX: &str = ".stackpack-import-";

/// Remove the staging directories that killed runs of `import` left in `dir` (their process no
/// longer exists). A directory whose process is alive (a concurrent import) is left alone.
pub fn remove_stale_imports(dir: &std::path::Path) -> usize {
    let mut removed = 0;
    let Ok(rd) = std::fs::read_dir(dir) else { return 0 };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(STAGING_PREFIX) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<i32>().ok());
        let alive = match pid {
            // SAFETY: signal 0 only checks that the process exists.
            Some(pid) if pid > 0 => {
                let rc = unsafe { libc::kill(pid, 0) };
                rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
            }
            // An older unnamed staging directory: stale once it is an hour old.
            _ => e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_none_or(|age| age < std::time::Duration::from_secs(3600)),
        };
        if !alive && e.file_type().is_ok_and(|t| t.is_dir()) && std::fs::remove_dir_all(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Write the imported sources to `out` (see [`Staging`]).
pub fn write(imported: &Imported, out: &std::path::Path) -> std::io::Result<()> {
    let staging = Staging::begin(out, imported.files.keys().map(String::as_str))?;
    let files = imported.files.iter().map(|(k, v)| (k.as_str(), v.as_slice()));
    let (written, ()) = staging.write_while(files, || ());
    written?;
    staging.publish()
}

/// The output directory being written: a staging directory next to `out`, named after this
/// process, renamed to `out` only once every file is in it (a failed or killed import leaves
/// no half-written `out`; [`remove_stale_imports`] clears what a killed one left). Files are
/// written on two threads while the caller does something else ([`Staging::write_while`]:
/// `import` checks the result meanwhile, issue 15).
pub struct Staging {
    tmp: tempfile::TempDir,
    out: std::path::PathBuf,
}

impl Staging {
    /// Refuse a non-empty `out`, create the staging directory and every directory the files
    /// `paths` need, each once (4 465 files of a 10 000-node pack made 8 900 `mkdir` calls that
    /// failed with EEXIST when each file created its parents).
    pub fn begin<'a>(out: &std::path::Path, paths: impl Iterator<Item = &'a str>) -> std::io::Result<Staging> {
        if out.exists() {
            let empty = out.is_dir() && std::fs::read_dir(out)?.next().is_none();
            if !empty {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    format!("`{}` exists and is not empty; choose a new directory", out.display()),
                ));
            }
            std::fs::remove_dir(out)?;
        }
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)?;
        remove_stale_imports(&parent);
        // The staging directory is named after this process, so that a later run can tell the
        // leftovers of a killed run (its process is gone) from a concurrent one.
        let tmp = tempfile::Builder::new()
            .prefix(&format!("{STAGING_PREFIX}{}-", std::process::id()))
            .tempdir_in(&parent)?;
        let mut made: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for rel in paths {
            if let Some((dir, _)) = rel.rsplit_once('/') {
                if made.insert(dir) {
                    std::fs::create_dir_all(tmp.path().join(dir))?;
                }
            }
        }
        Ok(Staging {
            tmp,
            out: out.to_path_buf(),
        })
    }

    /// Write `files` (their directories named to [`Staging::begin`]) on a second thread while
    /// `meanwhile` runs on this one, which then helps with what is left; returns the outcome of
    /// the writes and what `meanwhile` returned.
    pub fn write_while<'a, T>(
        &'a self,
        files: impl Iterator<Item = (&'a str, &'a [u8])>,
        meanwhile: impl FnOnce() -> T,
    ) -> (std::io::Result<()>, T) {
        let queue = Queue {
            root: self.tmp.path(),
            files: files.collect(),
            next: std::sync::atomic::AtomicUsize::new(0),
            failed: std::sync::atomic::AtomicBool::new(false),
        };
        std::thread::scope(|s| {
            let helper = s.spawn(|| queue.drain());
            let result = meanwhile();
            let mine = queue.drain();
            let theirs = helper
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("a writer thread panicked")));
            (mine.and(theirs), result)
        })
    }

    /// Write one more file (the manifest, once the check has settled it).
    pub fn write_file(&self, rel: &str, bytes: &[u8]) -> std::io::Result<()> {
        std::fs::write(self.tmp.path().join(rel), bytes)
    }

    /// Rename the staging directory to `out`.
    pub fn publish(self) -> std::io::Result<()> {
        let tmp_path = self.tmp.keep();
        if let Err(e) = std::fs::rename(&tmp_path, &self.out) {
            let _ = std::fs::remove_dir_all(&tmp_path);
            return Err(e);
        }
        Ok(())
    }
}

/// Files waiting to be written into a [`Staging`] directory, taken one at a time by every
/// thread that drains it; the first error stops them all.
struct Queue<'a> {
    root: &'a std::path::Path,
    files: Vec<(&'a str, &'a [u8])>,
    next: std::sync::atomic::AtomicUsize,
    failed: std::sync::atomic::AtomicBool,
}

impl Queue<'_> {
    /// Write files until none is left (or another thread failed).
    fn drain(&self) -> std::io::Result<()> {
        use std::sync::atomic::Ordering;
        while !self.failed.load(Ordering::Relaxed) {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some((rel, bytes)) = self.files.get(i) else { break };
            if let Err(e) = std::fs::write(self.root.join(rel), bytes) {
                self.failed.store(true, Ordering::Relaxed);
                return Err(e);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imported(files: &[(&str, &[u8])]) -> Imported {
        Imported {
            files: files.iter().map(|(k, v)| (k.to_string(), v.to_vec())).collect(),
        }
    }

    /// Both threads draining one queue write every file once, with its bytes.
    #[test]
    fn the_staged_write_writes_every_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<String> = (0..2_000)
            .map(|i| format!("d{}/sub{}/f{i}.txt", i % 7, i % 3))
            .collect();
        let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), n.as_bytes())).collect();
        let out = dir.path().join("out");
        write(&imported(&files), &out).unwrap_or_else(|e| panic!("{e}"));
        let mut found = 0;
        for n in &names {
            assert_eq!(
                std::fs::read(out.join(n)).unwrap_or_else(|e| panic!("{e}")),
                n.as_bytes(),
                "{n}"
            );
            found += 1;
        }
        assert_eq!(found, 2_000);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap_or_else(|e| panic!("{e}"))
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(
            leftovers,
            vec![std::ffi::OsString::from("out")],
            "only the output is left"
        );
    }

    /// A write that fails (here: a file where a directory must be) leaves neither `out` nor the
    /// staging directory behind, and a non-empty `out` is refused before anything is written.
    #[test]
    fn a_failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let out = dir.path().join("out");
        let bad = imported(&[("a", b"file"), ("a/b", b"under a file"), ("c", b"x")]);
        assert!(write(&bad, &out).is_err());
        assert!(!out.exists());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap_or_else(|e| panic!("{e}")).count(),
            0,
            "the staging directory is gone"
        );

        std::fs::create_dir(&out).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(out.join("keep"), b"mine").unwrap_or_else(|e| panic!("{e}"));
        let err = write(&imported(&[("x", b"y")]), &out).expect_err("the write must fail");
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(
            std::fs::read(out.join("keep")).unwrap_or_else(|e| panic!("{e}")),
            b"mine"
        );
        assert!(!out.join("x").exists());
    }
}
