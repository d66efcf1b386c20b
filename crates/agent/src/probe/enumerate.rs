//! Enumeration with hand-built hellos: the versions and suites a server accepts, its order,
//! TLS 1.2 curves and TLS 1.3 groups (through HelloRetryRequest), one offer at a time.

use std::sync::atomic::Ordering;

use tlscope_core::probe::VersionProbe;
use tlscope_core::protocol::{self, TlsVersion};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::scan::{Ctx, within};
use crate::probe::hello::{self, Answer, AnswerError, Offer};

impl Ctx<'_> {
    /// Sends one hello; `Ok(None)` when the server closed without a TLS answer.
    pub(super) async fn ask(&self, offer: &Offer<'_>) -> Result<Option<Answer>, String> {
        let mut tcp = self.transport().await?;
        within(
            self.timeout,
            "ClientHello",
            tcp.write_all(&hello::client_hello(offer)),
        )
        .await?;
        let mut buf = Vec::new();
        loop {
            match hello::parse_answer(&buf) {
                Ok(answer) => {
                    self.answered.store(true, Ordering::SeqCst);
                    return Ok(Some(answer));
                }
                Err(AnswerError::Incomplete) => {}
                Err(e) => return Err(e.to_string()),
            }
            let mut chunk = [0u8; 4096];
            match tokio::time::timeout(self.timeout, tcp.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return Ok(None),
                Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
                Err(_) => {
                    return Err(format!(
                        "the server accepted the connection but sent no TLS answer within {} s",
                        self.timeout.as_secs()
                    ));
                }
            }
        }
    }

    pub(super) fn offer<'a>(&'a self, version: TlsVersion, suites: &'a [u16]) -> Offer<'a> {
        Offer {
            version,
            suites,
            server_name: Some(&self.name),
            groups: &[],
            x25519_share: true,
        }
    }

    /// The suite the server picks from `suites` at `version`, if it accepts the version, and
    /// whether its ServerHello echoed the extended master secret.
    pub(super) async fn pick(
        &self,
        version: TlsVersion,
        suites: &[u16],
    ) -> Result<Option<(u16, bool)>, String> {
        let answer = self.ask(&self.offer(version, suites)).await?;
        Ok(match answer {
            Some(Answer::Hello {
                version: v,
                suite,
                extended_master_secret,
                ..
            }) if v == version.wire() => Some((suite, extended_master_secret)),
            Some(Answer::Retry { suite, .. }) if version == TlsVersion::Tls13 => {
                Some((suite, true))
            }
            _ => None,
        })
    }

    pub(super) async fn version(&self, version: TlsVersion) -> Result<VersionProbe, String> {
        let tls13 = version == TlsVersion::Tls13;
        let mut remaining: Vec<u16> = protocol::SUITES
            .iter()
            .filter(|s| s.is_tls13() == tls13)
            .map(|s| s.code)
            .collect();
        let mut found = Vec::new();
        // Whether every ServerHello of this version echoed extended_master_secret.
        let mut ems = true;
        while !remaining.is_empty() {
            match self.pick(version, &remaining).await? {
                Some((s, with_ems)) if remaining.contains(&s) => {
                    found.push(s);
                    ems &= with_ems;
                    remaining.retain(|r| *r != s);
                }
                _ => break,
            }
        }
        let server_order = if found.len() >= 2 {
            let reversed = [found[1], found[0]];
            self.pick(version, &reversed)
                .await?
                .map(|(s, _)| s == found[0])
        } else {
            None
        };
        Ok(VersionProbe {
            version,
            accepted: !found.is_empty(),
            extended_master_secret: (!tls13 && !found.is_empty() && version != TlsVersion::Ssl3)
                .then_some(ems),
            suites: found.into_iter().map(protocol::suite_name).collect(),
            server_order,
        })
    }

    /// ECDHE curves a TLS 1.2-only server accepts: an ECDHE-only offer with one curve listed at
    /// a time; a ServerHello means the server can use that curve.
    pub(super) async fn curves_tls12(&self, accepted: &[String]) -> Result<Vec<String>, String> {
        let ecdhe: Vec<u16> = protocol::SUITES
            .iter()
            .filter(|s| s.iana.contains("_ECDHE_") && accepted.iter().any(|a| a == s.iana))
            .map(|s| s.code)
            .collect();
        let mut out = Vec::new();
        if ecdhe.is_empty() {
            return Ok(out);
        }
        for protocol::Group { code, name, .. } in protocol::GROUPS
            .iter()
            .filter(|g| matches!(g.code, 0x001d | 0x0017 | 0x0018 | 0x0019 | 0x001e))
        {
            let offer = Offer {
                version: TlsVersion::Tls12,
                suites: &ecdhe,
                server_name: Some(&self.name),
                groups: std::slice::from_ref(code),
                x25519_share: false,
            };
            if let Some(Answer::Hello {
                version: 0x0303,
                suite,
                ..
            }) = self.ask(&offer).await?
                && ecdhe.contains(&suite)
            {
                out.push((*name).to_owned());
            }
        }
        Ok(out)
    }

    pub(super) async fn groups(&self) -> Result<Vec<String>, String> {
        let suites: Vec<u16> = protocol::SUITES
            .iter()
            .filter(|s| s.is_tls13())
            .map(|s| s.code)
            .collect();
        let groups: Vec<&protocol::Group> = protocol::PROBED_GROUPS
            .iter()
            .filter_map(|c| protocol::group_by_code(*c))
            .collect();
        // One hello per group, all at once (a dozen connections); answers kept in probe order.
        let answers = futures_util::future::join_all(groups.iter().map(|group| {
            let offer = Offer {
                version: TlsVersion::Tls13,
                suites: &suites,
                server_name: Some(&self.name),
                groups: std::slice::from_ref(&group.code),
                x25519_share: false,
            };
            async move { self.ask(&offer).await }
        }))
        .await;
        let mut out = Vec::new();
        for (group, answer) in groups.iter().zip(answers) {
            match answer? {
                Some(
                    Answer::Retry { group: Some(g), .. } | Answer::Hello { group: Some(g), .. },
                ) if g == group.code => out.push(group.name.to_owned()),
                _ => {}
            }
        }
        Ok(out)
    }
}
