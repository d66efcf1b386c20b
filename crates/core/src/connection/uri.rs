//! URIs as libpq, MySQL, MongoDB, Redis and JDBC drivers read them (RFC 3986 shape):
//! `scheme://[user[:password]@]host[:port][,host[:port]…][/database][?key=value&…]`.
//! Percent-encoding is decoded; several hosts (PostgreSQL, MongoDB) and `[IPv6]` are accepted.

use super::{ConnectionError, Engine, Parsed, Secrets, Syntax, empty, is_secret, parameter};

/// Parses `text` (which starts at byte `base` of the original input).
pub(super) fn parse(
    text: &str,
    base: usize,
    engine: Engine,
    syntax: Syntax,
) -> Result<Parsed, ConnectionError> {
    let sep = text
        .find("://")
        .ok_or_else(|| ConnectionError::at(base, "`scheme://` at the start"))?;
    let mut c = empty(engine, syntax);
    c.scheme = Some(text[..sep].to_ascii_lowercase());
    let mut secrets = Secrets::default();
    let start = sep + 3;
    let rest = &text[start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_len];
    let (userinfo, hosts, hosts_at) = match authority.rfind('@') {
        Some(at) => (Some(&authority[..at]), &authority[at + 1..], start + at + 1),
        None => (None, authority, start),
    };
    if let Some(info) = userinfo {
        let (user, password) = match info.find(':') {
            Some(colon) => (&info[..colon], Some((colon, &info[colon + 1..]))),
            None => (info, None),
        };
        if !user.is_empty() {
            c.user = Some(decode(user, base + start)?);
        }
        if let Some((colon, pw)) = password {
            c.has_password = true;
            let from = base + start + colon + 1;
            secrets.add(from, from + pw.len());
        }
    }
    for (host, at) in split_with_offsets(hosts, ',', hosts_at) {
        if host.is_empty() {
            if engine == Engine::Redis || hosts.is_empty() {
                continue;
            }
            return Err(ConnectionError::at(base + at, "a host name"));
        }
        check_port(host, base + at)?;
        c.hosts.push(decode(host, base + at)?);
    }
    let after = &rest[authority_len..];
    let after_at = start + authority_len;
    let (path_part, query_part) = match after.find('?') {
        Some(q) => (&after[..q], Some((&after[q + 1..], after_at + q + 1))),
        None => (after, None),
    };
    let path = path_part.split('#').next().unwrap_or_default();
    if let Some(db) = path.strip_prefix('/').filter(|d| !d.is_empty()) {
        let value = decode(db, base + after_at + 1)?;
        c.parameters.push(super::Parameter {
            key: "database".into(),
            value,
            offset: base + after_at + 1,
        });
    }
    if let Some((query, query_at)) = query_part {
        let query = query.split('#').next().unwrap_or_default();
        for (pair, at) in split_with_offsets(query, '&', query_at) {
            if pair.is_empty() {
                continue;
            }
            let Some(eq) = pair.find('=') else {
                return Err(ConnectionError::at(
                    base + at,
                    format!("key=value after `?` or `&`, found {pair:?}"),
                ));
            };
            let key = decode(&pair[..eq], base + at)?;
            let raw_value = &pair[eq + 1..];
            let value_at = base + at + eq + 1;
            let value = if is_secret(&key) {
                c.has_password = true;
                String::new()
            } else {
                decode(raw_value, value_at)?
            };
            c.parameters.push(parameter(
                &key,
                value,
                base + at,
                (value_at, value_at + raw_value.len()),
                &mut secrets,
            ));
        }
    }
    Ok(Parsed {
        connection: c,
        secrets,
    })
}

/// `text` split on `sep`, each piece with its offset (relative to the caller's base).
pub(super) fn split_with_offsets(text: &str, sep: char, at: usize) -> Vec<(&str, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    for (i, ch) in text.char_indices() {
        if ch == sep {
            out.push((&text[from..i], at + from));
            from = i + ch.len_utf8();
        }
    }
    out.push((&text[from..], at + from));
    out
}

/// A `host:port` or `[v6]:port` whose port, if any, must be a number below 65536.
fn check_port(host: &str, at: usize) -> Result<(), ConnectionError> {
    let port = if let Some(v6_end) = host.strip_prefix('[').and_then(|h| h.find(']')) {
        host[v6_end + 2..]
            .strip_prefix(':')
            .map(|p| (p, v6_end + 3))
    } else {
        host.rfind(':').map(|i| (&host[i + 1..], i + 1))
    };
    match port {
        Some((p, offset)) if p.is_empty() || p.parse::<u16>().is_err() => Err(ConnectionError::at(
            at + offset,
            format!("a port number from 0 to 65535, found {p:?}"),
        )),
        _ => Ok(()),
    }
}

/// Percent-decoding; `at` is the absolute offset of `text` for errors.
pub(super) fn decode(text: &str, at: usize) -> Result<String, ConnectionError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| ConnectionError::at(at + i, "two hex digits after `%`"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| ConnectionError::at(at, "percent-encoding that decodes to UTF-8"))
}
