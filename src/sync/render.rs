//! Sync-time rendering of component and relation templates, the way StackState renders a
//! `handlebarsTemplate` for each topology element (`reference/stackpack-v1-format.md` §5).
//!
//! Templates are rendered in author form (as written in the pack, unescaped): the import-time
//! variables (`instanceId`, step values, …) are given as top-level values beside the element, so
//! one pass yields what the two passes of StackState yield for values without `{{`.
//!
//! Helpers: `get`, `getFirstExisting`, `getOrCreate`, `identifier`, `concat`, `join` (block),
//! `add`, `resolve`, `resolveOrCreate`, plus Handlebars' built-ins (`if`, `unless`, `each`,
//! `with`, `lookup`). Node lookups return a stable placeholder id (see [`placeholder_id`]) and
//! are checked against the pack and its declared dependencies.

use super::rules;
use crate::diag::{Diagnostic, Rule};
use crate::model::resolve::urn_pack;
use crate::model::{kebab, Body, Node, NodeKind, Pack};
use crate::source::{FileId, Span};
use handlebars::{
    BlockContext, Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderError,
    RenderErrorReason, Renderable, StringOutput,
};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Mutex;

/// The placeholder id `get` and friends return for `urn`: stable across runs, machines and
/// edits of unrelated nodes (FNV-1a of the URN), nine digits, positive like real node ids.
pub fn placeholder_id(urn: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in urn.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    100_000_000 + (h % 900_000_000) as i64
}

/// One node lookup a render made.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Lookup {
    /// The helper (`get`, `getOrCreate`, …).
    pub helper: &'static str,
    /// The URN (or name) the id stands for.
    pub urn: String,
    pub id: i64,
    /// `pack` (a node of this pack), `dependency`, `created` (getOrCreate fell back to its
    /// create-URN), or `unchecked` (cannot be checked offline).
    pub found: &'static str,
}

/// A successful render.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub text: String,
    pub lookups: Vec<Lookup>,
}

/// Default values of the import-time variables: `instanceId` 1, `instanceName` `test`,
/// `topicName` `sts_topo_test`, each step its default or its own name.
pub fn default_import_args(pack: &Pack) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("instanceId".into(), Value::from(1));
    m.insert("instanceName".into(), Value::from("test"));
    m.insert("topicName".into(), Value::from("sts_topo_test"));
    for s in &pack.manifest.steps {
        let v = s
            .default
            .as_ref()
            .map(|d| d.value.clone())
            .unwrap_or_else(|| s.name.value.clone());
        m.insert(s.name.value.clone(), Value::from(v));
    }
    for v in &pack.manifest.provisioning.variables {
        m.entry(v.value.clone()).or_insert_with(|| Value::from(v.value.clone()));
    }
    m
}

/// Whether a template node renders relations (else components).
pub fn is_relation(node: &Node) -> bool {
    node.kind == NodeKind::RelationTemplate
}

/// The element as the template sees it: `data` defaults to `{}`, and a relation gets
/// `sourceId`/`targetId` placeholders when the sample does not give them.
///
/// Inferred: the sync resolves a relation's `sourceExternalId`/`targetExternalId` to the ids of
/// the components it created and passes them as `sourceId`/`targetId` (the real templates write
/// `"source": {{ element.sourceId }}`).
pub fn complete_element(element: &Value, relation: bool) -> Value {
    let mut e = element.clone();
    if let Value::Object(m) = &mut e {
        m.entry("data").or_insert_with(|| Value::Object(Map::new()));
        if relation {
            for (id, ext) in [("sourceId", "sourceExternalId"), ("targetId", "targetExternalId")] {
                if !m.contains_key(id) {
                    let ext_id = m.get(ext).and_then(Value::as_str).unwrap_or("").to_string();
                    m.insert(id.into(), Value::from(placeholder_id(&format!("component:{ext_id}"))));
                }
            }
        }
    }
    e
}

/// Where the pack's nodes are found at sync time: built once per pack and instance id (its
/// cost is linear in the nodes) and shared by every render of that pack.
pub struct Resolver<'a> {
    pack: &'a Pack,
    by_urn: HashMap<String, usize>,
    shorthand: HashMap<String, usize>,
    /// The URN of each node, `{{instanceId}}` filled in.
    urns: Vec<String>,
}

enum Target {
    Local(usize, String),
    Dependency(String),
    Unchecked(String),
    Missing(String),
}

impl<'a> Resolver<'a> {
    pub fn new(pack: &'a Pack, instance_id: &str) -> Resolver<'a> {
        let mut by_urn = HashMap::new();
        let mut shorthand = HashMap::new();
        let mut urns = Vec::with_capacity(pack.nodes.len());
        for (i, n) in pack.nodes.iter().enumerate() {
            let urn = pack.urn(n).replace("{{instanceId}}", instance_id);
            by_urn.entry(urn.clone()).or_insert(i);
            urns.push(urn);
            let segment = match &n.body {
                Body::Stj { stj_type, .. } => kebab(&stj_type.value),
                _ => n.kind.urn_segment().to_string(),
            };
            shorthand.entry(format!("{segment}:{}", n.id.value)).or_insert(i);
        }
        Resolver {
            pack,
            by_urn,
            shorthand,
            urns,
        }
    }

    fn urn_of(&self, i: usize) -> String {
        match self.urns.get(i) {
            Some(u) => u.clone(),
            None => self.pack.urn(&self.pack.nodes[i]),
        }
    }

    /// `literal`: written as a string literal in the template (the compiler expands shorthands
    /// only there).
    fn resolve(&self, target: &str, literal: bool) -> Target {
        let t = target.trim();
        if t.is_empty() {
            return Target::Missing("an empty URN".into());
        }
        if t.starts_with("urn:") {
            if let Some(&i) = self.by_urn.get(t) {
                return Target::Local(i, t.to_string());
            }
            let own = &self.pack.manifest.name.value;
            return match urn_pack(t) {
                Some(p) if p == own => Target::Missing(format!("`{t}`, which is no node of this pack")),
                Some(p) if self.pack.manifest.dependency(p).is_some() => Target::Dependency(t.to_string()),
                Some(p) => Target::Missing(format!("`{t}` of pack `{p}`, which is not a declared dependency")),
                None => Target::Unchecked(t.to_string()),
            };
        }
        if literal {
            if let Some(&i) = self.shorthand.get(t) {
                return Target::Local(i, self.urn_of(i));
            }
            return Target::Missing(format!("`{t}`, which names no node of this pack"));
        }
        Target::Missing(format!(
            "`{t}`: a value computed at sync time must be a full URN (shorthands are expanded only in string literals)"
        ))
    }
}

/// Shared state of one render.
struct Env<'a> {
    resolver: &'a Resolver<'a>,
    lookups: Mutex<Vec<Lookup>>,
    /// The rule of the last helper failure (helpers can only return a message).
    failure: Mutex<Option<&'static Rule>>,
}

impl Env<'_> {
    fn fail(&self, rule: &'static Rule, message: String) -> RenderError {
        if let Ok(mut f) = self.failure.lock() {
            *f = Some(rule);
        }
        RenderErrorReason::Other(message).into()
    }
    fn record(&self, helper: &'static str, urn: String, found: &'static str) -> i64 {
        let id = placeholder_id(&urn);
        if let Ok(mut l) = self.lookups.lock() {
            if !l.iter().any(|x| x.urn == urn && x.helper == helper) {
                l.push(Lookup { helper, urn, id, found });
            }
        }
        id
    }
}

fn param_str(h: &Helper<'_>, i: usize) -> Option<(String, bool)> {
    let p = h.param(i)?;
    let s = match p.value() {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    Some((s, p.relative_path().is_none()))
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

struct Get<'a> {
    env: &'a Env<'a>,
    first_existing: bool,
}

impl HelperDef for Get<'_> {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let env = self.env;
        let name = if self.first_existing { "getFirstExisting" } else { "get" };
        if self.first_existing {
            let mut tried = Vec::new();
            for i in 0..h.params().len() {
                let Some((t, literal)) = param_str(h, i) else { continue };
                match env.resolver.resolve(&t, literal) {
                    Target::Local(_, urn) => return write_id(out, env.record(name, urn, "pack")),
                    Target::Dependency(urn) => return write_id(out, env.record(name, urn, "dependency")),
                    _ => tried.push(t),
                }
            }
            return Err(env.fail(
                &rules::UNRESOLVED_GET,
                format!("`getFirstExisting`: none of {tried:?} is a node of this pack or a declared dependency"),
            ));
        }
        let Some((target, literal)) = param_str(h, 0) else {
            return Err(env.fail(&rules::RENDER_FAILED, "`get` needs a URN argument".into()));
        };
        let selector = param_str(h, 1).map(|(s, _)| s);
        let (urn, found) = match env.resolver.resolve(&target, literal) {
            Target::Local(i, urn) => {
                if let (Some(sel), Body::CheckFunction(f)) = (&selector, &env.resolver.pack.nodes[i].body) {
                    let wanted = sel.strip_prefix("Type=Parameter;Name=").unwrap_or("");
                    if !f.parameters.iter().any(|p| p.name.value == wanted) {
                        return Err(env.fail(
                            &rules::UNRESOLVED_GET,
                            format!("`get \"{target}\" \"{sel}\"`: the check function has no such parameter"),
                        ));
                    }
                }
                (urn, "pack")
            }
            Target::Dependency(urn) => (urn, "dependency"),
            Target::Unchecked(urn) => (urn, "unchecked"),
            Target::Missing(why) => {
                return Err(env.fail(&rules::UNRESOLVED_GET, format!("`get` of {why}")));
            }
        };
        let key = match &selector {
            Some(sel) => format!("{urn} {sel}"),
            None => urn,
        };
        write_id(out, env.record(name, key, found))
    }
}

fn write_id(out: &mut dyn Output, id: i64) -> HelperResult {
    out.write(&id.to_string())?;
    Ok(())
}

/// Types `getOrCreate` may create (reference §5).
const CREATABLE: [&str; 5] = ["Environment", "Layer", "Domain", "ComponentType", "RelationType"];

struct GetOrCreate<'a> {
    env: &'a Env<'a>,
}

impl HelperDef for GetOrCreate<'_> {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let env = self.env;
        let (Some((urn, literal)), Some((create, _)), Some((spec, _))) =
            (param_str(h, 0), param_str(h, 1), param_str(h, 2))
        else {
            return Err(env.fail(
                &rules::INVALID_GET_OR_CREATE,
                "`getOrCreate` needs three arguments: URN, create-URN and \"Type=<T>;Name=<N>\"".into(),
            ));
        };
        if !create.starts_with("urn:system:auto:") {
            return Err(env.fail(
                &rules::INVALID_GET_OR_CREATE,
                format!("`getOrCreate`: the create-URN `{create}` is not in `urn:system:auto:`"),
            ));
        }
        let parsed = spec
            .strip_prefix("Type=")
            .and_then(|r| r.split_once(";Name="))
            .filter(|(t, _)| CREATABLE.contains(t));
        let Some((_, name)) = parsed else {
            return Err(env.fail(
                &rules::INVALID_GET_OR_CREATE,
                format!("`getOrCreate`: `{spec}` is not `Type=<T>;Name=<N>` with T one of {CREATABLE:?}"),
            ));
        };
        if name.trim().is_empty() || create.ends_with(':') {
            return Err(env.fail(
                &rules::INVALID_GET_OR_CREATE,
                format!("`getOrCreate` would create a node with an empty name (`{spec}`, `{create}`): the element lacks the value it is built from"),
            ));
        }
        let id = match env.resolver.resolve(&urn, literal) {
            Target::Local(_, u) => env.record("getOrCreate", u, "pack"),
            Target::Dependency(u) => env.record("getOrCreate", u, "dependency"),
            _ => env.record("getOrCreate", create, "created"),
        };
        write_id(out, id)
    }
}

struct Identifier;

/// Guess: StackState lower-cases the name and turns spaces into `-` (URNs must be lower case;
/// solarwinds expects `SolarWinds` to find `…:domain:solarwinds`).
impl HelperDef for Identifier {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let (Some((prefix, _)), Some((ty, _)), Some((name, _))) = (param_str(h, 0), param_str(h, 1), param_str(h, 2))
        else {
            return Err(RenderErrorReason::Other(
                "`identifier` needs three arguments: prefix, type name and name".into(),
            )
            .into());
        };
        let name: String = name
            .trim()
            .chars()
            .map(|c| if c.is_whitespace() { '-' } else { c.to_ascii_lowercase() })
            .collect();
        out.write(&format!("{prefix}:{}:{name}", kebab(&ty)))?;
        Ok(())
    }
}

struct Concat;

impl HelperDef for Concat {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        if h.params().is_empty() {
            return Err(RenderErrorReason::Other("`concat` needs at least one argument".into()).into());
        }
        let s: String = h.params().iter().map(|p| text_of(p.value())).collect();
        out.write(&s)?;
        Ok(())
    }
}

struct Add;

impl HelperDef for Add {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let mut int: i64 = 0;
        let mut float = 0f64;
        let mut is_float = false;
        for p in h.params() {
            let v = p.value();
            if let Some(i) = v.as_i64() {
                int = int.saturating_add(i);
                float += i as f64;
            } else if let Some(f) = v.as_f64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())) {
                is_float = true;
                float += f;
            } else {
                return Err(RenderErrorReason::Other(format!("`add`: `{}` is not a number", text_of(v))).into());
            }
        }
        out.write(&if is_float { float.to_string() } else { int.to_string() })?;
        Ok(())
    }
}

struct Resolve<'a> {
    env: &'a Env<'a>,
    or_create: bool,
}

impl HelperDef for Resolve<'_> {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let env = self.env;
        let helper = if self.or_create { "resolveOrCreate" } else { "resolve" };
        let (Some((ty, _)), Some((name, _))) = (param_str(h, 0), param_str(h, 1)) else {
            return Err(env.fail(&rules::RENDER_FAILED, format!("`{helper}` needs a type and a name")));
        };
        let pack = env.resolver.pack;
        let local = pack
            .nodes
            .iter()
            .position(|n| n.kind.stj_type() == Some(ty.as_str()) && n.name.value == name);
        let id = match local {
            Some(i) => env.record(helper, env.resolver.urn_of(i), "pack"),
            // Legacy name lookups cannot be checked offline: the node may exist on the server.
            None if self.or_create => {
                let fallback = param_str(h, 2).map(|(s, _)| s).unwrap_or_default();
                let name = if name.trim().is_empty() { fallback } else { name };
                if name.trim().is_empty() {
                    return Err(env.fail(
                        &rules::INVALID_GET_OR_CREATE,
                        format!("`resolveOrCreate \"{ty}\"` would create a node with an empty name"),
                    ));
                }
                env.record(helper, format!("{ty}:{name}"), "unchecked")
            }
            None => env.record(helper, format!("{ty}:{name}"), "unchecked"),
        };
        write_id(out, id)
    }
}

/// `{{#join list "<sep>" ["<prefix>" ["<suffix>"]]}}…{{/join}}`: the body once per item, joined
/// by the separator. Guess: the prefix and suffix are written only when there is at least one
/// item (the example pack's `{{#join tags "," ","}}` after a fixed first label relies on it).
struct Join;

impl HelperDef for Join {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let Some(list) = h.param(0) else {
            return Err(RenderErrorReason::Other("`join` needs a list to iterate".into()).into());
        };
        let sep = param_str(h, 1).map(|(s, _)| s).unwrap_or_default();
        let prefix = param_str(h, 2).map(|(s, _)| s).unwrap_or_default();
        let suffix = param_str(h, 3).map(|(s, _)| s).unwrap_or_default();
        let items: Vec<(Option<String>, Value)> = match list.value() {
            Value::Array(a) => a.iter().map(|v| (None, v.clone())).collect(),
            Value::Object(m) => m.iter().map(|(k, v)| (Some(k.clone()), v.clone())).collect(),
            Value::Null => Vec::new(),
            other => vec![(None, other.clone())],
        };
        let Some(template) = h.template() else {
            // Inline form: join the items' text.
            let parts: Vec<String> = items.iter().map(|(_, v)| text_of(v)).collect();
            if !parts.is_empty() {
                out.write(&format!("{prefix}{}{suffix}", parts.join(&sep)))?;
            }
            return Ok(());
        };
        let mut parts = Vec::with_capacity(items.len());
        let len = items.len();
        for (i, (key, mut value)) in items.into_iter().enumerate() {
            if let (Some(k), Value::Object(m)) = (&key, &mut value) {
                m.entry("key").or_insert_with(|| Value::from(k.clone()));
            }
            let mut block = BlockContext::new();
            block.set_base_value(value);
            block.set_local_var("index", Value::from(i));
            block.set_local_var("first", Value::from(i == 0));
            block.set_local_var("last", Value::from(i + 1 == len));
            if let Some(k) = key {
                block.set_local_var("key", Value::from(k));
            }
            rc.push_block(block);
            let mut s = StringOutput::new();
            let result = template.render(r, ctx, rc, &mut s);
            rc.pop_block();
            result?;
            parts.push(s.into_string()?);
        }
        if !parts.is_empty() {
            out.write(&prefix)?;
            out.write(&parts.join(&sep))?;
            out.write(&suffix)?;
        }
        Ok(())
    }
}

struct ImportOnly;

impl HelperDef for ImportOnly {
    fn call<'reg: 'rc, 'rc>(
        &self,
        _: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        _: &mut dyn Output,
    ) -> HelperResult {
        Err(RenderErrorReason::Other(
            "`include` runs at import time only; `stackpack render` cannot evaluate it inside a sync template".into(),
        )
        .into())
    }
}

/// A render failure, located in the template by 1-based line and 0-based column when known.
#[derive(Debug, Clone)]
pub struct Failure {
    pub rule: &'static Rule,
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl Failure {
    /// As a diagnostic located in the template file `file` (a registered source).
    pub fn diagnostic(&self, pack: &Pack, file: FileId, what: &str) -> Diagnostic {
        let span = match (self.line, pack.sources.get(file)) {
            (Some(line), Some(f)) => {
                let at = f.offset_of(line, self.column.unwrap_or(0));
                let end = f.text[at..].find('\n').map_or(f.text.len(), |n| at + n);
                Span::new(file, at, end.max(at))
            }
            _ => Span::file_start(file),
        };
        Diagnostic::new(self.rule, span, format!("{what}: {}", self.message))
    }
}

/// Deepest block nesting rendered.
const MAX_BLOCK_DEPTH: usize = 64;

/// Render `text` (a template of `pack`) with `data` as the context.
/// The largest template the sync-time renderer takes. The `handlebars` crate computes a line and
/// column from the start of the text for every token it compiles, which is quadratic in the
/// size of a template; published sync templates are a few KB, so a bound far above them keeps a
/// hostile one (100 000 expressions on one line) from stalling `lint`, `render` and `test`.
/// Syntax errors of larger templates are still found by the linear scan of `template.rs`.
pub const MAX_TEMPLATE_BYTES: usize = 64 * 1024;

pub fn render_text(pack: &Pack, text: &str, data: &Value, instance_id: &str) -> Result<Rendered, Failure> {
    render_text_with(&Resolver::new(pack, instance_id), text, data)
}

/// [`render_text`] with a resolver built once for many renders of the same pack (lint renders
/// every template: a resolver per render would make it quadratic in the nodes).
pub fn render_text_with(resolver: &Resolver<'_>, text: &str, data: &Value) -> Result<Rendered, Failure> {
    // The Handlebars parser recurses per block level: refuse absurd nesting instead of
    // overflowing the stack on a hostile template.
    let (mut depth, mut max) = (0usize, 0usize);
    for (i, _) in text.match_indices("{{") {
        match text.as_bytes().get(i + 2) {
            Some(b'#') => {
                depth += 1;
                max = max.max(depth);
            }
            Some(b'/') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if max > MAX_BLOCK_DEPTH {
        return Err(Failure {
            rule: &rules::RENDER_FAILED,
            message: format!("blocks are nested {max} deep; at most {MAX_BLOCK_DEPTH} are rendered"),
            line: None,
            column: None,
        });
    }
    if text.len() > MAX_TEMPLATE_BYTES {
        return Err(Failure {
            rule: &rules::RENDER_FAILED,
            message: format!(
                "the template has {} bytes: templates over {} KiB are not rendered offline (published sync templates are a few KB); split it",
                text.len(),
                MAX_TEMPLATE_BYTES / 1024
            ),
            line: None,
            column: None,
        });
    }
    let env = Env {
        resolver,
        lookups: Mutex::new(Vec::new()),
        failure: Mutex::new(None),
    };
    let mut hb = Handlebars::new();
    // Guess: values are inserted as they are (no HTML escaping); no source shows StackState
    // escaping them, and a value with `"` then breaks the JSON, which the tests report.
    hb.register_escape_fn(handlebars::no_escape);
    hb.register_helper(
        "get",
        Box::new(Get {
            env: &env,
            first_existing: false,
        }),
    );
    hb.register_helper(
        "getFirstExisting",
        Box::new(Get {
            env: &env,
            first_existing: true,
        }),
    );
    hb.register_helper("getOrCreate", Box::new(GetOrCreate { env: &env }));
    hb.register_helper("identifier", Box::new(Identifier));
    hb.register_helper("concat", Box::new(Concat));
    hb.register_helper("add", Box::new(Add));
    hb.register_helper("join", Box::new(Join));
    hb.register_helper(
        "resolve",
        Box::new(Resolve {
            env: &env,
            or_create: false,
        }),
    );
    hb.register_helper(
        "resolveOrCreate",
        Box::new(Resolve {
            env: &env,
            or_create: true,
        }),
    );
    hb.register_helper("include", Box::new(ImportOnly));
    if let Err(e) = hb.register_template_string("t", text) {
        let (line, column) = match e.pos() {
            Some((l, c)) => (Some(l), Some(c.saturating_sub(1))),
            None => (None, None),
        };
        return Err(Failure {
            rule: &rules::RENDER_FAILED,
            message: format!("invalid Handlebars: {}", e.reason()),
            line,
            column,
        });
    }
    let result = hb.render("t", data);
    drop(hb);
    match result {
        Ok(text) => Ok(Rendered {
            text,
            lookups: env.lookups.into_inner().unwrap_or_default(),
        }),
        Err(e) => {
            let rule = env.failure.into_inner().ok().flatten().unwrap_or(&rules::RENDER_FAILED);
            let message = match e.reason() {
                RenderErrorReason::Other(m) => m.clone(),
                other => other.to_string(),
            };
            Err(Failure {
                rule,
                message,
                line: e.line_no,
                column: e.column_no.map(|c| c.saturating_sub(1)),
            })
        }
    }
}

/// The context a template node is rendered with: its parameter (`element`) and the import
/// arguments.
pub fn context_for(node: &Node, element: &Value, import_args: &Map<String, Value>) -> Value {
    let param = match &node.body {
        Body::Template(t) => t.parameter.value.clone(),
        _ => "element".to_string(),
    };
    let mut data = import_args.clone();
    data.insert(param, complete_element(element, is_relation(node)));
    Value::Object(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_nesting_is_refused_not_overflowed() {
        let text = "{{#if a}}".repeat(10_000);
        let mut diags = crate::diag::Diagnostics::new();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("stackpack");
        let Ok(Ok(pack)) = crate::model::load_pack(&dir, &mut diags) else {
            panic!("the example pack loads")
        };
        let e = render_text(&pack, &text, &Value::Null, "1").err();
        assert!(e.is_some_and(|f| f.message.contains("nested 10000 deep")));
    }

    #[test]
    fn placeholder_ids_are_stable_and_nine_digits() {
        let a = placeholder_id("urn:stackpack:common:layer:machines");
        assert_eq!(a, placeholder_id("urn:stackpack:common:layer:machines"));
        assert_ne!(a, placeholder_id("urn:stackpack:common:layer:containers"));
        assert!((100_000_000..1_000_000_000).contains(&a));
    }
}
