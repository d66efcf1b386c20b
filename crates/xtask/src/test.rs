//! `cargo xtask test`: every test the project has, in one command — lint, native unit and
//! integration tests (including the browser end-to-end tests against `tlscope demo`), and the
//! wasm component tests in headless Chromium. Prints the counts at the end.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::{root, setup};

#[derive(Debug, Default)]
struct Counts {
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl Counts {
    /// Adds the figures of a libtest summary line: `test result: ok. 3 passed; 0 failed; 1 ignored; …`.
    fn add_summary(&mut self, line: &str) {
        let Some(rest) = line.split("test result:").nth(1) else {
            return;
        };
        for part in rest.split(';') {
            let mut words = part.split_whitespace().filter(|w| {
                w.chars().next().is_some_and(|c| c.is_ascii_digit())
                    || w.ends_with("passed")
                    || w.ends_with("failed")
                    || w.ends_with("ignored")
            });
            if let (Some(n), Some(kind)) = (words.next(), words.next()) {
                let n: u64 = n.parse().unwrap_or(0);
                match kind {
                    "passed" => self.passed += n,
                    "failed" => self.failed += n,
                    "ignored" => self.ignored += n,
                    _ => {}
                }
            }
        }
    }
}

/// Runs a test command, echoing its output and adding up its summary lines.
fn run_counted(step: &str, cmd: &mut Command, counts: &mut Counts) -> Result<()> {
    println!("\nxtask: == {step}");
    println!("xtask: $ {}", format!("{cmd:?}").replace('"', ""));
    let mut child = cmd
        .current_dir(root())
        .env("PATH", setup::tool_path())
        .env("CARGO_INCREMENTAL", crate::NO_INCREMENTAL)
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {step}"))?;
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            println!("{line}");
            if line.contains("test result:") {
                counts.add_summary(&line);
            }
        }
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("{step} failed ({status})");
    }
    Ok(())
}

/// The sub-path the static-hosting test serves the dashboard from.
const SUBPATH: &str = "/tlscope/";

/// The whole suite.
pub fn run() -> Result<()> {
    let started = std::time::Instant::now();
    setup::run()?;
    // Disk is what a cold run on a small CI machine runs out of first; show it before and after.
    crate::run(Command::new("df").args(["-h", "."]))?;
    crate::run(Command::new("cargo").args(["fmt", "--all", "--check"]))?;
    crate::run(Command::new("cargo").args([
        "clippy",
        "--workspace",
        "--exclude",
        "tlscope-web",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    crate::run(Command::new("cargo").args([
        "clippy",
        "--package",
        "tlscope-web",
        "--target",
        "wasm32-unknown-unknown",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;

    // The end-to-end tests drive the real binary against the real, release-built dashboard.
    crate::build_dashboard(None)?;
    // The same site built for a sub-path, served by a plain static server in its own test.
    let subpath_dist = root().join("target").join("dist-subpath");
    crate::build_dashboard_into(Some(SUBPATH), &subpath_dist)?;
    // The FIPS build first: it lands at target/debug/tlscope too, and the default build after
    // it puts the default binary back there.
    let fips_bin = crate::build_fips_agent()?;
    crate::run(Command::new("cargo").args([
        "build",
        "--package",
        "tlscope-agent",
        "--bin",
        "tlscope",
    ]))?;

    let mut counts = Counts::default();
    let bin = root().join("target").join("debug").join("tlscope");
    run_counted(
        "native tests (core, agent, end-to-end in Chromium)",
        Command::new("cargo")
            .args([
                "test",
                "--workspace",
                "--exclude",
                "tlscope-web",
                "--",
                "--color",
                "never",
            ])
            .env("TLSCOPE_BIN", &bin)
            .env("TLSCOPE_FIPS_BIN", &fips_bin)
            .env("TLSCOPE_DIST", root().join("dist"))
            .env("TLSCOPE_DIST_SUBPATH", &subpath_dist)
            .env("TLSCOPE_AXE", crate::setup::axe_script())
            .env("TLSCOPE_WEED", crate::setup::weed_binary()),
        &mut counts,
    )?;
    run_counted(
        "wasm component tests in headless Chromium",
        Command::new("cargo")
            .args([
                "test",
                "--package",
                "tlscope-web",
                "--target",
                "wasm32-unknown-unknown",
            ])
            .env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                "wasm-bindgen-test-runner",
            )
            .env("CHROMEDRIVER", "/usr/bin/chromedriver")
            .env("WASM_BINDGEN_TEST_TIMEOUT", "120"),
        &mut counts,
    )?;
    crate::run(Command::new("df").args(["-h", "target"]))?;
    println!(
        "\nxtask: all tests finished in {:.0}s",
        started.elapsed().as_secs_f64()
    );
    println!(
        "{} passed, {} failed, {} skipped",
        counts.passed, counts.failed, counts.ignored
    );
    if counts.failed > 0 || counts.passed == 0 {
        bail!("test run did not pass");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Counts;

    #[test]
    fn adds_up_libtest_summaries() {
        let mut c = Counts::default();
        c.add_summary("test result: ok. 23 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s");
        c.add_summary(
            "test result: FAILED. 2 passed; 3 failed; 0 ignored; 0 measured; 0 filtered out",
        );
        assert_eq!((c.passed, c.failed, c.ignored), (25, 3, 1));
    }
}
