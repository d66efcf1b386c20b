//! Distinguished names: the RFC 4514 string people paste into configs, and the attributes.

use serde::Serialize;
use x509_parser::x509::X509Name;

use crate::asn1::hex;

/// A subject or issuer name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DistinguishedName {
    /// RFC 4514 form: most specific RDN first, `,` between RDNs, `+` within one.
    pub rfc4514: String,
    /// Attributes in encoding order (least specific first, as `openssl x509 -subject` prints).
    pub attributes: Vec<NameAttribute>,
    /// The DER of the name, for exact comparisons in chain building.
    #[serde(skip)]
    pub raw_der: Vec<u8>,
}

/// One attribute of a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NameAttribute {
    /// Short name (`CN`, `O`, …) or dotted OID.
    pub key: String,
    /// The value as text.
    pub value: String,
}

impl DistinguishedName {
    pub(crate) fn from_x509(name: &X509Name<'_>) -> Self {
        let mut rdns: Vec<Vec<NameAttribute>> = Vec::new();
        for rdn in name.iter_rdn() {
            rdns.push(
                rdn.iter()
                    .map(|attr| NameAttribute {
                        key: attribute_key(&attr.attr_type().to_id_string()),
                        value: attr.as_str().map_or_else(
                            |_| format!("#{}", hex::upper(attr.as_slice())),
                            str::to_owned,
                        ),
                    })
                    .collect(),
            );
        }
        let rfc4514 = rdns
            .iter()
            .rev()
            .map(|rdn| {
                rdn.iter()
                    .map(|a| format!("{}={}", a.key, escape(&a.value)))
                    .collect::<Vec<_>>()
                    .join("+")
            })
            .collect::<Vec<_>>()
            .join(",");
        Self {
            rfc4514,
            attributes: rdns.into_iter().flatten().collect(),
            raw_der: name.as_raw().to_vec(),
        }
    }

    /// The first common name, if any.
    pub fn common_name(&self) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.key == "CN")
            .map(|a| a.value.as_str())
    }
}

fn attribute_key(oid: &str) -> String {
    match oid {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.5" => "serialNumber",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        "1.2.840.113549.1.9.1" => "emailAddress",
        other => other,
    }
    .to_owned()
}

/// RFC 4514 section 2.4 escaping.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == '#' || c == ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
        }
        if c == '\0' {
            out.push_str("\\00");
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_rfc4514_specials() {
        assert_eq!(escape("Acme, Inc."), "Acme\\, Inc.");
        assert_eq!(escape("#x "), "\\#x\\ ");
        assert_eq!(escape("a+b"), "a\\+b");
    }
}
