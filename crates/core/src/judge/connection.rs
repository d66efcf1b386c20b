//! Judging a parsed connection string: does the client encrypt, does it verify the server's
//! certificate and name, which protocol versions does it allow, is a password embedded.
//! Drivers' defaults are taken into account (libpq `prefer`, MySQL `PREFERRED`, mongodb+srv TLS).

use crate::connection::{ConnectionString, Engine};
use crate::policy::Policy;
use crate::protocol::TlsVersion;
use crate::report::{Finding, Location};
use crate::rules::RuleId;

/// Every finding for `c`, which sits on `line` of its input.
pub fn connection(c: &ConnectionString, line: usize, policy: &Policy) -> Vec<Finding> {
    let mut out = Vec::new();
    let at = |name: &str| Location::Parameter {
        line,
        name: c
            .parameter(name)
            .map_or_else(|| name.to_owned(), |p| p.key.clone()),
    };
    let mut push = |id: RuleId, evidence: String, name: &str| {
        out.push(Finding::new(id, evidence, at(name)));
    };
    match c.engine {
        Engine::Postgres => postgres(c, &mut push),
        Engine::Mysql => mysql(c, &mut push),
        Engine::SqlServer => sql_server(c, &mut push),
        Engine::Mongodb => mongodb(c, &mut push),
        Engine::Redis => redis(c, &mut push),
        Engine::Kafka => kafka(c, &mut push),
        Engine::Snowflake => snowflake(c, &mut push),
        Engine::BigQuery => bigquery(c, &mut push),
    }
    versions(c, policy, &mut push);
    if c.has_password {
        push(
            crate::rule!("SECRET-PASSWORD-IN-STRING"),
            format!(
                "{} connection string embeds a password (masked here)",
                c.engine.label()
            ),
            "password",
        );
    }
    out
}

type Push<'a> = dyn FnMut(RuleId, String, &str) + 'a;

fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "true" | "yes" | "1" | "on" | "mandatory" | "strict"
    )
}

fn postgres(c: &ConnectionString, push: &mut Push<'_>) {
    // pgJDBC: ssl=true without sslmode means verify-full; otherwise libpq's default is prefer.
    let jdbc_ssl = c.get("ssl").is_some_and(truthy);
    let mode = c
        .get("sslmode")
        .map(str::to_ascii_lowercase)
        .unwrap_or_else(|| {
            if jdbc_ssl {
                "verify-full".into()
            } else {
                String::new()
            }
        });
    match mode.as_str() {
        "verify-full" => {}
        "verify-ca" => push(
            crate::rule!("DB-PG-SSLMODE-VERIFY-CA"),
            "sslmode=verify-ca checks the CA but not that the certificate names this host".into(),
            "sslmode",
        ),
        "" => push(
            crate::rule!("DB-PG-SSLMODE"),
            "sslmode is not set: libpq defaults to prefer, which falls back to plaintext and never verifies the server".into(),
            "sslmode",
        ),
        other => push(
            crate::rule!("DB-PG-SSLMODE"),
            format!("sslmode={other} does not verify the server's certificate{}", if matches!(other, "disable" | "allow" | "prefer") { " and may not encrypt at all" } else { "" }),
            "sslmode",
        ),
    }
    if c.get("channel_binding")
        .is_some_and(|v| v.eq_ignore_ascii_case("disable"))
    {
        push(
            crate::rule!("DB-PG-CHANNEL-BINDING"),
            "channel_binding=disable".into(),
            "channel_binding",
        );
    }
}

/// Snowflake's drivers speak TLS 1.2+ to `*.snowflakecomputing.com` and verify the certificate
/// always; what a connection string can still weaken is the revocation check.
fn snowflake(c: &ConnectionString, push: &mut Push<'_>) {
    // `insecureMode` is the old name of `disableOCSPChecks` (Python: insecure_mode).
    for key in ["disableOCSPChecks", "insecureMode"] {
        if let Some(p) = c.parameter(key).filter(|p| truthy(&p.value)) {
            push(
                crate::rule!("DB-SNOWFLAKE-OCSP-OFF"),
                format!(
                    "{}={}: the driver never checks whether Snowflake's certificates were revoked",
                    p.key, p.value
                ),
                key,
            );
            return;
        }
    }
    match c.get("ocspFailOpen") {
        Some(v) if !truthy(v) => {}
        shown => push(
            crate::rule!("DB-SNOWFLAKE-OCSP-FAIL-OPEN"),
            match shown {
                Some(v) => format!("ocspFailOpen={v}: a revocation check that cannot be answered lets the connection through"),
                None => "ocspFailOpen is not set: the drivers fail open, so a revocation check that cannot be answered lets the connection through".into(),
            },
            "ocspFailOpen",
        ),
    }
}

/// The BigQuery JDBC driver talks HTTPS to the API endpoint it is given; an `http://` endpoint
/// (a proxy or emulator address copied into production) sends the OAuth credentials in clear.
fn bigquery(c: &ConnectionString, push: &mut Push<'_>) {
    for endpoint in c
        .hosts
        .iter()
        .chain(c.get("RootURL").map(str::to_owned).as_ref())
    {
        if endpoint.to_ascii_lowercase().starts_with("http://") {
            push(
                crate::rule!("DB-BIGQUERY-PLAINTEXT"),
                format!(
                    "the API endpoint {endpoint} is plain HTTP: requests and OAuth tokens travel unencrypted"
                ),
                "RootURL",
            );
        }
    }
}

fn mysql(c: &ConnectionString, push: &mut Push<'_>) {
    // --ssl-mode (client options, URIs) or sslMode (Connector/J); useSSL=false is the old spelling.
    let mode = c.get("ssl-mode").map(str::to_ascii_uppercase);
    let use_ssl = c.get("useSSL").map(truthy);
    let verify_server = c.get("verifyServerCertificate").map(truthy);
    match (mode.as_deref(), use_ssl) {
        (Some("VERIFY_IDENTITY"), _) => {}
        (Some("VERIFY_CA"), _) => push(
            crate::rule!("DB-MYSQL-SSL-MODE-VERIFY-CA"),
            "ssl-mode=VERIFY_CA checks the CA but not the host name".into(),
            "ssl-mode",
        ),
        (Some(other), _) => push(
            crate::rule!("DB-MYSQL-SSL-MODE"),
            format!("ssl-mode={other} does not verify the server's certificate"),
            "ssl-mode",
        ),
        (None, Some(false)) => push(
            crate::rule!("DB-MYSQL-SSL-MODE"),
            "useSSL=false turns TLS off".into(),
            "useSSL",
        ),
        (None, Some(true)) if verify_server == Some(true) => {}
        (None, _) => push(
            crate::rule!("DB-MYSQL-SSL-MODE"),
            "ssl-mode is not set: clients default to PREFERRED, which falls back to plaintext and never verifies the server".into(),
            "ssl-mode",
        ),
    }
}

fn sql_server(c: &ConnectionString, push: &mut Push<'_>) {
    match c.get("encrypt") {
        Some(v) if truthy(v) => {}
        Some(v) => push(
            crate::rule!("DB-MSSQL-ENCRYPT"),
            format!("Encrypt={v}: traffic, including the login, may be sent in clear"),
            "encrypt",
        ),
        None => push(
            crate::rule!("DB-MSSQL-ENCRYPT"),
            "Encrypt is not set: System.Data.SqlClient and ODBC Driver 17 and older default to no encryption".into(),
            "encrypt",
        ),
    }
    if c.get("trustservercertificate").is_some_and(truthy) {
        push(
            crate::rule!("DB-MSSQL-TRUST-SERVER-CERTIFICATE"),
            "TrustServerCertificate=true accepts any certificate, so the connection can be intercepted".into(),
            "trustservercertificate",
        );
    }
}

fn mongodb(c: &ConnectionString, push: &mut Push<'_>) {
    let srv = c.scheme.as_deref() == Some("mongodb+srv");
    let tls = c.get("tls").or_else(|| c.get("ssl"));
    match tls {
        Some(v) if truthy(v) => {}
        Some(v) => push(
            crate::rule!("DB-MONGO-TLS"),
            format!("tls={v} turns TLS off"),
            "tls",
        ),
        None if srv => {}
        None => push(
            crate::rule!("DB-MONGO-TLS"),
            "mongodb:// without tls=true connects in plaintext".into(),
            "tls",
        ),
    }
    for key in [
        "tlsInsecure",
        "tlsAllowInvalidCertificates",
        "tlsAllowInvalidHostnames",
        "sslAllowInvalidCertificates",
        "sslAllowInvalidHostnames",
    ] {
        if c.get(key).is_some_and(truthy) {
            push(
                crate::rule!("DB-MONGO-TLS-INSECURE"),
                format!("{key}=true"),
                key,
            );
        }
    }
}

fn redis(c: &ConnectionString, push: &mut Push<'_>) {
    match c.scheme.as_deref() {
        Some("rediss") => {}
        Some(scheme) => push(
            crate::rule!("DB-REDIS-TLS"),
            format!("{scheme}:// connects without TLS; use rediss://"),
            "scheme",
        ),
        None => {}
    }
    for key in ["ssl_cert_reqs", "tls_cert_reqs"] {
        if c.get(key).is_some_and(|v| v.eq_ignore_ascii_case("none")) {
            push(
                crate::rule!("DB-REDIS-TLS-NO-VERIFY"),
                format!("{key}=none skips certificate verification"),
                key,
            );
        }
    }
    for key in ["insecure", "skip_verify", "insecure_skip_verify"] {
        if c.get(key).is_some_and(truthy) {
            push(
                crate::rule!("DB-REDIS-TLS-NO-VERIFY"),
                format!("{key}=true"),
                key,
            );
        }
    }
}

fn kafka(c: &ConnectionString, push: &mut Push<'_>) {
    let protocol = c
        .get("security.protocol")
        .unwrap_or("PLAINTEXT")
        .to_ascii_uppercase();
    if protocol != "SSL" && protocol != "SASL_SSL" {
        let how = if c.get("security.protocol").is_some() {
            format!("security.protocol={protocol}")
        } else {
            "security.protocol is not set (default PLAINTEXT)".into()
        };
        push(crate::rule!("DB-KAFKA-PLAINTEXT"), how, "security.protocol");
    }
    if c.get("ssl.endpoint.identification.algorithm")
        .is_some_and(|v| v.trim().is_empty())
    {
        push(
            crate::rule!("DB-KAFKA-HOSTNAME-VERIFICATION"),
            "ssl.endpoint.identification.algorithm is empty, which turns host-name verification off".into(),
            "ssl.endpoint.identification.algorithm",
        );
    }
}

/// Protocol versions a client allows, against the policy's database minimum.
fn versions(c: &ConnectionString, policy: &Policy, push: &mut Push<'_>) {
    let min = policy.tls.database_min_version;
    let mut seen = Vec::new();
    for key in [
        "tls-version",
        "enabledTLSProtocols",
        "tlsVersion",
        "ssl_min_protocol_version",
        "ssl.enabled.protocols",
        "ssl.protocol",
        "sslProtocol",
        "ssl_version",
        "ssl_min_version",
    ] {
        let Some(p) = c.parameter(key) else { continue };
        if seen.contains(&p.offset) {
            continue; // `tls-version` and `tlsVersion` are one key
        }
        seen.push(p.offset);
        let value = p.value.as_str();
        let old: Vec<TlsVersion> = value
            .split([',', ':', ' '])
            .filter_map(TlsVersion::parse)
            .filter(|v| *v < min)
            .collect();
        if let Some(lowest) = old.iter().min() {
            push(
                crate::rule!("TLS-VERSION-MIN"),
                format!("{key}={value} allows {lowest}; database connections need at least {min}"),
                key,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::parse;

    fn rules(text: &str) -> Vec<&'static str> {
        let c = parse(text).unwrap();
        let mut ids: Vec<_> = connection(&c, 1, &Policy::default())
            .into_iter()
            .map(|f| f.rule)
            .collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn verifying_strings_are_clean() {
        for good in [
            "postgresql://db/app?sslmode=verify-full&sslrootcert=/ca.pem",
            "host=db sslmode=verify-full channel_binding=require",
            "jdbc:postgresql://db/app?ssl=true",
            "mysql://db/app?ssl-mode=VERIFY_IDENTITY&tls-version=TLSv1.3",
            "mysql -h db --ssl-mode=VERIFY_IDENTITY --ssl-ca=/ca.pem",
            "Server=sql;Encrypt=yes;TrustServerCertificate=no",
            "jdbc:sqlserver://sql:1433;encrypt=true;trustServerCertificate=false",
            "mongodb://db/app?tls=true&tlsCAFile=/ca.pem",
            "mongodb+srv://cluster0.example.net/app",
            "rediss://cache:6380/0",
            "bootstrap.servers=k:9093\nsecurity.protocol=SSL\n",
            "jdbc:snowflake://acme.snowflakecomputing.com/?warehouse=wh&ocspFailOpen=false",
            "snowflake://svc@acme/db/public?warehouse=wh&ocsp_fail_open=False",
            "jdbc:bigquery://https://www.googleapis.com/bigquery/v2:443;ProjectId=p;OAuthType=3",
        ] {
            assert_eq!(rules(good), Vec::<&str>::new(), "{good}");
        }
    }

    #[test]
    fn each_weakness_has_its_rule() {
        let cases: &[(&str, &[&str])] = &[
            ("postgres://db/app", &["DB-PG-SSLMODE"]),
            ("host=db sslmode=require", &["DB-PG-SSLMODE"]),
            ("host=db sslmode=verify-ca", &["DB-PG-SSLMODE-VERIFY-CA"]),
            (
                "host=db sslmode=verify-full channel_binding=disable",
                &["DB-PG-CHANNEL-BINDING"],
            ),
            (
                "postgres://u:pw@db/app?sslmode=verify-full",
                &["SECRET-PASSWORD-IN-STRING"],
            ),
            ("mysql://db/app?ssl-mode=PREFERRED", &["DB-MYSQL-SSL-MODE"]),
            ("jdbc:mysql://db/app?useSSL=false", &["DB-MYSQL-SSL-MODE"]),
            (
                "mysql -h db --ssl-mode=VERIFY_CA",
                &["DB-MYSQL-SSL-MODE-VERIFY-CA"],
            ),
            (
                "mysql -h db --ssl-mode=VERIFY_IDENTITY --tls-version=TLSv1.1,TLSv1.2",
                &["TLS-VERSION-MIN"],
            ),
            ("Server=sql;Encrypt=False", &["DB-MSSQL-ENCRYPT"]),
            (
                "Server=sql;Encrypt=yes;TrustServerCertificate=yes",
                &["DB-MSSQL-TRUST-SERVER-CERTIFICATE"],
            ),
            ("mongodb://db/app", &["DB-MONGO-TLS"]),
            (
                "mongodb://db/app?tls=true&tlsInsecure=true",
                &["DB-MONGO-TLS-INSECURE"],
            ),
            ("redis://cache:6379/0", &["DB-REDIS-TLS"]),
            (
                "rediss://cache:6380/0?ssl_cert_reqs=none",
                &["DB-REDIS-TLS-NO-VERIFY"],
            ),
            (
                "security.protocol=SASL_PLAINTEXT\n",
                &["DB-KAFKA-PLAINTEXT"],
            ),
            (
                "security.protocol=SSL\nssl.endpoint.identification.algorithm=\n",
                &["DB-KAFKA-HOSTNAME-VERIFICATION"],
            ),
            (
                "jdbc:snowflake://acme.snowflakecomputing.com/?insecureMode=true",
                &["DB-SNOWFLAKE-OCSP-OFF"],
            ),
            (
                "snowflake://svc@acme/db?insecure_mode=True",
                &["DB-SNOWFLAKE-OCSP-OFF"],
            ),
            (
                "jdbc:snowflake://acme.snowflakecomputing.com/?disableOCSPChecks=true&ocspFailOpen=false",
                &["DB-SNOWFLAKE-OCSP-OFF"],
            ),
            (
                "jdbc:snowflake://acme.snowflakecomputing.com/?warehouse=wh",
                &["DB-SNOWFLAKE-OCSP-FAIL-OPEN"],
            ),
            (
                "snowflake://svc:hunter2@acme/db?ocsp_fail_open=false",
                &["SECRET-PASSWORD-IN-STRING"],
            ),
            (
                "jdbc:bigquery://http://bq-proxy.internal:8080;ProjectId=p",
                &["DB-BIGQUERY-PLAINTEXT"],
            ),
            (
                "jdbc:bigquery://https://www.googleapis.com/bigquery/v2:443;ProjectId=p;OAuthType=2;OAuthRefreshToken=1//0abc",
                &["SECRET-PASSWORD-IN-STRING"],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(rules(text), *want, "{text}");
        }
    }
}
