//! Probe targets as people write them: `host:port`, `https://host[:port][/path]`,
//! `postgres://…`, `mysql://…`, `rediss://…`, `quic://host[:port]`, `tls://host:port`; passwords are masked before the
//! target is shown anywhere.

use tlscope_core::probe::Service;

/// A parsed target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeTarget {
    /// The target as given, password masked.
    pub shown: String,
    /// How to reach TLS.
    pub service: Service,
    /// Host name or IP address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// The HTTP path for HTTPS targets.
    pub path: String,
}

/// Why a target could not be read. The target is always shown with its password masked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// `redis://` is the plaintext port.
    #[error("{target}: redis:// is plaintext; write rediss://HOST:PORT to probe the TLS port")]
    Plaintext {
        /// The target, masked.
        target: String,
    },
    /// A scheme tlscope does not probe.
    #[error(
        "{target}: expected host:port, https://, postgres://, mysql://, rediss://, quic:// or tls://, found scheme {scheme:?}"
    )]
    Scheme {
        /// The target, masked.
        target: String,
        /// The scheme found.
        scheme: String,
    },
    /// No port, and the scheme has no default.
    #[error("{target}: expected host:port (no port given)")]
    NoPort {
        /// The target, masked.
        target: String,
    },
    /// No host.
    #[error("{target}: expected a host name")]
    NoHost {
        /// The target, masked.
        target: String,
    },
    /// The host and port could not be read.
    #[error("{target}: {why}")]
    Address {
        /// The target, masked.
        target: String,
        /// What was expected.
        why: String,
    },
}

/// Reads one target.
pub fn parse(text: &str) -> Result<ProbeTarget, TargetError> {
    let text = text.trim();
    let (scheme, rest) = match text.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => (String::new(), text),
    };
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let target = mask(text, userinfo);
    let (service, default_port) = match scheme.as_str() {
        "" | "tls" => (Service::Tls, None),
        "https" => (Service::Https, Some(443)),
        "postgres" | "postgresql" => (Service::Postgres, Some(5432)),
        "mysql" | "mariadb" => (Service::Mysql, Some(3306)),
        "rediss" => (Service::Redis, Some(6379)),
        "quic" | "h3" => (Service::Quic, Some(443)),
        "redis" => return Err(TargetError::Plaintext { target }),
        other => {
            return Err(TargetError::Scheme {
                scheme: other.to_owned(),
                target,
            });
        }
    };
    let (host, port) = match split_host_port(hostport) {
        Ok(found) => found,
        Err(why) => return Err(TargetError::Address { target, why }),
    };
    let port = match (port, default_port) {
        (Some(p), _) | (None, Some(p)) => p,
        (None, None) => return Err(TargetError::NoPort { target }),
    };
    if host.is_empty() {
        return Err(TargetError::NoHost { target });
    }
    Ok(ProbeTarget {
        shown: target,
        service,
        host,
        port,
        path: if service == Service::Https && !path.is_empty() && path.starts_with('/') {
            path.to_owned()
        } else {
            "/".into()
        },
    })
}

fn split_host_port(hostport: &str) -> Result<(String, Option<u16>), String> {
    let port = |p: &str| {
        p.parse::<u16>()
            .map_err(|_| format!("expected a port number 1-65535, found {p:?}"))
    };
    if let Some(rest) = hostport.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or("expected ']' after an IPv6 address")?;
        let p = match after.strip_prefix(':') {
            Some(p) => Some(port(p)?),
            None => None,
        };
        return Ok((host.to_owned(), p));
    }
    match hostport.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Ok((h.to_owned(), Some(port(p)?))),
        _ => Ok((hostport.to_owned(), None)),
    }
}

/// The text with the password of `userinfo` replaced by `****`.
fn mask(text: &str, userinfo: Option<&str>) -> String {
    match userinfo.and_then(|u| u.split_once(':')) {
        Some((user, password)) if !password.is_empty() => {
            text.replacen(&format!("{user}:{password}@"), &format!("{user}:****@"), 1)
        }
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_with_defaults_and_masks() {
        let t = parse("postgres://app:s3cret@db.internal/orders?sslmode=verify-full").unwrap();
        assert_eq!(
            (t.service, t.host.as_str(), t.port),
            (Service::Postgres, "db.internal", 5432)
        );
        assert_eq!(
            t.shown,
            "postgres://app:****@db.internal/orders?sslmode=verify-full"
        );
        let t = parse("https://shop.example.com/login").unwrap();
        assert_eq!((t.port, t.path.as_str()), (443, "/login"));
        let t = parse("[::1]:8443").unwrap();
        assert_eq!(
            (t.service, t.host.as_str(), t.port),
            (Service::Tls, "::1", 8443)
        );
        assert_eq!(parse("mysql://root@127.0.0.1:3307").unwrap().port, 3307);
        let text = |t: &str| parse(t).unwrap_err().to_string();
        assert!(text("example.com").contains("no port"));
        assert!(text("redis://cache:6379").contains("rediss://"));
        assert!(text("ftp://x:21").contains("ftp"));
        let err = text("postgres://u:pw@host:99999");
        assert!(err.contains("99999") && !err.contains("pw@"), "{err}");
    }

    /// Regression: a refused plaintext `redis://` URL, an unknown scheme or a target without a
    /// port printed the password it carried.
    #[test]
    fn every_refusal_masks_the_password() {
        for (t, kind) in [
            ("redis://:hunter2@cache:6379", "plaintext"),
            ("ftp://user:hunter2@files.example:21", "scheme"),
            ("tls://user:hunter2@host", "port"),
            ("postgres://user:hunter2@:5432", "host"),
        ] {
            let err = parse(t).unwrap_err();
            let shown = err.to_string();
            assert!(!shown.contains("hunter2"), "{kind}: {shown}");
            assert!(shown.contains("****"), "{kind}: {shown}");
        }
    }
}
