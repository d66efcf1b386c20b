//! A cryptographic bill of materials: a report document as CycloneDX 1.6 (`--format cbom`).
//! Every certificate found (in files, or served by a probed endpoint) becomes a certificate
//! asset with its public key and its algorithms; every probed endpoint a TLS protocol asset per
//! version, with its cipher suites and key-exchange groups; each asset says where it was found.
//! Assets are deduplicated by content (a certificate by its SHA-256, an algorithm by name).

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::certificate::Certificate;
use crate::export::Document;
use crate::protocol::{TlsVersion, group_by_name, suite_by_name};

/// The assets, keyed by bom-ref so each appears once, with the places it was found.
#[derive(Default)]
struct Assets {
    components: BTreeMap<String, Value>,
    found: BTreeMap<String, Vec<String>>,
}

impl Assets {
    fn add(&mut self, bom_ref: String, component: Value, location: &str) {
        self.components.entry(bom_ref.clone()).or_insert(component);
        let places = self.found.entry(bom_ref).or_default();
        if !places.iter().any(|p| p == location) {
            places.push(location.to_owned());
        }
    }

    fn algorithm(
        &mut self,
        name: &str,
        primitive: &str,
        functions: &[&str],
        location: &str,
    ) -> String {
        let bom_ref = format!("algorithm:{name}");
        let mut properties = json!({
            "primitive": primitive,
            "cryptoFunctions": functions,
        });
        if let Some(level) = quantum_level(name) {
            properties["nistQuantumSecurityLevel"] = json!(level);
        }
        self.add(
            bom_ref.clone(),
            json!({
                "type": "cryptographic-asset",
                "bom-ref": bom_ref,
                "name": name,
                "cryptoProperties": {
                    "assetType": "algorithm",
                    "algorithmProperties": properties,
                },
            }),
            location,
        );
        bom_ref
    }

    fn certificate(&mut self, c: &Certificate, location: &str) {
        let fingerprint: String = Sha256::digest(&c.der)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let signature = self.algorithm(
            &c.signature_algorithm,
            "signature",
            &["sign", "verify"],
            location,
        );
        let key_algorithm = key_algorithm_name(c);
        let key_primitive = if c.public_key.algorithm.starts_with("ML-KEM") {
            "kem"
        } else {
            "signature"
        };
        let key_alg = self.algorithm(&key_algorithm, key_primitive, &["verify"], location);
        let spki: String = crate::certificate::spki_der(&c.der)
            .map(|d| {
                Sha256::digest(&d)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect()
            })
            .unwrap_or_else(|| fingerprint.clone());
        let key_ref = format!("key:{spki}");
        self.add(
            key_ref.clone(),
            json!({
                "type": "cryptographic-asset",
                "bom-ref": key_ref,
                "name": format!("{} public key", c.public_key.describe()),
                "cryptoProperties": {
                    "assetType": "related-crypto-material",
                    "relatedCryptoMaterialProperties": {
                        "type": "public-key",
                        "id": spki,
                        "algorithmRef": key_alg,
                        "size": c.public_key.bits,
                        "format": "SubjectPublicKeyInfo (DER)",
                    },
                },
            }),
            location,
        );
        let bom_ref = format!("certificate:{fingerprint}");
        self.add(
            bom_ref.clone(),
            json!({
                "type": "cryptographic-asset",
                "bom-ref": bom_ref,
                "name": c.display_name(),
                "cryptoProperties": {
                    "assetType": "certificate",
                    "certificateProperties": {
                        "subjectName": c.subject.rfc4514,
                        "issuerName": c.issuer.rfc4514,
                        "notValidBefore": c.validity.not_before.to_string(),
                        "notValidAfter": c.validity.not_after.to_string(),
                        "signatureAlgorithmRef": signature,
                        "subjectPublicKeyRef": key_ref,
                        "certificateFormat": "X.509",
                        "certificateExtension": "der",
                    },
                },
                "hashes": [{"alg": "SHA-256", "content": fingerprint}],
            }),
            location,
        );
    }

    fn protocol(&mut self, report: &crate::probe::ProbeReport) {
        let location = report.target.as_str();
        let groups: Vec<String> = report
            .groups
            .iter()
            .map(|g| {
                let pq = group_by_name(g).is_some_and(|x| x.post_quantum);
                let primitive = if pq { "kem" } else { "key-agree" };
                self.algorithm(
                    g,
                    primitive,
                    &["keygen", "encapsulate", "decapsulate"],
                    location,
                )
            })
            .collect();
        for v in report.accepted() {
            let version = match v.version {
                TlsVersion::Ssl3 => "SSL 3.0".to_owned(),
                other => other.to_string().trim_start_matches("TLS ").to_owned(),
            };
            let suites: Vec<Value> = v
                .suites
                .iter()
                .map(|name| {
                    let ids = suite_by_name(name)
                        .map(|s| {
                            vec![
                                format!("0x{:02X}", s.code >> 8),
                                format!("0x{:02X}", s.code & 0xff),
                            ]
                        })
                        .unwrap_or_default();
                    json!({"name": name, "identifiers": ids})
                })
                .collect();
            let bom_ref = format!("protocol:{location}:{version}");
            self.add(
                bom_ref.clone(),
                json!({
                    "type": "cryptographic-asset",
                    "bom-ref": bom_ref,
                    "name": format!("TLS {version} at {location}"),
                    "cryptoProperties": {
                        "assetType": "protocol",
                        "protocolProperties": {
                            "type": "tls",
                            "version": version,
                            "cipherSuites": suites,
                            "cryptoRefArray": if v.version == TlsVersion::Tls13 { groups.clone() } else { Vec::new() },
                        },
                    },
                }),
                location,
            );
        }
    }
}

/// A key algorithm's name with its size or curve (`RSA-2048`, `ECDSA-P-256`, `ML-DSA-65`).
fn key_algorithm_name(c: &Certificate) -> String {
    let k = &c.public_key;
    match (&k.curve, k.algorithm.as_str()) {
        (Some(curve), alg) => format!("{alg}-{curve}"),
        (None, alg) if alg.starts_with("RSA") => format!("{alg}-{}", k.bits),
        (None, alg) => alg.to_owned(),
    }
}

/// NIST's post-quantum security category for the post-quantum algorithms; 0 for classical ones.
fn quantum_level(name: &str) -> Option<u8> {
    let n = name.to_ascii_uppercase();
    let level = if n.contains("ML-DSA-44")
        || n.contains("SLH-DSA-SHA2-128")
        || n.contains("SLH-DSA-SHAKE-128")
    {
        2
    } else if n.contains("ML-DSA-65")
        || n.contains("MLKEM768")
        || n.contains("ML-KEM-768")
        || n.contains("-192")
    {
        3
    } else if n.contains("ML-DSA-87")
        || n.contains("MLKEM1024")
        || n.contains("ML-KEM-1024")
        || n.contains("-256S")
        || n.contains("-256F")
    {
        5
    } else {
        0
    };
    Some(level)
}

/// The document as a CycloneDX 1.6 BOM.
pub fn bom(doc: &Document) -> Value {
    let mut assets = Assets::default();
    for input in &doc.inputs {
        if let Some(decoded) = &input.decoded {
            for c in decoded.certificates() {
                assets.certificate(c, &input.path);
            }
        }
        if let Some(probe) = &input.probe {
            for der in &probe.chain {
                if let Ok(d) = crate::decode(der) {
                    for c in d.certificates() {
                        assets.certificate(c, &probe.target);
                    }
                }
            }
            assets.protocol(probe);
        }
    }
    let Assets { components, found } = assets;
    let components: Vec<Value> = components
        .into_iter()
        .map(|(bom_ref, mut c)| {
            let occurrences: Vec<Value> = found
                .get(&bom_ref)
                .into_iter()
                .flatten()
                .map(|l| json!({"location": l}))
                .collect();
            c["evidence"] = json!({"occurrences": occurrences});
            c
        })
        .collect();
    json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {
            "timestamp": doc.judged_at.to_string(),
            "tools": {"components": [{"type": "application", "name": doc.tool.name, "version": doc.tool.version}]},
            "properties": [{"name": "tlscope:policy", "value": doc.policy}],
        },
        "components": components,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::InputReport;

    #[test]
    fn certificates_keys_and_algorithms_once_each_with_every_place_found() {
        let pem = include_str!("../tests/corpus/ml-dsa-chain.pem");
        let decoded = crate::decode(pem.as_bytes()).unwrap();
        let input = |path: &str| InputReport {
            path: path.into(),
            decoded: Some(decoded.clone()),
            ..InputReport::default()
        };
        let doc = Document::new(
            vec![input("a.pem"), input("b.pem")],
            "default",
            crate::Timestamp::from_unix(1_800_000_000),
        );
        let bom = bom(&doc);
        assert_eq!(bom["specVersion"], "1.6");
        let components = bom["components"].as_array().unwrap();
        let certs: Vec<&Value> = components
            .iter()
            .filter(|c| c["cryptoProperties"]["assetType"] == "certificate")
            .collect();
        assert_eq!(certs.len(), decoded.certificates().count());
        for c in &certs {
            let places = c["evidence"]["occurrences"].as_array().unwrap();
            assert_eq!(places.len(), 2, "{c:#}");
        }
        let ml_dsa = components
            .iter()
            .find(|c| {
                c["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("ML-DSA-65"))
            })
            .expect("an ML-DSA-65 algorithm asset");
        assert_eq!(
            ml_dsa["cryptoProperties"]["algorithmProperties"]["nistQuantumSecurityLevel"],
            3
        );
    }
}
