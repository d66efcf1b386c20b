//! PKCS#7 / CMS "certs-only" bundles (.p7b, .p7c), PEM or DER: ContentInfo { signedData,
//! SignedData { …, [0] IMPLICIT certificates, … } }. Only the certificates are taken.

use crate::asn1::{self, Asn1Error, TagClass};

/// The DER encoding of `1.2.840.113549.1.7.2` (id-signedData) with its tag and length.
const SIGNED_DATA_OID: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
];

/// Whether `der` starts like a PKCS#7 signedData ContentInfo.
pub fn is_signed_data(der: &[u8]) -> bool {
    asn1::content_of(der).is_ok_and(|(_, body)| body.starts_with(SIGNED_DATA_OID))
}

/// The certificates' DER, in bundle order.
pub fn certificates(der: &[u8]) -> Result<Vec<&[u8]>, Asn1Error> {
    let (_, info) = asn1::content_of(der)?;
    let parts = asn1::elements(info, 0)?;
    let Some((_, explicit)) = parts.get(1) else {
        return Ok(Vec::new());
    };
    let (_, members) = asn1::content_of(explicit)?;
    let mut out = Vec::new();
    for (header, content) in asn1::elements(members, 0)? {
        if header.class == TagClass::Context && header.number == 0 {
            let mut pos = 0;
            while pos < content.len() {
                let rest = content.get(pos..).unwrap_or_default();
                let h = asn1::read_header(rest, pos)?;
                out.push(rest.get(..h.total_len()).unwrap_or_default());
                pos += h.total_len();
            }
        }
    }
    Ok(out)
}
