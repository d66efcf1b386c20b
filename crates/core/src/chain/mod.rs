//! Chains: building every candidate path from an unordered bag of certificates to the trust
//! anchors, and validating each path at `now` (RFC 5280 6.1, with the stricter CA/Browser
//! Forum rules that browsers enforce). The result keeps every path tried and **every**
//! problem found on each, as findings with a rule id, the certificate concerned and a plain
//! explanation — not only the first error.
//!
//! Path building is bounded (see [`Limits`]) so hostile input cannot stall the caller. This file
//! builds and walks the paths; `checks.rs` holds the checks of one certificate in a path.

mod anchor;
pub mod certdata;
mod checks;
mod constraints;
mod names;
mod profile;
mod revocation;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::*;
use x509_parser::revocation_list::CertificateRevocationList;

use crate::report::{Finding, Location};
use crate::rules::{RuleId, Severity};
use crate::signature::{self, SignatureError};
use crate::timestamp::Timestamp;

pub use anchor::{AnchorOrigin, CompactError, TrustAnchor};
pub use checks::{EKU_NAMES, eku_oid};
use checks::{ca_checks, eku_checks, key_problems, leaf_checks, subject_alt_names, validity};
pub use names::{NameError, PeerName, check_dns_name, dns_matches};
pub use profile::CommonNameCheck;
use profile::Role;

/// What the leaf certificate must be good for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// TLS server authentication (id-kp-serverAuth).
    #[default]
    ServerAuth,
    /// TLS client authentication (id-kp-clientAuth), e.g. mTLS edges.
    ClientAuth,
    /// No particular purpose.
    Any,
}

impl Purpose {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Purpose::ServerAuth => "serverAuth (TLS server)",
            Purpose::ClientAuth => "clientAuth (TLS client)",
            Purpose::Any => "any purpose",
        }
    }
}

/// How to validate.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The moment of validation.
    pub now: Timestamp,
    /// What the leaf is for.
    pub purpose: Purpose,
    /// Names the leaf must match (host name, IP, e-mail); empty: no name check.
    pub peer_names: Vec<PeerName>,
    /// At most this many (non-self-issued) intermediates, when set.
    pub max_intermediates: Option<usize>,
    /// Key usages the leaf must allow when it has a keyUsage extension, e.g. `digitalSignature`.
    pub leaf_key_usage: Vec<String>,
    /// CRLs (DER) to check revocation against.
    pub crls: Vec<Vec<u8>>,
    /// Extended key usages the leaf must allow besides the purpose's (by OID), when it has an
    /// extKeyUsage extension.
    pub leaf_ekus: Vec<String>,
    /// How a subject CN outside the SANs is judged.
    pub common_name: CommonNameCheck,
    /// The smallest RSA modulus a path may use (the policy's `keys.rsa_min_bits`); `None`: 2048.
    pub rsa_min_bits: Option<u32>,
    /// The signature backend (`None`: RustCrypto, as in the page; the agent passes aws-lc-rs).
    pub backend: Option<crate::signature::Backend>,
}

/// The bounds on path building. Each figure is rustls-webpki's, which it chose to stop
/// pathological inputs (see webpki `verify_cert.rs`, `Budget`), except the intermediate count,
/// which is deliberately above any public chain (rarely more than 3) yet small enough to keep
/// path search cheap.
#[derive(Debug, Clone, Copy)]
pub struct Limits;

impl Limits {
    /// Intermediates on one path.
    pub const MAX_INTERMEDIATES: usize = 8;
    /// Signature verifications per validation.
    pub const MAX_SIGNATURES: usize = 100;
    /// Path-building steps per validation.
    pub const MAX_STEPS: usize = 200_000;
    /// Paths reported (the search stops after this many).
    pub const MAX_PATHS: usize = 32;
}

/// One certificate on a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// How people name it.
    pub name: String,
    /// Its position among the input certificates, when it came from the input.
    pub input_index: Option<usize>,
    /// Set when this link is a trust anchor.
    pub anchor: Option<AnchorOrigin>,
}

/// One path tried, leaf first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathReport {
    /// The certificates, leaf first; the last is the anchor when `anchored`.
    pub links: Vec<Link>,
    /// Whether the path ends at a trust anchor.
    pub anchored: bool,
    /// Whether the path is valid: anchored and without critical problems (warnings such as a CN
    /// missing from the SANs are reported but do not invalidate it).
    pub valid: bool,
    /// Every problem on this path.
    pub problems: Vec<Finding>,
}

/// The verdict on a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainReport {
    /// Whether some path is valid.
    pub valid: bool,
    /// Every path tried, in the order tried; the valid one (if any) last.
    pub paths: Vec<PathReport>,
    /// The problems of the best path (the valid one, else the one with the fewest problems).
    pub problems: Vec<Finding>,
    /// Set when a search limit stopped path building early.
    pub exhausted: bool,
    /// The stores whose anchor ends the valid path (the same root may be in several: the
    /// Mozilla program and the system store); empty when no path is valid.
    #[serde(default)]
    pub trusted_by: Vec<AnchorOrigin>,
}

impl ChainReport {
    /// The best path: the valid one, else an anchored one with the fewest problems, else the
    /// one with the fewest problems.
    pub fn best_path(&self) -> Option<&PathReport> {
        self.paths.iter().find(|p| p.valid).or_else(|| {
            self.paths
                .iter()
                .min_by_key(|p| (!p.anchored, p.problems.len()))
        })
    }
}

/// One certificate or anchor the builder can use.
struct Entry<'a> {
    cert: Option<X509Certificate<'a>>,
    subject: &'a [u8],
    subject_norm: Vec<Vec<(String, String)>>,
    issuer: &'a [u8],
    issuer_norm: Vec<Vec<(String, String)>>,
    spki: SubjectPublicKeyInfo<'a>,
    ski: Option<&'a [u8]>,
    aki: Option<&'a [u8]>,
    input: Option<usize>,
    anchor: Option<&'a TrustAnchor>,
    name: String,
    self_issued: bool,
}

impl<'a> Entry<'a> {
    fn from_certificate(der: &'a [u8]) -> Option<Self> {
        let (_, cert) = X509Certificate::from_der(der).ok()?;
        let mut ski = None;
        let mut aki = None;
        for ext in cert.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(k) => ski = Some(k.0),
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    aki = a.key_identifier.as_ref().map(|k| k.0);
                }
                _ => {}
            }
        }
        let tbs = &cert.tbs_certificate;
        Some(Self {
            subject: tbs.subject.as_raw(),
            subject_norm: constraints::normalised_rdns(&tbs.subject),
            issuer: tbs.issuer.as_raw(),
            issuer_norm: constraints::normalised_rdns(&tbs.issuer),
            spki: tbs.subject_pki.clone(),
            ski,
            aki,
            input: None,
            anchor: None,
            name: anchor::certificate_name(&cert),
            self_issued: tbs.subject.as_raw() == tbs.issuer.as_raw(),
            cert: Some(cert),
        })
    }

    fn from_anchor(anchor: &'a TrustAnchor) -> Option<Self> {
        let mut entry = match &anchor.certificate {
            Some(der) => Self::from_certificate(der)?,
            None => {
                let (_, subject) = X509Name::from_der(&anchor.subject).ok()?;
                let (_, spki) = SubjectPublicKeyInfo::from_der(&anchor.spki).ok()?;
                Self {
                    cert: None,
                    subject: &anchor.subject,
                    subject_norm: constraints::normalised_rdns(&subject),
                    issuer: &anchor.subject,
                    issuer_norm: Vec::new(),
                    spki,
                    ski: None,
                    aki: None,
                    input: None,
                    anchor: None,
                    name: anchor.name.clone(),
                    self_issued: true,
                }
            }
        };
        entry.anchor = Some(anchor);
        Some(entry)
    }

    fn location(&self) -> Location {
        match (self.input, self.anchor) {
            (Some(index), _) => Location::Certificate {
                index,
                name: self.name.clone(),
            },
            (None, _) => Location::TrustAnchor {
                name: self.name.clone(),
            },
        }
    }

    fn link(&self) -> Link {
        Link {
            name: self.name.clone(),
            input_index: self.input,
            anchor: self.anchor.map(|a| a.origin),
        }
    }

    /// Whether `issuer` could have issued this entry: names match (exactly or after RFC 5280
    /// 7.1 normalisation) and key identifiers, when both are present, agree.
    fn issued_by(&self, issuer: &Entry<'_>) -> bool {
        let names = self.issuer == issuer.subject || self.issuer_norm == issuer.subject_norm;
        let ids = match (self.aki, issuer.ski) {
            (Some(a), Some(s)) => a == s,
            _ => true,
        };
        names && ids
    }
}

/// Validates the chain of `certificates[leaf]` — the others are candidate intermediates in any
/// order, duplicates allowed — against `anchors`. Findings locate certificates by their index
/// in `certificates`.
pub fn validate(
    certificates: &[Vec<u8>],
    leaf: usize,
    anchors: &[TrustAnchor],
    options: &Options,
) -> ChainReport {
    let leaf_index = leaf;
    let mut pool: Vec<Entry<'_>> = Vec::new();
    let mut leaf_problem = None;
    for a in anchors {
        if let Some(e) = Entry::from_anchor(a) {
            pool.push(e);
        }
    }
    let anchor_count = pool.len();
    let mut leaf = None;
    let order =
        std::iter::once(leaf_index).chain((0..certificates.len()).filter(|&i| i != leaf_index));
    for index in order {
        let Some(der) = certificates.get(index) else {
            continue;
        };
        // A certificate that is also an anchor is used as the anchor. Anchors without a
        // certificate (the Mozilla set) are matched by subject and key, and take the input's
        // certificate so its validity and constraints are checked too.
        let parsed = X509Certificate::from_der(der).ok().map(|(_, c)| c);
        let (subject, spki) = parsed.as_ref().map_or((&[][..], &[][..]), |c| {
            (c.subject().as_raw(), c.public_key().raw)
        });
        if let Some(pos) = pool[..anchor_count].iter().position(|e| {
            e.anchor
                .is_some_and(|a| a.is_certificate(der, subject, spki))
        }) {
            if pool[pos].cert.is_none()
                && let Some(mut with_cert) = Entry::from_certificate(der)
            {
                with_cert.anchor = pool[pos].anchor;
                with_cert.name.clone_from(&pool[pos].name);
                pool[pos] = with_cert;
            }
            if index == leaf_index {
                pool[pos].input = Some(index);
                leaf = Some(pos);
            }
            continue;
        }
        if pool[anchor_count..].iter().any(|e| {
            e.cert
                .as_ref()
                .is_some_and(|c| c.as_raw() == der.as_slice())
        }) {
            continue; // duplicate
        }
        match Entry::from_certificate(der) {
            Some(mut e) => {
                e.input = Some(index);
                if index == leaf_index {
                    leaf = Some(pool.len());
                }
                pool.push(e);
            }
            None if index == leaf_index => {
                leaf_problem = Some("the leaf certificate does not parse as X.509".to_owned());
            }
            None => {}
        }
    }
    let Some(leaf) = leaf else {
        let problems = vec![Finding::new(
            crate::rule!("CHAIN-PROFILE"),
            leaf_problem.unwrap_or_else(|| "no certificate was supplied".into()),
            Location::Certificate {
                index: leaf_index,
                name: "leaf".into(),
            },
        )];
        return ChainReport {
            valid: false,
            paths: Vec::new(),
            problems,
            exhausted: false,
            trusted_by: Vec::new(),
        };
    };
    let crls: Vec<CertificateRevocationList<'_>> = options
        .crls
        .iter()
        .filter_map(|der| {
            CertificateRevocationList::from_der(der)
                .ok()
                .map(|(_, c)| c)
        })
        .collect();
    let mut builder = Builder {
        pool: &pool,
        options,
        crls: &crls,
        paths: Vec::new(),
        signatures: HashMap::new(),
        steps: 0,
        exhausted: false,
        trusted_anchor: None,
    };
    let mut path = vec![leaf];
    let valid = builder.walk(&mut path);
    let exhausted = builder.exhausted;
    let trusted_anchor = builder.trusted_anchor.take();
    let mut paths = builder.paths;
    if exhausted && !valid {
        let note = Finding::new(
            crate::rule!("CHAIN-TOO-COMPLEX"),
            format!(
                "path building stopped at its limits ({} signatures, {} steps, {} intermediates per path, {} name-constraint comparisons) before finding a valid path",
                Limits::MAX_SIGNATURES,
                Limits::MAX_STEPS,
                Limits::MAX_INTERMEDIATES,
                constraints::MAX_COMPARISONS
            ),
            pool[leaf].location(),
        );
        match paths.last_mut() {
            Some(p) => p.problems.push(note),
            None => paths.push(PathReport {
                links: vec![pool[leaf].link()],
                anchored: false,
                valid: false,
                problems: vec![note],
            }),
        }
    }
    let trusted_by = trusted_anchor.map_or_else(Vec::new, |(subject, spki)| {
        let mut origins: Vec<AnchorOrigin> = anchors
            .iter()
            .filter(|a| a.subject == subject && a.spki == spki)
            .map(|a| a.origin)
            .collect();
        origins.dedup();
        origins
    });
    let mut report = ChainReport {
        valid,
        paths,
        problems: Vec::new(),
        exhausted,
        trusted_by,
    };
    report.problems = report
        .best_path()
        .map(|p| p.problems.clone())
        .unwrap_or_default();
    // A client certificate vouched for by a public root: the root programs are ending that.
    if options.purpose == Purpose::ClientAuth
        && let Some(path) = report.paths.iter().find(|p| p.valid)
        && let Some(anchor) = path
            .links
            .last()
            .filter(|l| l.anchor == Some(AnchorOrigin::Mozilla))
    {
        report.problems.push(Finding::new(
            crate::rule!("MTLS-PUBLIC-CLIENT-CERT"),
            format!(
                "the client certificate chains to {:?}, a public root of the Mozilla program",
                anchor.name
            ),
            Location::Certificate {
                index: leaf_index,
                name: path
                    .links
                    .first()
                    .map(|l| l.name.clone())
                    .unwrap_or_default(),
            },
        ));
    }
    report
}

/// Why the signature of one (certificate, issuer) link does not hold.
#[derive(Debug, Clone)]
enum LinkError {
    /// It was checked and failed.
    Signature(SignatureError),
    /// It was not checked: the validation's signature budget ([`Limits`]) is spent.
    BudgetSpent,
}

struct Builder<'p, 'a> {
    pool: &'p [Entry<'a>],
    options: &'p Options,
    crls: &'p [CertificateRevocationList<'a>],
    paths: Vec<PathReport>,
    /// Each signature checked, by (certificate, issuer's SubjectPublicKeyInfo): a certificate
    /// reached through two issuers with the same key (a cross-signed CA) is verified once.
    signatures: HashMap<(usize, &'a [u8]), Result<(), LinkError>>,
    steps: usize,
    exhausted: bool,
    /// Subject and key of the anchor that ends the valid path, once found.
    trusted_anchor: Option<(Vec<u8>, Vec<u8>)>,
}

impl<'a> Builder<'_, 'a> {
    /// Depth-first search from the last entry of `path`; true once a valid path is found.
    fn walk(&mut self, path: &mut Vec<usize>) -> bool {
        let Some(&current) = path.last() else {
            return false;
        };
        if self.pool[current].anchor.is_some() {
            return self.finish(path, true);
        }
        self.steps += 1;
        if self.steps > Limits::MAX_STEPS {
            self.exhausted = true;
            return false;
        }
        if path.len() > Limits::MAX_INTERMEDIATES + 1 {
            self.exhausted = true;
            return self.finish(path, false);
        }
        let candidates: Vec<usize> = (0..self.pool.len())
            .filter(|&i| !path.contains(&i))
            .filter(|&i| {
                let c = &self.pool[i];
                self.pool[current].issued_by(c)
                    && !path.iter().any(|&p| {
                        self.pool[p].subject == c.subject && self.pool[p].spki.raw == c.spki.raw
                    })
            })
            .collect();
        // Anchors first (they end the path soonest), then intermediates in input order.
        let (mut ordered, rest): (Vec<usize>, Vec<usize>) = candidates
            .into_iter()
            .partition(|&i| self.pool[i].anchor.is_some());
        ordered.extend(rest);
        if ordered.is_empty() {
            return self.finish(path, false);
        }
        for next in ordered {
            if self.paths.len() >= Limits::MAX_PATHS {
                // Candidates left untried: the verdict is "stopped at the limits", not "invalid".
                self.exhausted = true;
            }
            if self.exhausted {
                return false;
            }
            path.push(next);
            let found = self.walk(path);
            path.pop();
            if found {
                return true;
            }
        }
        false
    }

    fn finish(&mut self, path: &[usize], anchored: bool) -> bool {
        let mut problems = self.check_path(path, anchored);
        // A root program's distrust-after date, applied by the leaf's notBefore.
        if anchored
            && let (Some(&first), Some(&last)) = (path.first(), path.last())
            && let Some(anchor) = self.pool[last].anchor
            && let Some(after) = anchor.distrust_after
            && let Some(leaf) = &self.pool[first].cert
            && leaf.validity().not_before.timestamp() > after.unix()
        {
            problems.push(Finding::new(
                crate::rule!("CHAIN-ANCHOR-DISTRUSTED"),
                format!(
                    "{:?} is distrusted by {} for certificates issued after {after}; this one was issued {}",
                    anchor.name,
                    anchor.origin.store_name(),
                    crate::timestamp::Timestamp::from_unix(leaf.validity().not_before.timestamp())
                ),
                self.pool[first].location(),
            ));
        }
        if !anchored && let Some(&last) = path.last() {
            let e = &self.pool[last];
            let (rule, text) = if e.self_issued && e.issued_by(e) {
                (
                    crate::rule!("CHAIN-UNTRUSTED-ROOT"),
                    format!(
                        "the path ends at the self-signed certificate {:?}, which is not a trusted root",
                        e.name
                    ),
                )
            } else {
                // RFC 4514, as tlscope shows every name.
                let issuer = X509Name::from_der(e.issuer)
                    .map(|(_, n)| crate::certificate::DistinguishedName::from_x509(&n).rfc4514)
                    .unwrap_or_else(|_| "?".into());
                (
                    crate::rule!("CHAIN-ISSUER-NOT-FOUND"),
                    format!(
                        "the issuer of {:?} ({issuer}) is neither among the supplied certificates nor a trusted root",
                        e.name
                    ),
                )
            };
            problems.push(Finding::new(rule, text, e.location()));
        }
        let valid = anchored && !problems.iter().any(|f| f.severity == Severity::Critical);
        if valid && let Some(a) = path.last().and_then(|&l| self.pool[l].anchor) {
            self.trusted_anchor = Some((a.subject.clone(), a.spki.clone()));
        }
        self.paths.push(PathReport {
            links: path.iter().map(|&i| self.pool[i].link()).collect(),
            anchored,
            valid,
            problems,
        });
        valid
    }

    fn verify_link(&mut self, child: usize, issuer: usize) -> Result<(), LinkError> {
        let key = (child, self.pool[issuer].spki.raw);
        if let Some(r) = self.signatures.get(&key) {
            return r.clone();
        }
        let result = match &self.pool[child].cert {
            _ if self.signatures.len() >= Limits::MAX_SIGNATURES => {
                self.exhausted = true;
                Err(LinkError::BudgetSpent)
            }
            Some(cert) => signature::verify_with(
                self.options.backend,
                &cert.signature_algorithm,
                &self.pool[issuer].spki,
                cert.tbs_certificate.as_ref(),
                cert.signature_value.data.as_ref(),
            )
            .map_err(LinkError::Signature),
            None => Ok(()),
        };
        self.signatures.insert(key, result.clone());
        result
    }

    /// Every problem on `path` (leaf first).
    fn check_path(&mut self, path: &[usize], anchored: bool) -> Vec<Finding> {
        let options = self.options;
        let n = path.len();
        let mut out: Vec<Finding> = Vec::new();
        for (pos, &i) in path.iter().enumerate() {
            let e = &self.pool[i];
            // A CA that is a trust anchor given as the leaf is judged as the CA it is; only an
            // end-entity purpose with a peer name asks of it what a leaf owes (CHAIN-CA-AS-LEAF).
            // A directly trusted end-entity certificate (a pin) stays a leaf.
            let anchor_alone = pos == 0
                && options.peer_names.is_empty()
                && e.cert.as_ref().is_none_or(|c| c.is_ca());
            let role = if anchored && pos == n - 1 && (pos > 0 || anchor_alone) {
                Role::Anchor
            } else if pos == 0 {
                Role::Leaf
            } else {
                Role::Intermediate
            };
            if pos == 0 && role == Role::Anchor {
                let store = e
                    .anchor
                    .map_or("the supplied roots", |a| a.origin.store_name());
                out.push(Finding::new(
                    crate::rule!("CERT-TRUST-ANCHOR"),
                    format!(
                        "{:?} is a trust anchor of {store}; it is judged as a CA",
                        e.name
                    ),
                    e.location(),
                ));
            }
            let mut push = |rule: RuleId, text: String| {
                out.push(Finding::new(rule, text, e.location()));
            };
            for (rule, text) in key_problems(&e.spki, role, options.rsa_min_bits.unwrap_or(2048)) {
                push(rule, text);
            }
            if let Some(cert) = &e.cert {
                for (rule, text) in profile::check(cert, role, options) {
                    push(rule, text);
                }
                validity(cert, options.now, &mut push);
                if pos > 0 {
                    ca_checks(cert, pos, path, self.pool, &mut push);
                }
                eku_checks(cert, role, options, &mut push);
                if role == Role::Leaf {
                    leaf_checks(cert, options, &mut push);
                }
            }
            if pos + 1 < n {
                let issuer = path[pos + 1];
                match self.verify_link(i, issuer) {
                    Ok(()) => {}
                    Err(LinkError::BudgetSpent) => out.push(Finding::new(
                        crate::rule!("CHAIN-TOO-COMPLEX"),
                        format!(
                            "signature by {:?} not checked: this validation's budget of {} signature checks is spent",
                            self.pool[issuer].name,
                            Limits::MAX_SIGNATURES
                        ),
                        e.location(),
                    )),
                    Err(LinkError::Signature(err)) => {
                        let rule = match err {
                            SignatureError::WeakHash { .. } => crate::rule!("CHAIN-SIGNATURE-WEAK"),
                            SignatureError::Invalid { .. } => {
                                crate::rule!("CHAIN-SIGNATURE-INVALID")
                            }
                            _ => crate::rule!("CHAIN-SIGNATURE-UNSUPPORTED"),
                        };
                        out.push(Finding::new(
                            rule,
                            format!("signature by {:?}: {err}", self.pool[issuer].name),
                            e.location(),
                        ));
                    }
                }
                if let Some(cert) = &e.cert {
                    let issuer_entry = &self.pool[issuer];
                    for (rule, text) in revocation::check(
                        cert,
                        &issuer_entry.spki,
                        issuer_entry.cert.as_ref(),
                        self.crls,
                        options.now,
                    ) {
                        out.push(Finding::new(rule, text, e.location()));
                    }
                }
            }
        }
        if let Some(max) = options.max_intermediates {
            let count = path
                .iter()
                .take(if anchored { n - 1 } else { n })
                .skip(1)
                .filter(|&&i| !self.pool[i].self_issued)
                .count();
            if count > max {
                out.push(Finding::new(
                    crate::rule!("CHAIN-PATH-LEN"),
                    format!("the path has {count} intermediates; at most {max} are allowed"),
                    self.pool[path[0]].location(),
                ));
            }
        }
        if self.name_constraints(path, &mut out).is_err() {
            self.exhausted = true;
            out.push(Finding::new(
                crate::rule!("CHAIN-TOO-COMPLEX"),
                format!(
                    "checking name constraints needed more than {} comparisons; refused as a denial-of-service risk",
                    constraints::MAX_COMPARISONS
                ),
                self.pool[path[0]].location(),
            ));
        }
        out
    }

    fn name_constraints(
        &self,
        path: &[usize],
        out: &mut Vec<Finding>,
    ) -> Result<(), constraints::Exhausted> {
        let mut budget = constraints::MAX_COMPARISONS;
        for (k, &ci) in path.iter().enumerate().skip(1) {
            let Some(ca) = &self.pool[ci].cert else {
                continue;
            };
            let Ok(Some(nc)) = ca.name_constraints() else {
                continue;
            };
            let malformed = constraints::malformed(nc.value);
            let has_malformed = !malformed.is_empty();
            for text in malformed {
                out.push(Finding::new(
                    crate::rule!("CHAIN-NAME-CONSTRAINTS"),
                    text,
                    self.pool[ci].location(),
                ));
            }
            if has_malformed {
                continue;
            }
            for (j, &below) in path.iter().enumerate().take(k) {
                let entry = &self.pool[below];
                if j > 0 && entry.self_issued {
                    continue;
                }
                let Some(cert) = &entry.cert else {
                    continue;
                };
                let sans = subject_alt_names(cert);
                let names = constraints::Names {
                    subject: cert.subject(),
                    sans: &sans,
                };
                for text in constraints::violations(nc.value, &names, &mut budget)? {
                    out.push(Finding::new(
                        crate::rule!("CHAIN-NAME-CONSTRAINTS"),
                        format!("{text}, which {:?} forbids", self.pool[ci].name),
                        entry.location(),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The certificate in `bag` (DER) most likely to be the leaf: one that issued none of the
/// others, preferring a non-CA; else the first.
pub fn leaf_index(bag: &[Vec<u8>]) -> usize {
    let entries: Vec<Option<Entry<'_>>> = bag.iter().map(|d| Entry::from_certificate(d)).collect();
    let issues_another = |i: usize| {
        entries.iter().enumerate().any(|(j, other)| {
            j != i
                && match (other, &entries[i]) {
                    (Some(o), Some(me)) => !o.self_issued && o.issued_by(me),
                    _ => false,
                }
        })
    };
    let candidates: Vec<usize> = (0..bag.len())
        .filter(|&i| entries[i].is_some() && !issues_another(i))
        .collect();
    candidates
        .iter()
        .copied()
        .find(|&i| {
            entries[i]
                .as_ref()
                .and_then(|e| e.cert.as_ref())
                .is_some_and(|c| !c.is_ca())
        })
        .or_else(|| candidates.first().copied())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
