//! The core's protocol registry against the OpenSSL on this machine: every suite OpenSSL knows
//! that tlscope's registry also lists has the same code, IANA name and OpenSSL name in both
//! (`openssl ciphers -V -stdname`), so a cipher list written for OpenSSL (nginx, PostgreSQL,
//! MariaDB, Redis) is read as OpenSSL reads it.

use std::process::Command;

use tlscope_core::protocol;

#[test]
fn every_suite_openssl_knows_is_spelled_as_openssl_spells_it() {
    let out = Command::new("openssl")
        .args([
            "ciphers",
            "-V",
            "-stdname",
            "ALL:COMPLEMENTOFALL:@SECLEVEL=0",
        ])
        .output()
        .expect("openssl (installed by cargo xtask setup)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut compared = 0;
    for line in text.lines() {
        // "0xC0,0x2C - TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 - ECDHE-ECDSA-AES256-GCM-SHA384 TLSv1.2 …"
        let mut parts = line.split(" - ");
        let (Some(code), Some(iana), Some(rest)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let hex: String = code.trim().replace("0x", "").replace(',', "");
        let Ok(code) = u16::from_str_radix(&hex, 16) else {
            continue;
        };
        let openssl = rest.split_whitespace().next().unwrap_or_default();
        let Some(known) = protocol::suite_by_code(code) else {
            continue;
        };
        assert_eq!(known.iana, iana.trim(), "IANA name of 0x{code:04X}");
        assert_eq!(known.openssl, openssl, "OpenSSL name of 0x{code:04X}");
        assert_eq!(protocol::suite_by_name(openssl), Some(known));
        compared += 1;
    }
    println!("{compared} suites compared with OpenSSL");
    assert!(
        compared >= 30,
        "only {compared} suites in common with OpenSSL:\n{text}"
    );
}

/// The suites `openssl ciphers STRING` enables, by OpenSSL name (TLS 1.2 and below).
fn openssl_expands(string: &str) -> Vec<String> {
    let out = Command::new("openssl")
        .args(["ciphers", "-s", "-tls1_2"])
        .arg(format!("{string}:@SECLEVEL=0"))
        .output()
        .expect("openssl");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .split(':')
        .filter(|s| !s.is_empty() && !s.starts_with("TLS_"))
        .map(str::to_owned)
        .collect()
}

/// The core's cipher-string expansion against OpenSSL's own, for the strings people write
/// (Mozilla's, the databases' defaults, the aliases): the same suites enabled, counted over the
/// suites both know (this OpenSSL build leaves out 3DES, RC4, DES, export and NULL ones).
#[test]
fn cipher_strings_expand_as_openssl_expands_them() {
    let both: Vec<&str> = openssl_expands("ALL:COMPLEMENTOFALL")
        .iter()
        .filter_map(|n| protocol::suite_by_name(n).map(|s| s.openssl))
        .collect();
    assert!(both.len() >= 25, "suites both know: {both:?}");
    let strings = [
        "HIGH",
        "DEFAULT",
        "ALL",
        "HIGH:!aNULL:!MD5",
        "HIGH:MEDIUM:+3DES:!aNULL",
        "ECDHE+AESGCM",
        "EECDH+AESGCM:EDH+AESGCM",
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256",
        "kRSA",
        "aRSA:!kRSA",
        "AES128",
        "AES256+SHA1",
        "SHA256",
        "SHA384",
        "CHACHA20",
        "CAMELLIA",
        "ALL:-kRSA:AES128-SHA",
        "ALL:!kRSA:AES128-SHA",
        "ECDHE:!SHA1:!SHA256:!SHA384",
        "TLSv1.2",
        "aECDSA",
    ];
    let mut compared = 0;
    for s in strings {
        let mut theirs: Vec<String> = openssl_expands(s)
            .into_iter()
            .filter(|n| both.contains(&n.as_str()))
            .collect();
        let mut ours: Vec<String> = tlscope_core::cipher_string::expand(s)
            .suites
            .iter()
            .map(|x| x.openssl.to_owned())
            .filter(|n| both.contains(&n.as_str()))
            .collect();
        theirs.sort();
        ours.sort();
        assert_eq!(ours, theirs, "{s}");
        compared += ours.len();
    }
    assert!(compared > 100, "{compared} suite decisions compared");
}
