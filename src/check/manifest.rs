//! SP1xx: the manifest — display name, where pages live, state pages, install steps, `[lint]`.

use super::rules;
use crate::diag::{did_you_mean, registry, Diagnostic, Diagnostics, Severity};
use crate::model::manifest::STATES;
use crate::model::Pack;
use crate::source::Spanned;
use std::collections::HashMap;

pub fn check(pack: &Pack, diags: &mut Diagnostics) {
    let m = &pack.manifest;
    // A missing display-name is SP006 (reported by the model, which then uses an empty string
    // spanning the whole manifest); only flag one that was written empty.
    if m.display_name.value.trim().is_empty() && m.display_name.span != m.span {
        diags.push(
            Diagnostic::new(
                &rules::EMPTY_DISPLAY_NAME,
                m.display_name.span,
                "the display name is empty",
            )
            .label("shown as the pack's title")
            .help("write the name users see in StackState, e.g. `display-name = \"StackState Agent V2\"`"),
        );
    }

    let mut resources: Vec<(&str, &Spanned<String>)> = Vec::new();
    if let Some(l) = &m.logo {
        resources.push(("logo", l));
    }
    if let Some(p) = &m.pages.overview {
        resources.push(("overview", p));
    }
    if let Some(p) = &m.pages.detailed_overview {
        resources.push(("detailed-overview", p));
    }
    if let Some(p) = &m.pages.upgrade_instructions {
        resources.push(("upgrade-instructions", p));
    }
    for (state, p) in &m.pages.states {
        let key = STATES
            .iter()
            .find(|(_, s, _)| s == state)
            .map(|(k, _, _)| *k)
            .unwrap_or("page");
        resources.push((key, p));
    }
    // Sub-integration tiles name their logo and overview in the conf like the pack does.
    for t in &m.integrations {
        resources.extend(t.logo.iter().map(|l| ("logo", l)));
        resources.extend(t.overview.iter().map(|o| ("overview", o)));
    }
    for (key, path) in resources {
        if !path.value.starts_with("resources/") {
            let file = path.value.rsplit('/').next().unwrap_or(&path.value);
            diags.push(
                Diagnostic::new(
                    &rules::RESOURCE_OUTSIDE_RESOURCES,
                    path.span,
                    format!("`{key}` points at `{}`, which is not under `resources/`", path.value),
                )
                .label("StackState serves pages and the logo from resources/")
                .help(format!("move the file to `resources/{file}` and point `{key}` there")),
            );
        }
    }

    let present: Vec<_> = m.pages.states.iter().map(|(s, _)| *s).collect();
    let missing: Vec<&str> = STATES
        .iter()
        .filter(|(_, s, _)| !present.contains(s))
        .map(|(k, _, _)| *k)
        .collect();
    if !missing.is_empty() {
        // The model keeps no span for the `[pages]` table itself: find its header in the text.
        let text = pack.sources.get(m.file).map(|f| &*f.text).unwrap_or("");
        let span = match text.find("[pages]") {
            Some(at) => crate::source::Span::new(m.file, at, at + "[pages]".len()),
            None => m.name.span,
        };
        diags.push(
            Diagnostic::new(
                &rules::MISSING_STATE_PAGE,
                span,
                format!(
                    "no page for the provisioning state{} {}",
                    if missing.len() == 1 { "" } else { "s" },
                    missing.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                ),
            )
            .help(format!(
                "add {} to [pages] (an empty Markdown file is fine)",
                missing
                    .iter()
                    .map(|k| format!("`{k} = \"resources/{k}.md\"`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        );
    }

    let mut seen: HashMap<&str, &Spanned<String>> = HashMap::new();
    for step in &m.steps {
        match step.kind.value.as_str() {
            "text" => {}
            "password" => {
                if let Some(d) = &step.default {
                    diags.push(
                        Diagnostic::new(
                            &rules::PASSWORD_DEFAULT,
                            d.span,
                            format!("password step `{}` has a default value", step.name.value),
                        )
                        .label("this secret would be stored in the archive")
                        .help("remove `default`; users type the password when they install the pack"),
                    );
                }
            }
            other => {
                let mut d = Diagnostic::new(
                    &rules::INVALID_STEP_TYPE,
                    step.kind.span,
                    format!("install step `{}` has type `{other}`", step.name.value),
                )
                .label("not an input type");
                d = match did_you_mean(other, ["text", "password"]) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help("use `text` or `password`"),
                };
                diags.push(d);
            }
        }
        if let Some(first) = seen.get(step.name.value.as_str()) {
            diags.push(
                Diagnostic::new(
                    &rules::DUPLICATE_STEP,
                    step.name.span,
                    format!("install step `{}` is defined twice", step.name.value),
                )
                .label("second definition")
                .related(first.span, "first defined here")
                .help("rename or remove one of the two steps"),
            );
        } else {
            seen.insert(&step.name.value, &step.name);
        }
    }

    if let Some(ts) = &m.provisioning.topic_step {
        if !m.steps.iter().any(|s| s.name.value == ts.value) {
            let mut d = Diagnostic::new(
                &rules::UNKNOWN_TOPIC_STEP,
                ts.span,
                format!("`topic-step` names `{}`, which is not an install step", ts.value),
            )
            .label("no [[steps]] entry with this name");
            d = match did_you_mean(&ts.value, m.steps.iter().map(|s| s.name.value.as_str())) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help("add a [[steps]] entry whose value identifies the instance (e.g. its URL)"),
            };
            diags.push(d);
        }
    }

    let all = registry::all();
    for a in &m.lint.allow {
        if a.reason.value.trim().is_empty() {
            diags.push(
                Diagnostic::new(
                    &rules::ALLOW_WITHOUT_REASON,
                    a.reason.span,
                    format!("allowing `{}` needs a reason", a.code.value),
                )
                .label("empty reason")
                .help("say why this pack may ignore the rule; until then the entry suppresses nothing"),
            );
        }
        match all.iter().find(|r| r.code == a.code.value) {
            None => {
                let mut d = Diagnostic::new(
                    &rules::ALLOW_UNKNOWN_CODE,
                    a.code.span,
                    format!("`{}` is not a rule code", a.code.value),
                )
                .label("suppresses nothing");
                d = match did_you_mean(&a.code.value, all.iter().map(|r| r.code)) {
                    Some(s) => d.help(format!("did you mean `{s}`? (`stackpack rules` lists every code)")),
                    None => d.help("`stackpack rules` lists every code"),
                };
                diags.push(d);
            }
            Some(r) if r.severity == Severity::Error => {
                diags.push(
                    Diagnostic::new(
                        &rules::ALLOW_ERROR_CODE,
                        a.code.span,
                        format!("`{}` ({}) is an error and cannot be allowed", r.code, r.name),
                    )
                    .label("has no effect")
                    .help("fix the finding instead, then remove this entry"),
                );
            }
            Some(_) => {}
        }
    }
}
