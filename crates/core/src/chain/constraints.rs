//! Name constraints (RFC 5280 4.2.1.10): checking that a CA's constraints are well formed, and
//! that every name below it (subject DN and SANs) is inside its permitted subtrees and outside
//! its excluded ones. Comparisons are counted against a budget so a hostile certificate with
//! thousands of names and constraints cannot stall the page.

use x509_parser::extensions::{GeneralName, GeneralSubtree, NameConstraints};
use x509_parser::x509::X509Name;

use super::names::{check_dns_name, check_email, ip_from_san};

/// Name-constraint comparisons allowed per validation: rustls-webpki's figure
/// (`Budget::name_constraint_comparisons`, 250 000), which it chose for the same reason.
pub const MAX_COMPARISONS: usize = 250_000;

/// The comparison budget ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exhausted;

/// Problems in the constraints themselves (a malformed subtree cannot be applied safely).
pub fn malformed(nc: &NameConstraints<'_>) -> Vec<String> {
    let mut problems = Vec::new();
    let permitted = nc.permitted_subtrees.as_deref().unwrap_or_default();
    let excluded = nc.excluded_subtrees.as_deref().unwrap_or_default();
    if permitted.is_empty() && excluded.is_empty() {
        problems.push(
            "nameConstraints has neither permitted nor excluded subtrees (RFC 5280 4.2.1.10 forbids an empty extension)"
                .to_owned(),
        );
    }
    for subtree in permitted.iter().chain(excluded) {
        match &subtree.base {
            GeneralName::DNSName(d) if !d.is_empty() => {
                if let Err(e) = check_dns_name(d, false) {
                    problems.push(format!("dNSName constraint {d:?} is malformed: {e}"));
                }
            }
            GeneralName::IPAddress(bytes) => {
                if let Err(e) = check_ip_range(bytes) {
                    problems.push(format!("iPAddress constraint is malformed: {e}"));
                }
            }
            GeneralName::RFC822Name(m) if !m.is_empty() => {
                let ok = if m.contains('@') {
                    check_email(m).is_ok()
                } else {
                    check_dns_name(m.strip_prefix('.').unwrap_or(m), false).is_ok()
                };
                if !ok {
                    problems.push(format!("rfc822Name constraint {m:?} is malformed"));
                }
            }
            GeneralName::Invalid(tag, _) => {
                problems.push(format!("a constraint with tag {tag} does not parse"));
            }
            _ => {}
        }
    }
    problems
}

fn check_ip_range(bytes: &[u8]) -> Result<(), String> {
    let half = match bytes.len() {
        8 => 4,
        32 => 16,
        n => {
            return Err(format!(
                "{n} bytes; expected 8 (IPv4 + mask) or 32 (IPv6 + mask)"
            ));
        }
    };
    let mask = bytes.get(half..).unwrap_or_default();
    let bits: Vec<bool> = mask
        .iter()
        .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1 == 1))
        .collect();
    if bits.windows(2).any(|w| !w[0] && w[1]) {
        return Err("the mask is not a contiguous prefix".into());
    }
    Ok(())
}

/// The names of one certificate below the constraining CA.
pub struct Names<'a, 'b> {
    /// Its subject.
    pub subject: &'b X509Name<'a>,
    /// Its subject alternative names.
    pub sans: &'b [GeneralName<'a>],
}

/// Every way `names` violates `nc`; `Err` when the comparison budget ran out.
pub fn violations(
    nc: &NameConstraints<'_>,
    names: &Names<'_, '_>,
    budget: &mut usize,
) -> Result<Vec<String>, Exhausted> {
    let permitted = nc.permitted_subtrees.as_deref().unwrap_or_default();
    let excluded = nc.excluded_subtrees.as_deref().unwrap_or_default();
    let mut out = Vec::new();
    let subject_name = (names.subject.iter_rdn().next().is_some())
        .then(|| GeneralName::DirectoryName(names.subject.clone()));
    for name in names.sans.iter().chain(subject_name.as_ref()) {
        let kind = kind_of(name);
        let same_kind: Vec<&GeneralSubtree<'_>> = permitted
            .iter()
            .filter(|s| kind_of(&s.base) == kind)
            .collect();
        if !same_kind.is_empty() {
            let mut inside = false;
            for s in &same_kind {
                spend(budget)?;
                if within(name, &s.base) {
                    inside = true;
                    break;
                }
            }
            if !inside {
                out.push(format!(
                    "{} is outside every permitted {kind} subtree ({})",
                    describe(name),
                    same_kind
                        .iter()
                        .map(|s| describe(&s.base))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        for s in excluded.iter().filter(|s| kind_of(&s.base) == kind) {
            spend(budget)?;
            if overlaps(name, &s.base) {
                out.push(format!(
                    "{} falls in the excluded subtree {}",
                    describe(name),
                    describe(&s.base)
                ));
            }
        }
    }
    Ok(out)
}

fn spend(budget: &mut usize) -> Result<(), Exhausted> {
    *budget = budget.checked_sub(1).ok_or(Exhausted)?;
    Ok(())
}

fn kind_of(name: &GeneralName<'_>) -> &'static str {
    match name {
        GeneralName::DNSName(_) => "dNSName",
        GeneralName::IPAddress(_) => "iPAddress",
        GeneralName::RFC822Name(_) => "rfc822Name",
        GeneralName::DirectoryName(_) => "directoryName",
        GeneralName::URI(_) => "uniformResourceIdentifier",
        GeneralName::OtherName(..) => "otherName",
        _ => "other",
    }
}

fn describe(name: &GeneralName<'_>) -> String {
    match name {
        GeneralName::DNSName(d) => format!("DNS:{d}"),
        GeneralName::RFC822Name(m) => format!("email:{m}"),
        GeneralName::URI(u) => format!("URI:{u}"),
        GeneralName::DirectoryName(n) => format!(
            "DirName:{}",
            crate::certificate::DistinguishedName::from_x509(n).rfc4514
        ),
        GeneralName::IPAddress(b) => match b.len() {
            8 | 32 => {
                let (addr, mask) = b.split_at(b.len() / 2);
                let prefix: u32 = mask.iter().map(|m| m.count_ones()).sum();
                format!(
                    "IP:{}/{prefix}",
                    ip_from_san(addr).map_or("?".into(), |a| a.to_string())
                )
            }
            _ => format!(
                "IP:{}",
                ip_from_san(b).map_or_else(|| format!("<{} bytes>", b.len()), |a| a.to_string())
            ),
        },
        GeneralName::OtherName(oid, _) => format!("otherName:{oid}"),
        other => format!("{other:?}"),
    }
}

/// Whether every name matched by `name` lies inside `constraint`'s subtree.
fn within(name: &GeneralName<'_>, constraint: &GeneralName<'_>) -> bool {
    match (name, constraint) {
        (GeneralName::DNSName(n), GeneralName::DNSName(c)) => match n.strip_prefix("*.") {
            Some(base) => dns_within(base, c),
            None => dns_within(n, c),
        },
        (GeneralName::IPAddress(n), GeneralName::IPAddress(c)) => ip_within(n, c),
        (GeneralName::RFC822Name(n), GeneralName::RFC822Name(c)) => email_within(n, c),
        (GeneralName::DirectoryName(n), GeneralName::DirectoryName(c)) => dn_within(n, c),
        (GeneralName::OtherName(o1, v1), GeneralName::OtherName(o2, v2)) => o1 == o2 && v1 == v2,
        // URIs and other kinds are not evaluated: they are treated as inside.
        _ => true,
    }
}

/// Whether any name matched by `name` could lie inside `constraint`'s subtree.
fn overlaps(name: &GeneralName<'_>, constraint: &GeneralName<'_>) -> bool {
    match (name, constraint) {
        (GeneralName::DNSName(n), GeneralName::DNSName(c)) => match n.strip_prefix("*.") {
            // `*.example.com` reaches `bar.example.com` and everything under example.com's
            // children: it overlaps when the constraint is under the base or contains it.
            Some(base) => dns_within(base, c) || strict_subdomain(c, base),
            None => dns_within(n, c),
        },
        // Nothing can be proved about an otherName of an excluded type: fail closed.
        (GeneralName::OtherName(o1, _), GeneralName::OtherName(o2, _)) => o1 == o2,
        (GeneralName::URI(_), _) => false,
        _ => within(name, constraint),
    }
}

fn dns_within(name: &str, constraint: &str) -> bool {
    let name = name.trim_end_matches('.');
    let constraint = constraint.trim_end_matches('.');
    if constraint.is_empty() {
        return true;
    }
    name.eq_ignore_ascii_case(constraint) || strict_subdomain(name, constraint)
}

fn strict_subdomain(name: &str, parent: &str) -> bool {
    name.len() > parent.len() + 1
        && name
            .get(name.len() - parent.len()..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case(parent))
        && name.as_bytes().get(name.len() - parent.len() - 1) == Some(&b'.')
}

fn ip_within(addr: &[u8], range: &[u8]) -> bool {
    if range.len() != addr.len() * 2 {
        return false;
    }
    let (net, mask) = range.split_at(addr.len());
    addr.iter()
        .zip(net)
        .zip(mask)
        .all(|((a, n), m)| a & m == n & m)
}

fn email_within(mailbox: &str, constraint: &str) -> bool {
    let Some((_, domain)) = mailbox.rsplit_once('@') else {
        return false;
    };
    if constraint.contains('@') {
        super::names::email_matches(mailbox, constraint)
    } else if let Some(parent) = constraint.strip_prefix('.') {
        strict_subdomain(domain, parent)
    } else {
        domain.eq_ignore_ascii_case(constraint)
    }
}

/// Directory names: the constraint's RDNs are a prefix of the name's, compared after RFC 5280
/// 7.1 normalisation (case and surrounding/inner whitespace folded).
fn dn_within(name: &X509Name<'_>, constraint: &X509Name<'_>) -> bool {
    let n = normalised_rdns(name);
    let c = normalised_rdns(constraint);
    c.len() <= n.len() && n.iter().zip(&c).all(|(a, b)| a == b)
}

/// A Name as comparable RDNs: each a sorted list of (OID, folded value).
pub fn normalised_rdns(name: &X509Name<'_>) -> Vec<Vec<(String, String)>> {
    name.iter_rdn()
        .map(|rdn| {
            let mut attrs: Vec<(String, String)> = rdn
                .iter()
                .map(|a| {
                    let value = a
                        .as_str()
                        .map(|s| {
                            s.split_whitespace()
                                .collect::<Vec<_>>()
                                .join(" ")
                                .to_lowercase()
                        })
                        .unwrap_or_else(|_| crate::asn1::hex::colon(a.attr_value().data));
                    (crate::asn1::dotted(a.attr_type()), value)
                })
                .collect();
            attrs.sort();
            attrs
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_subtrees_respect_label_boundaries() {
        assert!(dns_within("foo.example.com", "example.com"));
        assert!(dns_within("EXAMPLE.com", "example.com"));
        assert!(!dns_within("fooexample.com", "example.com"));
        assert!(dns_within("anything.test", ""));
    }

    #[test]
    fn wildcards_against_subtrees() {
        let w = GeneralName::DNSName("*.example.com");
        assert!(overlaps(&w, &GeneralName::DNSName("bar.example.com")));
        assert!(!within(&w, &GeneralName::DNSName("foo.example.com")));
        assert!(within(
            &GeneralName::DNSName("*.foo.com"),
            &GeneralName::DNSName("foo.com")
        ));
    }

    #[test]
    fn ip_ranges() {
        assert!(ip_within(
            &[192, 0, 2, 7],
            &[192, 0, 2, 0, 255, 255, 255, 0]
        ));
        assert!(!ip_within(
            &[192, 0, 3, 7],
            &[192, 0, 2, 0, 255, 255, 255, 0]
        ));
        assert!(check_ip_range(&[192, 0, 2, 0, 255, 0, 255, 0]).is_err());
        assert!(check_ip_range(&[192, 0, 2, 0]).is_err());
    }

    #[test]
    fn email_forms() {
        assert!(email_within("foo@example.com", "example.com"));
        assert!(!email_within("foo@sub.example.com", "example.com"));
        assert!(email_within("foo@sub.example.com", ".example.com"));
        assert!(email_within("*@example.com", "*@example.com"));
        assert!(!email_within("user@example.com", "*@example.com"));
    }
}
