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
