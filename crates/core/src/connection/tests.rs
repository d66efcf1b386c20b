//! Parser tests: each syntax, its masking, and located errors.

use super::*;

fn ok(text: &str) -> ConnectionString {
    parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn postgres_uri_with_hosts_query_and_masked_password() {
    let c =
        ok("postgresql://app:s3cr%40t@db1:5432,db2/orders?sslmode=verify-full&sslrootcert=/ca.pem");
    assert_eq!(c.engine, Engine::Postgres);
    assert_eq!(c.syntax, Syntax::Uri);
    assert_eq!(c.hosts, ["db1:5432", "db2"]);
    assert_eq!(c.user.as_deref(), Some("app"));
    assert!(c.has_password);
    assert_eq!(c.get("sslmode"), Some("verify-full"));
    assert_eq!(c.get("database"), Some("orders"));
    assert_eq!(
        c.masked,
        "postgresql://app:****@db1:5432,db2/orders?sslmode=verify-full&sslrootcert=/ca.pem"
    );
    let q = ok("postgres://db/x?user=a&password=hunter2&sslmode=require");
    assert!(!q.masked.contains("hunter2") && q.has_password);
    assert!(!serde_json::to_string(&q).unwrap().contains("hunter2"));
}

#[test]
fn libpq_keyword_value_with_quotes() {
    let c = ok(
        "host=db.internal port=5432 dbname=app user=svc password='it\\'s x' sslmode = verify-ca",
    );
    assert_eq!(c.syntax, Syntax::KeywordValue);
    assert_eq!(c.get("sslmode"), Some("verify-ca"));
    assert_eq!(c.hosts, ["db.internal"]);
    let c = ok("host=db password='a b c' sslmode=require");
    assert_eq!(c.masked, "host=db password=**** sslmode=require");
    assert!(matches!(
        parse("host=db password='unterminated"),
        Err(ConnectionError::Syntax { offset: 17, .. })
    ));
}

#[test]
fn jdbc_urls_for_postgres_mysql_and_sql_server() {
    let c = ok("jdbc:postgresql://db:5432/app?ssl=true&sslmode=verify-full&password=pw");
    assert_eq!((c.engine, c.syntax), (Engine::Postgres, Syntax::Jdbc));
    assert_eq!(
        c.masked,
        "jdbc:postgresql://db:5432/app?ssl=true&sslmode=verify-full&password=****"
    );
    let c = ok("jdbc:mysql://db:3306/app?sslMode=VERIFY_IDENTITY");
    assert_eq!(c.get("ssl-mode"), Some("VERIFY_IDENTITY"));
    let c = ok(
        "jdbc:sqlserver://sql.example.com:1433;databaseName=app;encrypt=true;trustServerCertificate=false;password={p;w}",
    );
    assert_eq!((c.engine, c.syntax), (Engine::SqlServer, Syntax::Jdbc));
    assert_eq!(c.hosts, ["sql.example.com:1433"]);
    assert_eq!(c.get("Encrypt"), Some("true"));
    assert!(c.masked.ends_with("password=****"), "{}", c.masked);
    assert!(parse("jdbc:oracle:thin:@db").is_err());
}

#[test]
fn ado_net_and_odbc() {
    let c = ok(
        "Server=tcp:sql.example.com,1433;Database=app;User ID=svc;Password=\"p;w\";Encrypt=True;TrustServerCertificate=False;",
    );
    assert_eq!(c.syntax, Syntax::AdoNet);
    assert_eq!(c.user.as_deref(), Some("svc"));
    assert_eq!(c.get("trustservercertificate"), Some("False"));
    assert!(c.masked.contains("Password=****;"), "{}", c.masked);
    let c = ok("Driver={ODBC Driver 18 for SQL Server};Server=sql;Uid=svc;Pwd={a}}b};Encrypt=yes");
    assert_eq!(c.syntax, Syntax::Odbc);
    assert_eq!(c.get("driver"), Some("ODBC Driver 18 for SQL Server"));
    assert!(c.masked.contains("Pwd=****;"), "{}", c.masked);
    assert!(matches!(
        parse("Server=sql;Encrypt"),
        Err(ConnectionError::Syntax { offset: 11, .. })
    ));
}

#[test]
fn mysql_uri_and_client_options() {
    let c = ok("mysql://app:pw@db:3306/app?ssl-mode=REQUIRED");
    assert_eq!(c.get("ssl_mode"), Some("REQUIRED"));
    let c = ok(
        "mysql -h db.internal -u app -pSECRET --ssl-mode=VERIFY_IDENTITY --ssl-ca /etc/ca.pem --tls-version=TLSv1.2,TLSv1.3 app",
    );
    assert_eq!(c.syntax, Syntax::ClientOptions);
    assert_eq!(c.hosts, ["db.internal"]);
    assert_eq!(c.get("ssl-ca"), Some("/etc/ca.pem"));
    assert_eq!(c.get("tls-version"), Some("TLSv1.2,TLSv1.3"));
    assert!(c.has_password);
    assert_eq!(
        c.masked,
        "mysql -h db.internal -u app -p**** --ssl-mode=VERIFY_IDENTITY --ssl-ca /etc/ca.pem --tls-version=TLSv1.2,TLSv1.3 app"
    );
    assert!(parse("mysql --ssl-mode").is_err());
}

#[test]
fn mongodb_redis_and_kafka() {
    let c = ok(
        "mongodb+srv://u:p@cluster0.example.net/app?retryWrites=true&tlsAllowInvalidHostnames=true",
    );
    assert_eq!(c.scheme.as_deref(), Some("mongodb+srv"));
    assert_eq!(c.get("tlsallowinvalidhostnames"), Some("true"));
    let c = ok("rediss://:hunter2@cache:6380/0?ssl_cert_reqs=none");
    assert_eq!(c.masked, "rediss://:****@cache:6380/0?ssl_cert_reqs=none");
    assert_eq!(c.user, None);
    let c = ok(
        "bootstrap.servers=k1:9093,k2:9093\nsecurity.protocol=SASL_SSL\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\\n  username=\"a\" password=\"b\";\nssl.endpoint.identification.algorithm=\n",
    );
    assert_eq!(c.engine, Engine::Kafka);
    assert_eq!(c.hosts, ["k1:9093", "k2:9093"]);
    assert_eq!(c.get("ssl.endpoint.identification.algorithm"), Some(""));
    assert!(!c.masked.contains("password=\"b\""), "{}", c.masked);
}

#[test]
fn errors_name_the_offset_and_what_was_expected() {
    assert_eq!(parse("hello world"), Err(ConnectionError::Unrecognised));
    let e = parse("postgres://db:99999/x").unwrap_err();
    assert!(
        matches!(&e, ConnectionError::Syntax { offset: 14, expected } if expected.contains("port")),
        "{e}"
    );
    let e = parse("postgres://db/x?sslmode").unwrap_err();
    assert!(
        e.to_string().starts_with("at byte 16: expected key=value"),
        "{e}"
    );
    let e = parse("postgres://db/x?a=%zz").unwrap_err();
    assert!(
        matches!(e, ConnectionError::Syntax { offset: 18, .. }),
        "{e}"
    );
}

#[test]
fn snowflake_and_bigquery_urls_are_read_and_their_secrets_masked() {
    let c = ok(
        "jdbc:snowflake://acme.snowflakecomputing.com:443/?user=svc&password=hunter2&warehouse=wh&insecureMode=true",
    );
    assert_eq!((c.engine, c.syntax), (Engine::Snowflake, Syntax::Jdbc));
    assert_eq!(c.hosts, ["acme.snowflakecomputing.com:443"]);
    assert_eq!(c.get("insecure_mode"), Some("true"));
    assert!(
        c.has_password && !c.masked.contains("hunter2"),
        "{}",
        c.masked
    );
    let c = ok("snowflake://svc:s3cret@acme/db/public?warehouse=wh&token=abc.def");
    assert_eq!((c.engine, c.syntax), (Engine::Snowflake, Syntax::Uri));
    assert!(
        !c.masked.contains("s3cret") && !c.masked.contains("abc.def"),
        "{}",
        c.masked
    );
    let c = ok(
        "jdbc:bigquery://https://www.googleapis.com/bigquery/v2:443;ProjectId=acme;OAuthType=0;OAuthServiceAcctEmail=svc@acme.iam.gserviceaccount.com;OAuthPvtKey=-----BEGIN PRIVATE KEY-----abc",
    );
    assert_eq!((c.engine, c.syntax), (Engine::BigQuery, Syntax::Jdbc));
    assert_eq!(c.hosts, ["https://www.googleapis.com/bigquery/v2:443"]);
    assert_eq!(c.get("projectid"), Some("acme"));
    assert!(
        c.has_password && !c.masked.contains("BEGIN PRIVATE KEY"),
        "{}",
        c.masked
    );
    assert!(matches!(
        parse("jdbc:bigquery://;ProjectId=p"),
        Err(ConnectionError::Syntax { offset: 16, .. })
    ));
    assert!(matches!(
        parse("jdbc:oracle:thin:@db:1521/x"),
        Err(ConnectionError::Syntax { offset: 5, ref expected }) if expected.contains("snowflake or bigquery")
    ));
}
