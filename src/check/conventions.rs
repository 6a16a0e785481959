//! What every published pack does, warned about when a pack does not (issue 10.5). StackState's
//! behaviour without these is not documented; the real packs' form is the safe one.
//!
//! - SP218: a sync without a default component or relation action;
//! - SP219: an instance-scoped data source, sync or view whose name lacks `{{instanceName}}`;
//! - SP220: a layer or domain without `order` (every published layer and domain has one:
//!   SAP's layers 401.1 and 415.1, its domain 100.1). Environments are left alone: the reference
//!   gives them an optional `order` and SAP's has none.

use super::rules;
use crate::diag::{Diagnostic, Diagnostics};
use crate::model::{Body, NodeKind, Pack, Scope};

pub fn check(pack: &Pack, diags: &mut Diagnostics) {
    for node in &pack.nodes {
        if let (NodeKind::Layer | NodeKind::Domain, Body::Ordered { order: None }) = (node.kind, &node.body) {
            // Inferred: StackState places layers and domains by `order`; what it does without one
            // is not documented. The published packs always write a float.
            let example = if node.kind == NodeKind::Layer { "415.1" } else { "100.1" };
            diags.push(
                Diagnostic::new(
                    &rules::ORDER_MISSING,
                    node.id.span,
                    format!("{} `{}` has no `order`", node.kind.singular(), node.id.value),
                )
                .label("no `order`")
                .help(format!(
                    "add `order: {example}`: every published pack gives its layers and domains a float `order` \
                     (SAP: layers 401.1 and 415.1, domain 100.1)"
                )),
            );
        }
        if let Body::Sync(s) = &node.body {
            let missing: Vec<&str> = [
                ("default-component-action", s.default_component_action.is_none()),
                ("default-relation-action", s.default_relation_action.is_none()),
            ]
            .iter()
            .filter(|(_, m)| *m)
            .map(|(k, _)| *k)
            .collect();
            if !missing.is_empty() {
                diags.push(
                    Diagnostic::new(
                        &rules::SYNC_WITHOUT_DEFAULT_ACTION,
                        node.id.span,
                        format!("sync `{}` has no `{}`", node.id.value, missing.join("` and no `")),
                    )
                    .label("elements of a type no action names are dropped")
                    .help("add the default action(s) with a generic template, as every published pack does"),
                );
            }
        }
        let named_per_instance = matches!(node.kind, NodeKind::DataSource | NodeKind::Sync | NodeKind::View);
        if named_per_instance && node.scope == Scope::Instance && !node.name.value.contains("{{instanceName}}") {
            diags.push(
                Diagnostic::new(
                    &rules::INSTANCE_NAME_MISSING,
                    node.name.span,
                    format!(
                        "instance-scoped {} `{}` is named `{}` in every instance",
                        node.kind.singular(),
                        node.id.value,
                        node.name.value
                    ),
                )
                .label("no `{{instanceName}}`")
                .help("add `{{instanceName}}` to the name, as the published packs do (e.g. `Acme {{instanceName}}`)"),
            );
        }
    }
}
