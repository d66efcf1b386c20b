//! Reaching TLS on a probe target: a direct TCP connection, or the upgrade its protocol needs
//! first (PostgreSQL's SSLRequest, the MySQL/MariaDB SSL capability), each step time-limited.

use tlscope_core::probe::Service;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::scan::{Ctx, within};

impl Ctx<'_> {
    /// A TCP connection on which the next bytes are the TLS ClientHello.
    pub(super) async fn transport(&self) -> Result<TcpStream, String> {
        let mut tcp = within(self.timeout, "connect", TcpStream::connect(self.addr)).await?;
        let _ = tcp.set_nodelay(true);
        match self.target.service {
            Service::Postgres => {
                // SSLRequest: length 8, code 80877103.
                within(
                    self.timeout,
                    "SSLRequest",
                    tcp.write_all(&[0, 0, 0, 8, 4, 0xd2, 0x16, 0x2f]),
                )
                .await?;
                let mut answer = [0u8; 1];
                within(self.timeout, "SSLRequest", tcp.read_exact(&mut answer)).await?;
                match answer[0] {
                    b'S' => {}
                    b'N' => {
                        return Err("the PostgreSQL server refused SSLRequest (ssl = off)".into());
                    }
                    other => {
                        return Err(format!(
                            "not a PostgreSQL server: it answered SSLRequest with byte 0x{other:02x}"
                        ));
                    }
                }
            }
            Service::Mysql => {
                let mut header = [0u8; 4];
                within(self.timeout, "MySQL greeting", tcp.read_exact(&mut header)).await?;
                let len = usize::from(header[0])
                    | usize::from(header[1]) << 8
                    | usize::from(header[2]) << 16;
                let mut greeting = vec![0u8; len.min(1 << 16)];
                within(
                    self.timeout,
                    "MySQL greeting",
                    tcp.read_exact(&mut greeting),
                )
                .await?;
                if greeting.first() == Some(&0xff) {
                    let text =
                        String::from_utf8_lossy(greeting.get(3..).unwrap_or_default()).into_owned();
                    return Err(format!("the MySQL server refused the connection: {text}"));
                }
                let nul = greeting
                    .iter()
                    .skip(1)
                    .position(|b| *b == 0)
                    .ok_or("not a MySQL greeting")?;
                let caps_at = 1 + nul + 1 + 4 + 8 + 1;
                let caps = greeting
                    .get(caps_at..caps_at + 2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .ok_or("not a MySQL greeting (too short)")?;
                if caps & 0x0800 == 0 {
                    return Err(
                        "the MySQL server does not offer TLS (no CLIENT_SSL capability)".into(),
                    );
                }
                // SSLRequest: capabilities, max packet, charset, 23 zero bytes; sequence 1.
                let flags: u32 =
                    0x0000_0200 | 0x0000_0800 | 0x0000_8000 | 0x0008_0000 | 0x0000_0001;
                let mut packet = vec![32, 0, 0, 1];
                packet.extend_from_slice(&flags.to_le_bytes());
                packet.extend_from_slice(&(16u32 << 20).to_le_bytes());
                packet.push(45);
                packet.extend_from_slice(&[0u8; 23]);
                within(self.timeout, "MySQL SSLRequest", tcp.write_all(&packet)).await?;
            }
            Service::Tls | Service::Https | Service::Redis | Service::Quic => {}
        }
        Ok(tcp)
    }
}
