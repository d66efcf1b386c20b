//! Recognition and located errors for every configuration syntax. The judgements themselves are
//! exercised by the corpus (crates/core/tests/corpus).

use super::*;

/// Config errors do not depend on the moment of judgement.
fn lint(kind: Kind, text: &str, policy: &Policy) -> Result<Vec<Finding>, ConfigError> {
    super::lint(
        kind,
        text,
        policy,
        crate::timestamp::Timestamp::from_unix(0),
    )
}

#[test]
fn files_are_recognised_by_content() {
    let cases = [
        ("server {\n  listen 443 ssl;\n}\n", Kind::Nginx),
        ("hostssl all all 0.0.0.0/0 scram-sha-256\n", Kind::PgHba),
        ("listen_addresses = '*'\nssl = on\n", Kind::PostgresqlConf),
        ("[mysqld]\nrequire_secure_transport = ON\n", Kind::MyCnf),
        ("port 0\ntls-port 6379\n", Kind::RedisConf),
        ("apiVersion: v1\nkind: List\n", Kind::Kubernetes),
        (
            "example.com {\n  reverse_proxy localhost:8080\n}\n",
            Kind::Caddy,
        ),
        ("static_resources:\n  listeners: []\n", Kind::Envoy),
    ];
    for (text, kind) in cases {
        assert_eq!(recognise(None, text), Some(kind), "{text}");
    }
    assert_eq!(recognise(None, "hello"), None);
    assert_eq!(
        recognise(Some("redis.conf"), "# only a comment\n"),
        Some(Kind::RedisConf)
    );
}

#[test]
fn syntax_errors_have_line_and_column() {
    let policy = Policy::default();
    let e = lint(
        Kind::Nginx,
        "http {\n  server {\n    listen 443 ssl\n  }\n}\n",
        &policy,
    )
    .unwrap_err();
    assert_eq!((e.line, e.column), (4, 3), "{e}");
    assert!(
        e.to_string().contains("`;` after the `listen` directive"),
        "{e}"
    );
    let e = lint(Kind::Nginx, "server {\n", &policy).unwrap_err();
    assert!(e.expected.contains('}'), "{e}");
    let e = lint(Kind::Nginx, "}\n", &policy).unwrap_err();
    assert_eq!(e.line, 1);
    let e = lint(
        Kind::PostgresqlConf,
        "ssl = on\nssl_ciphers = 'HIGH\n",
        &policy,
    )
    .unwrap_err();
    assert_eq!((e.line, e.column), (2, 15), "{e}");
    let e = lint(
        Kind::PgHba,
        "hostssl all all 10.0.0.0/8 scram-sha-256\nhots all all 0.0.0.0/0 md5\n",
        &policy,
    )
    .unwrap_err();
    assert_eq!((e.line, e.column), (2, 1), "{e}");
    let e = lint(Kind::MyCnf, "[mysqld\n", &policy).unwrap_err();
    assert_eq!(e.line, 1);
    let e = lint(Kind::Kubernetes, "kind: Certificate\nspec: [\n", &policy).unwrap_err();
    assert!(e.line >= 2, "{e}");
    assert!(e.to_string().starts_with("Kubernetes manifest line"), "{e}");
}

/// One rule, many dialects: the cipher settings of PostgreSQL, MySQL/MariaDB and Redis are
/// expanded and judged as nginx's `ssl_ciphers` is, each finding at its own directive.
#[test]
fn database_cipher_lists_are_judged_like_nginx() {
    let policy = Policy::default();
    let rules_at = |kind, text: &str| -> Vec<(&'static str, String)> {
        lint(kind, text, &policy)
            .unwrap()
            .into_iter()
            .filter_map(|f| match &f.location {
                Location::Directive { name, .. }
                    if name.contains("cipher") || name.contains("ciphersuites") =>
                {
                    Some((f.rule, name.clone()))
                }
                _ => None,
            })
            .collect()
    };
    let pg = rules_at(
        Kind::PostgresqlConf,
        "ssl = on\nssl_ciphers = 'HIGH:MEDIUM:+3DES:!aNULL'\n",
    );
    assert!(
        pg.contains(&("TLS-SUITE-CBC", "ssl_ciphers".into())),
        "{pg:?}"
    );
    assert!(
        pg.contains(&("TLS-NO-FORWARD-SECRECY", "ssl_ciphers".into())),
        "{pg:?}"
    );
    assert!(
        pg.contains(&("TLS-SUITE-WEAK", "ssl_ciphers".into())),
        "3DES via MEDIUM: {pg:?}"
    );
    let good = rules_at(
        Kind::PostgresqlConf,
        "ssl = on\nssl_ciphers = 'ECDHE+AESGCM:ECDHE+CHACHA20'\n",
    );
    assert!(good.is_empty(), "{good:?}");

    let my = rules_at(
        Kind::MyCnf,
        "[mysqld]\nrequire_secure_transport = ON\nssl-cipher = AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256\ntls_ciphersuites = TLS_AES_128_GCM_SHA256:TLS_AES_128_CCM_8_SHA256\n",
    );
    assert!(
        my.contains(&("TLS-NO-FORWARD-SECRECY", "ssl_cipher".into())),
        "{my:?}"
    );
    assert!(
        my.contains(&("TLS-SUITE-NOT-ALLOWED", "tls_ciphersuites".into())),
        "{my:?}"
    );

    let redis = rules_at(
        Kind::RedisConf,
        "port 0\ntls-port 6379\ntls-ciphers DEFAULT:RC4-SHA:NO-SUCH-SUITE\ntls-ciphersuites TLS_AES_256_GCM_SHA384\n",
    );
    assert!(
        redis.contains(&("TLS-SUITE-WEAK", "tls-ciphers".into())),
        "{redis:?}"
    );
    assert!(
        redis.contains(&("CONFIG-CIPHER-UNKNOWN", "tls-ciphers".into())),
        "{redis:?}"
    );
    assert!(
        !redis.iter().any(|(_, n)| n == "tls-ciphersuites"),
        "an allowed TLS 1.3 suite: {redis:?}"
    );
}

#[test]
fn nginx_optional_no_ca_takes_client_certificates_unverified() {
    let text = "server {\n  listen 443 ssl;\n  ssl_protocols TLSv1.3;\n  ssl_verify_client optional_no_ca;\n}\n";
    let found = lint(Kind::Nginx, text, &Policy::default()).unwrap();
    let f = found
        .iter()
        .find(|f| f.rule == "MTLS-CLIENT-NOT-VERIFIED")
        .unwrap_or_else(|| panic!("{found:?}"));
    assert_eq!(crate::lint::finding_line(f), Some(4));
}
