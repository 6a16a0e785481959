//! `stackpack.conf`: the HOCON manifest of the archive, rendered from
//! `templates/stackpack.conf.hbs`.

use super::templates::{Templates, CONF};
use crate::diag::Diagnostics;
use crate::model::Pack;
use serde_json::{json, Value};

/// The data the conf template sees. Keys are the conf keys; optional ones are absent (`null`)
/// when the pack does not set them.
pub fn data(pack: &Pack, class: &str, has_release_notes: bool, diags: &mut Diagnostics) -> Value {
    let m = &pack.manifest;
    let url = |p: &Option<crate::source::Spanned<String>>, diags: &mut Diagnostics| {
        p.as_ref().and_then(|p| super::resource_file_url(pack, p, diags))
    };
    let logo = url(&m.logo, diags);
    let overview = url(&m.pages.overview, diags);
    let detailed = url(&m.pages.detailed_overview, diags);
    let upgrade = url(&m.pages.upgrade_instructions, diags);
    let mut states = Vec::new();
    for (state, path) in &m.pages.states {
        if let Some(u) = super::resource_file_url(pack, path, diags) {
            states.push(json!({"state": state.conf_key(), "url": u}));
        }
    }
    let mut integrations = Vec::new();
    for t in &m.integrations {
        integrations.push(json!({
            "name": t.name.value,
            "displayName": t.display_name.value,
            "version": t.version.as_ref().map(|v| v.value.clone()),
            "isNew": t.is_new,
            "logoUrl": url(&t.logo, diags),
            "categories": t.categories.iter().map(|c| c.value.clone()).collect::<Vec<_>>(),
            "overviewUrl": url(&t.overview, diags),
        }));
    }
    json!({
        "name": m.name.value,
        "integrations": integrations,
        "displayName": m.display_name.value,
        "version": m.version.value.to_string(),
        "isNew": m.is_new,
        "logoUrl": logo,
        "categories": m.categories.iter().map(|c| c.value.clone()).collect::<Vec<_>>(),
        "overviewUrl": overview,
        "detailedOverviewUrl": detailed,
        "configurationUrls": states,
        "faqs": m.faqs.iter().map(|f| json!({"question": f.question.value, "answer": f.answer.value})).collect::<Vec<_>>(),
        "steps": m.steps.iter().map(|s| json!({
            "name": s.name.value,
            "display": s.display.value,
            "type": s.kind.value,
            "hasDefault": s.default.is_some(),
            "default": s.default.as_ref().map(|d| d.value.clone()),
        })).collect::<Vec<_>>(),
        "provision": class,
        "releaseNotes": (has_release_notes && m.release_notes).then_some("RELEASE.md"),
        "upgradeInstructions": upgrade,
        "dependencies": m.dependencies.iter().map(|d| json!({"name": d.name.value, "version": d.version.value.to_string()})).collect::<Vec<_>>(),
        "releaseStatus": m.release_status.value,
        "isMultiConfig": m.multi_instance,
        "docsUrl": m.docs_url.as_ref().map(|d| d.value.clone()),
    })
}

pub fn render(
    pack: &Pack,
    class: &str,
    has_release_notes: bool,
    tpl: &Templates,
    diags: &mut Diagnostics,
) -> Option<String> {
    let data = data(pack, class, has_release_notes, diags);
    tpl.render(CONF, &data, diags)
}
