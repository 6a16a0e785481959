//! The manifest, `stackpack.toml`: identity, versions, dependencies, pages, install steps.

use super::version::parse_stackstate;
use crate::diag::{Diagnostic, Diagnostics};
use crate::load::paths::{normalize, PathProblem};
use crate::load::rules;
use crate::load::tree::{Fields, Kind, Value};
use crate::load::PackFile;
use crate::source::{FileId, Span, Spanned};
use semver::Version;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub file: FileId,
    pub name: Spanned<String>,
    pub display_name: Spanned<String>,
    pub version: Spanned<Version>,
    pub min_stackstate: Option<Spanned<Version>>,
    pub max_stackstate: Option<Spanned<Version>>,
    pub categories: Vec<Spanned<String>>,
    /// Pack-relative path of the logo (inside `resources/`).
    pub logo: Option<Spanned<String>>,
    /// `AVAILABLE`, `ENABLED`, `COMING_SOON`, `HIDDEN` or `BROKEN`.
    pub release_status: Spanned<String>,
    pub is_new: bool,
    pub multi_instance: bool,
    pub docs_url: Option<Spanned<String>>,
    pub dependencies: Vec<Dependency>,
    pub pages: Pages,
    pub faqs: Vec<Faq>,
    pub steps: Vec<Step>,
    /// Sub-integration tiles (`integrations` in the conf; the Splunk pack has four).
    pub integrations: Vec<Integration>,
    /// `release-notes = false`: do not name `resources/RELEASE.md` as `releaseNotes` in the conf
    /// even when it exists (an imported classic conf that had none). Default: named when present.
    pub release_notes: bool,
    pub provisioning: Provisioning,
    /// Pack-relative paths copied verbatim into the archive (under `provisioning/` or `resources/`).
    pub include: Vec<Spanned<String>>,
    /// Directory of the changelog, relative to the pack (may be outside it: `../changelog`).
    pub changelog: Spanned<String>,
    pub lint: LintConfig,
    /// The whole manifest file.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dependency {
    pub name: Spanned<String>,
    pub version: Spanned<Version>,
}

/// Markdown pages (pack-relative paths inside `resources/`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pages {
    pub overview: Option<Spanned<String>>,
    pub detailed_overview: Option<Spanned<String>>,
    pub upgrade_instructions: Option<Spanned<String>>,
    /// Page per provisioning state, in [`STATES`] order.
    pub states: Vec<(State, Spanned<String>)>,
}

/// The provisioning states that have a page (`configurationUrls` keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    NotInstalled,
    Provisioning,
    WaitingForData,
    Installed,
    Deprovisioning,
    Error,
}

pub const STATES: [(&str, State, &str); 6] = [
    ("not-installed", State::NotInstalled, "NOT_INSTALLED"),
    ("provisioning", State::Provisioning, "PROVISIONING"),
    ("waiting-for-data", State::WaitingForData, "WAITING_FOR_DATA"),
    ("installed", State::Installed, "INSTALLED"),
    ("deprovisioning", State::Deprovisioning, "DEPROVISIONING"),
    ("error", State::Error, "ERROR"),
];

impl State {
    pub fn conf_key(self) -> &'static str {
        STATES
            .iter()
            .find(|(_, s, _)| *s == self)
            .map(|(_, _, k)| *k)
            .unwrap_or("ERROR")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Faq {
    pub question: Spanned<String>,
    pub answer: Spanned<String>,
}

/// A sub-integration tile of the pack's page (`integrations[]` of the conf, reference §2).
#[derive(Debug, Clone, PartialEq)]
pub struct Integration {
    pub name: Spanned<String>,
    pub display_name: Spanned<String>,
    pub version: Option<Spanned<String>>,
    pub is_new: bool,
    /// Pack-relative path inside `resources/`.
    pub logo: Option<Spanned<String>>,
    pub categories: Vec<Spanned<String>>,
    /// Pack-relative path inside `resources/`.
    pub overview: Option<Spanned<String>>,
}

/// An install-time input field.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub name: Spanned<String>,
    pub display: Spanned<String>,
    /// `text` or `password`.
    pub kind: Spanned<String>,
    pub default: Option<Spanned<String>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Provisioning {
    /// Provisioning class name; default: the pack name in CamelCase + `Provision`.
    pub class: Option<Spanned<String>>,
    /// A hand-written provisioning script used instead of the generated one.
    pub script: Option<Spanned<String>>,
    /// File name (under `provisioning/templates/`) of the shared STJ template.
    pub shared_template: Option<Spanned<String>>,
    /// File name of the instance STJ template (multi-instance packs).
    pub instance_template: Option<Spanned<String>>,
    /// Multi-instance packs: the `<instance_type>` of `createTopologyTopicName`.
    pub instance_type: Option<Spanned<String>>,
    /// Multi-instance packs: the step whose value is the `<instance_url>` of the topic.
    pub topic_step: Option<Spanned<String>>,
    /// Further import-time variables that a hand-written provisioning `script` passes to its
    /// imports (e.g. values it derives from the steps).
    pub variables: Vec<Spanned<String>>,
}

/// Variables every instance import has (`reference/stackpack-v1-format.md` §3, §5).
pub const INSTANCE_VARS: [&str; 3] = ["instanceId", "instanceName", "topicName"];

#[derive(Debug, Clone, PartialEq, Default)]
pub struct LintConfig {
    pub allow: Vec<Allow>,
}

/// A rule switched off for this pack, with the reason why.
#[derive(Debug, Clone, PartialEq)]
pub struct Allow {
    pub code: Spanned<String>,
    pub reason: Spanned<String>,
}

impl Manifest {
    /// The provisioning class name.
    pub fn provision_class(&self) -> String {
        match &self.provisioning.class {
            Some(c) => c.value.clone(),
            None => default_class(&self.name.value),
        }
    }
    pub fn shared_template_name(&self) -> String {
        match &self.provisioning.shared_template {
            Some(s) => s.value.clone(),
            None => format!("{}.stj", self.name.value),
        }
    }
    pub fn instance_template_name(&self) -> String {
        match &self.provisioning.instance_template {
            Some(s) => s.value.clone(),
            None => format!("{}-instance.stj", self.name.value),
        }
    }
    /// The variables that exist when the pack's STJ is imported: the instance variables, every
    /// step name, and the `[provisioning] variables` of a hand-written script. Templates
    /// classify tags with it (`crate::template::scan`).
    pub fn import_vars(&self) -> Vec<&str> {
        let mut v: Vec<&str> = INSTANCE_VARS.to_vec();
        v.extend(self.steps.iter().map(|s| s.name.value.as_str()));
        v.extend(self.provisioning.variables.iter().map(|s| s.value.as_str()));
        v
    }

    pub fn dependency(&self, name: &str) -> Option<&Dependency> {
        self.dependencies.iter().find(|d| d.name.value == name)
    }
}

/// `stackstate-agent-v2` → `StackstateAgentV2Provision`.
pub fn default_class(name: &str) -> String {
    let mut out = String::new();
    for part in name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
    {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "Pack");
    }
    out.push_str("Provision");
    out
}

pub(crate) fn lower(
    file: FileId,
    value: &Value,
    files: &BTreeMap<String, PackFile>,
    diags: &mut Diagnostics,
) -> Option<Manifest> {
    let mut f = Fields::new_toml(value, "the manifest", diags)?;
    let name = f.req_str("name", diags);
    if let Some(n) = &name {
        let ok = !n.value.is_empty()
            && n.value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !n.value.starts_with('-');
        if !ok {
            diags.push(
                Diagnostic::new(
                    &rules::INVALID_VALUE,
                    n.span,
                    format!("pack name `{}` must be lower-case letters, digits and `-`", n.value),
                )
                .label("used in every URN of the pack")
                .help("StackState URNs only allow `[a-z0-9-]` in this segment, e.g. `stackstate-agent-v2`"),
            );
        }
    }
    let display_name = f.req_str("display-name", diags);
    let version = f.req_str("version", diags).and_then(|v| match Version::parse(v.value.trim()) {
        Ok(parsed) => Some(Spanned::new(parsed, v.span)),
        Err(e) => {
            diags.push(
                Diagnostic::new(&rules::INVALID_VALUE, v.span, format!("version `{}` is not semver: {e}", v.value))
                    .help("write MAJOR.MINOR.PATCH, e.g. `4.3.1` (a pre-release suffix such as `4.4.0-snapshot.1` is allowed)"),
            );
            None
        }
    });
    let sts = |f: &mut Fields, key: &'static str, diags: &mut Diagnostics| {
        f.opt_str(key, diags).and_then(|v| match parse_stackstate(&v.value) {
            Ok(parsed) => Some(Spanned::new(parsed, v.span)),
            Err(e) => {
                diags.push(Diagnostic::new(&rules::INVALID_VALUE, v.span, e).help("e.g. `4.3.0` or `4.3`"));
                None
            }
        })
    };
    let min_stackstate = sts(&mut f, "min-stackstate-version", diags);
    let max_stackstate = sts(&mut f, "max-stackstate-version", diags);
    let categories = f.opt_str_list("categories", diags);
    let logo_written = f.key_span("logo").is_some();
    let logo = f.opt_str("logo", diags).and_then(|p| pack_path(p, files, true, diags));
    let release_status = match f.opt_str("release-status", diags) {
        Some(s) => {
            let upper = s.value.to_ascii_uppercase().replace('-', "_");
            const ALLOWED: [&str; 5] = ["AVAILABLE", "ENABLED", "COMING_SOON", "HIDDEN", "BROKEN"];
            if !ALLOWED.contains(&upper.as_str()) {
                diags.push(
                    Diagnostic::new(
                        &rules::INVALID_VALUE,
                        s.span,
                        format!("unknown release status `{}`", s.value),
                    )
                    .help("use one of available, enabled, coming-soon, hidden, broken"),
                );
            }
            Spanned::new(upper, s.span)
        }
        None => Spanned::new("AVAILABLE".to_string(), f.span),
    };
    let is_new = f.opt_bool("is-new", diags).map(|b| b.value).unwrap_or(false);
    let multi_instance = f.opt_bool("multi-instance", diags).map(|b| b.value).unwrap_or(false);
    let docs_url = f.opt_str("docs-url", diags);
    let changelog = f
        .opt_str("changelog", diags)
        .unwrap_or_else(|| Spanned::new("changelog".to_string(), f.span));

    let mut dependencies = Vec::new();
    if let Some((deps, _)) = f.opt_map("dependencies", diags) {
        for (k, v) in &deps.entries {
            match &v.kind {
                Kind::Str(s) => match Version::parse(s.trim()) {
                    Ok(parsed) => dependencies.push(Dependency {
                        name: k.clone(),
                        version: Spanned::new(parsed, v.span),
                    }),
                    Err(e) => diags.push(
                        Diagnostic::new(
                            &rules::INVALID_VALUE,
                            v.span,
                            format!("dependency version `{s}` is not semver: {e}"),
                        )
                        .help("write the exact version the pack was tested with, e.g. `2.5.0`"),
                    ),
                },
                _ => diags.push(Diagnostic::new(
                    &rules::WRONG_TYPE,
                    v.span,
                    format!(
                        "dependency `{}` must be a version string, found {}",
                        k.value,
                        v.type_name()
                    ),
                )),
            }
        }
    }

    let mut pages = Pages::default();
    let mut overview_written = false;
    let mut pages_header = None;
    if let Some((m, span)) = f.opt_map("pages", diags) {
        let mut p = Fields::from_map(m, span, "[pages]").in_toml();
        overview_written = p.key_span("overview").is_some();
        pages_header = f.key_span("pages");
        pages.overview = p
            .opt_str("overview", diags)
            .and_then(|x| pack_path(x, files, true, diags));
        pages.detailed_overview = p
            .opt_str("detailed-overview", diags)
            .and_then(|x| pack_path(x, files, true, diags));
        pages.upgrade_instructions = p
            .opt_str("upgrade-instructions", diags)
            .and_then(|x| pack_path(x, files, true, diags));
        for (key, state, _) in STATES {
            if let Some(path) = p.opt_str(key, diags).and_then(|x| pack_path(x, files, true, diags)) {
                pages.states.push((state, path));
            }
        }
        p.finish(diags);
    }

    let mut faqs = Vec::new();
    for item in f.opt_seq("faqs", diags).unwrap_or_default() {
        let Some(mut q) = Fields::new_toml(item, "a FAQ entry", diags) else {
            continue;
        };
        let question = q.req_str("question", diags);
        let answer = q.req_str("answer", diags);
        q.finish(diags);
        if let (Some(question), Some(answer)) = (question, answer) {
            faqs.push(Faq { question, answer });
        }
    }

    let mut steps = Vec::new();
    for item in f.opt_seq("steps", diags).unwrap_or_default() {
        let Some(mut s) = Fields::new_toml(item, "an install step", diags) else {
            continue;
        };
        let name = s.req_str("name", diags);
        let display = s.req_str("display", diags);
        let kind = s
            .opt_str("type", diags)
            .unwrap_or_else(|| Spanned::new("text".to_string(), s.span));
        let default = s.opt_str("default", diags);
        let span = s.span;
        s.finish(diags);
        if let (Some(name), Some(display)) = (name, display) {
            steps.push(Step {
                name,
                display,
                kind,
                default,
                span,
            });
        }
    }

    let mut integrations = Vec::new();
    for item in f.opt_seq("integrations", diags).unwrap_or_default() {
        let Some(mut t) = Fields::new_toml(item, "an integration", diags) else {
            continue;
        };
        let name = t.req_str("name", diags);
        let display_name = t.req_str("display-name", diags);
        let version = t.opt_str("version", diags);
        let is_new = t.opt_bool("is-new", diags).map(|b| b.value).unwrap_or(false);
        let logo = t.opt_str("logo", diags).and_then(|p| pack_path(p, files, true, diags));
        let categories = t.opt_str_list("categories", diags);
        let overview = t
            .opt_str("overview", diags)
            .and_then(|p| pack_path(p, files, true, diags));
        t.finish(diags);
        if let (Some(name), Some(display_name)) = (name, display_name) {
            integrations.push(Integration {
                name,
                display_name,
                version,
                is_new,
                logo,
                categories,
                overview,
            });
        }
    }
    let release_notes = f.opt_bool("release-notes", diags).map(|b| b.value).unwrap_or(true);

    let mut provisioning = Provisioning::default();
    if let Some((m, span)) = f.opt_map("provisioning", diags) {
        let mut p = Fields::from_map(m, span, "[provisioning]").in_toml();
        provisioning.class = p.opt_str("class", diags);
        provisioning.script = p
            .opt_str("script", diags)
            .and_then(|x| pack_path(x, files, true, diags));
        provisioning.shared_template = p.opt_str("shared-template", diags);
        provisioning.instance_template = p.opt_str("instance-template", diags);
        provisioning.instance_type = p.opt_str("instance-type", diags);
        provisioning.topic_step = p.opt_str("topic-step", diags);
        provisioning.variables = p.opt_str_list("variables", diags);
        if let (Some(first), None) = (provisioning.variables.first(), &provisioning.script) {
            diags.push(
                Diagnostic::new(
                    &rules::INVALID_VALUE,
                    first.span,
                    "`variables` only exist when a hand-written provisioning `script` passes them",
                )
                .help("set `[provisioning] script`, or use install steps (`[[steps]]`) for values the user enters"),
            );
        }
        p.finish(diags);
    }

    let mut include = Vec::new();
    if let Some((m, span)) = f.opt_map("archive", diags) {
        let mut a = Fields::from_map(m, span, "[archive]").in_toml();
        for p in a.opt_str_list("include", diags) {
            if let Some(p) = pack_path(p, files, false, diags) {
                include.push(p);
            }
        }
        a.finish(diags);
    }

    let mut lint = LintConfig::default();
    if let Some((m, span)) = f.opt_map("lint", diags) {
        let mut l = Fields::from_map(m, span, "[lint]").in_toml();
        for item in l.opt_seq("allow", diags).unwrap_or_default() {
            let Some(mut a) = Fields::new_toml(item, "an allowed rule", diags) else {
                continue;
            };
            let code = a.req_str("code", diags);
            let reason = a.req_str("reason", diags);
            a.finish(diags);
            if let (Some(code), Some(reason)) = (code, reason) {
                lint.allow.push(Allow { code, reason });
            }
        }
        l.finish(diags);
    }
    f.finish(diags);
    if let Some(n) = &name {
        required_pages(n, logo_written, overview_written, pages_header, files, diags);
    }

    let span = value.span;
    Some(Manifest {
        file,
        name: name?,
        display_name: display_name.unwrap_or_else(|| Spanned::new(String::new(), span)),
        version: version?,
        min_stackstate,
        max_stackstate,
        categories,
        logo,
        release_status,
        is_new,
        multi_instance,
        docs_url,
        dependencies,
        pages,
        faqs,
        steps,
        integrations,
        release_notes,
        provisioning,
        include,
        changelog,
        lint,
        span,
    })
}

/// What the archive's `stackpack.conf` must have and the build can only take from the manifest
/// (`reference/stackpack-v1-format.md` §2, §7.1-2): `logoUrl` is required, and the overview page
/// is `overviewUrl` or, without it, `resources/overview.md`. Classic lint of the archive rejects
/// it otherwise (SP006, SP705), so the source is refused for exactly those two, before anything
/// is written. A `logo` or `overview` that is written but wrong is reported where it is written.
fn required_pages(
    name: &Spanned<String>,
    logo_written: bool,
    overview_written: bool,
    pages_header: Option<Span>,
    files: &BTreeMap<String, PackFile>,
    diags: &mut Diagnostics,
) {
    if !logo_written {
        diags.push(
            Diagnostic::new(&rules::MISSING_FIELD, name.span, "the manifest has no `logo`")
                .label("StackState requires a logo (`logoUrl`) for every pack")
                .help("add `logo = \"resources/logo.png\"` next to `name` and put the image there (a PNG, as in the published packs)"),
        );
    }
    // The build copies resources/ as is, except files linked from outside the pack.
    let default_overview = files.get("resources/overview.md").is_some_and(|f| !f.escapes);
    if !overview_written && !default_overview {
        diags.push(
            Diagnostic::new(
                &rules::FILE_NOT_FOUND,
                pages_header.unwrap_or(name.span),
                "the pack has no overview page: no `[pages] overview` and no `resources/overview.md`",
            )
            .label("StackState shows the overview on the pack's page (`overviewUrl`, default `overview.md`)")
            .help(
                "add `resources/overview.md` (the default), or set `overview = \"resources/<page>.md\"` under [pages]",
            ),
        );
    }
}

/// Check a pack-relative path written in a source: normalise it, keep it inside the pack, and
/// (when `must_exist`) require the file to exist. Returns the normalised path.
pub(crate) fn pack_path(
    raw: Spanned<String>,
    files: &BTreeMap<String, PackFile>,
    must_exist: bool,
    diags: &mut Diagnostics,
) -> Option<Spanned<String>> {
    match normalize(&raw.value) {
        Err(PathProblem::Empty) => {
            diags.push(
                Diagnostic::new(&rules::INVALID_VALUE, raw.span, "the path is empty").help("name a file of the pack"),
            );
            None
        }
        Err(p) => {
            diags.push(
                Diagnostic::new(
                    &rules::PATH_ESCAPES,
                    raw.span,
                    format!("path `{}` is not allowed: {}", raw.value, p.message()),
                )
                .label("must stay inside the pack"),
            );
            None
        }
        Ok(norm) => {
            if let Some(f) = files.get(&norm) {
                if f.escapes {
                    diags.push(
                        Diagnostic::new(
                            &rules::PATH_ESCAPES,
                            raw.span,
                            format!("`{norm}` is a symlink to a file outside the pack"),
                        )
                        .help("copy the file into the pack"),
                    );
                    return None;
                }
            } else if must_exist && files.keys().any(|k| k.starts_with(&format!("{norm}/"))) {
                // Every `must_exist` path names a file (logo, pages, FAQs): a directory there
                // would be copied as nothing and give an archive StackState cannot read.
                diags.push(
                    Diagnostic::new(
                        &crate::load::rules::NOT_REGULAR,
                        raw.span,
                        format!("`{norm}` is a directory, not a file"),
                    )
                    .label("a directory")
                    .help("name a file inside it"),
                );
                return None;
            } else if must_exist {
                let mut d = Diagnostic::new(
                    &rules::FILE_NOT_FOUND,
                    raw.span,
                    format!("file `{norm}` does not exist in the pack"),
                )
                .label("no such file");
                if let Some(s) = crate::diag::did_you_mean(&norm, files.keys().map(String::as_str)) {
                    d = d.help(format!("did you mean `{s}`?"));
                }
                diags.push(d);
                return Some(Spanned::new(norm, raw.span));
            }
            Some(Spanned::new(norm, raw.span))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lower `text` in a pack holding `resources/logo.png` and `resources/overview.md`.
    fn lower_text(text: &str) -> (Option<Manifest>, Diagnostics) {
        lower_with(text, &["resources/logo.png", "resources/overview.md"])
    }

    fn lower_with(text: &str, files: &[&str]) -> (Option<Manifest>, Diagnostics) {
        let mut sources = crate::source::SourceMap::new();
        let id = sources.add("stackpack.toml", None, text);
        let mut diags = Diagnostics::new();
        let files: BTreeMap<String, PackFile> = files
            .iter()
            .map(|f| (f.to_string(), PackFile::new(f.into(), 1, false)))
            .collect();
        let v = crate::load::toml::parse(id, sources.file(id), &mut diags);
        let m = v.and_then(|v| lower(id, &v, &files, &mut diags));
        (m, diags)
    }

    fn codes(diags: &Diagnostics) -> Vec<&'static str> {
        diags.iter().map(|d| d.code).collect()
    }

    /// The manifest is TOML: a missing field is explained in TOML, and so is a FAQ entry that
    /// is not a table.
    #[test]
    fn help_for_the_manifest_is_written_in_toml() {
        let (_, diags) = lower_text("display-name = \"A\"\nversion = \"1.0.0\"\nlogo = \"resources/logo.png\"\n");
        let helps: Vec<&str> = diags.iter().filter_map(|d| d.help.as_deref()).collect();
        assert_eq!(helps, ["add `name = <text>`"], "{diags:?}");
        let (_, diags) = lower_text(
            "name = \"a\"\ndisplay-name = \"A\"\nversion = \"1.0.0\"\nlogo = \"resources/logo.png\"\nfaqs = [\"q\"]\n",
        );
        assert!(
            diags.iter().any(|d| d.message.contains("must be a table")
                && d.label.as_deref().is_some_and(|l| l.contains("`key = value`"))),
            "{diags:?}"
        );
    }

    #[test]
    fn logo_and_overview_page_are_required() {
        let base = "name = \"a\"\ndisplay-name = \"A\"\nversion = \"1.0.0\"\n";
        let with_logo = format!("{base}logo = \"resources/logo.png\"\n");
        assert_eq!(codes(&lower_text(&with_logo).1), Vec::<&str>::new());
        // No `logo`: SP006 at the pack name.
        let (_, diags) = lower_text(base);
        assert_eq!(codes(&diags), ["SP006"]);
        assert!(diags.iter().all(|d| d.message.contains("no `logo`")), "{diags:?}");
        // A `logo` that is written but absent is the path's own finding, not a second one.
        let (_, diags) = lower_with(&with_logo, &["resources/overview.md"]);
        assert_eq!(codes(&diags), ["SP010"]);
        assert!(
            diags.iter().all(|d| d.message.contains("resources/logo.png")),
            "{diags:?}"
        );
        // No overview page: neither `[pages] overview` nor the default file.
        let (_, diags) = lower_with(&with_logo, &["resources/logo.png"]);
        assert_eq!(codes(&diags), ["SP010"]);
        assert!(
            diags.iter().all(|d| d.message.contains("no overview page")),
            "{diags:?}"
        );
        // `[pages] overview` instead of the default file.
        let pages = format!("{with_logo}[pages]\noverview = \"resources/about.md\"\n");
        assert_eq!(
            codes(&lower_with(&pages, &["resources/logo.png", "resources/about.md"]).1),
            Vec::<&str>::new()
        );
        // The default file linked from outside the pack is not copied into the archive.
        let files: BTreeMap<String, PackFile> = [("resources/logo.png", false), ("resources/overview.md", true)]
            .iter()
            .map(|(f, escapes)| (f.to_string(), PackFile::new(f.into(), 1, *escapes)))
            .collect();
        let mut sources = crate::source::SourceMap::new();
        let id = sources.add("stackpack.toml", None, with_logo.as_str());
        let mut diags = Diagnostics::new();
        let v = crate::load::toml::parse(id, sources.file(id), &mut diags);
        let _ = v.and_then(|v| lower(id, &v, &files, &mut diags));
        assert_eq!(codes(&diags), ["SP010"]);
    }

    #[test]
    fn script_variables_are_import_vars_only_with_a_script() {
        let base =
            "name = \"a\"\ndisplay-name = \"A\"\nversion = \"1.0.0\"\nlogo = \"resources/logo.png\"\n[[steps]]\nname = \"url\"\ndisplay = \"URL\"\n";
        let (m, diags) = lower_text(&format!(
            "{base}[provisioning]\nscript = \"p/P.groovy\"\nvariables = [\"integrationType\"]\n"
        ));
        // The script file does not exist in this in-memory test: only that finding is expected.
        assert!(diags.iter().all(|d| d.code == "SP010"), "{diags:?}");
        let vars: Vec<String> = m
            .map(|m| m.import_vars().iter().map(|s| s.to_string()).collect())
            .unwrap_or_default();
        assert_eq!(
            vars,
            ["instanceId", "instanceName", "topicName", "url", "integrationType"]
        );
        let (_, diags) = lower_text(&format!("{base}[provisioning]\nvariables = [\"integrationType\"]\n"));
        assert_eq!(diags.iter().map(|d| d.code).collect::<Vec<_>>(), ["SP008"]);
    }

    #[test]
    fn class_names() {
        assert_eq!(default_class("stackstate-agent-v2"), "StackstateAgentV2Provision");
        assert_eq!(default_class("sap"), "SapProvision");
        assert_eq!(default_class("9lives"), "Pack9livesProvision");
    }
}
