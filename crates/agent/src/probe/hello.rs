//! Hand-built ClientHellos for what rustls will not speak (SSL 3.0, TLS 1.0/1.1, CBC, RC4, 3DES,
//! export, CCM suites, arbitrary groups), and the parsing of the server's first answer: a
//! ServerHello (version, suite, selected group), a HelloRetryRequest, an alert, or something that
//! is not TLS at all. Nothing here completes a handshake; the server's choice is all we need.
//! Codes and names come from the core's registry ([`tlscope_core::protocol`]).

use tlscope_core::protocol::TlsVersion;

/// What to offer.
#[derive(Debug, Clone)]
pub struct Offer<'a> {
    /// The version to ask for.
    pub version: TlsVersion,
    /// Suite codes, in preference order.
    pub suites: &'a [u16],
    /// SNI.
    pub server_name: Option<&'a str>,
    /// TLS 1.3 groups to list in supported_groups.
    pub groups: &'a [u16],
    /// Send an X25519 key share (TLS 1.3); without it the server must answer with a
    /// HelloRetryRequest naming the group it wants.
    pub x25519_share: bool,
}

fn u16be(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn with_len16(out: &mut Vec<u8>, body: &[u8]) {
    u16be(out, u16::try_from(body.len()).unwrap_or(u16::MAX));
    out.extend_from_slice(body);
}

fn extension(out: &mut Vec<u8>, kind: u16, body: &[u8]) {
    u16be(out, kind);
    with_len16(out, body);
}

/// The bytes of a ClientHello record for `offer`.
pub fn client_hello(offer: &Offer<'_>) -> Vec<u8> {
    let tls13 = offer.version == TlsVersion::Tls13;
    let legacy_version = if tls13 { 0x0303 } else { offer.version.wire() };
    let mut random = [0u8; 32];
    let _ = aws_lc_rs::rand::fill(&mut random);
    let mut body = Vec::new();
    u16be(&mut body, legacy_version);
    body.extend_from_slice(&random);
    if tls13 {
        // A legacy session id, as middlebox-compatible clients send.
        body.push(32);
        body.extend_from_slice(&random);
    } else {
        body.push(0);
    }
    let mut suites = Vec::new();
    for s in offer.suites {
        u16be(&mut suites, *s);
    }
    if !tls13 {
        u16be(&mut suites, 0x00ff); // TLS_EMPTY_RENEGOTIATION_INFO_SCSV
    }
    with_len16(&mut body, &suites);
    body.extend_from_slice(&[1, 0]); // null compression
    if offer.version != TlsVersion::Ssl3 {
        let mut ext = Vec::new();
        if let Some(name) = offer
            .server_name
            .filter(|n| n.parse::<std::net::IpAddr>().is_err())
        {
            let mut list = vec![0u8];
            with_len16(&mut list, name.as_bytes());
            let mut sni = Vec::new();
            with_len16(&mut sni, &list);
            extension(&mut ext, 0x0000, &sni);
        }
        let default_groups: [u16; 5] = [0x001d, 0x0017, 0x0018, 0x0019, 0x0100];
        let groups: &[u16] = if offer.groups.is_empty() {
            &default_groups
        } else {
            offer.groups
        };
        let mut g = Vec::new();
        for x in groups {
            u16be(&mut g, *x);
        }
        let mut sg = Vec::new();
        with_len16(&mut sg, &g);
        extension(&mut ext, 0x000a, &sg);
        extension(&mut ext, 0x000b, &[1, 0]); // ec_point_formats: uncompressed
        let schemes: [u16; 11] = [
            0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0807, 0x0201,
        ];
        let mut sa = Vec::new();
        for x in schemes {
            u16be(&mut sa, x);
        }
        let mut sigalgs = Vec::new();
        with_len16(&mut sigalgs, &sa);
        extension(&mut ext, 0x000d, &sigalgs);
        extension(&mut ext, 0xff01, &[0]); // renegotiation_info
        extension(&mut ext, 0x0017, &[]); // extended_master_secret
        extension(&mut ext, 0x0023, &[]); // session_ticket
        if tls13 {
            extension(&mut ext, 0x002b, &[2, 0x03, 0x04]); // supported_versions: TLS 1.3
            extension(&mut ext, 0x002d, &[1, 1]); // psk_key_exchange_modes: psk_dhe_ke
            let mut shares = Vec::new();
            if offer.x25519_share {
                let mut key = [0u8; 32];
                let _ = aws_lc_rs::rand::fill(&mut key);
                u16be(&mut shares, 0x001d);
                with_len16(&mut shares, &key);
            }
            let mut ks = Vec::new();
            with_len16(&mut ks, &shares);
            extension(&mut ext, 0x0033, &ks);
        }
        with_len16(&mut body, &ext);
    }
    let mut handshake = vec![1u8];
    let len = u32::try_from(body.len()).unwrap_or(0).to_be_bytes();
    handshake.extend_from_slice(&len[1..]);
    handshake.extend_from_slice(&body);
    let record_version: u16 = if offer.version == TlsVersion::Ssl3 {
        0x0300
    } else {
        0x0301
    };
    let mut record = vec![0x16];
    u16be(&mut record, record_version);
    with_len16(&mut record, &handshake);
    record
}

/// The server's first answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A ServerHello: the negotiated version (from supported_versions for TLS 1.3), the suite,
    /// and the key-share group for TLS 1.3.
    Hello {
        /// Negotiated version (wire value).
        version: u16,
        /// Chosen suite.
        suite: u16,
        /// TLS 1.3 key-share group.
        group: Option<u16>,
        /// Whether the ServerHello carries extended_master_secret (RFC 7627).
        extended_master_secret: bool,
    },
    /// A HelloRetryRequest naming the group the server wants.
    Retry {
        /// Chosen suite.
        suite: u16,
        /// The group asked for.
        group: Option<u16>,
    },
    /// A TLS alert (level, description).
    Alert(u8, u8),
}

/// Why an answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    /// More bytes are needed.
    #[error("incomplete")]
    Incomplete,
    /// The peer does not speak TLS.
    #[error("the server answered with something that is not TLS (first bytes {0:?})")]
    NotTls(String),
    /// A TLS message that does not parse.
    #[error("malformed ServerHello at byte {0}")]
    Malformed(usize),
}

const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Reads the first answer out of the bytes received so far.
pub fn parse_answer(bytes: &[u8]) -> Result<Answer, AnswerError> {
    let mut handshake = Vec::new();
    let mut at = 0;
    loop {
        let header = bytes.get(at..at + 5).ok_or(AnswerError::Incomplete)?;
        let (kind, major) = (header[0], header[1]);
        if !(0x14..=0x17).contains(&kind) || major != 3 {
            let shown: String = bytes
                .iter()
                .take(16)
                .map(|b| {
                    if b.is_ascii_graphic() || *b == b' ' {
                        *b as char
                    } else {
                        '.'
                    }
                })
                .collect();
            return Err(AnswerError::NotTls(shown));
        }
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        let body = bytes
            .get(at + 5..at + 5 + len)
            .ok_or(AnswerError::Incomplete)?;
        match kind {
            0x15 if body.len() >= 2 => return Ok(Answer::Alert(body[0], body[1])),
            0x16 => handshake.extend_from_slice(body),
            _ => {}
        }
        at += 5 + len;
        if handshake.len() >= 4 {
            let msg_len = usize::from(handshake[1]) << 16
                | usize::from(handshake[2]) << 8
                | usize::from(handshake[3]);
            if handshake.len() >= 4 + msg_len {
                if handshake[0] != 2 {
                    return Err(AnswerError::Malformed(0));
                }
                return server_hello(&handshake[4..4 + msg_len]);
            }
        }
    }
}

fn server_hello(m: &[u8]) -> Result<Answer, AnswerError> {
    let bad = |at: usize| AnswerError::Malformed(at);
    let version = u16::from_be_bytes([*m.first().ok_or(bad(0))?, *m.get(1).ok_or(bad(1))?]);
    let random = m.get(2..34).ok_or(bad(2))?;
    let sid_len = usize::from(*m.get(34).ok_or(bad(34))?);
    let mut at = 35 + sid_len;
    let suite = u16::from_be_bytes([*m.get(at).ok_or(bad(at))?, *m.get(at + 1).ok_or(bad(at))?]);
    at += 3; // suite + compression
    let mut negotiated = version;
    let mut group = None;
    let mut extended_master_secret = false;
    if let Some(ext_len) = m.get(at..at + 2) {
        let end = at + 2 + usize::from(u16::from_be_bytes([ext_len[0], ext_len[1]]));
        at += 2;
        while at + 4 <= end.min(m.len()) {
            let kind = u16::from_be_bytes([m[at], m[at + 1]]);
            let len = usize::from(u16::from_be_bytes([m[at + 2], m[at + 3]]));
            let data = m.get(at + 4..at + 4 + len).ok_or(bad(at))?;
            match kind {
                0x002b if data.len() >= 2 => negotiated = u16::from_be_bytes([data[0], data[1]]),
                0x0033 if data.len() >= 2 => group = Some(u16::from_be_bytes([data[0], data[1]])),
                0x0017 => extended_master_secret = true,
                _ => {}
            }
            at += 4 + len;
        }
    }
    if random == HRR_RANDOM {
        return Ok(Answer::Retry { suite, group });
    }
    Ok(Answer::Hello {
        version: negotiated,
        suite,
        group,
        extended_master_secret,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hellos_are_well_formed_records() {
        let suites: Vec<u16> = tlscope_core::protocol::SUITES
            .iter()
            .filter(|s| !s.is_tls13())
            .map(|s| s.code)
            .collect();
        for version in TlsVersion::ALL {
            let hello = client_hello(&Offer {
                version,
                suites: &suites,
                server_name: Some("example.com"),
                groups: &[],
                x25519_share: true,
            });
            assert_eq!(hello[0], 0x16);
            let len = usize::from(u16::from_be_bytes([hello[3], hello[4]]));
            assert_eq!(hello.len(), 5 + len, "{version:?}");
            assert_eq!(hello[5], 1, "ClientHello");
        }
    }

    #[test]
    fn random_and_truncated_answers_never_panic() {
        // What a hostile or broken server sends is untrusted: every prefix of a valid answer and
        // 200 000 random buffers must give an answer or an error, never a panic.
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..200_000 {
            let len = (next() % 96) as usize;
            let mut buf: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if next() % 2 == 0 && buf.len() >= 5 {
                // Make it look like a handshake record half the time to get deeper.
                buf[0] = 0x16;
                buf[1] = 3;
                let last = buf.len() - 1;
                buf[5.min(last)] = 2;
            }
            let _ = parse_answer(&buf);
        }
    }

    #[test]
    fn answers_parse_and_garbage_is_named() {
        // A ServerHello for TLS 1.2 with suite 0xc02f, no extensions.
        let mut body = vec![3, 3];
        body.extend_from_slice(&[7u8; 32]);
        body.push(0);
        body.extend_from_slice(&[0xc0, 0x2f, 0]);
        let mut msg = vec![2, 0, 0, u8::try_from(body.len()).unwrap_or(0)];
        msg.extend_from_slice(&body);
        let mut rec = vec![0x16, 3, 3, 0, u8::try_from(msg.len()).unwrap_or(0)];
        rec.extend_from_slice(&msg);
        assert_eq!(
            parse_answer(&rec),
            Ok(Answer::Hello {
                version: 0x0303,
                suite: 0xc02f,
                group: None,
                extended_master_secret: false,
            })
        );
        // The same ServerHello with an empty extended_master_secret extension.
        body.extend_from_slice(&[0, 4, 0x00, 0x17, 0, 0]);
        let mut msg = vec![2, 0, 0, u8::try_from(body.len()).unwrap_or(0)];
        msg.extend_from_slice(&body);
        let mut rec = vec![0x16, 3, 3, 0, u8::try_from(msg.len()).unwrap_or(0)];
        rec.extend_from_slice(&msg);
        assert!(matches!(
            parse_answer(&rec),
            Ok(Answer::Hello {
                extended_master_secret: true,
                ..
            })
        ));
        assert_eq!(parse_answer(&rec[..20]), Err(AnswerError::Incomplete));
        assert_eq!(
            parse_answer(&[0x15, 3, 3, 0, 2, 2, 40]),
            Ok(Answer::Alert(2, 40))
        );
        assert!(matches!(
            parse_answer(b"HTTP/1.1 400 Bad Request\r\n"),
            Err(AnswerError::NotTls(s)) if s.starts_with("HTTP/1.1")
        ));
    }
}
