//! Kafka client properties (Java `.properties`): `key=value` or `key: value` lines, `#` and `!`
//! comments, backslash line continuations.

use super::{ConnectionError, Engine, Parsed, Secrets, Syntax, empty, parameter};

/// Whether `text` reads as Kafka client properties.
pub(super) fn looks_like(text: &str) -> bool {
    text.lines().map(str::trim).any(|l| {
        l.starts_with("bootstrap.servers")
            || l.starts_with("security.protocol")
            || l.starts_with("ssl.endpoint.identification.algorithm")
            || l.starts_with("sasl.mechanism")
    })
}

/// Parses `text` (which starts at byte `base` of the original input).
pub(super) fn parse(text: &str, base: usize) -> Result<Parsed, ConnectionError> {
    let mut c = empty(Engine::Kafka, Syntax::Properties);
    let mut secrets = Secrets::default();
    let mut offset = 0;
    let mut pending: Option<(String, usize)> = None;
    for raw in text.split_inclusive('\n') {
        let line_at = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let (logical, at) = match pending.take() {
            Some((mut acc, at)) => {
                acc.push_str(line.trim_start());
                (acc, at)
            }
            None => {
                let trimmed = line.trim_start();
                if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('!') {
                    continue;
                }
                (trimmed.to_owned(), line_at + (line.len() - trimmed.len()))
            }
        };
        if let Some(head) = logical.strip_suffix('\\') {
            pending = Some((head.to_owned(), at));
            continue;
        }
        let Some(sep) = logical.find(['=', ':']) else {
            return Err(ConnectionError::at(
                base + at,
                format!("key=value, found {logical:?}"),
            ));
        };
        let key = logical[..sep].trim();
        let value = logical[sep + 1..].trim().to_owned();
        let value_at = base + at + sep + 1;
        if key == "bootstrap.servers" {
            c.hosts.extend(
                value
                    .split(',')
                    .map(|h| h.trim().to_owned())
                    .filter(|h| !h.is_empty()),
            );
        }
        if super::is_secret(key) {
            c.has_password = true;
        }
        let value_end = base + line_at + line.len();
        c.parameters.push(parameter(
            key,
            value,
            base + at,
            (value_at, value_end),
            &mut secrets,
        ));
    }
    Ok(Parsed {
        connection: c,
        secrets,
    })
}
