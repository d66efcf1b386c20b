//! A corpus of realistic configurations and connection strings (tests/corpus), each beside a
//! `.expected` file listing the findings a reader of the specification expects: `LINE RULE-ID`,
//! one per line, sorted. Files named `*-good*` and the specification's own nginx config must
//! give none. Regenerate with `TLSCOPE_UPDATE_CORPUS=1` and review the diff by hand.

use std::path::Path;

use tlscope_core::judge::ChainRequest;
use tlscope_core::lint::{finding_line, lint};
use tlscope_core::{Policy, Timestamp};

fn findings(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    let name = path.file_name().and_then(|n| n.to_str());
    let report = lint(
        name,
        &bytes,
        &ChainRequest::default(),
        &Policy::default(),
        Timestamp::from_unix(1_800_000_000),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        report.problems.is_empty(),
        "{}: {:?}",
        path.display(),
        report.problems
    );
    let mut lines: Vec<String> = report
        .findings
        .iter()
        .map(|f| format!("{} {}", finding_line(f).unwrap_or(0), f.rule))
        .collect();
    lines.sort_by_key(|l| {
        let (n, id) = l.split_once(' ').unwrap_or_default();
        (n.parse::<usize>().unwrap_or(0), id.to_owned())
    });
    lines.iter().map(|l| format!("{l}\n")).collect()
}

#[test]
fn corpus_gives_the_expected_findings() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let update = std::env::var_os("TLSCOPE_UPDATE_CORPUS").is_some();
    let mut checked = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries
        .iter()
        .filter(|p| p.extension().is_none_or(|e| e != "expected"))
    {
        let got = findings(path);
        let expected_path = path.with_file_name(format!(
            "{}.expected",
            path.file_name().unwrap().to_string_lossy()
        ));
        let name = path.file_name().unwrap().to_string_lossy();
        if name.contains("-good") || name.contains("specification") {
            assert_eq!(got, "", "{name} should be clean");
        }
        if update {
            std::fs::write(&expected_path, &got).unwrap();
        }
        let want = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("{} is missing", expected_path.display()));
        assert_eq!(got, want, "{name}");
        checked += 1;
    }
    assert!(checked >= 16, "only {checked} corpus files");
}
