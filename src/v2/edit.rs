//! Editing `stackpack.yaml` without disturbing it: the version value is replaced in place, so
//! comments, key order, quoting of other keys and line endings stay as they are.

use super::yaml::{self, Kind};
use crate::diag::Diagnostics;
use crate::source::SourceMap;

/// Why the version cannot be set.
#[derive(Debug, Clone, PartialEq)]
pub struct EditError(pub String);

impl std::fmt::Display for EditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The top-level `version` of a `stackpack.yaml` text.
pub fn version_of(text: &str) -> Option<String> {
    let mut sources = SourceMap::new();
    let id = sources.add("stackpack.yaml", None, text);
    let mut d = Diagnostics::new();
    let docs = yaml::parse(id, sources.file(id), &mut d)?;
    docs.first()?.get("version")?.as_str().map(String::from)
}

/// `text` with its top-level `version` set to `new`, written double-quoted (the form the `sts`
/// tooling and CI scripts expect). Everything else is kept byte for byte.
pub fn set_version(text: &str, new: &semver::Version) -> Result<String, EditError> {
    let mut sources = SourceMap::new();
    let id = sources.add("stackpack.yaml", None, text);
    let mut d = Diagnostics::new();
    let docs = yaml::parse(id, sources.file(id), &mut d)
        .ok_or_else(|| EditError("stackpack.yaml is not valid YAML".into()))?;
    let doc = docs
        .first()
        .ok_or_else(|| EditError("stackpack.yaml is empty".into()))?;
    let v = doc
        .get("version")
        .ok_or_else(|| EditError("stackpack.yaml has no top-level `version`".into()))?;
    if !matches!(v.kind, Kind::Str(_) | Kind::Int(_) | Kind::Float(_)) || v.tag.is_some() {
        return Err(EditError("the `version` of stackpack.yaml is not a plain value".into()));
    }
    if v.block {
        return Err(EditError(
            "the `version` of stackpack.yaml is a block scalar; write it as `version: \"X.Y.Z\"`".into(),
        ));
    }
    let (a, b) = (v.span.start as usize, v.span.end as usize);
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str(&text[..a]);
    out.push('"');
    out.push_str(&new.to_string());
    out.push('"');
    out.push_str(&text[b..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> semver::Version {
        semver::Version::parse(s).unwrap_or_else(|_| semver::Version::new(0, 0, 0))
    }

    #[test]
    fn only_the_version_changes() {
        let text = "# my pack\nname: \"p\"   # the name\nversion: \"0.1.3\" # bumped by release\nnested:\n  version: \"9.9.9\"\r\nlogoUrl: !resource \"logo.png\"\n";
        let out = set_version(text, &v("0.2.0")).unwrap_or_default();
        assert_eq!(out, text.replace("version: \"0.1.3\"", "version: \"0.2.0\""));
        assert_eq!(version_of(&out).as_deref(), Some("0.2.0"));
    }

    #[test]
    fn unquoted_and_single_quoted_versions_become_double_quoted() {
        assert_eq!(
            set_version("version: 1.0.0\n", &v("1.0.1")).ok().as_deref(),
            Some("version: \"1.0.1\"\n")
        );
        assert_eq!(
            set_version("version: '1.0.0'\nx: 1", &v("2.0.0")).ok().as_deref(),
            Some("version: \"2.0.0\"\nx: 1")
        );
        assert_eq!(
            set_version("version: 1.1\n", &v("1.2.0")).ok().as_deref(),
            Some("version: \"1.2.0\"\n")
        );
    }

    #[test]
    fn refusals() {
        assert!(set_version("name: x\n", &v("1.0.0")).is_err());
        assert!(set_version("version: [1]\n", &v("1.0.0")).is_err());
        assert!(set_version("version: |\n  1.0.0\n", &v("1.0.0")).is_err());
        assert!(set_version("a: [\n", &v("1.0.0")).is_err());
    }
}
