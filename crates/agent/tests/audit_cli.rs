//! `tlscope audit` as an operator runs it: every CA operation lands in the tenant's hash-chained
//! log; `audit verify` passes on the log as written and names the first broken or missing entry
//! after each kind of tampering (an edited field, a rewritten hash, a deleted segment, a
//! deleted last segment, reordered lines, swapped segments, an inserted entry); `audit show`
//! filters.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tlscope_agent::store::audit::Entry;

const AT: &str = "2026-12-01T00:00:00Z";

fn tlscope(store: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tlscope"));
    c.env_remove("TLSCOPE_STORE_KEY")
        .env("TLSCOPE_STORE", store)
        .env("USER", "alice")
        .stdin(Stdio::null());
    c
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("run tlscope");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(store: &Path, args: &[&str]) -> String {
    let (code, out, err) = run(tlscope(store).args(args).args(["--at", AT]));
    assert_eq!(code, 0, "tlscope {args:?}: {out}{err}");
    out
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlscope-audit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

/// The segments of the tenant's log, oldest first.
fn segments(store: &Path) -> Vec<PathBuf> {
    let mut s: Vec<PathBuf> = std::fs::read_dir(store.join("tenants/acme/audit"))
        .expect("audit dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    s.sort();
    s
}

/// `audit verify` on a copy of `store` changed by `tamper`: (exit code, what it said).
fn verify_after(store: &Path, name: &str, tamper: impl FnOnce(&Path)) -> (i32, String) {
    let copy = scratch(name);
    copy_dir(store, &copy);
    tamper(&copy);
    let (code, out, err) = run(tlscope(&copy).args(["audit", "verify", "--tenant", "acme"]));
    let _ = std::fs::remove_dir_all(&copy);
    (code, format!("{out}{err}"))
}

fn edit(path: &Path, f: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(path).expect("segment");
    std::fs::write(path, f(text)).expect("write segment");
}

#[test]
fn every_ca_operation_is_chained_and_every_kind_of_tampering_is_found() {
    let dir = scratch("store");
    let store = dir.join("store");
    ok(&store, &["ca", "init", "--tenant", "acme"]);
    ok(
        &store,
        &[
            "ca", "issue", "--tenant", "acme", "--role", "edge", "--name", "e1",
        ],
    );
    ok(
        &store,
        &[
            "ca", "issue", "--tenant", "acme", "--role", "edge", "--name", "e2",
        ],
    );
    ok(&store, &["ca", "token", "--tenant", "acme", "--name", "e3"]);
    ok(
        &store,
        &["ca", "revoke", "--tenant", "acme", "--name", "e2"],
    );
    ok(&store, &["ca", "rotate", "--tenant", "acme", "--ca"]);

    let out = ok(&store, &["audit", "verify", "--tenant", "acme"]);
    assert!(out.contains("chain intact"), "{out}");
    let all = ok(&store, &["audit", "show", "--tenant", "acme", "--json"]);
    let entries: Vec<serde_json::Value> = all
        .lines()
        .map(|l| serde_json::from_str(l).expect("entry JSON"))
        .collect();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in ["init", "issue", "token", "revoke", "rotate-ca", "renew"] {
        assert!(actions.contains(&expected), "no {expected} in {actions:?}");
    }
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e["seq"], i as u64 + 1, "{e}");
        assert_eq!(e["actor"], "cli/alice", "{e}");
        if i > 0 {
            assert_eq!(
                e["prev"],
                entries[i - 1]["hash"],
                "entry {} chains to {i}",
                i + 1
            );
        }
    }
    // Filters.
    let revokes = ok(
        &store,
        &["audit", "show", "--tenant", "acme", "--action", "revoke"],
    );
    assert!(
        revokes.lines().count() >= 1 && revokes.lines().all(|l| l.contains("revoke")),
        "{revokes}"
    );
    assert!(revokes.contains("e2"), "{revokes}");
    let e1 = ok(
        &store,
        &[
            "audit",
            "show",
            "--tenant",
            "acme",
            "--subject",
            "e1",
            "--json",
        ],
    );
    assert!(
        e1.lines().count() >= 2 && e1.lines().all(|l| l.contains("\"subject\":\"e1\"")),
        "{e1}"
    );
    let (code, _, err) =
        run(tlscope(&store).args(["audit", "show", "--tenant", "acme", "--action", "reboot"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("expected one of"), "{err}");

    let segs = segments(&store);
    assert!(segs.len() >= 6, "one segment per change: {segs:?}");
    let name = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();

    // An edited field.
    let third = name(&segs[2]);
    let (code, said) = verify_after(&store, "edited", |s| {
        edit(&s.join("tenants/acme/audit").join(&third), |t| {
            t.replacen("\"e2\"", "\"e9\"", 1)
        })
    });
    assert_eq!(code, 1, "{said}");
    assert!(
        said.contains("entry 3") && said.contains("was altered"),
        "{said}"
    );

    // An edited field with its hash recomputed, as anyone can (the hash has no secret): entry 3
    // is consistent again, but it is not the entry 4 names.
    let (code, said) = verify_after(&store, "rehashed", |s| {
        let path = s.join("tenants/acme/audit").join(&third);
        edit(&path, |t| {
            let mut e: Entry = serde_json::from_str(t.lines().next().unwrap()).unwrap();
            e.subject = "e9".into();
            e.hash = e.digest();
            format!("{}\n", serde_json::to_string(&e).unwrap())
        })
    });
    assert_eq!(code, 1, "{said}");
    assert!(
        said.contains("entry 3 is missing") && said.contains("entry 4 names"),
        "{said}"
    );

    // A deleted segment in the middle.
    let second = name(&segs[1]);
    let (code, said) = verify_after(&store, "deleted", |s| {
        std::fs::remove_file(s.join("tenants/acme/audit").join(&second)).unwrap()
    });
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("entry 2 is missing"), "{said}");

    // The last segment deleted: the log no longer reaches the head the index names.
    let last = name(segs.last().unwrap());
    let (code, said) = verify_after(&store, "truncated", |s| {
        std::fs::remove_file(s.join("tenants/acme/audit").join(&last)).unwrap()
    });
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("removed from the end"), "{said}");

    // Two lines of a segment swapped.
    let many = segs
        .iter()
        .find(|p| std::fs::read_to_string(p).unwrap().lines().count() >= 2)
        .map(|p| name(p))
        .expect("a change with several entries (the CA rotation)");
    let (code, said) = verify_after(&store, "reordered", |s| {
        edit(&s.join("tenants/acme/audit").join(&many), |t| {
            let mut lines: Vec<&str> = t.lines().collect();
            lines.swap(0, 1);
            lines.join("\n") + "\n"
        })
    });
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("reordered"), "{said}");

    // Two segments' contents swapped (each renamed to the other).
    let (a, b) = (name(&segs[1]), name(&segs[2]));
    let (code, said) = verify_after(&store, "swapped", |s| {
        let d = s.join("tenants/acme/audit");
        std::fs::rename(d.join(&a), d.join("tmp")).unwrap();
        std::fs::rename(d.join(&b), d.join(&a)).unwrap();
        std::fs::rename(d.join("tmp"), d.join(&b)).unwrap();
    });
    // Sequence numbers travel with their entries, so the chain reads the same: swapping whole
    // files is no reordering of the log. Swapping their entries' numbers is.
    assert_eq!(code, 0, "{said}");
    let (code, said) = verify_after(&store, "renumbered", |s| {
        let d = s.join("tenants/acme/audit");
        edit(&d.join(&a), |t| t.replacen("\"seq\":2,", "\"seq\":3,", 1));
        edit(&d.join(&b), |t| t.replacen("\"seq\":3,", "\"seq\":2,", 1));
    });
    assert_eq!(code, 1, "{said}");
    assert!(
        said.contains("entry 3") && said.contains("is numbered 2"),
        "{said}"
    );

    // An entry inserted in the middle, however well-formed.
    let (code, said) = verify_after(&store, "inserted", |s| {
        let d = s.join("tenants/acme/audit");
        edit(&d.join(&a), |t| {
            let mut e: serde_json::Value = serde_json::from_str(t.lines().next().unwrap()).unwrap();
            e["subject"] = "intruder".into();
            format!("{e}\n{t}")
        });
    });
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("entry 2"), "{said}");

    let _ = std::fs::remove_dir_all(&dir);
}
