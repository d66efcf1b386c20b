//! Distinguished names: the RFC 4514 string people paste into configs, and the attributes.

use std::borrow::Cow;

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
    pub key: Cow<'static, str>,
    /// The value as text.
    pub value: String,
}

impl DistinguishedName {
    pub(crate) fn from_x509(name: &X509Name<'_>) -> Self {
        // One vector of attributes, and where each RDN starts in it (not one vector per RDN).
        let mut attributes: Vec<NameAttribute> = Vec::new();
        let mut starts: Vec<usize> = Vec::new();
        for rdn in name.iter_rdn() {
            starts.push(attributes.len());
            attributes.extend(rdn.iter().map(|attr| NameAttribute {
                key: known_attribute(attr.attr_type().as_bytes()).map_or_else(
                    || Cow::Owned(attribute_key(&crate::asn1::dotted(attr.attr_type()))),
                    Cow::Borrowed,
                ),
                value: attr.as_str().map_or_else(
                    |_| format!("#{}", hex::upper(attr.as_slice())),
                    str::to_owned,
                ),
            }));
        }
        // Most specific RDN first; one string, no string per RDN.
        let mut rfc4514 = String::with_capacity(name.as_raw().len());
        let rdn = |k: usize| {
            let start = starts.get(k).copied().unwrap_or_default();
            let end = starts.get(k + 1).copied().unwrap_or(attributes.len());
            attributes.get(start..end).unwrap_or_default()
        };
        for (i, rdn) in (0..starts.len()).rev().map(rdn).enumerate() {
            if i > 0 {
                rfc4514.push(',');
            }
            for (j, a) in rdn.iter().enumerate() {
                if j > 0 {
                    rfc4514.push('+');
                }
                rfc4514.push_str(&a.key);
                rfc4514.push('=');
                escape_into(&mut rfc4514, &a.value);
            }
        }
        Self {
            rfc4514,
            attributes,
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

/// The short name of the attributes nearly every name is made of, by their DER content
/// octets (2.5.4.x is `55 04 x`), without rendering the OID first.
fn known_attribute(der: &[u8]) -> Option<&'static str> {
    Some(match der {
        [0x55, 0x04, 0x03] => "CN",
        [0x55, 0x04, 0x06] => "C",
        [0x55, 0x04, 0x07] => "L",
        [0x55, 0x04, 0x08] => "ST",
        [0x55, 0x04, 0x0a] => "O",
        [0x55, 0x04, 0x0b] => "OU",
        _ => return None,
    })
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
#[cfg(test)]
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    escape_into(&mut out, value);
    out
}

/// RFC 4514 section 2.4 escaping of `value`, appended to `out`.
fn escape_into(out: &mut String, value: &str) {
    if !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b" .-_@:/()'=*&!?".contains(&b))
        && !value.starts_with(' ')
        && !value.ends_with(' ')
    {
        // Nothing to escape (most names): copied as it is.
        out.push_str(value);
        return;
    }
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
}

#[cfg(test)]
mod tests {
    use super::escape;

    /// The byte shortcut names the same attributes as the dotted table.
    #[test]
    fn known_attributes_agree_with_the_dotted_names() {
        for last in 0u8..=0x30 {
            let der = [0x55, 0x04, last];
            if let Some(short) = super::known_attribute(&der) {
                assert_eq!(
                    crate::asn1::oid(&der).map(|o| super::attribute_key(&o)),
                    Some(short.to_owned())
                );
            }
        }
    }

    #[test]
    fn escapes_rfc4514_specials() {
        assert_eq!(escape("Acme, Inc."), "Acme\\, Inc.");
        assert_eq!(escape("#x "), "\\#x\\ ");
        assert_eq!(escape("a+b"), "a\\+b");
    }
}
