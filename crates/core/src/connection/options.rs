//! MySQL/MariaDB client options as typed on a command line: `mysql -h db -u app -pSECRET
//! --ssl-mode=VERIFY_IDENTITY --ssl-ca=/etc/ca.pem --tls-version=TLSv1.3`. Words are split on
//! whitespace with `'…'` and `"…"` quoting; `--key=value`, `--key value` and `-hHOST` forms.

use super::{ConnectionError, Engine, Parsed, Secrets, Syntax, empty, parameter};

/// Options that take a value when written as `--key value`.
const TAKES_VALUE: &[&str] = &[
    "host",
    "user",
    "port",
    "database",
    "ssl-mode",
    "ssl-ca",
    "ssl-capath",
    "ssl-cert",
    "ssl-key",
    "ssl-cipher",
    "tls-version",
    "tls-ciphersuites",
    "socket",
    "protocol",
];

/// Parses `text` (which starts at byte `base` of the original input).
pub(super) fn parse(text: &str, base: usize) -> Result<Parsed, ConnectionError> {
    let mut c = empty(Engine::Mysql, Syntax::ClientOptions);
    let mut secrets = Secrets::default();
    let words = words(text, base)?;
    let mut n = 0;
    while n < words.len() {
        let (word, at) = (&words[n].0, words[n].1);
        n += 1;
        if n == 1 && !word.starts_with('-') {
            continue; // the program name
        }
        if let Some(long) = word.strip_prefix("--") {
            let (key, value, value_at) = match long.find('=') {
                Some(eq) => (
                    &long[..eq],
                    Some(long[eq + 1..].to_owned()),
                    at + 2 + eq + 1,
                ),
                None if TAKES_VALUE.contains(&long) => match words.get(n) {
                    Some((v, v_at)) => {
                        n += 1;
                        (long, Some(v.clone()), *v_at)
                    }
                    None => {
                        return Err(ConnectionError::at(at, format!("a value after --{long}")));
                    }
                },
                None => (long, None, at),
            };
            if key == "password" {
                c.has_password = value.is_some();
            }
            let value = value.unwrap_or_else(|| "true".into());
            let value_end = value_at + value.len();
            match key {
                "host" => c.hosts.push(value.clone()),
                "user" => c.user = Some(value.clone()),
                _ => {}
            }
            c.parameters.push(parameter(
                key,
                value,
                at,
                (value_at, value_end),
                &mut secrets,
            ));
        } else if let Some(short) = word.strip_prefix('-') {
            let mut chars = short.chars();
            let Some(flag) = chars.next() else {
                return Err(ConnectionError::at(at, "an option after `-`"));
            };
            let attached: String = chars.collect();
            let key = match flag {
                'h' => "host",
                'u' => "user",
                'P' => "port",
                'D' => "database",
                'p' => "password",
                'S' => "socket",
                _ => continue,
            };
            let (value, value_at) = if !attached.is_empty() {
                (attached, at + 2)
            } else if key == "password" {
                (String::new(), at + 2) // -p alone prompts for the password
            } else if let Some((v, v_at)) = words.get(n) {
                n += 1;
                (v.clone(), *v_at)
            } else {
                return Err(ConnectionError::at(at, format!("a value after -{flag}")));
            };
            match key {
                "host" => c.hosts.push(value.clone()),
                "user" => c.user = Some(value.clone()),
                "password" => c.has_password = !value.is_empty(),
                _ => {}
            }
            let end = value_at + value.len();
            c.parameters
                .push(parameter(key, value, at, (value_at, end), &mut secrets));
        } else {
            c.parameters.push(super::Parameter {
                key: "database".into(),
                value: word.clone(),
                offset: at,
            });
        }
    }
    Ok(Parsed {
        connection: c,
        secrets,
    })
}

/// Shell-like words with their byte offsets (of the word's first character).
fn words(text: &str, base: usize) -> Result<Vec<(String, usize)>, ConnectionError> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(i, ch)) = chars.peek() {
        if ch.is_whitespace() {
            chars.next();
            continue;
        }
        let mut word = String::new();
        let start = i;
        while let Some(&(j, ch)) = chars.peek() {
            if ch.is_whitespace() {
                break;
            }
            chars.next();
            if ch == '\'' || ch == '"' {
                let mut closed = false;
                for (_, q) in chars.by_ref() {
                    if q == ch {
                        closed = true;
                        break;
                    }
                    word.push(q);
                }
                if !closed {
                    return Err(ConnectionError::at(base + j, format!("a closing {ch}")));
                }
            } else {
                word.push(ch);
            }
        }
        out.push((word, base + start));
    }
    Ok(out)
}
