//! The semicolon forms SQL Server drivers read: ADO.NET (`Server=tcp:h,1433;Encrypt=True;`,
//! values quoted with `"` or `'`), ODBC (`Driver={ODBC Driver 18 for SQL Server};…`, values in
//! braces with `}}` for `}`), and JDBC (`jdbc:sqlserver://host:1433;encrypt=true;…`); the BigQuery
//! JDBC driver's `jdbc:bigquery://https://www.googleapis.com/bigquery/v2:443;ProjectId=…;…`.

use super::{ConnectionError, Engine, Parsed, Secrets, Syntax, empty, parameter};

/// Parses an ADO.NET or ODBC string (ODBC when it names a `Driver`).
pub(super) fn parse(text: &str, base: usize) -> Result<Parsed, ConnectionError> {
    let odbc = text.to_ascii_lowercase().contains("driver=");
    let syntax = if odbc { Syntax::Odbc } else { Syntax::AdoNet };
    let mut parsed = pairs(text, base, Engine::SqlServer, syntax)?;
    let c = &mut parsed.connection;
    let mut is_sql_server = false;
    for p in &c.parameters {
        let k = p.key.to_ascii_lowercase();
        match k.as_str() {
            "server" | "data source" | "address" | "addr" | "network address" => {
                c.hosts.push(p.value.clone());
                is_sql_server = true;
            }
            "encrypt" | "trustservercertificate" | "initial catalog" => is_sql_server = true,
            "driver" => is_sql_server |= p.value.to_ascii_lowercase().contains("sql server"),
            _ => {}
        }
    }
    if !is_sql_server {
        return Err(ConnectionError::at(
            base,
            "an SQL Server `Server=` (or `Data Source=`) key in a Key=Value; string",
        ));
    }
    let user = c
        .parameters
        .iter()
        .find(|p| {
            matches!(
                p.key.to_ascii_lowercase().as_str(),
                "user id" | "uid" | "user"
            )
        })
        .map(|p| p.value.clone());
    c.user = user;
    Ok(parsed)
}

/// Parses `sqlserver://host[:port][;key=value…]` (after `jdbc:`).
pub(super) fn parse_jdbc(text: &str, base: usize) -> Result<Parsed, ConnectionError> {
    let body = text
        .strip_prefix("sqlserver://")
        .or_else(|| text.strip_prefix("SQLSERVER://"))
        .ok_or_else(|| ConnectionError::at(base, "`sqlserver://` after `jdbc:`"))?;
    let at = base + (text.len() - body.len());
    let host_len = body.find(';').unwrap_or(body.len());
    let mut parsed = pairs(
        body.get(host_len + 1..).unwrap_or_default(),
        at + host_len + 1,
        Engine::SqlServer,
        Syntax::Jdbc,
    )?;
    parsed.connection.scheme = Some("jdbc:sqlserver".into());
    let host = &body[..host_len];
    if !host.is_empty() {
        parsed.connection.hosts.push(host.to_owned());
    }
    let user = parsed.connection.get("user").map(str::to_owned);
    parsed.connection.user = user;
    Ok(parsed)
}

/// Parses `bigquery://ENDPOINT[;key=value…]` (after `jdbc:`): the endpoint is the API's URL
/// (`https://www.googleapis.com/bigquery/v2:443`), kept as the host.
pub(super) fn parse_bigquery(text: &str, base: usize) -> Result<Parsed, ConnectionError> {
    let scheme_len = "bigquery://".len();
    if !text
        .get(..scheme_len)
        .is_some_and(|s| s.eq_ignore_ascii_case("bigquery://"))
    {
        return Err(ConnectionError::at(base, "`bigquery://` after `jdbc:`"));
    }
    let body = &text[scheme_len..];
    let at = base + scheme_len;
    let endpoint_len = body.find(';').unwrap_or(body.len());
    let mut parsed = pairs(
        body.get(endpoint_len + 1..).unwrap_or_default(),
        at + endpoint_len + 1,
        Engine::BigQuery,
        Syntax::Jdbc,
    )?;
    let endpoint = &body[..endpoint_len];
    if endpoint.is_empty() {
        return Err(ConnectionError::at(
            at,
            "the API endpoint after `bigquery://` (e.g. https://www.googleapis.com/bigquery/v2:443)",
        ));
    }
    parsed.connection.scheme = Some("jdbc:bigquery".into());
    parsed.connection.hosts.push(endpoint.to_owned());
    parsed.connection.has_password |= parsed
        .connection
        .parameters
        .iter()
        .any(|p| super::is_secret(&p.key));
    Ok(parsed)
}

/// `key=value;` pairs with ADO.NET quoting and ODBC braces.
fn pairs(
    text: &str,
    base: usize,
    engine: Engine,
    syntax: Syntax,
) -> Result<Parsed, ConnectionError> {
    let mut c = empty(engine, syntax);
    let mut secrets = Secrets::default();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && (bytes[i] == b';' || bytes[i].is_ascii_whitespace()) {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let key_at = i;
        while i < bytes.len() && bytes[i] != b'=' && bytes[i] != b';' {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            return Err(ConnectionError::at(
                base + key_at,
                format!("Key=Value, found {:?} without `=`", text[key_at..i].trim()),
            ));
        }
        let key = text[key_at..i].trim();
        i += 1;
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        let value_at = i;
        let value = match bytes.get(i) {
            Some(&q @ (b'"' | b'\'' | b'{')) => {
                let close = if q == b'{' { b'}' } else { q };
                let mut v = String::new();
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => {
                            return Err(ConnectionError::at(
                                base + value_at,
                                format!(
                                    "a closing `{}` for the value of {key:?}",
                                    char::from(close)
                                ),
                            ));
                        }
                        Some(&b) if b == close && bytes.get(i + 1) == Some(&close) => {
                            v.push(char::from(close));
                            i += 2;
                        }
                        Some(&b) if b == close => {
                            i += 1;
                            break;
                        }
                        Some(_) => {
                            let ch = text[i..].chars().next().unwrap_or_default();
                            v.push(ch);
                            i += ch.len_utf8().max(1);
                        }
                    }
                }
                v
            }
            _ => {
                while i < bytes.len() && bytes[i] != b';' {
                    i += 1;
                }
                text[value_at..i].trim().to_owned()
            }
        };
        if super::is_secret(key) {
            c.has_password = true;
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
