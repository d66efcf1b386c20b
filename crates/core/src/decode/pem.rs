//! PEM scanning (RFC 7468, lax): any number of blocks, CRLF, and surrounding text such as the
//! output of `openssl x509 -text` or `openssl s_client -showcerts`.

use base64::Engine as _;

use super::DecodeError;

/// One `-----BEGIN X-----` … `-----END X-----` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PemBlock {
    /// The label between `BEGIN ` and the dashes, e.g. `CERTIFICATE`.
    pub label: String,
    /// The decoded body.
    pub der: Vec<u8>,
    /// Byte offset of the BEGIN line in the input.
    pub offset: usize,
    /// 1-based line number of the BEGIN line.
    pub line: usize,
    /// RFC 1421 headers (`Proc-Type`, `DEK-Info`) were present: a legacy encrypted key.
    pub has_headers: bool,
}

/// Whether `input` contains a PEM BEGIN line at all.
pub fn looks_like_pem(input: &[u8]) -> bool {
    const BEGIN: &[u8] = b"-----BEGIN ";
    // Jumps from dash to dash rather than comparing at every offset (DER input is all misses).
    let mut rest = input;
    while let Some(at) = rest.iter().position(|b| *b == b'-') {
        let here = rest.get(at..).unwrap_or_default();
        if here.starts_with(BEGIN) {
            return true;
        }
        rest = here.get(1..).unwrap_or_default();
    }
    false
}

/// Scans every block. Text outside blocks is ignored; a damaged block is returned as an error in
/// its position so the blocks around it still decode.
pub fn scan(input: &[u8]) -> Vec<Result<PemBlock, DecodeError>> {
    let mut out = Vec::new();
    let mut current: Option<(String, usize, usize, Vec<u8>, bool)> = None; // label, offset, line, body, headers
    let mut offset = 0usize;
    for (index, raw_line) in input.split(|b| *b == b'\n').enumerate() {
        let line_no = index + 1;
        let line_offset = offset;
        offset += raw_line.len() + 1;
        // The usual line inside a block: base64 only, copied as it is.
        if let Some((_, _, _, body, _)) = current.as_mut() {
            let trimmed = raw_line.trim_ascii();
            if trimmed.iter().all(|b| BASE64[usize::from(*b)]) {
                body.extend_from_slice(trimmed);
                continue;
            }
        }
        // Valid UTF-8 (every real PEM file) is borrowed; only damaged lines are copied.
        let text = match std::str::from_utf8(raw_line) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(raw_line),
        };
        let line = text.trim();
        match current.as_mut() {
            None => {
                if let Some(label) = marker(line, "BEGIN") {
                    current = Some((label, line_offset, line_no, Vec::new(), false));
                }
            }
            Some((label, begin_offset, begin_line, body, headers)) => {
                if let Some(end_label) = marker(line, "END") {
                    let block = if &end_label != label {
                        Err(DecodeError::PemMismatchedEnd {
                            begin: label.clone(),
                            end: end_label,
                            line: line_no,
                            offset: line_offset,
                        })
                    } else {
                        base64::engine::general_purpose::STANDARD
                            .decode(&body)
                            .map(|der| PemBlock {
                                label: label.clone(),
                                der,
                                offset: *begin_offset,
                                line: *begin_line,
                                has_headers: *headers,
                            })
                            .map_err(|e| DecodeError::PemBase64 {
                                label: label.clone(),
                                line: *begin_line,
                                offset: *begin_offset,
                                detail: e.to_string(),
                            })
                    };
                    out.push(block);
                    current = None;
                } else if marker(line, "BEGIN").is_some() {
                    out.push(Err(DecodeError::PemUnterminated {
                        label: label.clone(),
                        line: *begin_line,
                        offset: *begin_offset,
                    }));
                    current =
                        marker(line, "BEGIN").map(|l| (l, line_offset, line_no, Vec::new(), false));
                } else if line.contains(':') {
                    *headers = true;
                } else {
                    let text: String = line.chars().filter(|c| !c.is_whitespace()).collect();
                    body.extend_from_slice(text.as_bytes());
                }
            }
        }
    }
    if let Some((label, begin_offset, begin_line, _, _)) = current {
        out.push(Err(DecodeError::PemUnterminated {
            label,
            line: begin_line,
            offset: begin_offset,
        }));
    }
    out
}

/// The bytes of the base64 alphabet (RFC 4648 section 4) and its padding.
const BASE64: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'=';
        b += 1;
    }
    table
};

fn marker(line: &str, kind: &str) -> Option<String> {
    let rest = line
        .strip_prefix("-----")?
        .strip_prefix(kind)?
        .strip_prefix(' ')?;
    let label = rest.strip_suffix("-----")?;
    Some(label.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_blocks_among_text_with_crlf() {
        let input = b"subject=CN=x\r\n-----BEGIN CERTIFICATE-----\r\nAQID\r\n-----END CERTIFICATE-----\r\nnoise\n-----BEGIN X509 CRL-----\nBAU=\n-----END X509 CRL-----\n";
        let blocks: Vec<_> = scan(input).into_iter().map(Result::unwrap).collect();
        assert_eq!(blocks.len(), 2);
        assert_eq!(
            (
                blocks[0].label.as_str(),
                blocks[0].der.as_slice(),
                blocks[0].line,
                blocks[0].offset
            ),
            ("CERTIFICATE", &[1u8, 2, 3][..], 2, 14)
        );
        assert_eq!(blocks[1].label, "X509 CRL");
        assert_eq!(blocks[1].line, 6);
    }

    #[test]
    fn unterminated_block_reports_its_begin_line() {
        let r = scan(b"\n\n-----BEGIN CERTIFICATE-----\nAQID\n");
        assert_eq!(
            r,
            vec![Err(DecodeError::PemUnterminated {
                label: "CERTIFICATE".into(),
                line: 3,
                offset: 2
            })]
        );
    }

    #[test]
    fn mismatched_end_is_an_error_and_later_blocks_still_decode() {
        let r = scan(b"-----BEGIN CERTIFICATE-----\nAQID\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n");
        assert!(matches!(
            &r[0],
            Err(DecodeError::PemMismatchedEnd { line: 3, .. })
        ));
        assert!(r[1].is_ok());
    }

    #[test]
    fn bad_base64_names_the_block() {
        let r = scan(b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
        let e = r[0].clone().unwrap_err().to_string();
        assert!(e.contains("CERTIFICATE") && e.contains("line 1"), "{e}");
    }
}
