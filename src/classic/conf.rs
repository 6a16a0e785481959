//! `stackpack.conf` of a classic pack: parsed with [`super::hocon`], read with the model's
//! [`Fields`], and checked against `reference/stackpack-v1-format.md` §2 and §7 items 1-6.

use super::pack::{Files, Origin};
use super::rules;
use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::load::paths::{normalize, PathProblem};
use crate::load::tree::{Fields, Kind, Value};
use crate::source::{FileId, Span, Spanned};

/// Keys of `stackpack.conf` (§2).
pub const KNOWN_KEYS: [&str; 20] = [
    "name",
    "displayName",
    "version",
    "isNew",
    "logoUrl",
    "categories",
    "overviewUrl",
    "detailedOverviewUrl",
    "configurationUrls",
    "faqs",
    "steps",
    "provision",
    "releaseNotes",
    "upgradeInstructions",
    "dependencies",
    "releaseStatus",
    "isMultiConfig",
    "docsUrl",
    "integrations",
    "schemaVersion",
];

/// `configurationUrls` keys, in display order (the conf keys of the model's states).
pub const STATES: [&str; 6] = {
    let s = crate::model::manifest::STATES;
    [s[0].2, s[1].2, s[2].2, s[3].2, s[4].2, s[5].2]
};

/// An install step of the conf: the same shape as the declarative manifest's.
pub use crate::model::manifest::Step;

/// What the checks and the importer need from the conf.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Conf {
    pub file: Option<FileId>,
    pub value: Option<Value>,
    pub name: Option<Spanned<String>>,
    pub display_name: Option<Spanned<String>>,
    pub version: Option<Spanned<String>>,
    pub is_new: Option<bool>,
    pub is_multi_config: Option<bool>,
    pub logo_url: Option<Spanned<String>>,
    pub categories: Vec<Spanned<String>>,
    pub overview_url: Option<Spanned<String>>,
    pub detailed_overview_url: Option<Spanned<String>>,
    pub release_notes: Option<Spanned<String>>,
    pub upgrade_instructions: Option<Spanned<String>>,
    pub configuration_urls: Vec<(Spanned<String>, Spanned<String>)>,
    pub faqs: Vec<(Spanned<String>, Spanned<String>)>,
    pub steps: Vec<Step>,
    pub provision: Option<Spanned<String>>,
    pub dependencies: Vec<(Spanned<String>, Spanned<String>)>,
    pub release_status: Option<Spanned<String>>,
    pub docs_url: Option<Spanned<String>>,
    /// `integrations` entries, as written.
    pub integrations: Vec<Value>,
}

impl Conf {
    pub fn name(&self) -> &str {
        self.name.as_ref().map(|n| n.value.as_str()).unwrap_or("")
    }
    pub fn has_dependency(&self, name: &str) -> bool {
        self.dependencies.iter().any(|(k, _)| k.value == name)
    }
    pub fn step_names(&self) -> Vec<&str> {
        self.steps.iter().map(|s| s.name.value.as_str()).collect()
    }
}

/// Read and check `stackpack.conf`.
pub fn load(files: &mut Files, diags: &mut Diagnostics) -> Conf {
    let Some(id) = files.text("stackpack.conf", diags) else {
        if !files.exists("stackpack.conf") {
            let mut d = Diagnostic::at_path(
                &rules::CONF_MISSING,
                files.display("stackpack.conf"),
                "the pack has no `stackpack.conf` at its root",
            )
            .help("a StackPack 1.0 archive holds `stackpack.conf`, `provisioning/` and `resources/` at its root");
            if let Some(wrapped) = files.files.keys().find(|k| k.ends_with("/stackpack.conf")) {
                d = d.note(format!(
                    "found `{wrapped}`: the archive has a wrapping folder; zip the folder's content instead"
                ));
            }
            diags.push(d);
        }
        return Conf::default();
    };
    let text = files.source_text(id).to_string();
    let value = match super::hocon::parse(id, &text) {
        Ok(v) => v,
        Err(e) => {
            diags.push(
                Diagnostic::new(
                    &rules::CONF_SYNTAX,
                    e.span,
                    format!("stackpack.conf is not valid HOCON: {}", e.message),
                )
                .label("here")
                .help("fix the syntax; `key = value` per line, strings in double quotes"),
            );
            return Conf {
                file: Some(id),
                ..Conf::default()
            };
        }
    };
    let archive = matches!(files.origin, Origin::Archive(_));
    let mut conf = lower(id, &value, archive, diags);
    conf.value = Some(value);
    check_resources(&conf, files, diags);
    conf
}

fn lower(id: FileId, value: &Value, archive: bool, diags: &mut Diagnostics) -> Conf {
    let mut conf = Conf {
        file: Some(id),
        ..Conf::default()
    };
    let Some(mut f) = Fields::new(value, "stackpack.conf", diags) else {
        return conf;
    };
    for key in ["name", "displayName", "logoUrl"] {
        if value.as_map().is_some_and(|m| m.get(key).is_none()) {
            diags.push(
                Diagnostic::new(
                    &crate::load::rules::MISSING_FIELD,
                    value.span.sub(0, 0),
                    format!("stackpack.conf is missing required field `{key}`"),
                )
                .help(format!("add `{key} = \"…\"`")),
            );
        }
    }
    conf.name = f.opt_str("name", diags);
    if let Some(n) = &conf.name {
        let ok = !n.value.is_empty()
            && n.value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            diags.push(
                Diagnostic::new(
                    &rules::CONF_NAME,
                    n.span,
                    format!("pack name `{}` is not `[a-z0-9-]`", n.value),
                )
                .label("used in every URN of the pack")
                .help("use lower-case letters, digits and `-`, e.g. `splunk-topology`"),
            );
        }
    }
    conf.display_name = f.opt_str("displayName", diags);
    // `version = 1.3.0` is an unquoted string; `version = 1.3` would be a number: use its text.
    match f.raw("version") {
        Some(v) => {
            let text = match &v.kind {
                Kind::Str(s) => Some(s.clone()),
                Kind::Int(i) => Some(i.to_string()),
                Kind::Float(x) => Some(x.to_string()),
                _ => None,
            };
            match text {
                Some(t) => {
                    if let Err(e) = semver::Version::parse(t.trim()) {
                        diags.push(
                            Diagnostic::new(
                                &rules::CONF_VERSION,
                                v.span,
                                format!("version `{t}` is not semver: {e}"),
                            )
                            .label("not MAJOR.MINOR.PATCH")
                            .help("write e.g. `version = \"1.3.2\"`; the same major version means upgrade-compatible"),
                        );
                    }
                    conf.version = Some(Spanned::new(t, v.span));
                }
                None => diags.push(
                    Diagnostic::new(
                        &rules::CONF_VERSION,
                        v.span,
                        format!("version must be a string, found {}", v.type_name()),
                    )
                    .help("write e.g. `version = \"1.3.2\"`"),
                ),
            }
        }
        None if archive => diags.push(
            Diagnostic::new(
                &rules::CONF_VERSION,
                value.span.sub(0, 0),
                "the archive's stackpack.conf has no `version`",
            )
            .help("the build appends `version = <v>` to stackpack.conf; rebuild the archive with its version"),
        ),
        None => {}
    }
    let bool_key = |f: &mut Fields, key: &'static str, diags: &mut Diagnostics| -> Option<bool> {
        let v = f.raw(key)?;
        match v.kind {
            Kind::Bool(b) => Some(b),
            _ => {
                diags.push(
                    Diagnostic::new(
                        &rules::CONF_VALUE,
                        v.span,
                        format!("`{key}` should be a boolean, found {}", v.type_name()),
                    )
                    .help("write `true`/`false` (or `yes`/`no`)"),
                );
                None
            }
        }
    };
    conf.is_new = bool_key(&mut f, "isNew", diags);
    conf.is_multi_config = bool_key(&mut f, "isMultiConfig", diags);
    conf.logo_url = f.opt_str("logoUrl", diags);
    conf.categories = f.opt_str_list("categories", diags);
    conf.overview_url = f.opt_str("overviewUrl", diags);
    conf.detailed_overview_url = f.opt_str("detailedOverviewUrl", diags);
    conf.release_notes = f.opt_str("releaseNotes", diags);
    conf.upgrade_instructions = f.opt_str("upgradeInstructions", diags);
    conf.docs_url = f.opt_str("docsUrl", diags);
    if let Some(s) = f.opt_str("releaseStatus", diags) {
        const ALLOWED: [&str; 5] = ["AVAILABLE", "ENABLED", "COMING_SOON", "HIDDEN", "BROKEN"];
        if !ALLOWED.contains(&s.value.as_str()) {
            diags.push(
                Diagnostic::new(
                    &rules::CONF_VALUE,
                    s.span,
                    format!("unknown releaseStatus `{}`", s.value),
                )
                .help("use one of AVAILABLE, ENABLED, COMING_SOON, HIDDEN, BROKEN"),
            );
        }
        conf.release_status = Some(s);
    }
    if let Some((m, span)) = f.opt_map("configurationUrls", diags) {
        for (k, v) in &m.entries {
            if !STATES.contains(&k.value.as_str()) {
                let mut d = Diagnostic::new(
                    &rules::CONFIG_URL_KEY,
                    k.span,
                    format!("`{}` is not a provisioning state", k.value),
                )
                .label("unknown state");
                d = match did_you_mean(&k.value, STATES) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help(format!("states are: {}", STATES.join(", "))),
                };
                diags.push(d);
                continue;
            }
            match v.as_str() {
                Some(s) => conf
                    .configuration_urls
                    .push((k.clone(), Spanned::new(s.to_string(), v.span))),
                None => diags.push(Diagnostic::new(
                    &crate::load::rules::WRONG_TYPE,
                    v.span,
                    format!(
                        "`configurationUrls.{}` must be a string, found {}",
                        k.value,
                        v.type_name()
                    ),
                )),
            }
        }
        let missing: Vec<&str> = STATES.iter().copied().filter(|s| m.get(s).is_none()).collect();
        if !missing.is_empty() {
            diags.push(
                Diagnostic::new(
                    &rules::CONFIG_URL_MISSING,
                    span.sub(0, 1),
                    format!("`configurationUrls` has no page for {}", missing.join(", ")),
                )
                .help("give every state a page; pages may be shared (an empty `empty.md` is fine)"),
            );
        }
    }
    for item in f.opt_seq("faqs", diags).unwrap_or_default() {
        let Some(mut q) = Fields::new(item, "a FAQ entry", diags) else {
            continue;
        };
        let (question, answer) = (q.req_str("question", diags), q.req_str("answer", diags));
        q.finish(diags);
        if let (Some(question), Some(answer)) = (question, answer) {
            conf.faqs.push((question, answer));
        }
    }
    lower_steps(&mut f, &mut conf, diags);
    match f.raw("provision") {
        Some(v) if v.as_map().is_some() => diags.push(
            Diagnostic::new(
                &rules::V2_MARKER,
                v.span,
                "an object-valued `provision` belongs to StackPack 2.0",
            )
            .help("StackPack 1.0 writes the provisioning class name: `provision = \"MyProvision\"`"),
        ),
        Some(v) => match v.as_str() {
            Some(s) => conf.provision = Some(Spanned::new(s.to_string(), v.span)),
            None => diags.push(Diagnostic::new(
                &crate::load::rules::WRONG_TYPE,
                v.span,
                format!("`provision` must be a class name, found {}", v.type_name()),
            )),
        },
        None => diags.push(
            Diagnostic::new(
                &crate::load::rules::MISSING_FIELD,
                value.span.sub(0, 0),
                "stackpack.conf is missing required field `provision`",
            )
            .help("add `provision = \"<Class>\"` naming provisioning/<Class>.groovy"),
        ),
    }
    if let Some((m, _)) = f.opt_map("dependencies", diags) {
        for (k, v) in &m.entries {
            match v.as_str() {
                Some(s) => {
                    if semver::Version::parse(s.trim()).is_err() {
                        diags.push(
                            Diagnostic::new(
                                &rules::CONF_VALUE,
                                v.span,
                                format!("dependency version `{s}` is not semver"),
                            )
                            .help("write the exact version, e.g. `common: \"2.5.1\"`"),
                        );
                    }
                    conf.dependencies.push((k.clone(), Spanned::new(s.to_string(), v.span)));
                }
                None => diags.push(Diagnostic::new(
                    &rules::CONF_VALUE,
                    v.span,
                    format!(
                        "dependency `{}` should be a version string, found {}",
                        k.value,
                        v.type_name()
                    ),
                )),
            }
        }
    }
    conf.integrations = f
        .opt_seq("integrations", diags)
        .map(<[Value]>::to_vec)
        .unwrap_or_default();
    if let Some(v) = f.raw("schemaVersion") {
        diags.push(
            Diagnostic::new(&rules::V2_MARKER, v.span, "`schemaVersion` marks a StackPack 2.0 conf")
                .help("remove it: StackPack 1.0 archives have no schema version"),
        );
    }
    // Unknown keys are warnings: StackState ignores them, but they are usually typos.
    if let Some(m) = value.as_map() {
        let mut unknown = 0;
        for (k, _) in &m.entries {
            if KNOWN_KEYS.contains(&k.value.as_str()) {
                continue;
            }
            unknown += 1;
            let mut d = Diagnostic::new(
                &rules::CONF_UNKNOWN_KEY,
                k.span,
                format!("unknown stackpack.conf key `{}`", k.value),
            )
            .label("not a StackPack 1.0 conf key");
            // Past the repeat cap the finding is only counted, never shown: no suggestion (the
            // edit distances were 83 % of linting 100 000 unknown keys).
            if unknown <= crate::diag::cascade::MAX_REPEATS {
                if let Some(s) = did_you_mean(&k.value, KNOWN_KEYS) {
                    d = d.help(format!("did you mean `{s}`?"));
                }
            }
            diags.push(d);
        }
    }
    conf
}

fn lower_steps(f: &mut Fields, conf: &mut Conf, diags: &mut Diagnostics) {
    for item in f.opt_seq("steps", diags).unwrap_or_default() {
        let Some(mut s) = Fields::new(item, "an install step", diags) else {
            continue;
        };
        let name = s.req_str("name", diags);
        let display = s.req_str("display", diags);
        let mut kind = None;
        let mut default = None;
        match s.opt_map("value", diags) {
            Some((m, span)) => {
                let mut v = Fields::from_map(m, span, "a step value");
                kind = v.req_str("type", diags);
                default = v.opt_str("default", diags);
                v.finish(diags);
            }
            None => {
                if s.key_span("value").is_none() {
                    diags.push(
                        Diagnostic::new(
                            &rules::STEP_INVALID,
                            s.span,
                            "install step has no `value = { type = … }`",
                        )
                        .help("add `value = { type = \"text\" }`"),
                    );
                }
            }
        }
        let span = s.span;
        s.finish(diags);
        if let Some(k) = &kind {
            if k.value != "text" && k.value != "password" {
                diags.push(
                    Diagnostic::new(&rules::STEP_INVALID, k.span, format!("unknown step type `{}`", k.value))
                        .help("install steps are `text` or `password`"),
                );
            } else if k.value == "password" {
                if let Some(d) = &default {
                    diags.push(
                        Diagnostic::new(&rules::STEP_INVALID, d.span, "a password step cannot have a default")
                            .help("remove the default, or make the step `text`"),
                    );
                }
            }
        }
        if let Some(n) = &name {
            if let Some(first) = conf.steps.iter().find(|x| x.name.value == n.value) {
                diags.push(
                    Diagnostic::new(
                        &rules::STEP_INVALID,
                        n.span,
                        format!("step `{}` is declared twice", n.value),
                    )
                    .related(first.name.span, "first declared here")
                    .help("step names are the keys of the install parameters; make them unique"),
                );
                continue;
            }
        }
        if let (Some(name), Some(display)) = (name, display) {
            let kind = kind.unwrap_or_else(|| Spanned::new("text".into(), span));
            conf.steps.push(Step {
                name,
                display,
                kind,
                default,
                span,
            });
        }
    }
}

/// A conf URL value: `Ok(Some(path in resources/))`, `Ok(None)` for http(s) URLs.
pub fn resource_path(raw: &str) -> Result<Option<String>, PathProblem> {
    let t = raw.trim();
    if t.starts_with("http://") || t.starts_with("https://") {
        return Ok(None);
    }
    normalize(t).map(|p| Some(format!("resources/{p}")))
}

fn check_resources(conf: &Conf, files: &Files, diags: &mut Diagnostics) {
    let mut refs: Vec<(&str, &Spanned<String>)> = Vec::new();
    let single = [
        ("logoUrl", &conf.logo_url),
        ("overviewUrl", &conf.overview_url),
        ("detailedOverviewUrl", &conf.detailed_overview_url),
        ("releaseNotes", &conf.release_notes),
        ("upgradeInstructions", &conf.upgrade_instructions),
    ];
    for (k, v) in &single {
        if let Some(v) = v {
            refs.push((k, v));
        }
    }
    for (k, v) in &conf.configuration_urls {
        refs.push((k.value.as_str(), v));
    }
    let mut integration_refs = Vec::new();
    for item in &conf.integrations {
        if let Some(m) = item.as_map() {
            for key in ["logoUrl", "overviewUrl"] {
                if let Some(v) = m.get(key) {
                    if let Some(s) = v.as_str() {
                        integration_refs.push((key, Spanned::new(s.to_string(), v.span)));
                    }
                }
            }
        }
    }
    for (k, v) in &integration_refs {
        refs.push((k, v));
    }
    for (key, v) in refs {
        match resource_path(&v.value) {
            Ok(None) => {}
            Ok(Some(path)) => {
                if !files.exists(&path) {
                    let mut d = Diagnostic::new(
                        &rules::RESOURCE_MISSING,
                        v.span,
                        format!("`{key}` names `{path}`, which does not exist"),
                    )
                    .label("no such file in resources/");
                    let candidates: Vec<&str> = files.under("resources/").map(|p| &p["resources/".len()..]).collect();
                    d = match did_you_mean(path.trim_start_matches("resources/"), candidates) {
                        Some(s) => d.help(format!("did you mean `{s}`?")),
                        None => d.help("add the file under resources/ or fix the name (it is relative to resources/)"),
                    };
                    diags.push(d);
                }
            }
            Err(p) => diags.push(
                Diagnostic::new(
                    &rules::RESOURCE_MISSING,
                    v.span,
                    format!("`{key}` = `{}` cannot name a resource: {}", v.value, p.message()),
                )
                .help("write a path relative to resources/, or an http(s) URL"),
            ),
        }
    }
    if conf.overview_url.is_none()
        && conf.file.is_some()
        && conf.value.is_some()
        && !files.exists("resources/overview.md")
    {
        if let Some(file) = conf.file {
            diags.push(
                Diagnostic::new(
                    &rules::RESOURCE_MISSING,
                    Span::file_start(file),
                    "no `overviewUrl` and no default `resources/overview.md`",
                )
                .help("add resources/overview.md or set `overviewUrl`"),
            );
        }
    }
}
