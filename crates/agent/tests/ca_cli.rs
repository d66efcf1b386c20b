//! `tlscope ca`, `coordinator` and `edge` as a user runs them: crash safety under SIGKILL during
//! issuing and rotation, sealed keys, and bad input (damaged store files, wrong or missing store
//! key, unknown tenant, a port in use) each giving a clear error, exit 2, and an unchanged store.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn tlscope(store: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tlscope"));
    c.env_remove("TLSCOPE_STORE_KEY")
        .env("TLSCOPE_STORE", store);
    c
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.stdin(Stdio::null()).output().expect("run tlscope");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlscope-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    dir
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n != "lock") {
                out.insert(p.clone(), std::fs::read(&p).expect("read"));
            }
        }
    }
    out
}

fn list(store: &Path, tenant: &str) -> Vec<serde_json::Value> {
    let (code, out, err) = run(tlscope(store).args(["ca", "list", "--tenant", tenant, "--json"]));
    assert_eq!(code, 0, "ca list failed: {err}");
    serde_json::from_str(&out).expect("list JSON")
}

#[test]
fn sigkill_during_issuing_and_rotation_loses_nothing_and_leaves_nothing_half_written() {
    let dir = scratch("crash");
    let store = dir.join("store");
    assert_eq!(
        run(tlscope(&store).args(["ca", "init", "--tenant", "t"])).0,
        0
    );
    let mut completed: Vec<String> = Vec::new();
    let (mut killed, mut finished) = (0, 0);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15 ^ u64::from(std::process::id());
    for i in 0..48 {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let delay = Duration::from_millis((seed >> 33) % 120);
        let name = format!("n{i}");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tlscope"));
        match i % 4 {
            0 | 1 => cmd.args([
                "ca", "issue", "--tenant", "t", "--role", "edge", "--name", &name,
            ]),
            2 => cmd.args(["ca", "rotate", "--tenant", "t"]),
            _ => cmd.args(["ca", "rotate", "--tenant", "t", "--ca"]),
        };
        cmd.env_remove("TLSCOPE_STORE").arg("--store").arg(&store);
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(delay);
        match child.try_wait().expect("wait") {
            Some(status) => {
                finished += 1;
                assert!(status.success(), "step {i} failed on its own");
                if i % 4 < 2 {
                    completed.push(name);
                }
            }
            None => {
                child.kill().expect("SIGKILL");
                let _ = child.wait();
                killed += 1;
            }
        }
        // After every step, killed or not, the store reads whole and nothing acknowledged is lost.
        let rows = list(&store, "t");
        for n in &completed {
            let current: Vec<_> = rows
                .iter()
                .filter(|r| r["name"] == n.as_str() && r["state"] == "current")
                .collect();
            assert_eq!(
                current.len(),
                1,
                "step {i}: {n} has {} current certificates",
                current.len()
            );
        }
        let active = rows.iter().filter(|r| r["state"] == "active").count();
        assert_eq!(active, 1, "step {i}: exactly one active CA");
    }
    eprintln!(
        "crash test: {killed} runs killed, {finished} finished, {} issues acknowledged",
        completed.len()
    );
    assert!(
        killed >= 3 && finished >= 3 && completed.len() >= 2,
        "killed {killed}, finished {finished}, acknowledged {}",
        completed.len()
    );
    // A completed change sweeps what interrupted ones left: every file is named by the index.
    assert_eq!(
        run(tlscope(&store).args(["ca", "rotate", "--tenant", "t"])).0,
        0
    );
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.join("tenants/t/index.json")).expect("index"))
            .expect("index JSON");
    let text = index.to_string();
    for path in snapshot(&store.join("tenants/t")).keys() {
        let rel = path
            .strip_prefix(store.join("tenants/t"))
            .expect("rel")
            .to_string_lossy()
            .into_owned();
        // Audit segments are reached from the head the index names, not named one by one.
        assert!(
            rel == "index.json" || rel.starts_with("audit/") || text.contains(&rel),
            "stray file {rel}"
        );
    }
    // The audit log verifies, and every segment left is on its chain: killed runs left none.
    let (code, out, err) = run(tlscope(&store).args(["audit", "verify", "--tenant", "t"]));
    assert_eq!(code, 0, "{out}{err}");
    let (code, shown, err) =
        run(tlscope(&store).args(["audit", "show", "--tenant", "t", "--json"]));
    assert_eq!(code, 0, "{err}");
    let on_disk: usize = snapshot(&store.join("tenants/t/audit"))
        .values()
        .map(|b| String::from_utf8_lossy(b).lines().count())
        .sum();
    assert_eq!(
        on_disk,
        shown.lines().count(),
        "entries off the chain remain"
    );
    assert!(
        shown.lines().count() > completed.len(),
        "init, every acknowledged issue and the rotations are in the log: {shown}"
    );
    for n in &completed {
        let out = dir.join(format!("export-{n}"));
        let (code, _, err) = run(tlscope(&store)
            .args(["ca", "export", "--tenant", "t", "--name", n])
            .arg("--out")
            .arg(&out));
        assert_eq!(code, 0, "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn damaged_store_files_give_clear_errors_and_change_nothing() {
    let dir = scratch("damage");
    let store = dir.join("store");
    assert_eq!(
        run(tlscope(&store).args(["ca", "init", "--tenant", "t"])).0,
        0
    );
    assert_eq!(
        run(tlscope(&store).args([
            "ca", "issue", "--tenant", "t", "--role", "edge", "--name", "e1"
        ]))
        .0,
        0
    );
    let rows = list(&store, "t");
    let serial = rows.iter().find(|r| r["name"] == "e1").expect("e1")["serial"]
        .as_str()
        .expect("serial")
        .to_owned();

    // A truncated certificate.
    let cert = store.join(format!("tenants/t/certs/{serial}.pem"));
    let bytes = std::fs::read(&cert).expect("cert");
    std::fs::write(&cert, &bytes[..bytes.len() / 2]).expect("truncate");
    let before = snapshot(&store);
    for args in [
        vec!["ca", "list", "--tenant", "t"],
        vec![
            "ca", "issue", "--tenant", "t", "--role", "edge", "--name", "e2",
        ],
        vec!["ca", "rotate", "--tenant", "t"],
    ] {
        let (code, _, err) = run(tlscope(&store).args(&args));
        assert_eq!(code, 2, "{args:?}");
        assert!(
            err.contains(&format!("certs/{serial}.pem")) && err.contains("changed or truncated"),
            "{args:?}: {err}"
        );
        assert_eq!(snapshot(&store), before, "{args:?} changed the store");
    }
    std::fs::write(&cert, &bytes).expect("restore");

    // A truncated index.
    let index = store.join("tenants/t/index.json");
    let text = std::fs::read(&index).expect("index");
    std::fs::write(&index, &text[..text.len() / 3]).expect("truncate");
    let before = snapshot(&store);
    let (code, _, err) = run(tlscope(&store).args([
        "ca", "issue", "--tenant", "t", "--role", "edge", "--name", "e2",
    ]));
    assert_eq!(code, 2);
    assert!(err.contains("index.json") && err.contains("line"), "{err}");
    assert_eq!(snapshot(&store), before);
    std::fs::write(&index, &text).expect("restore");

    // An unknown tenant names the ones that exist.
    let (code, _, err) = run(tlscope(&store).args(["ca", "list", "--tenant", "nope"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown tenant \"nope\"") && err.contains("known tenants: t"),
        "{err}"
    );
    let (code, _, err) = run(tlscope(&store).args(["ca", "init", "--tenant", "t"]));
    assert_eq!(code, 2);
    assert!(err.contains("already exists"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sealed_keys_need_the_right_store_key() {
    let dir = scratch("sealed");
    let store = dir.join("store");
    let (k1, k2) = (dir.join("k1"), dir.join("k2"));
    std::fs::write(&k1, "11".repeat(32)).expect("k1");
    std::fs::write(&k2, "22".repeat(32)).expect("k2");
    let with = |key: &Path, args: &[&str]| {
        let mut c = tlscope(&store);
        c.args(args).arg("--store-key-file").arg(key);
        c
    };
    let (code, out, err) = run(&mut with(&k1, &["ca", "init", "--tenant", "s"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("keys sealed"), "{out}");
    assert_eq!(
        run(&mut with(
            &k1,
            &[
                "ca", "issue", "--tenant", "s", "--role", "edge", "--name", "e1"
            ]
        ))
        .0,
        0
    );
    for (path, body) in snapshot(&store.join("tenants/s")) {
        let text = String::from_utf8_lossy(&body);
        assert!(
            !text.contains("PRIVATE KEY"),
            "{} holds a clear key",
            path.display()
        );
    }
    let before = snapshot(&store);
    let (code, _, err) = run(&mut with(
        &k2,
        &[
            "ca", "issue", "--tenant", "s", "--role", "edge", "--name", "e2",
        ],
    ));
    assert_eq!(code, 2);
    assert!(
        err.contains("not the one its keys were sealed with"),
        "{err}"
    );
    let (code, _, err) = run(tlscope(&store).args(["ca", "list", "--tenant", "s"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("keeps its keys encrypted") && err.contains("TLSCOPE_STORE_KEY"),
        "{err}"
    );
    assert_eq!(
        snapshot(&store),
        before,
        "nothing written by refused commands"
    );
    // The environment variable works as the file does; export writes the key in the clear, 0600.
    let out = dir.join("export");
    let (code, _, err) = run(tlscope(&store)
        .env("TLSCOPE_STORE_KEY", "11".repeat(32))
        .args(["ca", "export", "--tenant", "s", "--name", "e1"])
        .arg("--out")
        .arg(&out));
    assert_eq!(code, 0, "{err}");
    let key = std::fs::read_to_string(out.join("key.pem")).expect("key.pem");
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"));
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(out.join("key.pem"))
            .expect("meta")
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_port_in_use_is_a_clear_error() {
    let dir = scratch("port");
    let store = dir.join("store");
    assert_eq!(
        run(tlscope(&store).args(["ca", "init", "--tenant", "t"])).0,
        0
    );
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = busy.local_addr().expect("addr").to_string();
    let (code, _, err) = run(tlscope(&store).args([
        "coordinator",
        "--tenant",
        "t",
        "--listen",
        &addr,
        "--mtls-listen",
        "127.0.0.1:0",
    ]));
    assert_eq!(code, 2);
    assert!(err.contains(&format!("cannot listen on {addr}")), "{err}");
    let (code, _, err) = run(tlscope(&store).args([
        "edge",
        "--tenant",
        "t",
        "--name",
        "missing",
        "--coordinator",
        &addr,
    ]));
    assert_eq!(code, 2);
    assert!(
        err.contains("no current certificate for \"missing\""),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 16: `ca list` printed serials in lowercase, `inspect` (like openssl) in uppercase.
#[test]
fn a_serial_prints_the_same_in_ca_list_and_inspect() {
    let store = scratch("serial-spelling");
    let (code, _, err) = run(tlscope(&store).args(["ca", "init", "--tenant", "t"]));
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(tlscope(&store).args([
        "ca", "issue", "--tenant", "t", "--role", "edge", "--name", "e1",
    ]));
    assert_eq!(code, 0, "{err}");
    let listed = list(&store, "t")
        .into_iter()
        .find(|r| r["name"] == "e1")
        .expect("e1 listed")["serial"]
        .as_str()
        .expect("serial")
        .to_owned();
    let out_dir = store.join("export");
    let (code, _, err) = run(tlscope(&store)
        .args(["ca", "export", "--tenant", "t", "--name", "e1", "--out"])
        .arg(&out_dir));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(Command::new(env!("CARGO_BIN_EXE_tlscope"))
        .args(["inspect", "--json", "--purpose", "client", "--roots"])
        .arg(out_dir.join("ca.pem"))
        .arg(out_dir.join("cert.pem")));
    assert_eq!(code, 0, "{err}{out}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("inspect JSON");
    let inspected = doc["inputs"][0]["decoded"]["items"][0]["certificate"]["serial"]
        .as_str()
        .unwrap_or_else(|| panic!("no serial in {doc:#}"));
    assert_eq!(listed, inspected);
    let _ = std::fs::remove_dir_all(&store);
}
