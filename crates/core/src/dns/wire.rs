//! Reading DNS RDATA: a bounded cursor over the bytes that says, on every failure, which record,
//! which byte and what was expected there. Names inside RDATA (the SVCB TargetName) are never
//! compressed (RFC 9460 §2.2), so no pointer is ever followed.

use super::DnsError;

/// A cursor over one record's RDATA.
pub(crate) struct Reader<'a> {
    record: &'static str,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(record: &'static str, bytes: &'a [u8]) -> Self {
        Self {
            record,
            bytes,
            at: 0,
        }
    }

    /// An error at the current offset.
    pub(crate) fn error(&self, expected: impl Into<String>) -> DnsError {
        DnsError {
            record: self.record,
            offset: self.at,
            expected: expected.into(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.at >= self.bytes.len()
    }

    pub(crate) fn u8(&mut self, what: &str) -> Result<u8, DnsError> {
        Ok(self.take(1, what)?[0])
    }

    pub(crate) fn u16(&mut self, what: &str) -> Result<u16, DnsError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], DnsError> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len());
        match end {
            Some(end) => {
                let out = &self.bytes[self.at..end];
                self.at = end;
                Ok(out)
            }
            None => Err(self.error(format!(
                "{what} ({n} bytes), found {} bytes left",
                self.bytes.len() - self.at
            ))),
        }
    }

    /// Everything not yet read.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let out = &self.bytes[self.at.min(self.bytes.len())..];
        self.at = self.bytes.len();
        out
    }

    /// A length-prefixed (u8) field.
    pub(crate) fn short_field(&mut self, what: &str) -> Result<&'a [u8], DnsError> {
        let n = self.u8(what)?;
        self.take(usize::from(n), what)
    }

    /// A length-prefixed (u16) field.
    pub(crate) fn long_field(&mut self, what: &str) -> Result<&'a [u8], DnsError> {
        let n = self.u16(what)?;
        self.take(usize::from(n), what)
    }

    /// An uncompressed domain name in wire form, as text with a trailing dot (`.` for the root).
    pub(crate) fn name(&mut self, what: &str) -> Result<String, DnsError> {
        let mut labels = Vec::new();
        let mut total = 0usize;
        loop {
            let len = self.u8(what)?;
            if len == 0 {
                break;
            }
            if len & 0xC0 != 0 {
                return Err(self.error(format!(
                    "{what}: an uncompressed label (length 1–63), found {len:#04x} (a compression pointer is not allowed here)"
                )));
            }
            let label = self.take(usize::from(len), what)?;
            total += usize::from(len) + 1;
            if total > 254 {
                return Err(self.error(format!("{what}: a name of at most 255 bytes")));
            }
            labels.push(
                label
                    .iter()
                    .map(|b| char::from(*b).to_ascii_lowercase())
                    .collect::<String>(),
            );
        }
        if labels.is_empty() {
            return Ok(".".into());
        }
        Ok(format!("{}.", labels.join(".")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_in_wire_form_and_pointers_are_refused() {
        let mut r = Reader::new("SVCB", b"\x03www\x07example\x03com\x00");
        assert_eq!(r.name("target").unwrap(), "www.example.com.");
        assert_eq!(Reader::new("SVCB", b"\x00").name("t").unwrap(), ".");
        let e = Reader::new("SVCB", b"\xc0\x0c").name("target").unwrap_err();
        assert!(e.to_string().contains("compression pointer"), "{e}");
        let e = Reader::new("SVCB", b"\x05ab").name("target").unwrap_err();
        assert_eq!(e.offset, 1);
    }
}
