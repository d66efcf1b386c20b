//! `cargo xtask setup|demo|test|bench` — the two commands a new user needs, and the pieces
//! behind them. Everything `setup` installs is checked first, so a second run takes seconds.

mod fuzz;
mod setup;
mod test;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

const USAGE: &str = "usage: cargo xtask <setup|demo|test|bench|fuzz>

  setup   install what is missing: wasm32 target, trunk, wasm-bindgen-cli, wasm-opt (npm binaryen),
          Debian packages (chromium, chromium-driver, openssl)
  demo    setup, build the dashboard, start `tlscope demo`, print the URL
  test    setup, then run every test: lint, native, wasm in headless Chromium, browser end-to-end
  bench   build the dashboard and report what the first page load transfers (gzip)
  fuzz    [RUNS] run every cargo-fuzz target RUNS times (default 1000000; needs nightly)";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::run().map(|_| ()),
        Some("demo") => demo(&args[1..]),
        Some("test") => test::run(),
        Some("bench") => bench(),
        Some("fuzz") => fuzz::fuzz(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("xtask: error: {e:#}");
        std::process::exit(1);
    }
}

/// The workspace root (the parent of crates/).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Runs a command in the workspace root with the tools' PATH, failing with its name on error.
pub fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    println!("xtask: $ {}", shown.replace('"', ""));
    let status = cmd
        .current_dir(root())
        .env("PATH", setup::tool_path())
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}

/// Builds the dashboard into dist/ with the pinned, locally installed tools.
pub fn build_dashboard(public_url: Option<&str>) -> Result<()> {
    let mut cmd = Command::new("trunk");
    cmd.args(["build", "--release", "--offline"]);
    if let Some(url) = public_url {
        cmd.args(["--public-url", url]);
    }
    run(&mut cmd)
}

fn demo(extra: &[String]) -> Result<()> {
    setup::run()?;
    build_dashboard(None)?;
    let dist = root().join("dist");
    let mut cmd = Command::new("cargo");
    cmd.args([
        "run",
        "--quiet",
        "--package",
        "tlscope-agent",
        "--bin",
        "tlscope",
        "--",
        "demo",
        "--dist",
    ])
    .arg(&dist)
    .args(extra);
    run(&mut cmd)
}

/// Criterion groups whose members are compared side by side: (group directory, ours, peer).
const PEER_PAIRS: &[(&str, &str, &str)] = &[
    (
        "decode one certificate",
        "tlscope decode + details",
        "x509-parser parse only (peer)",
    ),
    (
        "validate 3-certificate chain",
        "tlscope (every problem, RustCrypto)",
        "rustls-webpki (first error, ring) (peer)",
    ),
];

/// Mean time in nanoseconds criterion measured for `group`/`function`.
fn criterion_mean(group: &str, function: &str) -> Option<f64> {
    let sanitize = |s: &str| {
        s.chars()
            .map(|c| if "?\"/\\*<>:|^".contains(c) { '_' } else { c })
            .collect::<String>()
    };
    let path = root()
        .join("target/criterion")
        .join(sanitize(group))
        .join(sanitize(function))
        .join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let doc: serde_json::Value = serde_json::from_str(&text).ok()?;
    doc["mean"]["point_estimate"].as_f64()
}

fn bench() -> Result<()> {
    setup::run()?;
    run(Command::new("cargo").args(["bench", "-p", "tlscope-core", "--bench", "core"]))?;
    println!("\nside by side (same run):");
    for (group, ours, peer) in PEER_PAIRS {
        match (criterion_mean(group, ours), criterion_mean(group, peer)) {
            (Some(a), Some(b)) => println!(
                "  {group:<32} tlscope {:>10.1} µs   peer {:>10.1} µs   ratio {:.2}x",
                a / 1000.0,
                b / 1000.0,
                a / b
            ),
            _ => println!("  {group:<32} (no criterion estimates found)"),
        }
    }
    build_dashboard(None)?;
    let dist = root().join("dist");
    let mut total_raw = 0u64;
    let mut total_gz = 0u64;
    println!("\nfirst page load (everything in dist/ the page fetches):");
    let mut entries: Vec<_> = std::fs::read_dir(&dist)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries.iter().filter(|p| p.is_file()) {
        let raw = std::fs::metadata(path)?.len();
        let out = Command::new("gzip")
            .args(["-9", "-c"])
            .arg(path)
            .output()
            .context("gzip is needed to measure compressed size")?;
        let gz = out.stdout.len() as u64;
        total_raw += raw;
        total_gz += gz;
        println!(
            "  {:<48} {:>9} bytes  {:>8} gzip",
            path.file_name().unwrap_or_default().to_string_lossy(),
            raw,
            gz
        );
    }
    println!(
        "  {:<48} {:>9} bytes  {:>8} gzip (aim: under 409600)",
        "total", total_raw, total_gz
    );
    Ok(())
}
