//! # tlscope-core — the judge
//!
//! Decodes what a person drops (PEM, DER, bundles) into observations and judges them.
//! It runs natively inside the `tlscope` agent and as WebAssembly inside the dashboard,
//! so it does no I/O and never reads a clock: the moment of judgement is always a
//! [`Timestamp`] parameter.
//!
//! Data flows one way: **bytes → observation → judgement → report → view**.
//!
//! | module | owns |
//! |---|---|
//! | [`asn1`] | DER tag-length-value walking with byte offsets, and the raw ASN.1 tree |
//! | [`decode`] | turning arbitrary bytes into items (certificates, keys, …) or a located error |
//! | [`certificate`] | the details of one X.509 certificate: names, validity, keys, fingerprints |
//! | [`chain`] | building every path to a trust anchor and validating it (RFC 5280, host names, CRLs) |
//! | [`request`] | PKCS#10 certificate signing requests |
//! | [`revocation_list`] | certificate revocation lists |
//! | [`policy`] | the policy judgements are made under; `Policy::default()` is the specification |
//! | [`protocol`] | TLS versions and cipher suites as every piece of software spells them |
//! | [`config`] | server configuration (nginx, HAProxy, Apache, Caddy, Envoy, Kafka, PostgreSQL, MySQL, Redis, Kubernetes, strongSwan), judged line by line |
//! | [`connection`] | database and broker connection strings, parsed with secrets masked |
//! | [`handshake`] | the record of one observed TLS handshake |
//! | [`ipsec`] | strongSwan IKE and ESP proposals, algorithm by algorithm, under the policy's IPsec minimum |
//! | [`probe`] | what scanning one endpoint observed: versions, suites, groups, chain, stapling, HSTS |
//! | [`rotation`] | renewal dates, grace windows, rotation status and the timeline |
//! | [`signature`] | verifying RSA, ECDSA and Ed25519 signatures in pure Rust; refusing MD5 and SHA-1 |
//! | [`rules`] | the one rules table: ids, severities, remediation, compliance references |
//! | [`judge`] | pure judgements of observations under a policy at a given `now` |
//! | [`lint`] | recognising any input by content and judging it: PKI, configs, connection strings |
//! | [`export`] | the JSON report document, SARIF 2.1.0 and Markdown renderings |
//! | [`report`] | findings and summaries, the data every view renders |
//! | [`timestamp`] | the `now` every judgement is made at |
//!
//! The core never panics on input: every parser returns `Result`, and the fuzz targets
//! and property tests exercise that promise.

#![forbid(unsafe_code, unused_must_use)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod asn1;
pub mod cbom;
pub mod certificate;
pub mod chain;
pub mod cipher_string;
pub mod code;
pub mod config;
pub mod connection;
pub mod decode;
pub mod dns;
pub mod endpoint;
pub mod export;
pub mod graph;
pub mod handshake;
pub mod ipsec;
pub mod judge;
pub mod lifetime;
pub mod lint;
pub mod observation;
pub mod pin;
pub mod policy;
pub mod post_quantum;
pub mod probe;
pub mod protocol;
pub mod quic;
pub mod report;
pub mod request;
pub mod revocation_list;
pub mod rotation;
pub mod rules;
pub mod signature;
pub mod timestamp;
pub mod transparency;

pub use certificate::{Certificate, DistinguishedName, PublicKeyInfo, SubjectAltName, Validity};
pub use decode::{DecodeError, Decoded, Item, decode};
pub use policy::Policy;
pub use report::{Finding, Location, Summary};
pub use rules::{RULES, Rule, Severity};
pub use timestamp::Timestamp;
