//! The docs stand on their own in a clone: no page links to or names a path in the project's
//! `shared/` research directory, which a clone does not have (issue 13.7).

mod helpers;

use helpers::root;

#[test]
fn docs_do_not_point_outside_the_repository() {
    let mut pages: Vec<_> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.push(root().join("README.md"));
    assert!(pages.len() > 5, "docs found");
    for page in pages {
        let text = std::fs::read_to_string(&page).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            // `settings -> ../shared/settings` in docs/rules.md is an example symlink of a
            // rule, not a reference; the README names the optional test corpus beside a
            // checkout and says it is skipped without it.
            let example = line.contains("settings -> ../shared/settings");
            let corpus = line.contains("(`../shared/corpus`)");
            assert!(
                example || corpus || !line.contains("../shared/"),
                "{}:{}: points at ../shared: {line}",
                page.display(),
                n + 1
            );
            assert!(
                !line.contains("/work/shared"),
                "{}:{}: names an absolute path: {line}",
                page.display(),
                n + 1
            );
        }
    }
}
