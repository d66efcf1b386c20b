//! The core's fingerprints, serials, names and validity agree with the `openssl` command line
//! for certificates openssl itself made: RSA, ECDSA P-256/P-384 and Ed25519, PEM and DER.

mod common;

use common::openssl;
use tlscope_core::{Item, decode};

fn value(line: String) -> String {
    line.split_once('=')
        .map(|(_, v)| v.to_owned())
        .unwrap_or(line)
}

#[test]
fn agrees_with_openssl_for_every_key_type() {
    let dir = std::env::temp_dir().join(format!("tlscope-openssl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let keys: &[(&str, &[&str], &str, u32)] = &[
        ("rsa", &["-newkey", "rsa:2048"], "RSA", 2048),
        (
            "p256",
            &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
            "EC",
            256,
        ),
        (
            "p384",
            &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
            "EC",
            384,
        ),
        ("ed25519", &["-newkey", "ed25519"], "Ed25519", 256),
    ];
    for (name, keyargs, algorithm, bits) in keys {
        let pem = format!("{name}.pem");
        let mut args = vec![
            "req",
            "-x509",
            "-nodes",
            "-keyout",
            "/dev/null",
            "-days",
            "90",
            "-out",
            &pem,
        ];
        args.extend(*keyargs);
        let subject = format!("/C=DE/O=Acme, Inc./CN={name}.example.test");
        args.extend([
            "-subj",
            &subject,
            "-addext",
            "subjectAltName=DNS:a.example.test,IP:192.0.2.1",
        ]);
        openssl(&args, &dir);
        let der = format!("{name}.der");
        openssl(
            &["x509", "-in", &pem, "-outform", "DER", "-out", &der],
            &dir,
        );

        for file in [&pem, &der] {
            let bytes = std::fs::read(dir.join(file)).unwrap();
            let decoded = decode(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
            let Item::Certificate { certificate: c, .. } = &decoded.items[0] else {
                panic!("{file}: not a certificate")
            };
            assert_eq!(
                c.fingerprint_sha256,
                value(openssl(
                    &["x509", "-in", &pem, "-noout", "-fingerprint", "-sha256"],
                    &dir
                )),
                "{file}"
            );
            assert_eq!(
                c.fingerprint_sha1,
                value(openssl(
                    &["x509", "-in", &pem, "-noout", "-fingerprint", "-sha1"],
                    &dir
                )),
                "{file}"
            );
            assert_eq!(
                c.serial,
                value(openssl(&["x509", "-in", &pem, "-noout", "-serial"], &dir)),
                "{file}"
            );
            let rfc2253 = value(openssl(
                &[
                    "x509", "-in", &pem, "-noout", "-subject", "-nameopt", "RFC2253",
                ],
                &dir,
            ));
            assert_eq!(c.subject.rfc4514, rfc2253, "{file}");
            let enddate = value(openssl(
                &[
                    "x509", "-in", &pem, "-noout", "-enddate", "-dateopt", "iso_8601",
                ],
                &dir,
            ));
            assert_eq!(
                c.validity.not_after.to_rfc3339(),
                enddate.replace(' ', "T"),
                "{file}"
            );
            assert_eq!(
                (c.public_key.algorithm.as_str(), c.public_key.bits),
                (*algorithm, *bits),
                "{file}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn showcerts_output_with_surrounding_text_decodes_every_block() {
    let dir = std::env::temp_dir().join(format!("tlscope-showcerts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for cn in ["one", "two"] {
        let (subject, out) = (format!("/CN={cn}"), format!("{cn}.pem"));
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
        let mut args = vec![
            "req",
            "-x509",
            "-nodes",
            "-keyout",
            "/dev/null",
            "-subj",
            &subject,
            "-out",
            &out,
        ];
        args.extend(key);
        openssl(&args, &dir);
    }
    let text_one = openssl(&["x509", "-in", "one.pem", "-text"], &dir);
    let two = std::fs::read_to_string(dir.join("two.pem")).unwrap();
    let transcript = format!(
        "CONNECTED(00000003)\r\n---\r\nCertificate chain\r\n {text_one}\r\n{}\r\n---\r\n",
        two.replace('\n', "\r\n")
    );
    let decoded = decode(transcript.as_bytes()).unwrap();
    assert!(decoded.errors.is_empty(), "{:?}", decoded.errors);
    let cns: Vec<_> = decoded
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Certificate { certificate, .. } => {
                certificate.subject.common_name().map(str::to_owned)
            }
            _ => None,
        })
        .collect();
    assert_eq!(cns, ["one", "two"]);
    let _ = std::fs::remove_dir_all(&dir);
}
