//! Helpers shared by the tests that use the `openssl` command line as an oracle.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `openssl ARGS` in `dir`, failing the test with openssl's stderr; returns its stdout.
pub fn openssl(args: &[&str], dir: &Path) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is installed by `cargo xtask setup`");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A fresh directory under the system temp dir, unique to this test process.
#[allow(dead_code, reason = "not every test file needs a scratch directory")]
pub fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlscope-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create scratch directory");
    dir
}
