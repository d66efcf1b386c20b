//! Names a certificate is for: DNS-name syntax, RFC 6125 host-name matching (SAN only,
//! wildcard rules, IP SANs) and e-mail matching for client certificates.

use std::net::IpAddr;

use serde::Serialize;

/// The name a peer is expected to have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
pub enum PeerName {
    /// A DNS host name.
    Dns(String),
    /// An IP address.
    Ip(IpAddr),
    /// An e-mail address (client certificates).
    Email(String),
}

impl PeerName {
    /// A host as people type it: an IP address if it parses as one, else a DNS name.
    pub fn host(text: &str) -> Self {
        let trimmed = text.trim().trim_start_matches('[').trim_end_matches(']');
        match trimmed.parse::<IpAddr>() {
            Ok(ip) => PeerName::Ip(ip),
            Err(_) => PeerName::Dns(trimmed.trim_end_matches('.').to_owned()),
        }
    }
}

impl PeerName {
    /// Names as people list them in one field: separated by commas or spaces, each an e-mail
    /// address when it has an `@`, else a host (IP address or DNS name).
    pub fn list(text: &str) -> Vec<Self> {
        text.split(|c: char| c == ',' || c.is_whitespace())
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| {
                if n.contains('@') {
                    PeerName::Email(n.to_owned())
                } else {
                    PeerName::host(n)
                }
            })
            .collect()
    }
}

impl std::fmt::Display for PeerName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PeerName::Dns(d) => write!(f, "{d}"),
            PeerName::Ip(ip) => write!(f, "{ip}"),
            PeerName::Email(e) => write!(f, "{e}"),
        }
    }
}

/// Checks DNS-name syntax (RFC 1034 preferred syntax, LDH labels). A wildcard is allowed only
/// as the whole leftmost label, and only when `wildcard` is true. The error says what is wrong.
pub fn check_dns_name(name: &str, wildcard: bool) -> Result<(), String> {
    if name.is_empty() {
        return Err("the name is empty".into());
    }
    if name.len() > 253 {
        return Err("the name is longer than 253 characters".into());
    }
    if !name.is_ascii() {
        return Err(
            "the name is not ASCII; internationalised names must be in punycode (xn--)".into(),
        );
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels
        .iter()
        .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("an IP address belongs in an iPAddress SAN, not a dNSName".into());
    }
    if labels
        .last()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("the top-level label is numeric".into());
    }
    for (i, label) in labels.iter().enumerate() {
        if i == 0 && *label == "*" {
            if !wildcard {
                return Err("a wildcard is not allowed here".into());
            }
            if labels.len() < 3 {
                return Err(
                    "a wildcard needs at least two labels after it (`*.com` covers a whole TLD)"
                        .into(),
                );
            }
            continue;
        }
        if label.is_empty() {
            return Err("the name has an empty label (a leading, trailing or double dot)".into());
        }
        if label.len() > 63 {
            return Err(format!("label {label:?} is longer than 63 characters"));
        }
        if label.contains('*') {
            return Err(format!(
                "label {label:?} has a wildcard that is not the whole leftmost label"
            ));
        }
        if let Some(bad) = label
            .chars()
            .find(|c| !c.is_ascii_alphanumeric() && *c != '-')
        {
            return Err(format!(
                "label {label:?} contains {bad:?}; only letters, digits and hyphens are allowed"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("label {label:?} starts or ends with a hyphen"));
        }
    }
    Ok(())
}

/// Whether SAN dNSName `pattern` matches `host` (RFC 6125 6.4: case-insensitive; a wildcard is
/// the whole leftmost label and matches exactly one non-empty label).
pub fn dns_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.');
    let host = host.trim_end_matches('.');
    if check_dns_name(pattern, true).is_err() || check_dns_name(host, false).is_err() {
        return false;
    }
    match pattern.strip_prefix("*.") {
        Some(base) => host
            .split_once('.')
            .is_some_and(|(first, rest)| !first.is_empty() && rest.eq_ignore_ascii_case(base)),
        None => pattern.eq_ignore_ascii_case(host),
    }
}

/// Checks rfc822Name syntax: one `@`, a non-empty local part, a valid domain.
pub fn check_email(address: &str) -> Result<(), String> {
    let mut parts = address.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) if !local.is_empty() => check_dns_name(domain, false)
            .map_err(|e| format!("the domain of {address:?} is invalid: {e}")),
        _ => Err(format!(
            "{address:?} is not a mailbox (local@domain with one @)"
        )),
    }
}

/// Whether SAN rfc822Name `san` is the mailbox `wanted` (local part exact, domain
/// case-insensitive).
pub fn email_matches(san: &str, wanted: &str) -> bool {
    match (san.rsplit_once('@'), wanted.rsplit_once('@')) {
        (Some((l1, d1)), Some((l2, d2))) => l1 == l2 && d1.eq_ignore_ascii_case(d2),
        _ => false,
    }
}

/// An iPAddress SAN as an address, when it is 4 or 16 bytes.
pub fn ip_from_san(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_one_leftmost_label() {
        assert!(dns_matches("*.example.com", "foo.example.com"));
        assert!(dns_matches("*.EXAMPLE.com", "Foo.example.COM"));
        assert!(!dns_matches("*.example.com", "example.com"));
        assert!(!dns_matches("*.example.com", "a.b.example.com"));
        assert!(!dns_matches("ba*.example.com", "bar.example.com"));
        assert!(!dns_matches("foo.*.example.com", "foo.bar.example.com"));
        assert!(!dns_matches("*", "com"));
        assert!(!dns_matches("*.com", "example.com"));
        assert!(dns_matches("example.com", "example.com."));
    }

    #[test]
    fn dns_syntax_errors_say_what_is_wrong() {
        assert!(
            check_dns_name("a_b.example.com", false)
                .unwrap_err()
                .contains("'_'")
        );
        assert!(
            check_dns_name("127.0.0.1", false)
                .unwrap_err()
                .contains("iPAddress")
        );
        assert!(
            check_dns_name("😜.example.com", false)
                .unwrap_err()
                .contains("punycode")
        );
        assert!(check_dns_name(".example.com", false).is_err());
        assert!(check_dns_name("xn--bcher-kva.example", false).is_ok());
    }

    #[test]
    fn hosts_parse_as_ip_or_dns() {
        assert_eq!(
            PeerName::host("127.0.0.1"),
            PeerName::Ip([127, 0, 0, 1].into())
        );
        assert_eq!(
            PeerName::host("[::1]"),
            PeerName::Ip("::1".parse().unwrap())
        );
        assert_eq!(
            PeerName::host("example.com."),
            PeerName::Dns("example.com".into())
        );
    }

    #[test]
    fn a_field_of_names_reads_hosts_ips_and_emails() {
        assert_eq!(
            PeerName::list(" www.example.com, 192.0.2.7 ops@example.com,,"),
            vec![
                PeerName::Dns("www.example.com".into()),
                PeerName::Ip("192.0.2.7".parse().unwrap()),
                PeerName::Email("ops@example.com".into()),
            ]
        );
        assert!(PeerName::list("  ").is_empty());
    }

    #[test]
    fn email_matching() {
        assert!(email_matches("foo@Example.com", "foo@example.com"));
        assert!(!email_matches("Foo@example.com", "foo@example.com"));
        assert!(check_email("a@b@example.com").is_err());
    }
}
