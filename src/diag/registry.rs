//! Every rule of every stage, in code order: the single source of the rule list
//! (`stackpack rules`, `docs/rules.md`, SARIF rule metadata).

use super::Rule;

/// All rules, sorted by code.
pub fn all() -> Vec<&'static Rule> {
    let mut rules: Vec<&'static Rule> = Vec::new();
    rules.extend_from_slice(crate::load::rules::RULES);
    rules.extend_from_slice(crate::check::rules::RULES);
    rules.extend_from_slice(crate::compat::rules::RULES);
    rules.extend_from_slice(crate::changelog::rules::RULES);
    rules.extend_from_slice(crate::classic::rules::RULES);
    rules.extend_from_slice(crate::archive::rules::RULES);
    rules.extend_from_slice(crate::sync::rules::RULES);
    rules.extend_from_slice(super::rules::RULES);
    rules.extend_from_slice(crate::v2::rules::RULES);
    rules.sort_by_key(|r| r.code);
    rules
}

/// The rule with this code.
pub fn find(code: &str) -> Option<&'static Rule> {
    all().into_iter().find(|r| r.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let rules = all();
        for w in rules.windows(2) {
            assert_ne!(w[0].code, w[1].code, "duplicate rule code");
        }
        for r in &rules {
            // SPnnn for the v1 formats, SPnnnn (SP2001–SP2999) for StackPack 2.0.
            let four = r.code.len() == 6 && ("SP2001".."SP3000").contains(&r.code);
            assert!(
                (r.code.len() == 5 || four) && r.code.starts_with("SP"),
                "bad code {}",
                r.code
            );
            assert!(r.code[2..].bytes().all(|b| b.is_ascii_digit()), "bad code {}", r.code);
            assert!(!r.summary.is_empty() && !r.name.is_empty());
        }
        let names: std::collections::HashSet<_> = rules.iter().map(|r| r.name).collect();
        assert_eq!(names.len(), rules.len(), "duplicate rule name");
    }
}
