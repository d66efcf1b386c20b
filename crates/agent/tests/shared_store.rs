//! One CA store on S3-compatible object storage shared by two writers (two coordinators, or a
//! coordinator and `tlscope ca`), against a real SeaweedFS started on loopback: 2 × 200
//! certificates issued concurrently (all listed, serials unique, index consistent, the
//! compare-and-swap retries counted), one join token raced through both (exactly one wins), a
//! revocation made through one seen by the other, every object server-side encrypted and no
//! object holding a clear private key, and the CLI on `--store s3://`.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use tlscope_agent::ca::enrolment;
use tlscope_agent::ca::identity::NodeRole;
use tlscope_agent::ca::{self, CaError};
use tlscope_agent::enrol_client;
use tlscope_agent::store::Store;
use tlscope_agent::store::audit::Action;
use tlscope_agent::store::object::{S3Location, StaticCredentials};
use tlscope_agent::store::sealing::SealingKey;
use tlscope_core::{Policy, Timestamp};
use tlscope_testbed::SeaweedS3;

const STORE_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlscope-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    dir
}

fn location(s3: &SeaweedS3, prefix: &str) -> S3Location {
    S3Location {
        endpoint: Some(s3.endpoint.clone()),
        credentials: Some(StaticCredentials {
            access_key_id: s3.access_key.clone(),
            secret_access_key: s3.secret_key.clone(),
        }),
        ..S3Location::parse(&format!("s3://{}/{prefix}", s3.bucket)).expect("location")
    }
}

fn open(s3: &SeaweedS3, prefix: &str) -> Store {
    let key = SealingKey::from_bytes(STORE_KEY.as_bytes()).expect("store key");
    Store::open_objects(location(s3, prefix), Some(key)).expect("open the shared store")
}

/// `curl --aws-sigv4` on one object: its response headers, and its body.
fn curl_object(s3: &SeaweedS3, key: &str, head: bool) -> String {
    let mut cmd = Command::new("curl");
    cmd.args([
        "-sS",
        "--max-time",
        "10",
        "--aws-sigv4",
        "aws:amz:us-east-1:s3",
        "--user",
    ])
    .arg(format!("{}:{}", s3.access_key, s3.secret_key));
    if head {
        cmd.arg("-I");
    }
    let out = cmd
        .arg(format!("{}/{}/{key}", s3.endpoint, s3.bucket))
        .output()
        .expect("curl");
    assert!(
        out.status.success(),
        "curl {key}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every object key under `prefix` in the bucket (ListObjectsV2 through curl, 1000 a page).
fn object_keys(s3: &SeaweedS3, prefix: &str) -> Vec<String> {
    let encode = |v: &str| {
        v.replace('%', "%25")
            .replace('/', "%2F")
            .replace('+', "%2B")
            .replace('=', "%3D")
    };
    let mut keys = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..100 {
        // SigV4 signs the canonical query: parameters sorted, values percent-encoded.
        let query = match &token {
            Some(t) => format!(
                "?continuation-token={}&list-type=2&max-keys=1000&prefix={}",
                encode(t),
                encode(prefix)
            ),
            None => format!("?list-type=2&max-keys=1000&prefix={}", encode(prefix)),
        };
        let listing = curl_object(s3, &query, false);
        keys.extend(
            listing
                .split("<Key>")
                .skip(1)
                .filter_map(|k| k.split("</Key>").next())
                .map(str::to_owned),
        );
        token = listing
            .split("<NextContinuationToken>")
            .nth(1)
            .and_then(|t| t.split("</NextContinuationToken>").next())
            .map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    keys
}

#[test]
fn two_writers_share_one_store_on_object_storage() {
    let dir = scratch("shared-store");
    let s3 = tlscope_testbed::seaweedfs(&dir, "tlscope", "127.0.0.1", None);
    let policy = Policy::default();
    let now = Timestamp::parse_rfc3339("2026-11-23T00:00:00Z").unwrap();
    let (a, b) = (Arc::new(open(&s3, "mesh")), Arc::new(open(&s3, "mesh")));
    ca::init(&a, "acme", &policy, now).expect("init through A");
    assert_eq!(b.tenants().unwrap(), ["acme"], "B sees the tenant A made");

    // 2 × 200 certificates issued concurrently through the two writers.
    let started = Instant::now();
    let writers: Vec<_> = [("a", Arc::clone(&a)), ("b", Arc::clone(&b))]
        .into_iter()
        .map(|(side, store)| {
            let policy = policy.clone();
            std::thread::spawn(move || {
                for i in 0..200 {
                    ca::issue(
                        &store,
                        "acme",
                        NodeRole::Edge,
                        &format!("{side}{i}"),
                        &policy,
                        now,
                    )
                    .unwrap_or_else(|e| panic!("issue {side}{i}: {e}"));
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("writer");
    }
    let elapsed = started.elapsed();
    let conflicts = a.conflicts() + b.conflicts();
    let listed = ca::list(&b, "acme").unwrap();
    let nodes: Vec<_> = listed
        .iter()
        .filter(|l| l.role == tlscope_core::rotation::Role::Edge)
        .collect();
    assert_eq!(nodes.len(), 400, "every certificate is listed");
    let serials: BTreeSet<&str> = listed.iter().map(|l| l.serial.as_str()).collect();
    assert_eq!(serials.len(), listed.len(), "serials are unique");
    b.verify(&b.read_index("acme").unwrap())
        .expect("every file the index names is intact");
    println!(
        "2 x 200 concurrent issues: {:.1} s ({:.1} ms per commit), {conflicts} compare-and-swap retries",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1000.0 / 400.0
    );

    // One join token raced through both writers: exactly one enrolment.
    let token = enrolment::token(&a, "acme", NodeRole::Edge, "racer", 900, now).unwrap();
    let (_, csr) = enrol_client::key_and_csr(None).unwrap();
    let results: Vec<Result<_, CaError>> = [Arc::clone(&a), Arc::clone(&b)]
        .into_iter()
        .map(|store| {
            let (token, csr, policy) = (token.token.clone(), csr.clone(), policy.clone());
            std::thread::spawn(move || {
                enrolment::enroll(&store, "acme", &token, csr.as_bytes(), &policy, now)
            })
        })
        .map(|h| h.join().expect("racer"))
        .collect();
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{:?}",
        results
            .iter()
            .map(|r| r.as_ref().err().map(ToString::to_string))
            .collect::<Vec<_>>()
    );

    // A revocation through A is what B reads.
    ca::revoke(&a, "acme", "a7", now).unwrap();
    let revoked = ca::list(&b, "acme")
        .unwrap()
        .into_iter()
        .find(|l| l.name == "a7")
        .unwrap();
    assert_eq!(revoked.state, ca::CertificateState::Revoked);

    // Regression (mesh_years days 301 and 641, `crl/…-63.pem: another writer changed the store
    // first`): a change whose index commit lost leaves its CRL object behind. Named by the CRL
    // number alone, that object took the number for good and every later change that signed
    // a CRL failed its 64 attempts. An object left at the next number no longer blocks it.
    let index = a.read_index("acme").unwrap();
    for ca_record in &index.cas {
        let orphan = format!("crl/{}-{}.pem", ca_record.serial, index.next_crl_number);
        a.write_file("acme", &orphan, b"left by a commit that lost", false)
            .unwrap();
    }
    ca::revoke(&b, "acme", "b7", now).expect("a CRL is signed past an orphaned CRL object");

    // The audit log holds exactly the committed changes, in one chain, although the writers'
    // lost commits left segments of their own: init, 400 issues, the token, one enrolment, the
    // revocation (and the CRL it re-signed, recorded with it).
    let log = ca::audit_log(&b, "acme")
        .unwrap()
        .unwrap_or_else(|broken| panic!("the shared log does not verify: {broken}"));
    let count = |action: Action| log.iter().filter(|e| e.action == action).count();
    assert_eq!(count(Action::Init), 1);
    assert_eq!(count(Action::Issue), 400);
    assert_eq!(count(Action::Token), 1);
    assert_eq!(count(Action::Enrol), 1);
    assert!(count(Action::Revoke) >= 1);
    let segments = object_keys(&s3, "mesh/tenants/acme/audit/").len();
    println!(
        "audit log: {} entries; {segments} segments stored, {} left by commits that lost",
        log.len(),
        segments.saturating_sub(404)
    );

    // Every object is server-side encrypted; none holds a clear private key.
    let keys = object_keys(&s3, "mesh/tenants/acme/");
    assert!(
        keys.len() > 800,
        "{} objects; the listing said: {}",
        keys.len(),
        curl_object(
            &s3,
            "?list-type=2&max-keys=1000&prefix=mesh%2Ftenants%2Facme%2F",
            false
        )
    );
    for key in keys
        .iter()
        .step_by(37)
        .chain(keys.iter().filter(|k| k.ends_with("index.json")))
    {
        let headers = curl_object(&s3, key, true).to_ascii_lowercase();
        assert!(
            headers.contains("x-amz-server-side-encryption: aes256"),
            "{key} is not encrypted at rest:\n{headers}"
        );
    }
    for key in keys
        .iter()
        .filter(|k| k.contains("/keys/") || k.contains("/ca/"))
    {
        let body = curl_object(&s3, key, false);
        assert!(
            !body.contains("PRIVATE KEY"),
            "{key} holds a clear private key"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_command_line_runs_on_an_s3_store_and_refuses_one_without_a_store_key() {
    let dir = scratch("shared-store-cli");
    let s3 = tlscope_testbed::seaweedfs(&dir, "cli", "127.0.0.1", None);
    let tlscope = |args: &[&str], key: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tlscope"));
        c.env("AWS_ACCESS_KEY_ID", &s3.access_key)
            .env("AWS_SECRET_ACCESS_KEY", &s3.secret_key)
            .env("TLSCOPE_S3_ENDPOINT", &s3.endpoint)
            .env("TLSCOPE_STORE", format!("s3://{}/p", s3.bucket));
        if key {
            c.env("TLSCOPE_STORE_KEY", STORE_KEY);
        } else {
            c.env_remove("TLSCOPE_STORE_KEY");
        }
        let out = c.args(args).output().expect("run tlscope");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, _, err) = tlscope(&["ca", "init", "--tenant", "t"], false);
    assert_eq!(code, 2);
    assert!(err.contains("needs a store key"), "{err}");
    let (code, out, err) = tlscope(&["ca", "init", "--tenant", "t"], true);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("s3://cli/p"), "{out}");
    let (code, _, err) = tlscope(
        &[
            "ca", "issue", "--tenant", "t", "--role", "edge", "--name", "e1",
        ],
        true,
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = tlscope(&["ca", "list", "--tenant", "t", "--json"], true);
    assert_eq!(code, 0, "{err}");
    let rows: serde_json::Value = serde_json::from_str(&out).expect("list JSON");
    assert!(
        rows.as_array()
            .is_some_and(|r| r.iter().any(|r| r["name"] == "e1")),
        "{rows}"
    );
    // The shared credentials file is read when the environment names no key (AWS_PROFILE).
    let credentials = dir.join("aws-credentials");
    std::fs::write(
        &credentials,
        format!(
            "[default]\naws_access_key_id = wrong\naws_secret_access_key = wrong\n\n[ci]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            s3.access_key, s3.secret_key
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tlscope"))
        .args(["ca", "list", "--tenant", "t", "--json"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .env("AWS_PROFILE", "ci")
        .env("TLSCOPE_S3_ENDPOINT", &s3.endpoint)
        .env("TLSCOPE_STORE", format!("s3://{}/p", s3.bucket))
        .env("TLSCOPE_STORE_KEY", STORE_KEY)
        .output()
        .expect("run tlscope");
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("\"e1\""),
        "with the ci profile: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Credentials are never flags.
    let (code, _, err) = tlscope(&["ca", "list", "--aws-secret-access-key", "x"], true);
    assert_eq!(code, 2, "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
