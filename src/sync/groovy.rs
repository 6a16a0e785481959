//! Running the pack's Groovy mapping functions and id extractors on sample elements, with a
//! `groovy` interpreter from `PATH` (or `STACKPACK_GROOVY`) and a small stub of the script API.
//!
//! All steps of one `stackpack test` run go to one `groovy` process (a JVM start costs seconds):
//! the jobs are written to a JSON file, [`STUB`] runs each in its own `GroovyShell` and writes
//! the results back.
//!
//! The stub provides what the documented contracts use:
//! - mapping functions get their parameter (`element`) as a mutable map: `externalId`,
//!   `type.name`, `data` (relations: `sourceExternalId`, `targetExternalId`, `sourceId`,
//!   `targetId`); the script returns the element;
//! - id extractors get their parameter (`topologyElement`) with `asReadonlyMap()` giving
//!   `externalId`, `typeName` and `data` (the tutorial's and the example pack's scripts read
//!   exactly these), and `Sts.createId(externalId, identifiers, type)`.
//!
//! Inferred: StackState passes these shapes (from the documented examples); other parts of the
//! server-side API are not stubbed, and a script using them fails with Groovy's message.

use serde_json::{json, Value};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The Groovy runner script.
pub const STUB: &str = r#"
import groovy.json.JsonSlurper
import groovy.json.JsonOutput

class Sts {
    static Map createId(Object externalId, Object identifiers, Object type) {
        [externalId: externalId, identifiers: (identifiers == null ? [] : (identifiers as List).collect { it as String }.sort()), type: type]
    }
}

class TopologyElementStub {
    Map element
    Map asReadonlyMap() { element.asImmutable() }
}

def deep(o) {
    if (o instanceof Map) { def m = new LinkedHashMap(); o.each { k, v -> m.put(k, deep(v)) }; return m }
    if (o instanceof List) { def l = new ArrayList(); o.each { l.add(deep(it)) }; return l }
    return o
}

def plain(o) {
    if (o instanceof Map) { def m = new LinkedHashMap(); o.each { k, v -> m.put(k as String, plain(v)) }; return m }
    if (o instanceof Collection || (o != null && o.getClass().isArray())) { return o.collect { plain(it) } }
    if (o instanceof GString) { return o.toString() }
    return o
}

def jobs = new JsonSlurper().parse(new File(args[0]))
def results = []
jobs.each { job ->
    try {
        def element = deep(job.element)
        def binding = new Binding()
        if (job.kind == "id") {
            def flat = [externalId: element.externalId, typeName: element.type?.name, data: element.data ?: [:]]
            binding.setVariable(job.param, new TopologyElementStub(element: flat))
        } else {
            binding.setVariable(job.param, element)
        }
        def shell = new GroovyShell(this.class.classLoader, binding)
        def out = shell.evaluate(job.script, job.name)
        results << [ok: plain(out)]
    } catch (Throwable t) {
        def where = t.stackTrace.find { it.fileName == job.name }
        results << [error: t.toString() + (where ? " (line " + where.lineNumber + ")" : "")]
    }
}
new File(args[1]).text = JsonOutput.toJson(results)
"#;

/// One step to run.
#[derive(Debug, Clone)]
pub struct Job {
    /// `mapping` or `id`.
    pub kind: &'static str,
    /// The script's file name (for messages and line numbers).
    pub name: String,
    pub script: String,
    /// The script's parameter name.
    pub param: String,
    pub element: Value,
}

/// Where the interpreter is, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum Interpreter {
    Found(PathBuf),
    Missing(String),
}

/// Find `groovy`: `STACKPACK_GROOVY` (a path, or `off`), else `groovy` on `PATH`.
pub fn find() -> Interpreter {
    if let Some(v) = std::env::var_os("STACKPACK_GROOVY") {
        if v == "off" || v.is_empty() {
            return Interpreter::Missing("STACKPACK_GROOVY=off".into());
        }
        let p = PathBuf::from(v);
        return if p.is_file() {
            Interpreter::Found(p)
        } else {
            Interpreter::Missing(format!("STACKPACK_GROOVY={} is not a file", p.display()))
        };
    }
    match on_path("groovy") {
        Some(p) => Interpreter::Found(p),
        None => Interpreter::Missing(
            "no `groovy` interpreter on PATH (install Groovy, e.g. `apt-get install groovy`)".into(),
        ),
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// `JAVA_HOME` for the child: kept when it points at a JDK, else derived from `java` on `PATH`
/// (the Debian `groovy` launcher refuses to start with a wrong `JAVA_HOME`).
fn java_home() -> Option<PathBuf> {
    if let Some(h) = std::env::var_os("JAVA_HOME") {
        if Path::new(&h).join("bin/java").is_file() {
            return None;
        }
    }
    let java = on_path("java")?.canonicalize().ok()?;
    java.parent()?.parent().map(Path::to_path_buf)
}

/// Run all `jobs` in one interpreter process. Each result is the script's return value or its
/// error message. `Err`: the interpreter itself failed (not started, timed out, no output).
pub fn run(groovy: &Path, jobs: &[Job]) -> Result<Vec<Result<Value, String>>, String> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let dir = tempfile::tempdir().map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let stub = dir.path().join("stackpack_sync_stub.groovy");
    let input = dir.path().join("jobs.json");
    let output = dir.path().join("results.json");
    let payload: Vec<Value> = jobs
        .iter()
        .map(|j| json!({"kind": j.kind, "name": j.name, "script": j.script, "param": j.param, "element": j.element}))
        .collect();
    std::fs::write(&stub, STUB).map_err(|e| e.to_string())?;
    std::fs::write(&input, Value::Array(payload).to_string()).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(groovy);
    cmd.arg(&stub)
        .arg(&input)
        .arg(&output)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(home) = java_home() {
        cmd.env("JAVA_HOME", home);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start `{}`: {e}", groovy.display()))?;
    // Drain stderr while waiting, so that a chatty script cannot block on a full pipe.
    let reader = child.stderr.take().map(|mut s| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = s.read_to_string(&mut text);
            text
        })
    });
    let limit = Duration::from_secs(60 + 5 * jobs.len() as u64);
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if started.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`groovy` did not finish within {} s (a script that never ends?)",
                    limit.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(e.to_string()),
        }
    };
    let stderr = reader.and_then(|r| r.join().ok()).unwrap_or_default();
    let text = std::fs::read_to_string(&output).map_err(|_| {
        format!(
            "`groovy` exited with {status} without results: {}",
            stderr.lines().take(5).collect::<Vec<_>>().join(" / ")
        )
    })?;
    let results: Vec<Value> =
        serde_json::from_str(&text).map_err(|e| format!("unreadable results from `groovy`: {e}"))?;
    if results.len() != jobs.len() {
        return Err(format!(
            "`groovy` returned {} results for {} steps",
            results.len(),
            jobs.len()
        ));
    }
    Ok(results
        .into_iter()
        .map(|r| match (r.get("ok"), r.get("error")) {
            (_, Some(e)) => Err(e.as_str().unwrap_or("error").to_string()),
            (Some(v), None) => Ok(v.clone()),
            (None, None) => Ok(Value::Null),
        })
        .collect())
}
