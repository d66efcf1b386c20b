//! `cargo xtask setup|demo|test|bench` — the two commands a new user needs, and the pieces
//! behind them. Everything `setup` installs is checked first, so a second run takes seconds.

mod bench;
mod bench_tls;
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
  build   [PUBLIC_URL [DIST]] the dashboard as a static site in DIST (default dist/), with its
          Content-Security-Policy; PUBLIC_URL is the sub-path it is served from (default /)
  test    setup, then run every test: lint, native, wasm in headless Chromium, browser end-to-end
  bench   [tls|dashboard|wasm|native] every benchmark beside its peer, written to bench/RESULTS.md
          (`bench tls`: only the scan and handshake comparisons; `bench dashboard`: only the
          asset sizes and the Chromium timings; `bench wasm`: only the core as wasm32 under node;
          `bench native`: only the criterion comparisons;
          each rerun into its sections of RESULTS.md)
  fuzz    [RUNS] run every cargo-fuzz target RUNS times (default 1000000; needs nightly)";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::run().map(|_| ()),
        Some("demo") => demo(&args[1..]),
        Some("test") => test::run(),
        Some("build") => setup::run().and_then(|_| {
            let dist = args
                .get(2)
                .map_or_else(|| root().join("dist"), PathBuf::from);
            build_dashboard_into(args.get(1).map(String::as_str), &dist)
        }),
        Some("bench") if args.get(1).is_some_and(|a| a == "tls") => bench::tls_only(),
        Some("bench") if args.get(1).is_some_and(|a| a == "dashboard") => bench::dashboard_only(),
        Some("bench") if args.get(1).is_some_and(|a| a == "wasm") => bench::wasm_only(),
        Some("bench") if args.get(1).is_some_and(|a| a == "native") => bench::native_only(),
        Some("bench") => bench::all(),
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

/// The first line `tool args` prints (its version), with the tools directory on the PATH, or
/// "not found".
pub fn tool_version(tool: &str, args: &[&str]) -> String {
    Command::new(tool)
        .args(args)
        .env("PATH", setup::tool_path())
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "not found".into())
}

/// xtask's builds are whole-suite builds, not edit-compile loops: incremental state only costs
/// disk there (about a third of target/ on a cold run, which once filled CI's disk).
pub const NO_INCREMENTAL: &str = "0";

/// Runs a command from the repository root with the pinned tools on PATH; fails on a non-zero exit.
pub fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    println!("xtask: $ {}", shown.replace('"', ""));
    let status = cmd
        .current_dir(root())
        .env("PATH", setup::tool_path())
        .env("CARGO_INCREMENTAL", NO_INCREMENTAL)
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}

/// Where `cargo xtask test` keeps the FIPS build of `tlscope` (the tests read it from here, or
/// from `TLSCOPE_FIPS_BIN`).
pub fn fips_binary() -> PathBuf {
    root().join("target").join("fips").join("tlscope")
}

/// Builds `tlscope` with `--features fips` (aws-lc-rs's FIPS 140-3 module) and copies it to
/// [`fips_binary`]. It shares target/ with the default build, so only the crates whose features
/// change (aws-lc-rs and what uses rustls) are built twice; the default `tlscope` must be built
/// after this, since both land at target/debug/tlscope.
pub fn build_fips_agent() -> Result<PathBuf> {
    run(Command::new("cargo").args([
        "build",
        "--package",
        "tlscope-agent",
        "--bin",
        "tlscope",
        "--features",
        "fips",
    ]))?;
    let built = root().join("target").join("debug").join("tlscope");
    let dest = fips_binary();
    let dir = dest.parent().context("target/fips")?;
    std::fs::create_dir_all(dir)?;
    // Copied under another name, then renamed: a test never sees half a binary.
    let partial = dir.join("tlscope.partial");
    std::fs::copy(&built, &partial)
        .with_context(|| format!("copy {} to {}", built.display(), partial.display()))?;
    std::fs::rename(&partial, &dest)?;
    Ok(dest)
}

/// Builds the dashboard into dist/ with the pinned, locally installed tools.
pub fn build_dashboard(public_url: Option<&str>) -> Result<()> {
    build_dashboard_into(public_url, &root().join("dist"))
}

/// Builds the dashboard into `dist`, served from `public_url` (a sub-path such as `/tlscope/`).
pub fn build_dashboard_into(public_url: Option<&str>, dist: &Path) -> Result<()> {
    let mut cmd = Command::new("trunk");
    cmd.args(["build", "--release", "--offline", "--dist"])
        .arg(dist);
    if let Some(url) = public_url {
        cmd.args(["--public-url", url]);
    }
    run(&mut cmd)?;
    content_security_policy(&dist.join("index.html"))
}

/// The page's Content-Security-Policy, as a `<meta>` so any static host serves it: scripts only
/// from the page's origin plus Trunk's inline loader (allowed by its SHA-256), WebAssembly
/// compilation, styles and images from the origin, no plugins, no base or form targets.
/// `connect-src` allows http(s) so the Live view can reach an agent the person names; nothing
/// the person drops is ever sent (the browser test records every request).
fn content_security_policy(index: &Path) -> Result<()> {
    use base64::Engine as _;
    use sha2::Digest as _;
    let html = std::fs::read_to_string(index)?;
    if html.contains("Content-Security-Policy") {
        return Ok(());
    }
    let open = "<script type=\"module\">";
    let start = html.find(open).map(|i| i + open.len());
    let end = start.and_then(|s| html[s..].find("</script>").map(|e| s + e));
    let (Some(start), Some(end)) = (start, end) else {
        anyhow::bail!(
            "{}: Trunk's inline loader script was not found",
            index.display()
        );
    };
    let hash = base64::engine::general_purpose::STANDARD
        .encode(sha2::Sha256::digest(&html.as_bytes()[start..end]));
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'sha256-{hash}'; style-src 'self'; img-src 'self' data:; connect-src 'self' http: https:; object-src 'none'; base-uri 'none'; form-action 'none'"
    );
    let meta = format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\" />");
    let html = html.replacen(
        "<meta charset=\"utf-8\" />",
        &format!("<meta charset=\"utf-8\" />\n    {meta}"),
        1,
    );
    std::fs::write(index, html)?;
    println!("xtask: Content-Security-Policy set in {}", index.display());
    Ok(())
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
