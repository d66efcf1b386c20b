//! A real `tlscope demo` for the tests that read its API and `/metrics`, and a plain HTTP/1.1
//! client to ask it.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `tlscope demo`, killed when dropped.
pub struct Demo {
    child: Child,
    /// Where it serves, HOST:PORT.
    pub addr: String,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `tlscope demo` on a free loopback port with `args`, without the dashboard, and waits
/// for its URL.
pub fn demo(args: &[&str]) -> Demo {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tlscope"))
        .args(["demo", "--listen", "127.0.0.1:0"])
        .args(args)
        .env("TLSCOPE_DIST", "/nonexistent")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start demo");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let addr = loop {
        let line = lines.next().expect("demo printed its URL").expect("read");
        if let Some(url) = line.split("dashboard at http://").nth(1) {
            break url.trim().trim_end_matches('/').to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Demo { child, addr }
}

/// A plain HTTP/1.1 request; (status, headers, body).
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &str,
    body: &str,
) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n{headers}\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut response = String::new();
    s.read_to_string(&mut response).expect("read");
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head.to_owned(), body.to_owned())
}
