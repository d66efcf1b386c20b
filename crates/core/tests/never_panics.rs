//! The core never panics on input: every truncation of a real certificate, tens of thousands of
//! single- and multi-byte mutations of it, and random inputs all give `Ok` or `Err`.
//! (A deterministic stand-in until the cargo-fuzz targets land; same promise, repeatable.)

use tlscope_core::{Policy, Timestamp, asn1, decode, judge};

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn certificate_der() -> Vec<u8> {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params =
        rcgen::CertificateParams::new(vec!["fuzz.example.test".into(), "192.0.2.1".into()])
            .unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "fuzz.example.test");
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    params.self_signed(&key).unwrap().der().to_vec()
}

fn exercise(bytes: &[u8]) {
    if let Ok(d) = decode(bytes) {
        let _ = judge::decoded(&d, &Policy::default(), Timestamp::from_unix(1_800_000_000));
        let _ = serde_json_free_size(&d);
    }
    let _ = asn1::tree(bytes);
}

fn serde_json_free_size(d: &tlscope_core::Decoded) -> usize {
    format!("{d:?}").len()
}

#[test]
fn every_truncation_of_a_certificate_is_an_error_not_a_panic() {
    let der = certificate_der();
    for len in 0..der.len() {
        exercise(&der[..len]);
        assert!(
            decode(&der[..len]).is_err() || len == der.len(),
            "truncation to {len} accepted"
        );
    }
}

#[test]
fn mutated_certificates_never_panic() {
    let der = certificate_der();
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        base64_lines(&der)
    );
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for round in 0..30_000 {
        let mut input = if round % 4 == 0 {
            pem.clone().into_bytes()
        } else {
            der.clone()
        };
        for _ in 0..=rng.below(4) {
            let at = rng.below(input.len());
            match rng.below(3) {
                0 => input[at] ^= 1 << rng.below(8),
                1 => input[at] = rng.next() as u8,
                _ => {
                    input.remove(at);
                }
            }
        }
        exercise(&input);
    }
}

#[test]
fn random_inputs_never_panic() {
    let mut rng = XorShift(0xdead_beef_cafe_f00d);
    for _ in 0..5_000 {
        let len = rng.below(600);
        let mut input: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if let Some(first) = input.first_mut() {
            *first = 0x30; // start like DER so the deeper parsers are reached
        }
        exercise(&input);
    }
}

fn base64_lines(der: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in der.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out.as_bytes()
        .chunks(64)
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The DNS RDATA decoders (CAA, TLSA, HTTPS with ECH) and the QUIC server-flight decoder: every
/// truncation and thousands of mutations of well-formed records give `Ok` or `Err`.
#[test]
fn dns_records_and_quic_flights_never_panic() {
    use tlscope_core::dns;
    let ech = dns::encode_ech_list(1, 0x0020, &[3u8; 32], "public.example.test");
    let mut https = vec![0, 1, 0, 0, 1, 0, 3, 2, b'h', b'2', 0, 5];
    https.extend_from_slice(&(ech.len() as u16).to_be_bytes());
    https.extend_from_slice(&ech);
    let mut tlsa = vec![3, 1, 1];
    tlsa.extend_from_slice(&[7u8; 32]);
    let caa = b"\x00\x05issueletsencrypt.org; accounturi=x".to_vec();
    // ServerHello (TLS 1.3, X25519) then EncryptedExtensions with ALPN and one parameter.
    let mut flight = vec![2, 0, 0, 54, 3, 3];
    flight.extend_from_slice(&[1u8; 32]);
    flight.extend_from_slice(&[
        0, 0x13, 0x01, 0, 0, 14, 0, 43, 0, 2, 3, 4, 0, 51, 0, 4, 0, 0x1d, 0, 0,
    ]);
    flight.extend_from_slice(&[
        8, 0, 0, 17, 0, 15, 0, 16, 0, 5, 0, 3, 2, b'h', b'3', 0, 0x39, 0, 2, 0x0c, 0,
    ]);
    type Decoder<'a> = (&'a [u8], fn(&[u8]));
    let decoders: [Decoder<'_>; 5] = [
        (&https, |b| {
            let _ = dns::decode_svcb(b);
        }),
        (&ech, |b| {
            let _ = dns::decode_svcb(&[&[0, 1, 0, 0, 5, 0, b.len() as u8][..], b].concat());
        }),
        (&tlsa, |b| {
            let _ = dns::decode_tlsa(b);
        }),
        (&caa, |b| {
            let _ = dns::decode_caa(b).map(|c| c.issue_value());
        }),
        (&flight, |b| {
            let _ = tlscope_core::quic::server_flight(b);
        }),
    ];
    assert!(
        tlscope_core::quic::server_flight(&flight).is_ok(),
        "the seed flight decodes"
    );
    let mut rng = XorShift(0x5eed_d15c);
    for (seed, decode) in decoders {
        for len in 0..=seed.len() {
            decode(&seed[..len]);
        }
        for _ in 0..4000 {
            let mut m = seed.to_vec();
            for _ in 0..=rng.below(3) {
                let i = rng.below(m.len());
                m[i] = rng.next() as u8;
            }
            decode(&m);
        }
    }
}

/// Every configuration dialect, including the ones fuzz/fuzz_targets/config.rs covers only
/// with nightly: each corpus file, truncated and byte-mutated, through every parser.
#[test]
fn every_config_parser_survives_mutated_corpus_files() {
    use tlscope_core::config::{self, Kind};
    let policy = Policy::default();
    let now = Timestamp::from_unix(1_800_000_000);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut rng = XorShift(0x5eed_c0f1);
    let mut runs = 0usize;
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_none_or(|e| e != "expected" && e != "pem"))
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read(&path).unwrap();
        let mut inputs: Vec<Vec<u8>> = (0..text.len())
            .step_by(13)
            .map(|n| text[..n].to_vec())
            .collect();
        for _ in 0..200 {
            let mut m = text.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(m.len().max(1));
                if let Some(b) = m.get_mut(at) {
                    const SYNTAX: &[u8] = b"{}[]:;\"'#\n\t -|&*!%";
                    *b = SYNTAX[rng.below(SYNTAX.len())];
                }
            }
            inputs.push(m);
        }
        for input in inputs {
            let Ok(s) = std::str::from_utf8(&input) else {
                continue;
            };
            for kind in Kind::ALL {
                let _ = config::lint(kind, s, &policy, now);
                let _ = config::listeners(kind, s);
                runs += 1;
            }
            // The graph's reading of the same file (listeners or clients), linked.
            let mut facts = tlscope_core::graph::Facts::default();
            facts.add_file(&path.display().to_string(), &input);
            let _ = tlscope_core::graph::link(&facts, &[], &policy, now, None);
        }
    }
    assert!(runs > 50_000, "only {runs} parser runs");
}
