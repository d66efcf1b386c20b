//! DER tag-length-value walking with byte offsets, and the raw ASN.1 tree the dashboard shows.
//!
//! This is deliberately small and defensive: it is the part that tells a person *where* their
//! bytes stop making sense ("SEQUENCE at offset 0 declares 1200 content bytes, 900 remain").

use serde::Serialize;

/// Deepest nesting the tree walker follows; real certificates nest fewer than 12 levels.
const MAX_DEPTH: usize = 64;
/// Most nodes one tree may hold, so a hostile input cannot make the page allocate without bound.
const MAX_NODES: usize = 20_000;

/// Why bytes are not well-formed DER.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[non_exhaustive]
pub enum Asn1Error {
    /// The input ended inside a tag or length.
    #[error("truncated DER at byte offset {offset}: expected {expected}, found end of input")]
    Truncated {
        /// Byte offset where more input was expected.
        offset: usize,
        /// What was expected there.
        expected: &'static str,
    },
    /// A value's declared length runs past the end of the input.
    #[error(
        "truncated DER: {tag} at byte offset {offset} declares {declared} content bytes but only {available} remain"
    )]
    LengthOverrun {
        /// Offset of the element's tag.
        offset: usize,
        /// The element's tag name.
        tag: String,
        /// Declared content length.
        declared: usize,
        /// Bytes actually left.
        available: usize,
    },
    /// Indefinite lengths are BER, not DER.
    #[error("indefinite length at byte offset {offset}: DER requires definite lengths")]
    IndefiniteLength {
        /// Offset of the length octets.
        offset: usize,
    },
    /// A length field of more than 4 octets.
    #[error("length at byte offset {offset} uses {octets} octets; at most 4 are supported")]
    LengthTooLong {
        /// Offset of the length octets.
        offset: usize,
        /// Octets the length claimed.
        octets: usize,
    },
    /// A tag number that does not fit in 32 bits.
    #[error("tag number at byte offset {offset} is too large")]
    TagTooLarge {
        /// Offset of the tag.
        offset: usize,
    },
    /// The tree would exceed the depth or size budget.
    #[error(
        "ASN.1 structure at byte offset {offset} nests deeper than {MAX_DEPTH} levels or has more than {MAX_NODES} elements"
    )]
    TooComplex {
        /// Offset where the budget ran out.
        offset: usize,
    },
}

/// The class of an ASN.1 tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TagClass {
    /// Universal (SEQUENCE, INTEGER, …).
    Universal,
    /// Application-specific.
    Application,
    /// Context-specific (`[0]`, `[3]`, …).
    Context,
    /// Private.
    Private,
}

/// One decoded tag-length header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Offset of the first tag octet in the whole input.
    pub offset: usize,
    /// Tag class.
    pub class: TagClass,
    /// Whether the value holds further elements.
    pub constructed: bool,
    /// Tag number within its class.
    pub number: u32,
    /// Octets of tag plus length.
    pub header_len: usize,
    /// Octets of content.
    pub content_len: usize,
}

impl Header {
    /// Total encoded length: header plus content.
    pub fn total_len(&self) -> usize {
        self.header_len + self.content_len
    }

    /// A readable tag name: `SEQUENCE`, `INTEGER`, `[0]`, `[APPLICATION 2]`.
    pub fn tag_name(&self) -> String {
        match self.class {
            TagClass::Universal => universal_name(self.number)
                .map_or_else(|| format!("UNIVERSAL {}", self.number), str::to_owned),
            TagClass::Context => format!("[{}]", self.number),
            TagClass::Application => format!("[APPLICATION {}]", self.number),
            TagClass::Private => format!("[PRIVATE {}]", self.number),
        }
    }
}

fn universal_name(number: u32) -> Option<&'static str> {
    Some(match number {
        1 => "BOOLEAN",
        2 => "INTEGER",
        3 => "BIT STRING",
        4 => "OCTET STRING",
        5 => "NULL",
        6 => "OBJECT IDENTIFIER",
        10 => "ENUMERATED",
        12 => "UTF8String",
        16 => "SEQUENCE",
        17 => "SET",
        19 => "PrintableString",
        20 => "T61String",
        22 => "IA5String",
        23 => "UTCTime",
        24 => "GeneralizedTime",
        26 => "VisibleString",
        28 => "UniversalString",
        30 => "BMPString",
        _ => return None,
    })
}

/// Reads the tag and length at `input[0..]`; `base` is the offset of `input` in the whole buffer.
/// Checks that the declared content fits in `input`.
pub fn read_header(input: &[u8], base: usize) -> Result<Header, Asn1Error> {
    let first = *input.first().ok_or(Asn1Error::Truncated {
        offset: base,
        expected: "a tag",
    })?;
    let class = match first >> 6 {
        0 => TagClass::Universal,
        1 => TagClass::Application,
        2 => TagClass::Context,
        _ => TagClass::Private,
    };
    let constructed = first & 0x20 != 0;
    let mut pos = 1;
    let mut number = u32::from(first & 0x1f);
    if number == 0x1f {
        number = 0;
        loop {
            let b = *input.get(pos).ok_or(Asn1Error::Truncated {
                offset: base + pos,
                expected: "a high tag number octet",
            })?;
            pos += 1;
            if number > (u32::MAX >> 7) {
                return Err(Asn1Error::TagTooLarge { offset: base });
            }
            number = (number << 7) | u32::from(b & 0x7f);
            if b & 0x80 == 0 {
                break;
            }
        }
    }
    let len_offset = base + pos;
    let first_len = *input.get(pos).ok_or(Asn1Error::Truncated {
        offset: len_offset,
        expected: "a length",
    })?;
    pos += 1;
    let content_len = if first_len < 0x80 {
        usize::from(first_len)
    } else if first_len == 0x80 {
        return Err(Asn1Error::IndefiniteLength { offset: len_offset });
    } else {
        let octets = usize::from(first_len & 0x7f);
        if octets > 4 {
            return Err(Asn1Error::LengthTooLong {
                offset: len_offset,
                octets,
            });
        }
        let mut len = 0usize;
        for _ in 0..octets {
            let b = *input.get(pos).ok_or(Asn1Error::Truncated {
                offset: base + pos,
                expected: "a length octet",
            })?;
            pos += 1;
            len = (len << 8) | usize::from(b);
        }
        len
    };
    let header = Header {
        offset: base,
        class,
        constructed,
        number,
        header_len: pos,
        content_len,
    };
    let available = input.len() - pos;
    if content_len > available {
        return Err(Asn1Error::LengthOverrun {
            offset: base,
            tag: header.tag_name(),
            declared: content_len,
            available,
        });
    }
    Ok(header)
}

/// One element of the raw ASN.1 tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    /// Offset of the tag in the whole input.
    pub offset: usize,
    /// Octets of tag plus length.
    pub header_len: usize,
    /// Octets of content.
    pub content_len: usize,
    /// Readable tag name.
    pub tag: String,
    /// A short rendering of primitive values (OIDs dotted, strings, times, hex preview).
    pub value: Option<String>,
    /// Children of constructed values, and DER encapsulated in OCTET/BIT STRINGs.
    pub children: Vec<Node>,
}

/// Builds the ASN.1 tree of one DER element at the start of `input`.
pub fn tree(input: &[u8]) -> Result<Node, Asn1Error> {
    let mut budget = MAX_NODES;
    node(input, 0, 0, &mut budget)
}

fn node(input: &[u8], base: usize, depth: usize, budget: &mut usize) -> Result<Node, Asn1Error> {
    if depth > MAX_DEPTH || *budget == 0 {
        return Err(Asn1Error::TooComplex { offset: base });
    }
    *budget -= 1;
    let header = read_header(input, base)?;
    let content = input
        .get(header.header_len..header.total_len())
        .unwrap_or_default();
    let content_base = base + header.header_len;
    let mut value = None;
    let mut children = Vec::new();
    if header.constructed {
        children = sequence(content, content_base, depth, budget)?;
    } else if header.class == TagClass::Universal {
        value = Some(render_primitive(header.number, content));
        // Extensions and keys wrap DER inside OCTET and BIT STRINGs: show it when it parses fully.
        let inner = match header.number {
            4 => Some((content, content_base)),
            3 => content
                .get(1..)
                .filter(|_| content.first() == Some(&0))
                .map(|c| (c, content_base + 1)),
            _ => None,
        };
        if let Some((inner, inner_base)) = inner
            && inner.first().is_some_and(|b| *b == 0x30 || *b == 0x31)
        {
            let mut trial_budget = *budget;
            if let Ok(nodes) = sequence(inner, inner_base, depth, &mut trial_budget) {
                *budget = trial_budget;
                children = nodes;
            }
        }
    } else {
        value = Some(hex_preview(content));
    }
    Ok(Node {
        offset: base,
        header_len: header.header_len,
        content_len: header.content_len,
        tag: header.tag_name(),
        value,
        children,
    })
}

fn sequence(
    mut content: &[u8],
    mut base: usize,
    depth: usize,
    budget: &mut usize,
) -> Result<Vec<Node>, Asn1Error> {
    let mut out = Vec::new();
    while !content.is_empty() {
        let child = node(content, base, depth + 1, budget)?;
        let used = child.header_len + child.content_len;
        content = content.get(used..).unwrap_or_default();
        base += used;
        out.push(child);
    }
    Ok(out)
}

fn render_primitive(number: u32, content: &[u8]) -> String {
    match number {
        1 => (if content.first().is_some_and(|b| *b != 0) {
            "TRUE"
        } else {
            "FALSE"
        })
        .to_owned(),
        2 | 10 => integer(content),
        5 => String::new(),
        6 => oid(content).unwrap_or_else(|| hex_preview(content)),
        12 | 19 | 20 | 22 | 23 | 24 | 26 => String::from_utf8_lossy(content).into_owned(),
        30 => {
            let units: Vec<u16> = content
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        3 => match content.split_first() {
            Some((unused, bits)) => format!(
                "{} bits: {}",
                bits.len() * 8 - usize::from(*unused).min(bits.len() * 8),
                hex_preview(bits)
            ),
            None => "empty".to_owned(),
        },
        _ => hex_preview(content),
    }
}

fn integer(content: &[u8]) -> String {
    if content.len() <= 8 {
        let mut v: i64 = if content.first().is_some_and(|b| b & 0x80 != 0) {
            -1
        } else {
            0
        };
        for b in content {
            v = (v << 8) | i64::from(*b);
        }
        v.to_string()
    } else {
        format!("0x{}", hex::upper(content))
    }
}

/// The OIDs nearly every certificate carries, by content octets, for [`oid`]'s fast path (a
/// certificate has a few dozen OIDs, and formatting them was 7% of decoding one). A test keeps
/// each text equal to what the general formatter makes of its octets.
macro_rules! known_oids {
    ($([$($byte:literal),+] => $text:literal,)+) => {
        fn known_oid(content: &[u8]) -> Option<&'static str> {
            match content {
                $([$($byte),+] => Some($text),)+
                _ => None,
            }
        }
        #[cfg(test)]
        const KNOWN_OIDS: &[(&[u8], &str)] = &[$((&[$($byte),+], $text),)+];
    };
}

known_oids! {
    [0x55, 0x04, 0x03] => "2.5.4.3",
    [0x55, 0x04, 0x05] => "2.5.4.5",
    [0x55, 0x04, 0x06] => "2.5.4.6",
    [0x55, 0x04, 0x07] => "2.5.4.7",
    [0x55, 0x04, 0x08] => "2.5.4.8",
    [0x55, 0x04, 0x0a] => "2.5.4.10",
    [0x55, 0x04, 0x0b] => "2.5.4.11",
    [0x55, 0x1d, 0x0e] => "2.5.29.14",
    [0x55, 0x1d, 0x0f] => "2.5.29.15",
    [0x55, 0x1d, 0x11] => "2.5.29.17",
    [0x55, 0x1d, 0x13] => "2.5.29.19",
    [0x55, 0x1d, 0x1e] => "2.5.29.30",
    [0x55, 0x1d, 0x1f] => "2.5.29.31",
    [0x55, 0x1d, 0x20] => "2.5.29.32",
    [0x55, 0x1d, 0x23] => "2.5.29.35",
    [0x55, 0x1d, 0x25] => "2.5.29.37",
    [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01] => "1.3.6.1.5.5.7.1.1",
    [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01] => "1.3.6.1.5.5.7.3.1",
    [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02] => "1.3.6.1.5.5.7.3.2",
    [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01] => "1.3.6.1.5.5.7.48.1",
    [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02] => "1.3.6.1.5.5.7.48.2",
    [0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02] => "1.3.6.1.4.1.11129.2.4.2",
    [0x67, 0x81, 0x0c, 0x01, 0x02, 0x01] => "2.23.140.1.2.1",
    [0x67, 0x81, 0x0c, 0x01, 0x02, 0x02] => "2.23.140.1.2.2",
    [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01] => "1.2.840.10045.2.1",
    [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07] => "1.2.840.10045.3.1.7",
    [0x2b, 0x81, 0x04, 0x00, 0x22] => "1.3.132.0.34",
    [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02] => "1.2.840.10045.4.3.2",
    [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03] => "1.2.840.10045.4.3.3",
    [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01] => "1.2.840.113549.1.1.1",
    [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05] => "1.2.840.113549.1.1.5",
    [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b] => "1.2.840.113549.1.1.11",
    [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c] => "1.2.840.113549.1.1.12",
    [0x2b, 0x65, 0x70] => "1.3.101.112",
}

/// Renders a DER-encoded OBJECT IDENTIFIER's content octets in dotted form, into one string
/// (no string per arc: a certificate has a few dozen OIDs, and this is on the decode path).
pub fn oid(content: &[u8]) -> Option<String> {
    match known_oid(content) {
        Some(text) => Some(text.to_owned()),
        None => format_oid(content),
    }
}

/// [`oid`] without the table: every arc formatted.
fn format_oid(content: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(content.len() * 3 + 2);
    let mut value: u64 = 0;
    let mut first = true;
    for (i, b) in content.iter().enumerate() {
        if value > (u64::MAX >> 7) {
            return None;
        }
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if first {
                let top = (value / 40).min(2);
                push_decimal(&mut out, top);
                out.push('.');
                push_decimal(&mut out, value - top * 40);
                first = false;
            } else {
                out.push('.');
                push_decimal(&mut out, value);
            }
            value = 0;
        } else if i + 1 == content.len() {
            return None;
        }
    }
    (!first).then_some(out)
}

/// An OID parsed by x509-parser in dotted form: [`oid`] on its content octets, asn1-rs's own
/// rendering for the arcs beyond 64 bits that [`oid`] declines.
pub fn dotted(oid: &x509_parser::der_parser::Oid<'_>) -> String {
    self::oid(oid.as_bytes()).unwrap_or_else(|| oid.to_id_string())
}

/// [`dotted`], borrowed from the table of known OIDs when it is in it.
pub fn dotted_cow(oid: &x509_parser::der_parser::Oid<'_>) -> std::borrow::Cow<'static, str> {
    match known_oid(oid.as_bytes()) {
        Some(text) => std::borrow::Cow::Borrowed(text),
        None => std::borrow::Cow::Owned(dotted(oid)),
    }
}

fn push_decimal(out: &mut String, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        if let Some(d) = digits.get_mut(start) {
            *d = b'0' + (v % 10) as u8;
        }
        v /= 10;
        if v == 0 || start == 0 {
            break;
        }
    }
    for d in digits.get(start..).unwrap_or_default() {
        out.push(char::from(*d));
    }
}

fn hex_preview(content: &[u8]) -> String {
    const SHOWN: usize = 32;
    if content.len() <= SHOWN {
        hex::spaced(content)
    } else {
        format!(
            "{} … ({} bytes)",
            hex::spaced(&content[..SHOWN]),
            content.len()
        )
    }
}

/// The elements inside `content` (the content octets of a constructed value at `base`), each as
/// its header and its own content octets. Stops at the first malformed element with its error.
pub fn elements(content: &[u8], base: usize) -> Result<Vec<(Header, &[u8])>, Asn1Error> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < content.len() {
        let rest = content.get(pos..).unwrap_or_default();
        let header = read_header(rest, base + pos)?;
        let body = rest
            .get(header.header_len..header.total_len())
            .unwrap_or_default();
        pos += header.total_len();
        out.push((header, body));
    }
    Ok(out)
}

/// The content of the single element at the start of `input` (e.g. a SEQUENCE's members).
pub fn content_of(input: &[u8]) -> Result<(Header, &[u8]), Asn1Error> {
    let header = read_header(input, 0)?;
    let body = input
        .get(header.header_len..header.total_len())
        .unwrap_or_default();
    Ok((header, body))
}

/// The bit length of a big-endian unsigned integer (leading zero octets ignored), e.g. an RSA
/// modulus; `None` for zero.
pub fn bit_length(be: &[u8]) -> Option<u32> {
    let significant = be.iter().position(|b| *b != 0)?;
    let rest = be.get(significant..)?;
    let first = rest.first()?;
    u32::try_from((rest.len() - 1) * 8 + (8 - first.leading_zeros() as usize)).ok()
}

/// `contents` wrapped in a DER SEQUENCE header (tag 0x30 and a definite length).
pub fn wrap_sequence(contents: &[u8]) -> Vec<u8> {
    wrap(0x30, contents)
}

/// `contents` wrapped in a DER header with the one-octet `tag` and a definite length.
pub fn wrap(tag: u8, contents: &[u8]) -> Vec<u8> {
    let len = contents.len();
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(contents);
    out
}

/// Why one DER object (a certificate, CSR or CRL) could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[serde(tag = "error", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum DerError {
    /// The object ends before its encoding says it does.
    #[error("the {what} is truncated")]
    Truncated {
        /// What was being read (`certificate`, `request`, `CRL`).
        what: &'static str,
    },
    /// The parser refused it; `reason` is its explanation.
    #[error("the {what} is malformed: {reason}")]
    Malformed {
        /// What was being read.
        what: &'static str,
        /// The parser's words.
        reason: String,
    },
    /// Bytes follow the object.
    #[error("{extra} unexpected bytes after the {what}")]
    TrailingBytes {
        /// What was read.
        what: &'static str,
        /// How many bytes follow it.
        extra: usize,
    },
}

impl DerError {
    /// The parser's error on a `what`, in lowercase words.
    pub fn from_parser<E: std::fmt::Display>(
        what: &'static str,
        e: &x509_parser::nom::Err<E>,
    ) -> Self {
        match e {
            x509_parser::nom::Err::Incomplete(_) => Self::Truncated { what },
            x509_parser::nom::Err::Error(e) | x509_parser::nom::Err::Failure(e) => {
                let text = e.to_string();
                let mut chars = text.chars();
                let reason = chars
                    .next()
                    .map_or(text.clone(), |c| c.to_lowercase().chain(chars).collect());
                Self::Malformed { what, reason }
            }
        }
    }

    /// `TrailingBytes` when `rest` is not empty.
    pub fn check_end(what: &'static str, rest: &[u8]) -> Result<(), Self> {
        if rest.is_empty() {
            Ok(())
        } else {
            Err(Self::TrailingBytes {
                what,
                extra: rest.len(),
            })
        }
    }
}

/// Hexadecimal renderings used across reports.
pub mod hex {
    const UPPER: &[u8; 16] = b"0123456789ABCDEF";
    const LOWER: &[u8; 16] = b"0123456789abcdef";

    /// Each byte as two digits of `digits`, with `separator` between bytes: one allocation, no
    /// formatting machinery (fingerprints are made for every certificate shown).
    fn encode(bytes: &[u8], digits: &[u8; 16], separator: Option<u8>) -> String {
        // Written in place into a buffer of the final length, separators first: no capacity
        // check or branch per byte (a certificate's fingerprints, key ids and serial are some
        // 110 bytes, hex-encoded for every certificate decoded).
        let width = if separator.is_some() { 3 } else { 2 };
        let len = (bytes.len() * width).saturating_sub(width - 2);
        let mut out = vec![separator.unwrap_or(b'0'); len];
        for (slot, b) in out.chunks_mut(width).zip(bytes) {
            if let [high, low, ..] = slot {
                *high = digits[usize::from(b >> 4)];
                *low = digits[usize::from(b & 0x0f)];
            }
        }
        // ASCII digits and an ASCII separator: always UTF-8.
        String::from_utf8(out).unwrap_or_default()
    }

    /// `AB:CD:EF` — the form openssl prints fingerprints in.
    pub fn colon(bytes: &[u8]) -> String {
        encode(bytes, UPPER, Some(b':'))
    }

    /// `ABCDEF`.
    pub fn upper(bytes: &[u8]) -> String {
        encode(bytes, UPPER, None)
    }

    /// `ab cd ef`.
    pub fn spaced(bytes: &[u8]) -> String {
        encode(bytes, LOWER, Some(b' '))
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn the_three_forms() {
            let bytes = [0x00, 0x0f, 0xa5, 0xff];
            assert_eq!(super::colon(&bytes), "00:0F:A5:FF");
            assert_eq!(super::upper(&bytes), "000FA5FF");
            assert_eq!(super::spaced(&bytes), "00 0f a5 ff");
            assert_eq!(super::colon(&[]), "");
            let all: Vec<u8> = (0..=255).collect();
            let formatted: Vec<String> = all.iter().map(|b| format!("{b:02X}")).collect();
            assert_eq!(super::colon(&all), formatted.join(":"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-string OID formatter says what asn1-rs says, arc for arc, for the OIDs
    /// certificates carry and the edges of the encoding (first arc 2 above 39, 64-bit arcs).
    #[test]
    fn dotted_oids_agree_with_asn1_rs() {
        use std::str::FromStr as _;
        for text in [
            "2.5.4.3",
            "1.2.840.113549.1.1.11",
            "1.3.6.1.4.1.11129.2.4.2",
            "0.9.2342.19200300.100.1.25",
            "2.23.140.1.2.1",
            "2.25.3",
        ] {
            let oid = x509_parser::der_parser::Oid::from_str(text);
            assert!(oid.is_ok(), "{text} does not parse");
            if let Ok(oid) = oid {
                assert_eq!(dotted(&oid), oid.to_id_string(), "{text}");
                assert_eq!(dotted(&oid), text);
            }
        }
        // An arc beyond 64 bits (a UUID under 2.25) is left to asn1-rs.
        let mut big = vec![0x69];
        big.extend([0x81; 10]);
        big.push(0x00);
        let uuid = x509_parser::der_parser::Oid::new(std::borrow::Cow::Borrowed(&big));
        assert_eq!(oid(&big), None);
        assert_eq!(dotted(&uuid), uuid.to_id_string());
        // A 64-bit arc is still decimal (asn1-rs falls back to hex there).
        let max = [
            0x2a, 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
        ];
        assert_eq!(oid(&max).as_deref(), Some("1.2.18446744073709551615"));
        // X.660's example with a first arc 2 above 39 (content 88 37 03).
        assert_eq!(oid(&[0x88, 0x37, 0x03]).as_deref(), Some("2.999.3"));
        // The fast path's table says what the formatter says.
        for (content, text) in KNOWN_OIDS {
            assert_eq!(format_oid(content).as_deref(), Some(*text), "{text}");
            assert_eq!(oid(content).as_deref(), Some(*text), "{text}");
        }
        // Truncated (a continuation byte last) and empty content are no OID.
        assert_eq!(oid(&[0x2a, 0x86]), None);
        assert_eq!(oid(&[]), None);
    }

    #[test]
    fn reads_long_form_lengths() {
        let mut der = vec![0x30, 0x82, 0x01, 0x00];
        der.extend(std::iter::repeat_n(0u8, 256));
        let h = read_header(&der, 0).unwrap();
        assert_eq!(
            (h.header_len, h.content_len, h.tag_name().as_str()),
            (4, 256, "SEQUENCE")
        );
    }

    #[test]
    fn truncation_names_the_offset_and_the_shortfall() {
        let e = read_header(&[0x30, 0x82, 0x04, 0xb0, 0x30], 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "truncated DER: SEQUENCE at byte offset 0 declares 1200 content bytes but only 1 remain"
        );
    }

    #[test]
    fn indefinite_lengths_are_refused() {
        assert!(matches!(
            read_header(&[0x30, 0x80, 0, 0], 7),
            Err(Asn1Error::IndefiniteLength { offset: 8 })
        ));
    }

    #[test]
    fn oids_render_dotted() {
        assert_eq!(
            oid(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]).as_deref(),
            Some("1.2.840.113549.1.1.11")
        );
        assert_eq!(oid(&[0x55, 0x1d, 0x11]).as_deref(), Some("2.5.29.17"));
        assert_eq!(oid(&[0x86]), None);
    }

    #[test]
    fn tree_walks_nested_and_encapsulated_values() {
        // SEQUENCE { OID 2.5.29.17, OCTET STRING { SEQUENCE { [2] "a" } } }
        let der = [
            0x30, 0x0c, 0x06, 0x03, 0x55, 0x1d, 0x11, 0x04, 0x05, 0x30, 0x03, 0x82, 0x01, b'a',
        ];
        let t = tree(&der).unwrap();
        assert_eq!(t.children.len(), 2);
        assert_eq!(t.children[0].value.as_deref(), Some("2.5.29.17"));
        assert_eq!(t.children[1].children[0].children[0].tag, "[2]");
        assert_eq!(t.children[1].children[0].children[0].offset, 11);
    }

    #[test]
    fn deep_nesting_hits_the_budget_not_the_stack() {
        let mut nested = vec![0x05, 0x00];
        for _ in 0..100 {
            let len = nested.len() as u16;
            let mut outer = vec![0x30, 0x82, (len >> 8) as u8, len as u8];
            outer.extend(&nested);
            nested = outer;
        }
        assert!(matches!(tree(&nested), Err(Asn1Error::TooComplex { .. })));
    }
}
