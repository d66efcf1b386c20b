//! The graph on small repositories made at test time: certificates from rcgen, files as text.
//! One test per judgement, each naming the rule it expects and the case where it must not fire.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, date_time_ymd,
};

use super::*;
use crate::probe::VersionProbe;

struct Ca {
    der: Vec<u8>,
    issuer: Issuer<'static, KeyPair>,
}

fn root(name: &str) -> Ca {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = CertificateParams::default();
    p.distinguished_name.push(DnType::CommonName, name);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = date_time_ymd(2025, 1, 1);
    p.not_after = date_time_ymd(2035, 1, 1);
    let der = p.self_signed(&key).unwrap().der().to_vec();
    Ca {
        der,
        issuer: Issuer::new(p, key),
    }
}

fn leaf(host: &str, ca: &Ca) -> Vec<u8> {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = CertificateParams::new(vec![host.to_owned()]).unwrap();
    p.distinguished_name.push(DnType::CommonName, host);
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.not_before = date_time_ymd(2026, 1, 1);
    p.not_after = date_time_ymd(2026, 12, 31);
    p.use_authority_key_identifier_extension = true;
    p.signed_by(&key, &ca.issuer).unwrap().der().to_vec()
}

fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-06-01T00:00:00Z").unwrap()
}

fn run(facts: &Facts, probes: &[Probed]) -> Vec<Link> {
    link(facts, probes, &Policy::default(), now(), None)
}

fn rules(link: &Link) -> Vec<&'static str> {
    link.findings.iter().map(|f| f.rule).collect()
}

/// app/.env (a PostgreSQL client verifying against certs/ca.pem), deploy/postgresql.conf and
/// its certificate deploy/server.crt, issued by `server_ca` for `host`.
fn postgres_repo(env: &str, conf: &str, client_ca: &Ca, server_ca: &Ca, host: &str) -> Facts {
    let mut f = Facts::default();
    f.add_file("repo/app/.env", env.as_bytes());
    f.add_file("repo/deploy/postgresql.conf", conf.as_bytes());
    f.certificates.push(CertificateFile {
        path: "repo/certs/ca.pem".into(),
        certificates: vec![client_ca.der.clone()],
    });
    f.certificates.push(CertificateFile {
        path: "repo/deploy/server.crt".into(),
        certificates: vec![leaf(host, server_ca)],
    });
    f
}

const VERIFYING: &str = "# the app's database\nDATABASE_URL=postgres://app@db.internal:5432/app?sslmode=verify-full&sslrootcert=../certs/ca.pem\n";
const CONF: &str =
    "port = 5432\nssl = on\nssl_cert_file = 'server.crt'\nssl_min_protocol_version = 'TLSv1.2'\n";

#[test]
fn a_server_certificate_from_another_ca_than_the_clients_ca_file_is_a_ca_mismatch() {
    let (ours, theirs) = (root("client's CA"), root("another CA"));
    let links = run(
        &postgres_repo(VERIFYING, CONF, &ours, &theirs, "db.internal"),
        &[],
    );
    assert_eq!(links.len(), 1);
    let l = &links[0];
    assert_eq!(l.servers.len(), 1, "{l:#?}");
    assert_eq!(l.servers[0].file, "repo/deploy/postgresql.conf");
    assert_eq!(l.servers[0].matched_by, "port");
    assert_eq!(rules(l), ["LINK-CA-MISMATCH"]);
    let f = &l.findings[0];
    assert_eq!(
        f.location,
        Location::File {
            path: "repo/app/.env".into(),
            line: 2,
            name: "sslrootcert".into()
        }
    );
    assert!(
        f.evidence.contains("repo/deploy/server.crt"),
        "{}",
        f.evidence
    );
    assert!(l.unresolved.is_empty(), "{:?}", l.unresolved);
    // The same repository with the server's certificate from the client's CA: no finding.
    let links = run(
        &postgres_repo(VERIFYING, CONF, &ours, &ours, "db.internal"),
        &[],
    );
    assert_eq!(
        rules(&links[0]),
        Vec::<&str>::new(),
        "{:#?}",
        links[0].findings
    );
}

#[test]
fn a_certificate_from_the_right_ca_for_another_host_is_a_name_mismatch() {
    let ours = root("client's CA");
    let links = run(
        &postgres_repo(VERIFYING, CONF, &ours, &ours, "other.internal"),
        &[],
    );
    assert_eq!(rules(&links[0]), ["LINK-NAME-MISMATCH"]);
    // verify-ca does not check the name.
    let verify_ca = VERIFYING.replace("verify-full", "verify-ca");
    let links = run(
        &postgres_repo(&verify_ca, CONF, &ours, &ours, "other.internal"),
        &[],
    );
    assert_eq!(rules(&links[0]), Vec::<&str>::new());
}

#[test]
fn a_client_pinning_tls13_beside_a_server_allowing_tls12_is_a_weaker_server() {
    let ca = root("CA");
    let pinned = VERIFYING.replace(
        "&sslrootcert",
        "&ssl_min_protocol_version=TLSv1.3&sslrootcert",
    );
    let links = run(&postgres_repo(&pinned, CONF, &ca, &ca, "db.internal"), &[]);
    assert_eq!(rules(&links[0]), ["LINK-SERVER-WEAKER"]);
    let f = &links[0].findings[0];
    assert_eq!(
        f.location,
        Location::File {
            path: "repo/deploy/postgresql.conf".into(),
            line: 4,
            name: "ssl_min_protocol_version".into()
        }
    );
    assert!(f.evidence.contains("TLS 1.2"), "{}", f.evidence);
    // A server whose highest version is below the client's lowest cannot be reached at all.
    let capped = CONF.replace(
        "ssl_min_protocol_version = 'TLSv1.2'",
        "ssl_max_protocol_version = 'TLSv1.2'",
    );
    let links = run(
        &postgres_repo(&pinned, &capped, &ca, &ca, "db.internal"),
        &[],
    );
    assert_eq!(rules(&links[0]), ["LINK-VERSION-NONE"]);
    // Server at TLS 1.3 only: nothing.
    let strict = CONF.replace("'TLSv1.2'", "'TLSv1.3'");
    let links = run(
        &postgres_repo(&pinned, &strict, &ca, &ca, "db.internal"),
        &[],
    );
    assert_eq!(rules(&links[0]), Vec::<&str>::new());
}

#[test]
fn a_client_requiring_tls_from_a_server_with_ssl_off_cannot_connect() {
    let ca = root("CA");
    let off = CONF.replace("ssl = on", "ssl = off");
    let links = run(
        &postgres_repo(VERIFYING, &off, &ca, &ca, "db.internal"),
        &[],
    );
    assert_eq!(rules(&links[0]), ["LINK-TLS-UNAVAILABLE"]);
    // A client that does not ask for TLS is judged on its own (DB-PG-SSLMODE), not here.
    let prefer = VERIFYING.replace("sslmode=verify-full", "sslmode=prefer");
    let links = run(&postgres_repo(&prefer, &off, &ca, &ca, "db.internal"), &[]);
    assert_eq!(rules(&links[0]), Vec::<&str>::new());
}

#[test]
fn a_redis_client_without_a_certificate_and_a_server_requiring_one() {
    let mut f = Facts::default();
    f.add_file(
        "src/cache.env",
        b"CACHE_URL=rediss://cache.internal:6380/0\n",
    );
    f.add_file(
        "deploy/redis.conf",
        b"port 0\ntls-port 6380\ntls-cert-file /etc/redis/tls.crt\ntls-key-file /etc/redis/tls.key\n",
    );
    let links = run(&f, &[]);
    assert_eq!(rules(&links[0]), ["LINK-CLIENT-CERT-MISSING"]);
    // tls-auth-clients optional: the client is let in without one.
    let mut g = Facts::default();
    g.add_file(
        "src/cache.env",
        b"CACHE_URL=rediss://cache.internal:6380/0\n",
    );
    g.add_file(
        "deploy/redis.conf",
        b"port 0\ntls-port 6380\ntls-auth-clients optional\n",
    );
    assert_eq!(rules(&run(&g, &[])[0]), Vec::<&str>::new());
    // Another port is another server: no link.
    let mut h = Facts::default();
    h.add_file(
        "src/cache.env",
        b"CACHE_URL=rediss://cache.internal:6381/0\n",
    );
    h.add_file("deploy/redis.conf", b"port 0\ntls-port 6380\n");
    assert!(run(&h, &[])[0].servers.is_empty());
}

#[test]
fn https_clients_link_to_the_nginx_server_block_that_names_their_host() {
    let mut f = Facts::default();
    f.add_string("https://api.internal:8443/v1/orders", "src/client.js", 7);
    f.add_file(
        "deploy/nginx.conf",
        b"http {\n  ssl_protocols TLSv1.3;\n  server {\n    listen 8443 ssl;\n    server_name api.internal;\n  }\n  server {\n    listen 8443 ssl;\n    server_name other.internal;\n  }\n  server {\n    listen 80;\n    server_name api.internal;\n  }\n}\n",
    );
    let links = run(&f, &[]);
    assert_eq!(links.len(), 1);
    let servers = &links[0].servers;
    assert_eq!(servers.len(), 1, "{servers:#?}");
    assert_eq!(
        (servers[0].line, servers[0].matched_by.as_str()),
        (3, "name and port")
    );
    assert!(name_matches("*.internal", "api.internal"));
    assert!(!name_matches("*.internal", "internal"));
    assert!(name_matches(".internal", "internal"));
    assert!(!name_matches("~^api", "api.internal"));
}

fn report(versions: &[TlsVersion], chain: Vec<Vec<u8>>) -> ProbeReport {
    let mut r = ProbeReport::new("db.internal:5432".into(), Service::Postgres, now());
    r.address = "127.0.0.1:5432".into();
    r.versions = TlsVersion::ALL
        .into_iter()
        .map(|v| VersionProbe {
            version: v,
            accepted: versions.contains(&v),
            suites: Vec::new(),
            server_order: None,
            extended_master_secret: None,
        })
        .collect();
    r.chain = chain;
    r
}

#[test]
fn what_the_host_serves_is_judged_against_the_client_and_the_configuration() {
    let (ours, theirs) = (root("client's CA"), root("another CA"));
    let strict = CONF.replace("'TLSv1.2'", "'TLSv1.3'");
    let facts = postgres_repo(VERIFYING, &strict, &ours, &ours, "db.internal");
    // The host serves TLS 1.2 too, and a certificate from another CA than the client's.
    let probed = Probed {
        host: "db.internal".into(),
        port: 5432,
        report: report(
            &[TlsVersion::Tls12, TlsVersion::Tls13],
            vec![leaf("db.internal", &theirs)],
        ),
    };
    let links = run(&facts, std::slice::from_ref(&probed));
    let l = &links[0];
    let mut got = rules(l);
    got.sort_unstable();
    assert_eq!(
        got,
        ["LINK-CA-MISMATCH", "LINK-CONFIG-DRIFT", "LINK-CONFIG-DRIFT"]
    );
    assert_eq!(
        l.served.as_ref().unwrap().versions,
        [TlsVersion::Tls12, TlsVersion::Tls13]
    );
    assert!(
        l.findings.iter().any(|f| f
            .evidence
            .contains("allows TLS 1.3; db.internal:5432 accepts TLS 1.2, TLS 1.3")),
        "{:#?}",
        l.findings
    );
    // The host serving exactly what the repository says: nothing.
    let served = facts.certificates[1].certificates.clone();
    let matching = Probed {
        report: report(&[TlsVersion::Tls13], served),
        ..probed
    };
    assert_eq!(rules(&run(&facts, &[matching])[0]), Vec::<&str>::new());
}

#[test]
fn a_ca_file_that_is_not_among_the_inputs_is_named_not_guessed() {
    let mut f = Facts::default();
    f.add_file("app/.env", VERIFYING.as_bytes());
    f.add_file("deploy/postgresql.conf", CONF.as_bytes());
    let links = run(&f, &[]);
    assert_eq!(rules(&links[0]), Vec::<&str>::new());
    let unresolved = &links[0].unresolved;
    assert_eq!(unresolved.len(), 2, "{unresolved:?}");
    assert!(unresolved[0].starts_with("sslrootcert ../certs/ca.pem (app/.env:2)"));
    assert!(unresolved[1].starts_with("ssl_cert_file server.crt (deploy/postgresql.conf:3)"));
}

#[test]
fn certificate_references_resolve_by_path_then_tail_then_name() {
    let files = [
        CertificateFile {
            path: "repo/certs/ca.pem".into(),
            certificates: Vec::new(),
        },
        CertificateFile {
            path: "repo/deploy/tls/server.crt".into(),
            certificates: Vec::new(),
        },
    ];
    let found = |r: &str, from: &str| resolve(r, from, &files).map(|f| f.path.as_str());
    assert_eq!(
        found("../certs/ca.pem", "repo/app/.env"),
        Some("repo/certs/ca.pem")
    );
    assert_eq!(
        found("certs/ca.pem", "repo/app/.env"),
        Some("repo/certs/ca.pem")
    );
    assert_eq!(
        found("/etc/nginx/tls/server.crt", "repo/deploy/nginx.conf"),
        Some("repo/deploy/tls/server.crt")
    );
    assert_eq!(
        found("'ca.pem'", "elsewhere/x.conf"),
        Some("repo/certs/ca.pem")
    );
    assert_eq!(found("missing.pem", "repo/x"), None);
    assert_eq!(normalise("a/./b/../c"), "a/c");
    assert_eq!(normalise("../x/./y"), "../x/y");
}

#[test]
fn a_url_in_code_takes_the_files_tls_options() {
    use crate::code::{Setting, SettingKind};
    let settings = [
        Setting {
            line: 3,
            symbol: "string".into(),
            kind: crate::code::endpoint_literal("https://user:secret@api.internal:8443/v1")
                .unwrap(),
        },
        Setting {
            line: 5,
            symbol: "minVersion".into(),
            kind: SettingKind::MinVersion(TlsVersion::Tls13),
        },
        Setting {
            line: 6,
            symbol: "rejectUnauthorized".into(),
            kind: SettingKind::VerifyOff,
        },
    ];
    let mut f = Facts::default();
    f.add_code("src/client.js", &settings);
    f.add_file(
        "deploy/nginx.conf",
        b"server {\n  listen 8443 ssl;\n  server_name api.internal;\n  ssl_protocols TLSv1.2 TLSv1.3;\n}\n",
    );
    let c = &f.clients[0];
    assert_eq!(
        (c.tls, c.tls_key.as_deref()),
        (ClientTls::Encrypt, Some("rejectUnauthorized"))
    );
    assert!(!c.shown.contains("secret"), "{}", c.shown);
    let links = run(&f, &[]);
    assert_eq!(rules(&links[0]), ["LINK-SERVER-WEAKER"]);
    assert!(
        links[0].findings[0]
            .evidence
            .contains("src/client.js:3 requires TLS 1.3"),
        "{}",
        links[0].findings[0].evidence
    );
}

#[test]
fn an_haproxy_bind_requiring_client_certificates_is_linked_by_port() {
    let mut f = Facts::default();
    f.add_string("https://edge.internal:8443/", "src/a.py", 2);
    f.add_file(
        "deploy/haproxy.cfg",
        b"global\n  ssl-default-bind-options ssl-min-ver TLSv1.2\nfrontend edge\n  bind :8443 ssl crt /etc/haproxy/edge.pem verify required ca-file /etc/haproxy/clients.pem ssl-max-ver TLSv1.2\n  default_backend app\n",
    );
    f.clients[0].min_version = Some(Written {
        value: TlsVersion::Tls13,
        line: 3,
        name: "minimum_version".into(),
    });
    let links = run(&f, &[]);
    assert_eq!(links[0].servers[0].line, 4);
    assert_eq!(
        rules(&links[0]),
        ["LINK-VERSION-NONE", "LINK-CLIENT-CERT-MISSING"]
    );
}

#[test]
fn an_apache_virtual_host_is_linked_by_its_server_name_and_port() {
    let mut f = Facts::default();
    f.add_string("https://shop.internal/", "src/a.py", 2);
    f.clients[0].min_version = Some(Written {
        value: TlsVersion::Tls12,
        line: 3,
        name: "minimum_version".into(),
    });
    f.add_file(
        "deploy/httpd.conf",
        b"SSLProtocol all -SSLv3\n<VirtualHost *:443>\n  ServerName shop.internal\n  SSLEngine on\n</VirtualHost>\n<VirtualHost *:443>\n  ServerName other.internal\n  SSLEngine on\n</VirtualHost>\n",
    );
    let links = run(&f, &[]);
    assert_eq!(links[0].servers.len(), 1, "{:#?}", links[0].servers);
    assert_eq!(links[0].servers[0].line, 2);
    // mod_ssl's `all -SSLv3` still has TLS 1.0 and 1.1, below the client's 1.2.
    assert_eq!(rules(&links[0]), ["LINK-SERVER-WEAKER"]);
    assert_eq!(
        links[0].findings[0].location,
        Location::File {
            path: "deploy/httpd.conf".into(),
            line: 1,
            name: "SSLProtocol".into()
        }
    );
}

#[test]
fn caddy_sites_are_linked_by_their_addresses_with_caddys_defaults() {
    let mut f = Facts::default();
    f.add_string("https://shop.example.com/", "src/a.py", 2);
    f.add_string("https://api.example.com:8443/v1", "src/a.py", 3);
    f.add_file(
        "deploy/Caddyfile",
        b"shop.example.com {\n\ttls /etc/caddy/shop.pem /etc/caddy/shop.key {\n\t\tprotocols tls1.3\n\t\tclient_auth {\n\t\t\tmode require_and_verify\n\t\t\ttrusted_ca_cert_file /etc/caddy/clients.pem\n\t\t}\n\t}\n}\n\napi.example.com:8443 {\n\treverse_proxy localhost:9000\n}\n\nhttp://status.example.com {\n\trespond \"ok\"\n}\n",
    );
    for client in &mut f.clients {
        client.min_version = Some(Written {
            value: TlsVersion::Tls13,
            line: 4,
            name: "minimum_version".into(),
        });
    }
    let links = run(&f, &[]);
    // shop: its site block, which requires a client certificate the client does not send.
    assert_eq!(links[0].servers.len(), 1, "{:#?}", links[0].servers);
    assert_eq!(links[0].servers[0].line, 1);
    assert_eq!(rules(&links[0]), ["LINK-CLIENT-CERT-MISSING"]);
    // api: no tls directive, so Caddy's default TLS 1.2–1.3 beside the client's 1.3 pin.
    assert_eq!(links[1].servers.len(), 1, "{:#?}", links[1].servers);
    assert_eq!(links[1].servers[0].line, 11);
    assert_eq!(rules(&links[1]), ["LINK-SERVER-WEAKER"]);
}

#[test]
fn a_pg_hba_requiring_client_certificates_on_every_tcp_line_makes_the_server_require_one() {
    let ca = root("CA");
    let with_hba = |hba: &str| {
        let mut f = postgres_repo(VERIFYING, CONF, &ca, &ca, "db.internal");
        f.add_file("repo/deploy/pg_hba.conf", hba.as_bytes());
        run(&f, &[])
    };
    let links = with_hba(
        "local all all peer\nhostssl all all 10.0.0.0/8 cert\nhostssl all all 0.0.0.0/0 scram-sha-256 clientcert=verify-full\n",
    );
    assert_eq!(rules(&links[0]), ["LINK-CLIENT-CERT-MISSING"]);
    assert!(
        links[0].findings[0]
            .evidence
            .contains("by repo/deploy/pg_hba.conf:2 (`hostssl all all 10.0.0.0/8 cert`)"),
        "{}",
        links[0].findings[0].evidence
    );
    // One TCP line without a client certificate: it depends on who connects, so nothing is said.
    let links =
        with_hba("hostssl all all 10.0.0.0/8 cert\nhostssl app app 0.0.0.0/0 scram-sha-256\n");
    assert_eq!(rules(&links[0]), Vec::<&str>::new());
    // A pg_hba.conf of another directory is another server's.
    let mut f = postgres_repo(VERIFYING, CONF, &ca, &ca, "db.internal");
    f.add_file(
        "repo/other/pg_hba.conf",
        b"hostssl all all 0.0.0.0/0 cert\n",
    );
    assert_eq!(rules(&run(&f, &[])[0]), Vec::<&str>::new());
}

#[test]
fn an_envoy_filter_chain_is_linked_by_port_and_server_name() {
    let mut f = Facts::default();
    f.add_string("https://api.internal:8443/", "src/a.py", 2);
    f.add_string("https://other.internal:8443/", "src/a.py", 3);
    f.add_file(
        "deploy/envoy.yaml",
        b"static_resources:\n  listeners:\n    - name: https\n      address:\n        socket_address: { address: 0.0.0.0, port_value: 8443 }\n      filter_chains:\n        - filter_chain_match:\n            server_names: [api.internal]\n          transport_socket:\n            name: envoy.transport_sockets.tls\n            typed_config:\n              \"@type\": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext\n              require_client_certificate: true\n              common_tls_context:\n                tls_params:\n                  tls_minimum_protocol_version: TLSv1_3\n                validation_context:\n                  trusted_ca: { filename: /etc/envoy/clients.pem }\n        - filter_chain_match:\n            server_names: [other.internal]\n          filters: []\n",
    );
    let links = run(&f, &[]);
    // api: the TLS chain that names it, requiring a client certificate the client does not send.
    assert_eq!(links[0].servers.len(), 1, "{:#?}", links[0].servers);
    assert_eq!(links[0].servers[0].line, 7);
    assert_eq!(rules(&links[0]), ["LINK-CLIENT-CERT-MISSING"]);
    // other: a chain without a transport socket is plaintext.
    assert_eq!(links[1].servers[0].line, 19);
    assert_eq!(rules(&links[1]), ["LINK-TLS-UNAVAILABLE"]);
}
