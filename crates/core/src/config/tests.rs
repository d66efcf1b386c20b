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
