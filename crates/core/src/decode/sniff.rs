//! Recognising inputs that are plainly something else (images, archives, PKCS#12), so the error
//! says what the file *is* rather than only what it is not.

/// A well-known non-certificate format, by magic number.
pub fn foreign_format(input: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"\x89PNG\r\n\x1a\n", "a PNG image"),
        (b"GIF8", "a GIF image"),
        (b"%PDF-", "a PDF document"),
        (b"PK\x03\x04", "a ZIP archive"),
        (b"\x1f\x8b", "a gzip archive"),
        (b"\x7fELF", "an ELF executable"),
        (b"<!DOCTYPE html", "an HTML page"),
        (b"<html", "an HTML page"),
    ];
    MAGIC
        .iter()
        .find(|(magic, _)| input.starts_with(magic))
        .map(|(_, name)| *name)
}

/// PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo { OID pkcs7-data | signedData, … } }
pub fn is_pkcs12(input: &[u8]) -> bool {
    let Ok(outer) = crate::asn1::read_header(input, 0) else {
        return false;
    };
    let rest = input.get(outer.header_len..).unwrap_or_default();
    // INTEGER 3, then a SEQUENCE whose first element is the PKCS#7 data/signedData OID.
    if !rest.starts_with(&[0x02, 0x01, 0x03, 0x30]) {
        return false;
    }
    let Some(after) = rest.get(3..) else {
        return false;
    };
    let Ok(info) = crate::asn1::read_header(after, 0) else {
        return false;
    };
    let body = after.get(info.header_len..).unwrap_or_default();
    body.starts_with(&[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_images() {
        assert_eq!(
            foreign_format(b"\xff\xd8\xff\xe0\x00\x10JFIF"),
            Some("a JPEG image")
        );
        assert_eq!(foreign_format(b"0\x82"), None);
    }
}
