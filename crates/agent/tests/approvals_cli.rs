//! M-of-N approvals as operators use them: `ca keygen`, `ca approvals`, `ca propose`,
//! `ca approve`, then `ca rotate --ca` / `ca revoke` with `--proposal`. Refused, with the store
//! unchanged: no proposal, too few approvals, the same operator twice, an unknown operator, a
//! key that is not the operator's, an expired proposal, a proposal for another change, one
//! already applied, and a proposal edited after it was approved.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn run(store: &Path, at: &str, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tlscope"))
        .env_remove("TLSCOPE_STORE_KEY")
        .env("TLSCOPE_STORE", store)
        .args(args)
        .args(["--at", at])
        .stdin(Stdio::null())
        .output()
        .expect("run tlscope");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

const T0: &str = "2026-12-01T00:00:00Z";
const T1: &str = "2026-12-01T01:00:00Z";
const LATER: &str = "2026-12-03T00:00:00Z";

fn ok(store: &Path, args: &[&str]) -> String {
    let (code, out) = run(store, T1, args);
    assert_eq!(code, 0, "tlscope {args:?}: {out}");
    out
}

fn refused(store: &Path, at: &str, args: &[&str], says: &str) {
    let index = store.join("tenants/acme/index.json");
    let before = std::fs::read(&index).expect("index");
    let (code, out) = run(store, at, args);
    assert_eq!(code, 2, "tlscope {args:?} should be refused: {out}");
    assert!(
        out.contains(says),
        "tlscope {args:?}: expected {says:?} in {out}"
    );
    assert_eq!(
        std::fs::read(&index).expect("index"),
        before,
        "{args:?} changed the store"
    );
}

fn field<'a>(out: &'a str, name: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(name))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {name} in {out}"))
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlscope-approvals-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    dir
}

#[test]
fn ca_level_changes_need_m_of_n_valid_approvals() {
    let dir = scratch();
    let store = dir.join("store");
    ok(&store, &["ca", "init", "--tenant", "acme"]);
    ok(
        &store,
        &[
            "ca", "issue", "--tenant", "acme", "--role", "edge", "--name", "e1",
        ],
    );
    let mut keys = Vec::new();
    for who in ["alice", "bob", "carol", "mallory"] {
        let path = dir.join(format!("{who}.key"));
        let out = ok(&store, &["ca", "keygen", "--out", path.to_str().unwrap()]);
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{who}'s key file");
        keys.push((who, path, field(&out, "public key").to_owned()));
    }
    let key = |who: &str| {
        keys.iter()
            .find(|k| k.0 == who)
            .unwrap()
            .1
            .to_str()
            .unwrap()
            .to_owned()
    };
    let operator = |who: &str| format!("{who}={}", keys.iter().find(|k| k.0 == who).unwrap().2);
    // No key material of an operator reaches the store.
    let (alice, bob, carol) = (operator("alice"), operator("bob"), operator("carol"));
    ok(
        &store,
        &[
            "ca",
            "approvals",
            "--tenant",
            "acme",
            "--require",
            "2",
            "--operator",
            &alice,
            "--operator",
            &bob,
            "--operator",
            &carol,
        ],
    );
    let index = std::fs::read_to_string(store.join("tenants/acme/index.json")).unwrap();
    assert!(!index.contains("PRIVATE KEY"));

    // Without a proposal, a CA-level change is refused; the schedule's own work is not.
    refused(
        &store,
        T1,
        &["ca", "rotate", "--tenant", "acme", "--ca"],
        "requires 2 operator approvals",
    );
    refused(
        &store,
        T1,
        &["ca", "revoke", "--tenant", "acme", "--name", "e1"],
        "requires 2 operator approvals",
    );
    ok(&store, &["ca", "rotate", "--tenant", "acme"]);

    let out = ok(
        &store,
        &["ca", "propose", "--tenant", "acme", "--change", "rotate-ca"],
    );
    let id = field(&out, "proposal").to_owned();
    let approve = |who: &str, with: &str| -> Vec<String> {
        [
            "ca",
            "approve",
            "--tenant",
            "acme",
            "--proposal",
            &id,
            "--operator",
            who,
            "--key",
            &key(with),
        ]
        .map(str::to_owned)
        .to_vec()
    };
    fn args(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    let rotate_ca = [
        "ca",
        "rotate",
        "--tenant",
        "acme",
        "--ca",
        "--proposal",
        &id,
    ];
    let revoke_e1 = [
        "ca",
        "revoke",
        "--tenant",
        "acme",
        "--name",
        "e1",
        "--proposal",
        &id,
    ];
    ok(&store, &args(&approve("alice", "alice")));
    // Too few.
    refused(
        &store,
        T1,
        &rotate_ca,
        "1 valid approvals from distinct operators; 2 are required",
    );
    // The same operator twice; an unknown operator; a key that is not the operator's.
    refused(
        &store,
        T1,
        &args(&approve("alice", "alice")),
        "already approved",
    );
    refused(
        &store,
        T1,
        &args(&approve("mallory", "mallory")),
        "not an operator",
    );
    refused(
        &store,
        T1,
        &args(&approve("bob", "mallory")),
        "not the registered key of bob",
    );
    // For another change.
    refused(&store, T1, &revoke_e1, "is for replacing the CA");
    ok(&store, &args(&approve("bob", "bob")));

    // Edited after approval: the signatures no longer verify.
    let index_path = store.join("tenants/acme/index.json");
    let good = std::fs::read_to_string(&index_path).unwrap();
    let tampered = good.replacen(
        "\"change\": \"rotate-ca\"",
        "\"change\": \"revoke\",\n      \"name\": \"e1\"",
        1,
    );
    assert_ne!(tampered, good, "the proposal is in the index");
    std::fs::write(&index_path, &tampered).unwrap();
    refused(
        &store,
        T1,
        &revoke_e1,
        "does not verify: the proposal was changed after it was approved",
    );
    std::fs::write(&index_path, &good).unwrap();

    // Expired.
    refused(&store, LATER, &rotate_ca, "expired");
    // Approved: applied once.
    let out = ok(&store, &rotate_ca);
    assert!(out.contains("ca-rotated"), "{out}");
    refused(&store, T1, &rotate_ca, "already applied");

    // Replacing the rule is itself approved: without a proposal it is refused; with an approved
    // `--change rule` proposal of exactly that rule it applies.
    let weaker = [
        "ca",
        "approvals",
        "--tenant",
        "acme",
        "--require",
        "1",
        "--operator",
        &alice,
    ];
    refused(
        &store,
        T1,
        &weaker,
        "requires 2 operator approvals for a new approval rule",
    );
    let out = ok(
        &store,
        &[
            "ca",
            "propose",
            "--tenant",
            "acme",
            "--change",
            "rule",
            "--require",
            "1",
            "--operator",
            &alice,
        ],
    );
    let rule = field(&out, "proposal").to_owned();
    for who in ["bob", "carol"] {
        ok(
            &store,
            &[
                "ca",
                "approve",
                "--tenant",
                "acme",
                "--proposal",
                &rule,
                "--operator",
                who,
                "--key",
                &key(who),
            ],
        );
    }
    let mut with = weaker.to_vec();
    with.extend(["--proposal", &rule]);
    ok(&store, &with);

    // Every step is in the audit log, the approvals by their operators.
    let log = ok(
        &store,
        &["audit", "show", "--tenant", "acme", "--action", "approval"],
    );
    assert!(
        log.contains("operator/alice") && log.contains("operator/bob"),
        "{log}"
    );
    assert!(log.contains("proposed replacing the CA"), "{log}");
    let _ = T0;
    let _ = std::fs::remove_dir_all(&dir);
}
