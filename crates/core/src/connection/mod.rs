//! Database and broker connection strings, each read by a parser of its own syntax: URIs
//! (PostgreSQL, MySQL/MariaDB, MongoDB, Redis, and JDBC URLs), libpq keyword/value strings, the
//! semicolon forms of SQL Server (ADO.NET, ODBC, JDBC) and the BigQuery JDBC driver, MySQL client
//! options and Kafka client properties; Snowflake's JDBC and SQLAlchemy URLs. The observation keeps every parameter with its byte offset; secrets are replaced
//! by `****` as they are read, so no output can show them.

mod keyvalue;
mod options;
mod properties;
mod semicolon;
mod uri;

use serde::{Deserialize, Serialize};

/// What a connection string connects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    Mysql,
    /// Microsoft SQL Server.
    SqlServer,
    /// MongoDB.
    Mongodb,
    /// Redis.
    Redis,
    /// Apache Kafka.
    Kafka,
    /// Snowflake (JDBC, ODBC-style options, Python/SQLAlchemy URLs).
    Snowflake,
    /// Google BigQuery (the Simba JDBC driver).
    BigQuery,
}

impl Engine {
    /// The product name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Postgres => "PostgreSQL",
            Self::Mysql => "MySQL",
            Self::SqlServer => "SQL Server",
            Self::Mongodb => "MongoDB",
            Self::Redis => "Redis",
            Self::Kafka => "Kafka",
            Self::Snowflake => "Snowflake",
            Self::BigQuery => "BigQuery",
        }
    }
}

/// The syntax a string was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Syntax {
    /// `scheme://user:password@host:port/database?key=value`.
    Uri,
    /// A JDBC URL (`jdbc:postgresql://…`, `jdbc:sqlserver://host;key=value`).
    Jdbc,
    /// libpq `key=value key='quoted value'`.
    KeywordValue,
    /// ADO.NET `Key=Value;Key=Value`.
    AdoNet,
    /// ODBC `Driver={…};Key=Value`.
    Odbc,
    /// MySQL client command-line options (`--ssl-mode=VERIFY_IDENTITY`).
    ClientOptions,
    /// Java properties (`security.protocol=SSL`).
    Properties,
}

/// One parameter as written (the key keeps its spelling; secrets are `****`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Parameter {
    /// The key as written.
    pub key: String,
    /// The value, decoded; `****` for secrets.
    pub value: String,
    /// Byte offset of the key in the input.
    pub offset: usize,
}

/// A parsed connection string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionString {
    /// What it connects to.
    pub engine: Engine,
    /// How it was written.
    pub syntax: Syntax,
    /// URI scheme, lowercased (`postgresql`, `rediss`, `mongodb+srv`).
    pub scheme: Option<String>,
    /// Hosts (with ports when given).
    pub hosts: Vec<String>,
    /// User name, when given.
    pub user: Option<String>,
    /// Whether a password was embedded (its value is never kept).
    pub has_password: bool,
    /// Every parameter, in order.
    pub parameters: Vec<Parameter>,
    /// The input with every secret replaced by `****`.
    pub masked: String,
}

impl ConnectionString {
    /// The last value of `key`, compared case-insensitively and ignoring `-`, `_`, `.` and spaces
    /// (so `ssl-mode`, `ssl_mode`, `sslMode` and `SSL Mode` are one key), as drivers do.
    pub fn get(&self, key: &str) -> Option<&str> {
        let want = normalise_key(key);
        self.parameters
            .iter()
            .rev()
            .find(|p| normalise_key(&p.key) == want)
            .map(|p| p.value.as_str())
    }

    /// The parameter `key` itself (for its spelling and offset).
    pub fn parameter(&self, key: &str) -> Option<&Parameter> {
        let want = normalise_key(key);
        self.parameters
            .iter()
            .rev()
            .find(|p| normalise_key(&p.key) == want)
    }
}

/// Why a string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// Not any syntax tlscope knows.
    #[error(
        "not a connection string tlscope knows: expected a postgres://, mysql://, mongodb://, redis://, snowflake:// or jdbc: URL, libpq key=value pairs, an ADO.NET/ODBC Key=Value; string, MySQL client options or Kafka properties"
    )]
    Unrecognised,
    /// The syntax was recognised but broken at `offset`.
    #[error("at byte {offset}: expected {expected}")]
    Syntax {
        /// Byte offset in the input.
        offset: usize,
        /// What the parser expected there.
        expected: String,
    },
}

impl ConnectionError {
    fn at(offset: usize, expected: impl Into<String>) -> Self {
        Self::Syntax {
            offset,
            expected: expected.into(),
        }
    }
}

/// Reads a connection string of any known syntax.
pub fn parse(text: &str) -> Result<ConnectionString, ConnectionError> {
    let t = text.trim();
    let lead = text.len() - text.trim_start().len();
    let lower = t.to_ascii_lowercase();
    let scheme_engine = [
        ("postgresql://", Engine::Postgres),
        ("postgres://", Engine::Postgres),
        ("mysql://", Engine::Mysql),
        ("mysqlx://", Engine::Mysql),
        ("mariadb://", Engine::Mysql),
        ("mongodb://", Engine::Mongodb),
        ("mongodb+srv://", Engine::Mongodb),
        ("redis://", Engine::Redis),
        ("rediss://", Engine::Redis),
        ("unix://", Engine::Redis),
        ("snowflake://", Engine::Snowflake),
    ];
    if let Some((_, engine)) = scheme_engine.iter().find(|(s, _)| lower.starts_with(s)) {
        return uri::parse(t, lead, *engine, Syntax::Uri).map(|c| c.with_masked(text));
    }
    if let Some(rest) = lower.strip_prefix("jdbc:") {
        let skip = lead + 5;
        let body = &t[5..];
        let engine = if rest.starts_with("postgresql:") {
            Engine::Postgres
        } else if rest.starts_with("mysql:") || rest.starts_with("mariadb:") {
            Engine::Mysql
        } else if rest.starts_with("snowflake:") {
            Engine::Snowflake
        } else if rest.starts_with("sqlserver:") {
            return semicolon::parse_jdbc(body, skip).map(|c| c.with_masked(text));
        } else if rest.starts_with("bigquery:") {
            return semicolon::parse_bigquery(body, skip).map(|c| c.with_masked(text));
        } else {
            return Err(ConnectionError::at(
                skip,
                "a JDBC sub-protocol tlscope knows: postgresql, mysql, mariadb, sqlserver, snowflake or bigquery",
            ));
        };
        return uri::parse(body, skip, engine, Syntax::Jdbc).map(|c| c.with_masked(text));
    }
    if lower.starts_with("mysql ") || lower.starts_with("mariadb ") || lower.starts_with("--") {
        return options::parse(t, lead).map(|c| c.with_masked(text));
    }
    if properties::looks_like(t) {
        return properties::parse(t, lead).map(|c| c.with_masked(text));
    }
    if t.contains(';') && t.contains('=') {
        return semicolon::parse(t, lead).map(|c| c.with_masked(text));
    }
    if keyvalue::looks_like(t) {
        return keyvalue::parse(t, lead).map(|c| c.with_masked(text));
    }
    Err(ConnectionError::Unrecognised)
}

/// Keys whose values are secrets in some syntax.
pub(crate) fn is_secret(key: &str) -> bool {
    let k = normalise_key(key);
    matches!(
        k.as_str(),
        "password"
            | "pwd"
            | "pass"
            | "sslpassword"
            | "sslkeypassword"
            | "sslkeystorepassword"
            | "ssltruststorepassword"
            | "saslpassword"
            | "saslsjaasconfig"
            | "sasljaasconfig"
            | "tlscertificatekeyfilepassword"
            | "keystorepassword"
            | "truststorepassword"
            | "clientcertificatekeypassword"
            | "token"
            | "privatekey"
            | "privatekeypwd"
            | "privatekeyfilepwd"
            | "oauthpvtkey"
            | "oauthrefreshtoken"
            | "oauthaccesstoken"
            | "oauthclientsecret"
    ) || k.ends_with("password")
}

fn normalise_key(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '-' | '_' | '.' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Secret spans found while parsing: (start, end) byte ranges of `text` to replace.
#[derive(Debug, Default)]
pub(crate) struct Secrets(Vec<(usize, usize)>);

impl Secrets {
    pub(crate) fn add(&mut self, start: usize, end: usize) {
        if start < end {
            self.0.push((start, end));
        }
    }

    /// `text` with every recorded span replaced by `****`.
    pub(crate) fn mask(mut self, text: &str) -> String {
        self.0.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (start, end) in self.0 {
            if start < at || end > text.len() {
                continue;
            }
            out.push_str(text.get(at..start).unwrap_or_default());
            out.push_str("****");
            at = end;
        }
        out.push_str(text.get(at..).unwrap_or_default());
        out
    }
}

/// What a parser returns before masking: the observation and the secret spans.
pub(crate) struct Parsed {
    pub(crate) connection: ConnectionString,
    pub(crate) secrets: Secrets,
}

impl Parsed {
    fn with_masked(self, text: &str) -> ConnectionString {
        let mut c = self.connection;
        c.masked = self.secrets.mask(text);
        c
    }
}

/// A parameter, masked when its key names a secret; records the secret's span.
pub(crate) fn parameter(
    key: &str,
    value: String,
    key_offset: usize,
    value_span: (usize, usize),
    secrets: &mut Secrets,
) -> Parameter {
    let secret = is_secret(key);
    if secret {
        secrets.add(value_span.0, value_span.1);
    }
    Parameter {
        key: key.to_owned(),
        value: if secret { "****".into() } else { value },
        offset: key_offset,
    }
}

/// An empty observation of `engine` written in `syntax`.
pub(crate) fn empty(engine: Engine, syntax: Syntax) -> ConnectionString {
    ConnectionString {
        engine,
        syntax,
        scheme: None,
        hosts: Vec::new(),
        user: None,
        has_password: false,
        parameters: Vec::new(),
        masked: String::new(),
    }
}

#[cfg(test)]
mod tests;
