//! libpq keyword/value strings: `host=db port=5432 sslmode='verify-full'`, separated by
//! whitespace, spaces allowed around `=`, values optionally single-quoted with `\'` and `\\`.

use super::{ConnectionError, Engine, Parsed, Secrets, Syntax, empty, parameter};

/// Keywords libpq knows that make a string look like a libpq one.
const KEYWORDS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslnegotiation",
    "channel_binding",
    "connect_timeout",
    "application_name",
    "service",
    "target_session_attrs",
    "sslcrl",
    "passfile",
];

/// Whether `text` starts like `keyword=` for a libpq keyword.
pub(super) fn looks_like(text: &str) -> bool {
    let first = text.split('=').next().unwrap_or_default().trim();
    KEYWORDS.contains(&first)
}

/// Parses `text` (which starts at byte `base` of the original input).
pub(super) fn parse(text: &str, base: usize) -> Result<Parsed, ConnectionError> {
    let mut c = empty(Engine::Postgres, Syntax::KeywordValue);
    let mut secrets = Secrets::default();
    let bytes = text.as_bytes();
    let mut i = 0;
    let skip_space = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    loop {
        i = skip_space(i);
        if i >= bytes.len() {
            break;
        }
        let key_at = i;
        while i < bytes.len() && bytes[i] != b'=' && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let key = &text[key_at..i];
        i = skip_space(i);
        if bytes.get(i) != Some(&b'=') {
            return Err(ConnectionError::at(
                base + i,
                format!("`=` after keyword {key:?}"),
            ));
        }
        i = skip_space(i + 1);
        let value_at = i;
        let mut value = String::new();
        if bytes.get(i) == Some(&b'\'') {
            i += 1;
            let mut closed = false;
            while i < bytes.len() {
                match bytes[i] {
                    b'\\' if i + 1 < bytes.len() => {
                        value.push(char::from(bytes[i + 1]));
                        i += 2;
                    }
                    b'\'' => {
                        closed = true;
                        i += 1;
                        break;
                    }
                    _ => {
                        let ch = text[i..].chars().next().unwrap_or_default();
                        value.push(ch);
                        i += ch.len_utf8().max(1);
                    }
                }
            }
            if !closed {
                return Err(ConnectionError::at(
                    base + value_at,
                    format!("a closing `'` for the value of {key:?}"),
                ));
            }
        } else {
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            value.push_str(&text[value_at..i]);
        }
        match key {
            "host" | "hostaddr" => c.hosts.extend(value.split(',').map(str::to_owned)),
            "user" => c.user = Some(value.clone()),
            "password" => c.has_password = true,
            _ => {}
        }
        c.parameters.push(parameter(
            key,
            value,
            base + key_at,
            (base + value_at, base + i),
            &mut secrets,
        ));
    }
    Ok(Parsed {
        connection: c,
        secrets,
    })
}
