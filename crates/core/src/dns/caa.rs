//! CAA records (RFC 8659) and their account and method parameters (RFC 8657): decoding one
//! record, and deciding whether the relevant record set lets a CA, named by its CAA domain,
//! issue a certificate for a name (or a wildcard).

use serde::Serialize;

use super::DnsError;
use super::wire::Reader;

/// One CAA record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Caa {
    /// The issuer-critical flag: a CA that does not understand the tag must not issue.
    pub critical: bool,
    /// The property tag (`issue`, `issuewild`, `iodef`, `issuemail`, …), lower-cased.
    pub tag: String,
    /// The value as published.
    pub value: String,
}

/// An `issue` or `issuewild` value: the CA's domain (none: nobody may issue) and its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssueValue {
    /// The CA's CAA domain (`letsencrypt.org`), lower-cased; `None` for `";"`.
    pub domain: Option<String>,
    /// Parameters such as `accounturi` and `validationmethods` (RFC 8657), in order.
    pub parameters: Vec<(String, String)>,
}

/// Decodes one CAA RDATA.
pub fn decode(rdata: &[u8]) -> Result<Caa, DnsError> {
    let mut r = Reader::new("CAA", rdata);
    let flags = r.u8("flags")?;
    let tag = r.short_field("tag")?;
    if tag.is_empty() || tag.len() > 15 || !tag.iter().all(u8::is_ascii_alphanumeric) {
        return Err(r.error("a tag of 1 to 15 ASCII letters and digits"));
    }
    let value = r.rest();
    Ok(Caa {
        critical: flags & 0x80 != 0,
        tag: String::from_utf8_lossy(tag).to_ascii_lowercase(),
        value: String::from_utf8_lossy(value).into_owned(),
    })
}

impl Caa {
    /// The value read as an `issue`/`issuewild` value (RFC 8659 §4.2).
    pub fn issue_value(&self) -> IssueValue {
        let mut parts = self.value.split(';');
        let domain = parts
            .next()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_ascii_lowercase);
        let parameters = parts
            .filter_map(|p| {
                let (k, v) = p.split_once('=')?;
                Some((k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            })
            .collect();
        IssueValue { domain, parameters }
    }

    fn is_known(&self) -> bool {
        matches!(
            self.tag.as_str(),
            "issue"
                | "issuewild"
                | "iodef"
                | "issuemail"
                | "issuevmc"
                | "contactemail"
                | "contactphone"
        )
    }
}

/// What the relevant CAA set says about one CA issuing for one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorisation {
    /// No `issue`/`issuewild` property applies: any CA may issue.
    Unrestricted,
    /// The CA is named.
    Allowed,
    /// The set names other CAs (or none, with `";"`), listed here.
    Forbidden(Vec<String>),
    /// An issuer-critical property with a tag no CA is required to understand.
    UnknownCritical(String),
}

/// Whether `ca_domain` may issue under `records` (the relevant set: the first one found walking
/// up from the name), for a wildcard name when `wildcard` (where `issuewild`, if present, rules).
pub fn authorises(records: &[Caa], ca_domain: &str, wildcard: bool) -> Authorisation {
    if let Some(c) = records.iter().find(|c| c.critical && !c.is_known()) {
        return Authorisation::UnknownCritical(c.tag.clone());
    }
    let tag = if wildcard && records.iter().any(|c| c.tag == "issuewild") {
        "issuewild"
    } else {
        "issue"
    };
    let relevant: Vec<IssueValue> = records
        .iter()
        .filter(|c| c.tag == tag)
        .map(Caa::issue_value)
        .collect();
    if relevant.is_empty() {
        return Authorisation::Unrestricted;
    }
    let ca = ca_domain.trim_end_matches('.').to_ascii_lowercase();
    if relevant
        .iter()
        .any(|v| v.domain.as_deref().map(|d| d.trim_end_matches('.')) == Some(ca.as_str()))
    {
        return Authorisation::Allowed;
    }
    Authorisation::Forbidden(relevant.into_iter().filter_map(|v| v.domain).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caa(flags: u8, tag: &str, value: &str) -> Vec<u8> {
        let mut v = vec![flags, tag.len() as u8];
        v.extend_from_slice(tag.as_bytes());
        v.extend_from_slice(value.as_bytes());
        v
    }

    #[test]
    fn decodes_rfc_8657_parameters() {
        let c = decode(&caa(
            0,
            "issue",
            "letsencrypt.org; accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/1; validationmethods=dns-01",
        ))
        .unwrap();
        let v = c.issue_value();
        assert_eq!(v.domain.as_deref(), Some("letsencrypt.org"));
        assert_eq!(v.parameters[0].0, "accounturi");
        assert_eq!(
            v.parameters[1],
            ("validationmethods".into(), "dns-01".into())
        );
    }

    #[test]
    fn a_bad_tag_says_where() {
        let e = decode(&[0, 0]).unwrap_err();
        assert_eq!((e.record, e.offset), ("CAA", 2));
        let e = decode(&[0]).unwrap_err();
        assert!(e.to_string().contains("tag"), "{e}");
    }

    #[test]
    fn issue_issuewild_and_semicolon() {
        let set = vec![
            decode(&caa(0, "issue", "letsencrypt.org")).unwrap(),
            decode(&caa(0, "issuewild", ";")).unwrap(),
            decode(&caa(0, "iodef", "mailto:sec@example.com")).unwrap(),
        ];
        assert_eq!(
            authorises(&set, "letsencrypt.org", false),
            Authorisation::Allowed
        );
        assert_eq!(
            authorises(&set, "LetsEncrypt.org.", false),
            Authorisation::Allowed
        );
        assert_eq!(
            authorises(&set, "digicert.com", false),
            Authorisation::Forbidden(vec!["letsencrypt.org".into()])
        );
        assert_eq!(
            authorises(&set, "letsencrypt.org", true),
            Authorisation::Forbidden(vec![])
        );
        let iodef_only = vec![decode(&caa(0, "iodef", "mailto:a@b")).unwrap()];
        assert_eq!(
            authorises(&iodef_only, "digicert.com", false),
            Authorisation::Unrestricted
        );
        let critical = vec![decode(&caa(128, "tbs", "x")).unwrap()];
        assert_eq!(
            authorises(&critical, "letsencrypt.org", false),
            Authorisation::UnknownCritical("tbs".into())
        );
    }
}
