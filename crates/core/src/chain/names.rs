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

/// What is wrong with a DNS name or a mailbox; the message says it in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// Nothing.
    #[error("the name is empty")]
    Empty,
    /// More than 253 characters.
    #[error("the name is longer than 253 characters")]
    TooLong,
    /// Not ASCII.
    #[error("the name is not ASCII; internationalised names must be in punycode (xn--)")]
    NotAscii,
    /// Every label numeric: an IP address.
    #[error("an IP address belongs in an iPAddress SAN, not a dNSName")]
    IpAddress,
    /// The top-level label is numeric.
    #[error("the top-level label is numeric")]
    NumericTld,
    /// A wildcard where none is allowed.
    #[error("a wildcard is not allowed here")]
    WildcardNotAllowed,
    /// `*.com`.
    #[error("a wildcard needs at least two labels after it (`*.com` covers a whole TLD)")]
    WildcardTooBroad,
    /// A leading, trailing or double dot.
    #[error("the name has an empty label (a leading, trailing or double dot)")]
    EmptyLabel,
    /// A label over 63 characters.
    #[error("label {0:?} is longer than 63 characters")]
    LabelTooLong(String),
    /// `a*.example.com`, `*.*.example.com`.
    #[error("label {0:?} has a wildcard that is not the whole leftmost label")]
    PartialWildcard(String),
    /// A character other than letters, digits and hyphens.
    #[error("label {label:?} contains {character:?}; only letters, digits and hyphens are allowed")]
    BadCharacter {
        /// The label.
        label: String,
        /// The character.
        character: char,
    },
    /// `-a.example.com`.
    #[error("label {0:?} starts or ends with a hyphen")]
    Hyphen(String),
    /// A mailbox whose domain is not a DNS name.
    #[error("the domain of {address:?} is invalid: {problem}")]
    MailboxDomain {
        /// The address.
        address: String,
        /// What is wrong with its domain.
        problem: Box<NameError>,
    },
    /// Not `local@domain`.
    #[error("{0:?} is not a mailbox (local@domain with one @)")]
    NotMailbox(String),
}

/// Checks DNS-name syntax (RFC 1034 preferred syntax, LDH labels). A wildcard is allowed only
/// as the whole leftmost label, and only when `wildcard` is true. The error says what is wrong.
pub fn check_dns_name(name: &str, wildcard: bool) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.len() > 253 {
        return Err(NameError::TooLong);
    }
    if !name.is_ascii() {
        return Err(NameError::NotAscii);
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels
        .iter()
        .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(NameError::IpAddress);
    }
    if labels
        .last()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(NameError::NumericTld);
    }
    for (i, label) in labels.iter().enumerate() {
        if i == 0 && *label == "*" {
            if !wildcard {
                return Err(NameError::WildcardNotAllowed);
            }
            if labels.len() < 3 {
                return Err(NameError::WildcardTooBroad);
            }
            continue;
        }
        if label.is_empty() {
            return Err(NameError::EmptyLabel);
        }
        if label.len() > 63 {
            return Err(NameError::LabelTooLong((*label).to_owned()));
        }
        if label.contains('*') {
            return Err(NameError::PartialWildcard((*label).to_owned()));
        }
        if let Some(bad) = label
            .chars()
            .find(|c| !c.is_ascii_alphanumeric() && *c != '-')
        {
            return Err(NameError::BadCharacter {
                label: (*label).to_owned(),
                character: bad,
            });
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(NameError::Hyphen((*label).to_owned()));
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
pub fn check_email(address: &str) -> Result<(), NameError> {
    let mut parts = address.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) if !local.is_empty() => check_dns_name(domain, false)
            .map_err(|e| NameError::MailboxDomain {
                address: address.to_owned(),
                problem: Box::new(e),
            }),
        _ => Err(NameError::NotMailbox(address.to_owned())),
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
                .to_string()
                .contains("'_'")
        );
        assert!(
            check_dns_name("127.0.0.1", false)
                .unwrap_err()
                .to_string()
                .contains("iPAddress")
        );
        assert!(
            check_dns_name("😜.example.com", false)
                .unwrap_err()
                .to_string()
                .contains("punycode")
        );
        assert_eq!(
            check_dns_name(".example.com", false),
            Err(NameError::EmptyLabel)
        );
        assert!(matches!(
            check_email("a@b..c"),
            Err(NameError::MailboxDomain { .. })
        ));
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
