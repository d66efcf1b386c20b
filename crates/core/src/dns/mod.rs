//! What a server publishes about its TLS in DNS: CAA (who may issue), TLSA (DANE: which
//! certificate or key to expect) and HTTPS/SVCB (ALPN, port, hints, ECH). The agent resolves
//! the records (with DNSSEC validation) and hands the RDATA over as published; this module
//! decodes it, and `judge::dns` judges it against the chain the server served.

mod caa;
mod svcb;
mod tlsa;
mod wire;

use serde::{Deserialize, Serialize};

pub use caa::{Authorisation, Caa, IssueValue, authorises};
pub use svcb::{
    ECH_VERSION, EchConfig, EchContents, EchParam, Svcb, decode_ech_public_name, encode_ech_list,
    kem_name,
};
pub use tlsa::Tlsa;

/// Why a record's RDATA could not be read: which record, at which byte, expecting what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{record} record, byte {offset}: expected {expected}")]
pub struct DnsError {
    /// The record type (`CAA`, `TLSA`, `HTTPS`, `ECHConfigList`, `ECHConfig`).
    pub record: &'static str,
    /// Offset into the RDATA (or the ECH structure) where reading stopped.
    pub offset: usize,
    /// What was expected there.
    pub expected: String,
}

/// How far DNSSEC validation got for an answer (RFC 4035 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Proof {
    /// Validated from a trust anchor.
    Secure,
    /// Provably unsigned (or no validation was asked for).
    Insecure,
    /// Signed, but the signatures do not validate.
    Bogus,
    /// Validation could not be completed.
    Indeterminate,
}

impl Proof {
    /// The word shown.
    pub fn label(self) -> &'static str {
        match self {
            Self::Secure => "DNSSEC-validated",
            Self::Insecure => "not validated",
            Self::Bogus => "DNSSEC bogus",
            Self::Indeterminate => "DNSSEC indeterminate",
        }
    }
}

/// The answer to one lookup: the owner name, the validation state, and each record's RDATA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordSet {
    /// The owner name asked for (`_443._tcp.www.example.com.`).
    pub name: String,
    /// DNSSEC state of the answer.
    pub proof: Proof,
    /// RDATA as published, one entry per record (base64 in JSON).
    #[serde(with = "crate::handshake::der_list", default)]
    pub rdata: Vec<Vec<u8>>,
}

/// Everything one probe learnt from DNS about one host and port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsReport {
    /// The resolver asked (`system` or `ADDRESS:PORT`).
    pub resolver: String,
    /// Whether answers were DNSSEC-validated against a trust anchor.
    pub validating: bool,
    /// The names walked for CAA, from the host up; the last one is where records were found
    /// (or the top, when none were).
    pub caa_walk: Vec<String>,
    /// The relevant CAA set (RFC 8659 §3), if any name on the walk has one.
    pub caa: Option<RecordSet>,
    /// TLSA records at `_PORT._tcp.HOST`.
    pub tlsa: Option<RecordSet>,
    /// HTTPS records at the host (or `_PORT._https.HOST` for a port other than 443).
    pub https: Option<RecordSet>,
    /// Lookups that failed, each with the name and why (SERVFAIL, a timeout, …).
    pub errors: Vec<String>,
    /// The ECH offer made with the HTTPS record's configs, when it has any.
    #[serde(default)]
    pub ech: Option<EchProbe>,
    /// Time the DNS lookups took together, microseconds.
    pub lookup_micros: u64,
}

/// What happened when the probe offered ECH (RFC 9849) with the HTTPS record's configs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EchProbe {
    /// The public name the outer ClientHello carried.
    pub public_name: Option<String>,
    /// The outcome.
    pub status: EchStatus,
    /// Why, when not accepted.
    pub detail: Option<String>,
    /// The chain served to the outer ClientHello (DER, base64 in JSON): it must be valid for the
    /// public name, or clients cannot take the server's retry configs.
    #[serde(with = "crate::handshake::der_list", default)]
    pub outer_chain: Vec<Vec<u8>>,
}

/// The outcome of offering ECH.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EchStatus {
    /// The server decrypted the inner ClientHello.
    Accepted,
    /// The server answered the outer ClientHello (it did not use the config).
    Rejected,
    /// No config in the list is one the client can use (version, KEM or suites).
    NotOffered,
}

/// One record of a set, decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "UPPERCASE")]
pub enum Decoded {
    /// A CAA record.
    Caa(Caa),
    /// A TLSA record.
    Tlsa(Tlsa),
    /// An HTTPS record.
    Https(Svcb),
}

impl DnsReport {
    /// The CAA records, decoded (undecodable ones as errors).
    pub fn caa_records(&self) -> Vec<Result<Caa, DnsError>> {
        records(&self.caa, caa::decode)
    }

    /// The TLSA records, decoded.
    pub fn tlsa_records(&self) -> Vec<Result<Tlsa, DnsError>> {
        records(&self.tlsa, tlsa::decode)
    }

    /// The HTTPS records, decoded.
    pub fn https_records(&self) -> Vec<Result<Svcb, DnsError>> {
        records(&self.https, svcb::decode)
    }
}

impl DnsReport {
    /// One line per record set and per failed lookup, as the CLI and the page show them.
    pub fn summary_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let head = |set: &RecordSet| format!("{} ({})", set.name, set.proof.label());
        match &self.caa {
            Some(set) => {
                let values: Vec<String> = self
                    .caa_records()
                    .into_iter()
                    .map(|r| match r {
                        Ok(c) => format!(
                            "{}{} \"{}\"",
                            if c.critical { "!" } else { "" },
                            c.tag,
                            c.value
                        ),
                        Err(e) => format!("undecodable: {e}"),
                    })
                    .collect();
                out.push(format!("CAA at {}: {}", head(set), values.join("; ")));
            }
            None => out.push(format!(
                "CAA: none (asked {}): any CA may issue",
                self.caa_walk.join(", ")
            )),
        }
        if let Some(set) = &self.tlsa {
            let values: Vec<String> = self
                .tlsa_records()
                .into_iter()
                .map(|r| match r {
                    Ok(t) => format!(
                        "{} ({}) {}…",
                        t.parameters(),
                        t.usage_name(),
                        &t.data[..t.data.len().min(16)]
                    ),
                    Err(e) => format!("undecodable: {e}"),
                })
                .collect();
            out.push(format!("TLSA at {}: {}", head(set), values.join("; ")));
        }
        if let Some(set) = &self.https {
            for r in self.https_records() {
                let text = match r {
                    Ok(h) => h.describe(),
                    Err(e) => format!("undecodable: {e}"),
                };
                out.push(format!("HTTPS at {}: {text}", head(set)));
            }
        }
        for e in &self.errors {
            out.push(format!("DNS lookup failed: {e}"));
        }
        out
    }
}

fn records<T>(
    set: &Option<RecordSet>,
    decode: fn(&[u8]) -> Result<T, DnsError>,
) -> Vec<Result<T, DnsError>> {
    set.iter()
        .flat_map(|s| s.rdata.iter().map(|r| decode(r)))
        .collect()
}

/// Decodes one CAA RDATA.
pub fn decode_caa(rdata: &[u8]) -> Result<Caa, DnsError> {
    caa::decode(rdata)
}

/// Decodes one TLSA RDATA.
pub fn decode_tlsa(rdata: &[u8]) -> Result<Tlsa, DnsError> {
    tlsa::decode(rdata)
}

/// Decodes one SVCB/HTTPS RDATA.
pub fn decode_svcb(rdata: &[u8]) -> Result<Svcb, DnsError> {
    svcb::decode(rdata)
}

/// The names a CAA lookup walks for `host` (RFC 8659 §3): the host, then each parent, not the
/// root. A wildcard's `*.` is removed first.
pub fn caa_walk(host: &str) -> Vec<String> {
    let host = host.trim_end_matches('.').trim_start_matches("*.");
    let labels: Vec<&str> = host.split('.').filter(|l| !l.is_empty()).collect();
    (0..labels.len())
        .map(|i| format!("{}.", labels[i..].join(".")))
        .collect()
}

/// The owner name of TLSA records for a TCP port (RFC 6698 §3).
pub fn tlsa_name(host: &str, port: u16) -> String {
    format!("_{port}._tcp.{}.", host.trim_end_matches('.'))
}

/// The owner name of HTTPS records for a port (RFC 9460 §9.1: `_PORT._https.` unless 443).
pub fn https_name(host: &str, port: u16) -> String {
    let host = host.trim_end_matches('.');
    if port == 443 {
        format!("{host}.")
    } else {
        format!("_{port}._https.{host}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_names() {
        assert_eq!(
            caa_walk("www.shop.example.com"),
            [
                "www.shop.example.com.",
                "shop.example.com.",
                "example.com.",
                "com."
            ]
        );
        assert_eq!(caa_walk("*.example.com."), ["example.com.", "com."]);
        assert_eq!(
            tlsa_name("www.example.com", 443),
            "_443._tcp.www.example.com."
        );
        assert_eq!(https_name("www.example.com", 443), "www.example.com.");
        assert_eq!(
            https_name("www.example.com", 8443),
            "_8443._https.www.example.com."
        );
    }
}
