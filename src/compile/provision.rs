//! The provisioning script `provisioning/<Class>.groovy`, rendered from
//! `templates/provision.groovy.hbs` (reference §3).
//!
//! `install` imports the shared STJ with `[:]` and, when instance-scoped nodes exist, then the
//! instance STJ with `args` (`topicName`, `instanceId`, `instanceName`, then every step value via
//! `args.putAll(config)`); `upgrade` is `install`; `waitingForData` registers one listener, on
//! the first data source's topic, that completes the installation when data arrives.

use super::stj::Plan;
use super::templates::{groovy_string, Templates, PROVISION};
use crate::archive::rules;
use crate::diag::{Diagnostic, Diagnostics};
use crate::model::{Body, Pack, Scope};
use serde_json::json;

/// Groovy expressions of the import-time variables the script can compute.
struct Vars {
    /// `topic(config)` when the manifest names an instance type and a topic step.
    topic: Option<String>,
    instance_id: String,
    instance_name: String,
}

fn vars(pack: &Pack) -> Vars {
    let p = &pack.manifest.provisioning;
    let step_expr = |name: &str| format!("(config[{}] as String).trim()", groovy_string(name));
    let topic = match (&p.instance_type, &p.topic_step) {
        (Some(_), Some(_)) => Some("topic(config)".to_string()),
        _ => None,
    };
    // guess: not in reference/. The real packs pass a user-facing instance name (sap: the host);
    // we use the topic step's value, else the first step's, else the instance id.
    let instance_name = match (&p.topic_step, pack.manifest.steps.first()) {
        (Some(s), _) => step_expr(&s.value),
        (None, Some(first)) => step_expr(&first.name.value),
        (None, None) => "context().instance().id().toString()".to_string(),
    };
    Vars {
        topic,
        instance_id: "context().instance().id()".to_string(),
        instance_name,
    }
}

/// A topic as a Groovy expression: literal text, plus `{{var}}` tags for the variables the
/// script can compute (instance-scoped data sources only: the shared file gets no arguments).
fn topic_expr(pack: &Pack, text: &str, scope: Scope, v: &Vars) -> Result<String, String> {
    let mut parts: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            parts.push(groovy_string(&rest[..open]));
        }
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or("`{{` is never closed")?;
        let var = after[..close].trim();
        if scope == Scope::Shared {
            return Err(format!(
                "`{{{{{var}}}}}` has no value in a shared data source: the shared STJ is imported without arguments"
            ));
        }
        let expr = match var {
            "topicName" => v
                .topic
                .clone()
                .ok_or("`{{topicName}}` needs `instance-type` and `topic-step` in `[provisioning]`")?,
            "instanceId" => v.instance_id.clone(),
            "instanceName" => v.instance_name.clone(),
            step if pack.manifest.steps.iter().any(|s| s.name.value == step) => {
                format!("(config[{}] as String)", groovy_string(step))
            }
            other => {
                return Err(format!(
                    "`{{{{{other}}}}}` is not an import argument (steps, topicName, instanceId, instanceName)"
                ))
            }
        };
        parts.push(expr);
        rest = &after[close + 2..];
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(groovy_string(rest));
    }
    Ok(parts.join(" + "))
}

/// The data the provisioning template sees.
pub fn data(
    pack: &Pack,
    class: &str,
    shared: &str,
    instance: Option<&str>,
    plan: &Plan,
    diags: &mut Diagnostics,
) -> serde_json::Value {
    let v = vars(pack);
    let p = &pack.manifest.provisioning;
    let mut topics: Vec<String> = Vec::new();
    for &i in plan.shared.iter().chain(plan.instance.iter()) {
        let node = &pack.nodes[i];
        if let Body::DataSource(ds) = &node.body {
            match topic_expr(pack, &ds.topic.value, node.scope, &v) {
                Ok(e) => {
                    if !topics.contains(&e) {
                        topics.push(e);
                    }
                }
                Err(msg) => diags.push(
                    Diagnostic::new(&rules::TOPIC, ds.topic.span, msg)
                        .label("the provisioning script waits for data on this topic")
                        .help("write a literal topic, or `{{topicName}}` in an instance-scoped data source"),
                ),
            }
        }
    }
    let args = instance.map(|_| {
        let mut a = Vec::new();
        if let Some(t) = &v.topic {
            a.push(json!({"key": "topicName", "expr": t}));
        }
        a.push(json!({"key": "instanceId", "expr": v.instance_id}));
        a.push(json!({"key": "instanceName", "expr": v.instance_name}));
        a
    });
    json!({
        "class": class,
        "sharedTemplate": format!("templates/{shared}"),
        "instanceTemplate": instance.map(|i| format!("templates/{i}")),
        "args": args,
        "topic": match (&p.instance_type, &p.topic_step) {
            (Some(t), Some(s)) => json!({"instanceType": t.value, "step": s.value}),
            _ => serde_json::Value::Null,
        },
        // Guess: every published pack registers one `onDataReceived` listener, on its main
        // topic; we take the first data source's (instance-scoped ones after shared ones, in node
        // order). `waitTopics` keeps all of them for `--templates` overrides.
        "waitTopic": topics.first(),
        "waitTopics": topics,
    })
}

pub fn render(
    pack: &Pack,
    class: &str,
    shared: &str,
    instance: Option<&str>,
    plan: &Plan,
    tpl: &Templates,
    diags: &mut Diagnostics,
) -> Option<String> {
    let data = data(pack, class, shared, instance, plan, diags);
    tpl.render(PROVISION, &data, diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acme() -> Option<Pack> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/build/acme");
        let mut diags = Diagnostics::new();
        crate::model::load_pack(&dir, &mut diags).ok()?.ok()
    }

    #[test]
    fn topics_become_groovy_expressions() {
        let Some(pack) = acme() else {
            panic!("acme does not load")
        };
        let v = vars(&pack);
        let e = |t: &str, s: Scope| topic_expr(&pack, t, s, &v);
        assert_eq!(
            e("sts_topo_process_agents", Scope::Shared),
            Ok("'sts_topo_process_agents'".into())
        );
        assert_eq!(e("{{topicName}}", Scope::Instance), Ok("topic(config)".into()));
        assert_eq!(
            e("sts_topo_{{ acme_url }}_{{instanceId}}", Scope::Instance),
            Ok("'sts_topo_' + (config['acme_url'] as String) + '_' + context().instance().id()".into())
        );
        assert!(e("{{topicName}}", Scope::Shared).is_err_and(|m| m.contains("shared data source")));
        assert!(e("{{nope}}", Scope::Instance).is_err_and(|m| m.contains("not an import argument")));
        assert!(e("a {{ b", Scope::Instance).is_err());
        assert_eq!(e("it's", Scope::Shared), Ok("'it\\'s'".into()));
    }
}
