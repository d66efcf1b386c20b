//! The repository's module graphs have no cycles: for the core, the page and xtask, an edge
//! runs from a top-level module (a file or directory under `src/`) to every other top-level
//! module it names as `crate::…` in code (not in tests or comments). A cycle is reported with its path.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source directory").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Top-level module → the top-level modules it uses.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(src).expect("under src");
        let top = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or_default()
            .trim_end_matches(".rs")
            .to_owned();
        // Entry points, and test modules kept in their own files (`mod tests;`).
        if top == "lib" || top == "main" || file.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read");
        // Code only: not the tests, not comments (doc links name modules without using them).
        let code: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for (i, _) in code.match_indices("crate::") {
            let name: String = code[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_' || c.is_ascii_digit())
                .collect();
            if !name.is_empty() && name != top {
                g.entry(top.clone()).or_default().insert(name);
            }
        }
    }
    g
}

/// A path from `from` back to `to`, if there is one.
fn path(
    g: &BTreeMap<String, BTreeSet<String>>,
    from: &str,
    to: &str,
    seen: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if from == to {
        return Some(vec![to.to_owned()]);
    }
    if !seen.insert(from.to_owned()) {
        return None;
    }
    for next in g.get(from).into_iter().flatten() {
        if let Some(mut rest) = path(g, next, to, seen) {
            rest.insert(0, from.to_owned());
            return Some(rest);
        }
    }
    None
}

fn cycles(src: &Path) -> Vec<String> {
    let g = graph(src);
    let mut found = BTreeSet::new();
    for (a, uses) in &g {
        for b in uses {
            if let Some(p) = path(&g, b, a, &mut BTreeSet::new()) {
                found.insert(format!("{a} → {}", p.join(" → ")));
            }
        }
    }
    found.into_iter().collect()
}

#[test]
fn the_core_the_page_and_xtask_have_no_import_cycles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for src in [
        "crates/core/src",
        "web/src",
        "crates/xtask/src",
        "crates/agent/src",
    ] {
        let dir = root.join(src);
        let found = cycles(&dir);
        assert!(
            found.is_empty(),
            "{src} has import cycles:\n{}",
            found.join("\n")
        );
    }
}

#[test]
fn a_cycle_is_found() {
    let dir = std::env::temp_dir().join(format!("tlscope-cycle-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.rs"), "use crate::b::X;").unwrap();
    std::fs::write(dir.join("b.rs"), "use crate::a::Y;").unwrap();
    std::fs::write(dir.join("c.rs"), "use crate::a::Y;").unwrap();
    assert_eq!(cycles(&dir), ["a → b → a", "b → a → b"]);
    let _ = std::fs::remove_dir_all(&dir);
}
