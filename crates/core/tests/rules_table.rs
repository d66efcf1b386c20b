//! The one rules table, checked against the code: every rule id a source file names is in the
//! table, and every rule in the table is used by some judgement and named by some test (a test
//! that triggers it; the clean-input tests beside it show it does not fire without cause).

use std::collections::BTreeMap;
use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
}

fn looks_like_rule_id(s: &str) -> bool {
    s.len() > 5
        && s.contains('-')
        && !s.ends_with('-')
        && !s.starts_with('-')
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        && tlscope_core::RULES
            .iter()
            .any(|r| r.id.split('-').next() == s.split('-').next())
}

#[test]
fn every_rule_is_defined_once_used_and_tested() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("tests"), &mut files);
    let mut uses: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (path, text) in &files {
        let (code, tests) = match text.find("#[cfg(test)]") {
            _ if path.contains("/tests/") || path.ends_with("tests.rs") => ("", text.as_str()),
            Some(at) => text.split_at(at),
            None => (text.as_str(), ""),
        };
        for id in code.split('"').filter(|s| looks_like_rule_id(s)) {
            assert!(
                tlscope_core::rules::rule(id).is_some(),
                "{path} names {id}, which is not in the rules table"
            );
        }
        for rule in tlscope_core::RULES {
            let quoted = format!("\"{}\"", rule.id);
            let entry = uses.entry(rule.id).or_default();
            entry.0 += code.matches(&quoted).count();
            entry.1 += tests.matches(&quoted).count();
        }
    }
    // Rules the corpus triggers are named in tests/corpus/*.expected; chain rules are pinned to
    // the x509-limbo testcases that trigger them in tests/conformance/rules.txt.
    let mut pinned: Vec<_> = std::fs::read_dir(root.join("tests/corpus"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "expected"))
        .collect();
    pinned.push(root.join("tests/conformance/rules.txt"));
    {
        for path in pinned {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            for rule in tlscope_core::RULES {
                if text.split_whitespace().any(|w| w == rule.id) {
                    uses.entry(rule.id).or_default().1 += 1;
                }
            }
        }
    }
    // The table itself is one use in code.
    let unused: Vec<_> = uses
        .iter()
        .filter(|(_, u)| u.0 < 2)
        .map(|(id, _)| *id)
        .collect();
    let untested: Vec<_> = uses
        .iter()
        .filter(|(_, u)| u.1 < 1)
        .map(|(id, _)| *id)
        .collect();
    assert!(unused.is_empty(), "defined but never raised: {unused:?}");
    assert!(untested.is_empty(), "no test triggers: {untested:?}");
}
