//! Probe targets as people write them: `host:port`, `https://host[:port][/path]`,
//! `postgres://…`, `mysql://…`, `rediss://…`, `tls://host:port`; passwords are masked before the
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

/// Reads one target.
pub fn parse(text: &str) -> Result<ProbeTarget, String> {
    let text = text.trim();
    let (scheme, rest) = match text.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => (String::new(), text),
    };
    let (service, default_port) = match scheme.as_str() {
        "" | "tls" => (Service::Tls, None),
        "https" => (Service::Https, Some(443)),
        "postgres" | "postgresql" => (Service::Postgres, Some(5432)),
        "mysql" | "mariadb" => (Service::Mysql, Some(3306)),
        "rediss" => (Service::Redis, Some(6379)),
        "redis" => {
            return Err(format!(
                "{text}: redis:// is plaintext; write rediss://HOST:PORT to probe the TLS port"
            ));
        }
        other => {
            return Err(format!(
                "{text}: expected host:port, https://, postgres://, mysql://, rediss:// or tls://, found scheme {other:?}"
            ));
        }
    };
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (host, port) =
        split_host_port(hostport).map_err(|why| format!("{}: {why}", mask(text, userinfo)))?;
    let port = match (port, default_port) {
        (Some(p), _) | (None, Some(p)) => p,
        (None, None) => {
            return Err(format!("{text}: expected host:port (no port given)"));
        }
    };
    if host.is_empty() {
        return Err(format!("{}: expected a host name", mask(text, userinfo)));
    }
    Ok(ProbeTarget {
        shown: mask(text, userinfo),
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
        assert!(parse("example.com").unwrap_err().contains("no port"));
        assert!(
            parse("redis://cache:6379")
                .unwrap_err()
                .contains("rediss://")
        );
        assert!(parse("ftp://x:21").unwrap_err().contains("ftp"));
        let err = parse("postgres://u:pw@host:99999").unwrap_err();
        assert!(err.contains("99999") && !err.contains("pw@"), "{err}");
    }
}
