//! StackState server versions as written in manifests and on the command line.
//!
//! Matching rules (documented in `docs/format.md`): `4.3` means `4.3.0`; `4` means `4.0.0`;
//! pre-release and build suffixes of a *server* version (`4.4.0-rc.1`, `5.1.3+build7`) are
//! compared as their release version would be, so a release candidate of 4.4.0 counts as 4.4.0.

use semver::Version;

/// Parse a StackState version leniently: one to three numeric components, optional
/// pre-release/build suffix (kept, but see [`release_of`]).
pub fn parse_stackstate(text: &str) -> Result<Version, String> {
    let t = text.trim();
    let t = t.strip_prefix('v').unwrap_or(t);
    let (core, suffix) = match t.find(['-', '+']) {
        Some(i) => (&t[..i], &t[i..]),
        None => (t, ""),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty()
        || parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!(
            "`{text}` is not a version: write MAJOR.MINOR or MAJOR.MINOR.PATCH, e.g. `4.3.0`"
        ));
    }
    let mut full = parts.join(".");
    for _ in parts.len()..3 {
        full.push_str(".0");
    }
    full.push_str(suffix);
    Version::parse(&full).map_err(|e| format!("`{text}` is not a version: {e}"))
}

/// The release a (possibly pre-release or build-tagged) server version stands for.
pub fn release_of(v: &Version) -> Version {
    Version::new(v.major, v.minor, v.patch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_forms_and_suffixes() {
        assert_eq!(parse_stackstate("4.3").ok(), Some(Version::new(4, 3, 0)));
        assert_eq!(parse_stackstate("5").ok(), Some(Version::new(5, 0, 0)));
        let rc = parse_stackstate("4.4.0-rc.1").unwrap_or(Version::new(0, 0, 0));
        assert_eq!(release_of(&rc), Version::new(4, 4, 0));
        let b = parse_stackstate("5.1.3+build7").unwrap_or(Version::new(0, 0, 0));
        assert_eq!(release_of(&b), Version::new(5, 1, 3));
        assert!(parse_stackstate("4.x").is_err());
        assert!(parse_stackstate("1.2.3.4").is_err());
    }
}
