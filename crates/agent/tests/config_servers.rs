//! The HAProxy and Apache httpd dialects against the servers themselves: each configuration is
//! one the real server accepts (`haproxy -c`, `apache2 -t`) and then serves, and what `tlscope
//! lint` says about the file is what `tlscope probe` finds on the running server — one rule,
//! two views of the same setting. The Caddyfile corpus is one Caddy itself reads, and strongSwan's
//! charon refuses exactly the IKE and ESP proposals tlscope calls unknown.

use tlscope_testbed as servers;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn rules(args: &[&str], extra: &[&Path]) -> BTreeSet<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_tlscope"))
        .args(args)
        .args(extra)
        .args(["--format", "json"])
        .output()
        .expect("run tlscope");
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    let input = &doc["inputs"][0];
    assert_eq!(input["error"], Value::Null, "{input:#}");
    input["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str().map(str::to_owned))
        .collect()
}

fn both(lint: &BTreeSet<String>, probe: &BTreeSet<String>, expected: &[&str]) {
    for rule in expected {
        assert!(lint.contains(*rule), "lint misses {rule}: {lint:?}");
        assert!(probe.contains(*rule), "probe misses {rule}: {probe:?}");
    }
}

#[test]
fn haproxy_and_apache_are_judged_alike_in_the_file_and_on_the_wire() {
    let dir = std::env::temp_dir().join(format!("tlscope-cfgsrv-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let pki = servers::Pki::new(&dir.join("pki"));
    let combined = dir.join("site.pem");
    std::fs::write(
        &combined,
        [
            std::fs::read(&pki.cert).expect("cert"),
            std::fs::read(&pki.key).expect("key"),
        ]
        .concat(),
    )
    .expect("combined PEM");
    let ca = pki.ca.to_str().expect("path").to_owned();

    // HAProxy: TLS 1.2 allowed, a CBC and a static-RSA suite, no HSTS, a backend unchecked.
    let port = servers::free_port();
    let config = format!(
        "global\n    ssl-default-bind-ciphers ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA\n    ssl-default-bind-options ssl-min-ver TLSv1.2\n\
         defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n\
         frontend web\n    bind 127.0.0.1:{port} ssl crt {}\n    http-request return status 200 content-type text/plain string ok\n\
         backend app\n    server app1 127.0.0.1:1 ssl verify none\n",
        combined.display()
    );
    let haproxy = servers::haproxy(&dir, &config, port);
    let lint = rules(&["lint"], &[&dir.join("haproxy/haproxy.cfg")]);
    let probe = rules(
        &[
            "probe",
            &format!("https://localhost:{port}/"),
            "--roots",
            &ca,
        ],
        &[],
    );
    both(
        &lint,
        &probe,
        &[
            "TLS-VERSION-MIN",
            "TLS-SUITE-CBC",
            "TLS-NO-FORWARD-SECRECY",
            "WEB-HSTS-MISSING",
        ],
    );
    assert!(lint.contains("WEB-PROXY-VERIFY-OFF"), "{lint:?}");
    drop(haproxy);

    // Apache httpd (mod_ssl): the same weaknesses written its way.
    let port = servers::free_port();
    let modules = "/usr/lib/apache2/modules";
    let root = dir.join("apache");
    let config = format!(
        "ServerRoot {root}\nPidFile {root}/httpd.pid\nErrorLog {root}/error.log\n\
         LoadModule mpm_event_module {modules}/mod_mpm_event.so\n\
         LoadModule authz_core_module {modules}/mod_authz_core.so\n\
         LoadModule ssl_module {modules}/mod_ssl.so\n\
         LoadModule headers_module {modules}/mod_headers.so\n\
         User www-data\nGroup www-data\nListen 127.0.0.1:{port}\nServerName localhost\n\
         <VirtualHost 127.0.0.1:{port}>\n    SSLEngine on\n    SSLCertificateFile {cert}\n    SSLCertificateKeyFile {key}\n\
         \x20   SSLProtocol all -SSLv3 -TLSv1 -TLSv1.1\n    SSLCipherSuite HIGH:!aNULL\n</VirtualHost>\n",
        root = root.display(),
        cert = pki.cert.display(),
        key = pki.key.display(),
    );
    let apache = servers::apache(&dir, &config, port);
    let lint = rules(&["lint"], &[&dir.join("apache/httpd.conf")]);
    let probe = rules(
        &[
            "probe",
            &format!("https://localhost:{port}/"),
            "--roots",
            &ca,
        ],
        &[],
    );
    both(
        &lint,
        &probe,
        &[
            "TLS-VERSION-MIN",
            "TLS-SUITE-CBC",
            "TLS-NO-FORWARD-SECRECY",
            "WEB-HSTS-MISSING",
        ],
    );
    drop(apache);
}

#[test]
fn caddy_reads_the_weak_caddyfile_that_lint_judges() {
    let corpus =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/corpus/caddy-weak.Caddyfile");
    let dir = std::env::temp_dir().join(format!("tlscope-caddy-adapt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let adapted = Command::new("caddy")
        .args(["adapt", "--adapter", "caddyfile", "--config"])
        .arg(&corpus)
        .env("HOME", &dir)
        .env("XDG_DATA_HOME", &dir)
        .env("XDG_CONFIG_HOME", &dir)
        .output()
        .expect("caddy (Debian's, installed by cargo xtask setup)");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        adapted.status.success(),
        "caddy refuses the corpus file: {}",
        String::from_utf8_lossy(&adapted.stderr)
    );
    // What Caddy made of it: the weak protocol floor and the unverified client certificates.
    let json: Value = serde_json::from_slice(&adapted.stdout).expect("caddy's JSON");
    let text = json.to_string();
    assert!(text.contains("\"protocol_min\":\"tls1.2\""), "{text}");
    assert!(text.contains("\"mode\":\"require\""), "{text}");
    assert!(text.contains("\"insecure_skip_verify\":true"), "{text}");
    let lint = rules(&["lint"], &[&corpus]);
    for rule in [
        "TLS-VERSION-MIN",
        "MTLS-CLIENT-NOT-VERIFIED",
        "WEB-PROXY-VERIFY-OFF",
    ] {
        assert!(lint.contains(rule), "lint misses {rule}: {lint:?}");
    }
}

/// One swanctl.conf connection per proposal: charon (the daemon itself, through `swanctl
/// --load-conns`) refuses exactly those tlscope calls unknown to strongSwan, loads the rest,
/// and loads both corpus files whole.
#[test]
fn strongswan_charon_refuses_exactly_the_proposals_tlscope_calls_unknown() {
    use tlscope_core::config::{self, Kind};
    let dir = std::env::temp_dir().join(format!("tlscope-charon-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    let charon = servers::charon(&dir);

    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/corpus");
    for name in [
        "strongswan-good-swanctl.conf",
        "strongswan-weak-swanctl.conf",
    ] {
        let (loaded, text) = charon.load_conns(&corpus.join(name));
        assert!(!loaded.is_empty(), "{name}: {text}");
        assert!(loaded.values().all(|ok| *ok), "{name}: {text}");
    }

    // IKE proposals (the `proposals` of a connection) and ESP ones (a child's).
    let ike = [
        "aes256-sha256-modp3072",
        "aes128-sha1-modp1024",
        "aes256gcm16-prfsha384-ecp384",
        "aes256-sha384-ecp521",
        "3des-md5-modp1024",
        "aes256-sha256-x25519",
        "aes256-sha256-modp9999",
        "aes256-sha257-modp2048",
        "rot13-sha256-modp2048",
        "aes512-sha256-modp2048",
        "aes128gcm17-prfsha256-ecp256",
        "chacha20poly1305-prfsha256-x25519",
        "camellia256ctr-sha512-modp4096",
        "aes256-sha256_96-modp2048",
        "blowfish256-md5-modp1536",
        // Not here: the ML-KEM groups (`ke1_mlkem768`), which strongSwan 6 reads and Debian's
        // charon 5.9.8 predates; tlscope reads them as strongSwan 6 does.
    ];
    let esp = [
        "aes256gcm16-modp3072",
        "aes128-sha1",
        "aes256gcm16-ecp999",
        "aes256-whirlpool",
        "aes256-sha256_96-esn",
        "aes256gmac",
    ];
    let mut conf = String::from("connections {\n");
    let mut lines = Vec::new();
    for (i, p) in ike.iter().enumerate() {
        conf.push_str(&format!("    ike{i} {{\n        proposals = {p}\n"));
        lines.push((format!("ike{i}"), conf.lines().count(), *p));
        conf.push_str("    }\n");
    }
    for (i, p) in esp.iter().enumerate() {
        conf.push_str(&format!(
            "    esp{i} {{\n        proposals = aes256-sha256-modp3072\n        children {{\n            net {{\n                esp_proposals = {p}\n"
        ));
        lines.push((format!("esp{i}"), conf.lines().count(), *p));
        conf.push_str("            }\n        }\n    }\n");
    }
    conf.push_str("}\n");
    let file = dir.join("proposals-swanctl.conf");
    std::fs::write(&file, &conf).expect("swanctl.conf");

    let (loaded, text) = charon.load_conns(&file);
    let findings = config::lint(
        Kind::Swanctl,
        &conf,
        &tlscope_core::Policy::default(),
        tlscope_core::Timestamp::from_unix(1_800_000_000),
    )
    .expect("tlscope reads the file");
    let unknown_lines: BTreeSet<usize> = findings
        .iter()
        .filter(|f| f.rule == "CONFIG-CIPHER-UNKNOWN")
        .filter_map(|f| match &f.location {
            tlscope_core::report::Location::Directive { line, .. }
            | tlscope_core::report::Location::Line { line } => Some(*line),
            _ => None,
        })
        .collect();
    let mut disagreements = Vec::new();
    for (name, line, proposal) in &lines {
        let charon_ok = loaded
            .get(name)
            .copied()
            .unwrap_or_else(|| panic!("swanctl said nothing of {name}: {text}"));
        let tlscope_ok = !unknown_lines.contains(line);
        if charon_ok != tlscope_ok {
            disagreements.push(format!(
                "{proposal}: charon {}, tlscope {}",
                if charon_ok { "loads it" } else { "refuses it" },
                if tlscope_ok {
                    "knows every algorithm"
                } else {
                    "calls an algorithm unknown"
                }
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{disagreements:#?}\nswanctl:\n{text}\nfindings: {findings:#?}"
    );
    // Both sides refused something and accepted something: the comparison had teeth.
    assert!(
        loaded.values().any(|ok| *ok) && loaded.values().any(|ok| !*ok),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
