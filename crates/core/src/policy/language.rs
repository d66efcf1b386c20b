//! The policy language: TOML, versioned (`version = 1`), starting from a built-in profile
//! (`extends = "default"`, `"cert-manager"`, `"public-web"` or `"fips"`) and overriding any value. Unknown keys and wrong
//! types are errors with the line and column where they occur.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Alerts, Dns, Ipsec, Keys, Policy, Revocation, Rotation, Tls, Web};
use crate::protocol::{TLS13_SUITES, TlsVersion};

/// Why a policy file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The TOML is malformed or a key/type is wrong.
    #[error("policy line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was expected.
        message: String,
    },
    /// A version this build does not understand.
    #[error("policy version {found} is not supported: expected `version = 1`")]
    Version {
        /// The version in the file.
        found: i64,
    },
    /// `extends` names no built-in profile.
    #[error("policy extends unknown profile {name:?}: expected one of {}", Policy::PROFILES.join(", "))]
    UnknownProfile {
        /// The name given.
        name: String,
    },
    /// Values that contradict each other.
    #[error("policy is inconsistent: {0}")]
    Inconsistent(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: i64,
    extends: Option<String>,
    alerts: Option<AlertsPatch>,
    rotation: Option<RotationPatch>,
    keys: Option<KeysPatch>,
    tls: Option<TlsPatch>,
    web: Option<WebPatch>,
    revocation: Option<RevocationPatch>,
    dns: Option<DnsPatch>,
    ipsec: Option<IpsecPatch>,
    pins: Option<BTreeMap<String, Vec<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IpsecPatch {
    min_modp_bits: Option<u32>,
    min_ecp_bits: Option<u32>,
    pfs: Option<bool>,
    ike_max_lifetime_hours: Option<u32>,
    child_max_lifetime_hours: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DnsPatch {
    caa_issuers: Option<BTreeMap<String, Vec<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RevocationPatch {
    short_lived_days: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsPatch {
    client_min_version: Option<TlsVersion>,
    mtls_min_version: Option<TlsVersion>,
    database_min_version: Option<TlsVersion>,
    suites: Option<Vec<String>>,
    post_quantum_missing: Option<crate::rules::Severity>,
    groups: Option<Vec<String>>,
    tls12_suites: Option<Vec<String>>,
    extended_master_secret: Option<bool>,
    fips_module: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebPatch {
    hsts: Option<bool>,
    hsts_min_max_age: Option<i64>,
    hsts_include_subdomains: Option<bool>,
    hsts_preload: Option<bool>,
    ocsp_stapling: Option<bool>,
    session_tickets: Option<bool>,
}

/// A whole policy written out as a version 1 file (every value explicit).
#[derive(Serialize)]
struct Export<'a> {
    version: i64,
    extends: &'a str,
    alerts: &'a Alerts,
    rotation: &'a Rotation,
    keys: &'a Keys,
    tls: &'a Tls,
    web: &'a Web,
    revocation: &'a Revocation,
    dns: &'a Dns,
    ipsec: &'a Ipsec,
    pins: &'a BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertsPatch {
    warning_days: Option<i64>,
    critical_days: Option<i64>,
    warning_percent: Option<u8>,
    critical_percent: Option<u8>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RotationPatch {
    leaf_days: Option<i64>,
    leaf_grace_days: Option<i64>,
    ca_days: Option<i64>,
    ca_grace_days: Option<i64>,
    root_days: Option<i64>,
    grace_percent: Option<u8>,
    cabf_maximum: Option<bool>,
    crl_fail_closed: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeysPatch {
    rsa_min_bits: Option<u32>,
    ec_curves: Option<Vec<String>>,
    ed25519: Option<bool>,
    post_quantum: Option<bool>,
}

/// 1-based line and column of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl Policy {
    /// [`Policy::default`] as a complete policy file ([`Policy::to_toml`]'s text): what an editor
    /// starts from, for a reader that does not carry the TOML writer (the dashboard's page).
    pub const DEFAULT_TOML: &'static str = include_str!("default.toml");

    /// The built-in profiles a policy file can extend.
    pub const PROFILES: &'static [&'static str] =
        &["default", "cert-manager", "public-web", "fips"];

    /// A built-in profile by name.
    pub fn profile(name: &str) -> Option<Self> {
        match name {
            "default" => Some(Self::default()),
            "cert-manager" => Some(Self::cert_manager()),
            "public-web" => Some(Self::public_web()),
            "fips" => Some(Self::fips()),
            _ => None,
        }
    }

    /// Parses a TOML policy: the profile it extends with its overrides applied.
    pub fn from_toml(text: &str) -> Result<Self, PolicyError> {
        let file: File = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map_or((1, 1), |span| line_column(text, span.start));
            PolicyError::Syntax {
                line,
                column,
                message: e.message().trim().to_owned(),
            }
        })?;
        if file.version != 1 {
            return Err(PolicyError::Version {
                found: file.version,
            });
        }
        let base = file.extends.as_deref().unwrap_or("default");
        let mut policy = Self::profile(base).ok_or_else(|| PolicyError::UnknownProfile {
            name: base.to_owned(),
        })?;
        if let Some(a) = file.alerts {
            policy.alerts = Alerts {
                warning_days: a.warning_days.unwrap_or(policy.alerts.warning_days),
                critical_days: a.critical_days.unwrap_or(policy.alerts.critical_days),
                warning_percent: a.warning_percent.unwrap_or(policy.alerts.warning_percent),
                critical_percent: a.critical_percent.unwrap_or(policy.alerts.critical_percent),
            };
        }
        if let Some(r) = file.rotation {
            policy.rotation = Rotation {
                leaf_days: r.leaf_days.unwrap_or(policy.rotation.leaf_days),
                leaf_grace_days: r.leaf_grace_days.unwrap_or(policy.rotation.leaf_grace_days),
                ca_days: r.ca_days.unwrap_or(policy.rotation.ca_days),
                ca_grace_days: r.ca_grace_days.unwrap_or(policy.rotation.ca_grace_days),
                root_days: r.root_days.unwrap_or(policy.rotation.root_days),
                grace_percent: r.grace_percent.unwrap_or(policy.rotation.grace_percent),
                cabf_maximum: r.cabf_maximum.unwrap_or(policy.rotation.cabf_maximum),
                crl_fail_closed: r.crl_fail_closed.unwrap_or(policy.rotation.crl_fail_closed),
            };
        }
        if let Some(k) = file.keys {
            policy.keys = Keys {
                rsa_min_bits: k.rsa_min_bits.unwrap_or(policy.keys.rsa_min_bits),
                ec_curves: k.ec_curves.unwrap_or(policy.keys.ec_curves),
                ed25519: k.ed25519.unwrap_or(policy.keys.ed25519),
                post_quantum: k.post_quantum.unwrap_or(policy.keys.post_quantum),
            };
        }
        if let Some(t) = file.tls {
            policy.tls = Tls {
                client_min_version: t
                    .client_min_version
                    .unwrap_or(policy.tls.client_min_version),
                mtls_min_version: t.mtls_min_version.unwrap_or(policy.tls.mtls_min_version),
                database_min_version: t
                    .database_min_version
                    .unwrap_or(policy.tls.database_min_version),
                suites: t.suites.unwrap_or(policy.tls.suites),
                post_quantum_missing: t
                    .post_quantum_missing
                    .unwrap_or(policy.tls.post_quantum_missing),
                groups: t.groups.unwrap_or(policy.tls.groups),
                tls12_suites: t.tls12_suites.unwrap_or(policy.tls.tls12_suites),
                extended_master_secret: t
                    .extended_master_secret
                    .unwrap_or(policy.tls.extended_master_secret),
                fips_module: t.fips_module.unwrap_or(policy.tls.fips_module),
            };
        }
        if let Some(w) = file.web {
            let d = policy.web;
            policy.web = Web {
                hsts: w.hsts.unwrap_or(d.hsts),
                hsts_min_max_age: w.hsts_min_max_age.unwrap_or(d.hsts_min_max_age),
                hsts_include_subdomains: w
                    .hsts_include_subdomains
                    .unwrap_or(d.hsts_include_subdomains),
                hsts_preload: w.hsts_preload.unwrap_or(d.hsts_preload),
                ocsp_stapling: w.ocsp_stapling.unwrap_or(d.ocsp_stapling),
                session_tickets: w.session_tickets.unwrap_or(d.session_tickets),
            };
        }
        if let Some(r) = file.revocation {
            policy.revocation = Revocation {
                short_lived_days: r
                    .short_lived_days
                    .unwrap_or(policy.revocation.short_lived_days),
            };
        }
        if let Some(d) = file.dns {
            policy
                .dns
                .caa_issuers
                .extend(d.caa_issuers.unwrap_or_default());
        }
        if let Some(i) = file.ipsec {
            let was = policy.ipsec;
            policy.ipsec = Ipsec {
                min_modp_bits: i.min_modp_bits.unwrap_or(was.min_modp_bits),
                min_ecp_bits: i.min_ecp_bits.unwrap_or(was.min_ecp_bits),
                pfs: i.pfs.unwrap_or(was.pfs),
                ike_max_lifetime_hours: i
                    .ike_max_lifetime_hours
                    .unwrap_or(was.ike_max_lifetime_hours),
                child_max_lifetime_hours: i
                    .child_max_lifetime_hours
                    .unwrap_or(was.child_max_lifetime_hours),
            };
        }
        if let Some(pins) = file.pins {
            policy.pins.extend(pins);
        }
        policy.check()?;
        Ok(policy)
    }

    /// The policy as a complete version 1 file that [`Policy::from_toml`] reads back unchanged.
    pub fn to_toml(&self) -> String {
        let export = Export {
            version: 1,
            extends: &self.profile,
            alerts: &self.alerts,
            rotation: &self.rotation,
            keys: &self.keys,
            tls: &self.tls,
            web: &self.web,
            revocation: &self.revocation,
            dns: &self.dns,
            ipsec: &self.ipsec,
            pins: &self.pins,
        };
        toml::to_string(&export).unwrap_or_default()
    }

    /// Values that contradict each other.
    fn check(&self) -> Result<(), PolicyError> {
        let policy = self;
        if let Some(bad) = policy
            .tls
            .suites
            .iter()
            .find(|s| !TLS13_SUITES.contains(&s.as_str()))
        {
            return Err(PolicyError::Inconsistent(format!(
                "tls.suites names {bad:?}, which is not a TLS 1.3 suite: expected one of {}",
                TLS13_SUITES.join(", ")
            )));
        }
        if let Some(bad) = policy
            .tls
            .tls12_suites
            .iter()
            .find(|s| crate::protocol::suite_by_name(s).is_none_or(|suite| suite.is_tls13()))
        {
            return Err(PolicyError::Inconsistent(format!(
                "tls.tls12_suites names {bad:?}, which is not a TLS 1.2 suite tlscope knows: expected IANA names such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
            )));
        }
        if let Some(bad) = policy
            .tls
            .groups
            .iter()
            .find(|g| crate::protocol::group_by_name(g).is_none())
        {
            return Err(PolicyError::Inconsistent(format!(
                "tls.groups names {bad:?}, which is not a key-exchange group tlscope knows: expected IANA names such as secp256r1, x25519, X25519MLKEM768"
            )));
        }
        for (host, pins) in &policy.pins {
            if let Some(bad) = pins.iter().find(|p| !crate::pin::is_well_formed(p)) {
                return Err(PolicyError::Inconsistent(format!(
                    "pins.{host:?} has {bad:?}: expected \"sha256/<base64 of 32 bytes>\" or a SHA-256 fingerprint in hex"
                )));
            }
        }
        if policy.alerts.critical_days > policy.alerts.warning_days {
            return Err(PolicyError::Inconsistent(format!(
                "alerts.critical_days ({}) is later than alerts.warning_days ({})",
                policy.alerts.critical_days, policy.alerts.warning_days
            )));
        }
        let a = &policy.alerts;
        for (name, value) in [
            ("alerts.warning_percent", a.warning_percent),
            ("alerts.critical_percent", a.critical_percent),
            ("rotation.grace_percent", policy.rotation.grace_percent),
        ] {
            if value > 100 {
                return Err(PolicyError::Inconsistent(format!(
                    "{name} is {value}: expected a percentage of the lifetime, 0 to 100"
                )));
            }
        }
        if a.critical_percent > a.warning_percent && a.warning_percent != 0 {
            return Err(PolicyError::Inconsistent(format!(
                "alerts.critical_percent ({}) is later than alerts.warning_percent ({})",
                a.critical_percent, a.warning_percent
            )));
        }
        if policy.revocation.short_lived_days < 0 {
            return Err(PolicyError::Inconsistent(format!(
                "revocation.short_lived_days is {}: expected a number of days, 0 or more",
                policy.revocation.short_lived_days
            )));
        }
        if policy.rotation.leaf_grace_days >= policy.rotation.leaf_days {
            return Err(PolicyError::Inconsistent(format!(
                "rotation.leaf_grace_days ({}) must be shorter than rotation.leaf_days ({})",
                policy.rotation.leaf_grace_days, policy.rotation.leaf_days
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_override_is_the_profile() {
        assert_eq!(Policy::from_toml("version = 1").unwrap(), Policy::default());
        assert_eq!(
            Policy::from_toml("version = 1\nextends = \"cert-manager\"").unwrap(),
            Policy::cert_manager()
        );
    }

    #[test]
    fn overrides_apply_on_top_of_the_profile() {
        let p = Policy::from_toml(
            "version = 1\nextends = \"cert-manager\"\n[alerts]\nwarning_days = 45\n[keys]\nrsa_min_bits = 3072\n",
        )
        .unwrap();
        assert_eq!(p.alerts.warning_days, 45);
        assert_eq!(p.alerts.critical_days, 7);
        assert_eq!(p.keys.rsa_min_bits, 3072);
        assert_eq!(p.rotation.leaf_grace_days, 30);
        assert!(
            !p.rotation.crl_fail_closed,
            "fail open unless the policy says otherwise"
        );
        let closed =
            Policy::from_toml("version = 1\n[rotation]\ncrl_fail_closed = true\n").unwrap();
        assert!(closed.rotation.crl_fail_closed);
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_line_and_column() {
        let e = Policy::from_toml("version = 1\n[alerts]\nwarn_days = 10\n").unwrap_err();
        assert!(
            matches!(&e, PolicyError::Syntax { line: 3, column: 1, message } if message.contains("warn_days")),
            "{e}"
        );
        let e = Policy::from_toml("version = 1\n[rotation]\nleaf_days = \"ninety\"\n").unwrap_err();
        assert!(
            matches!(
                &e,
                PolicyError::Syntax {
                    line: 3,
                    column: 13,
                    ..
                }
            ),
            "{e}"
        );
        assert!(
            e.to_string().starts_with("policy line 3, column 13:"),
            "{e}"
        );
    }

    #[test]
    fn the_default_policy_file_is_the_default_policy_exported() {
        assert_eq!(Policy::default().to_toml(), Policy::DEFAULT_TOML);
        assert_eq!(
            Policy::from_toml(Policy::DEFAULT_TOML),
            Ok(Policy::default())
        );
    }

    #[test]
    fn every_profile_round_trips_through_its_export() {
        for name in Policy::PROFILES {
            let p = Policy::profile(name).unwrap();
            let text = p.to_toml();
            assert_eq!(Policy::from_toml(&text).unwrap(), p, "{text}");
        }
    }

    #[test]
    fn tls_web_and_pins_can_be_overridden() {
        let p = Policy::from_toml(
            "version = 1\n[tls]\nclient_min_version = \"1.2\"\n[web]\nsession_tickets = true\n[pins]\n\"api.example.com\" = [\"sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\"]\n",
        )
        .unwrap();
        assert_eq!(p.tls.client_min_version, TlsVersion::Tls12);
        assert_eq!(p.tls.mtls_min_version, TlsVersion::Tls13);
        assert!(p.web.session_tickets);
        assert_eq!(p.pins["api.example.com"].len(), 1);
        let e =
            Policy::from_toml("version = 1\n[tls]\nclient_min_version = \"1.4\"\n").unwrap_err();
        assert!(matches!(e, PolicyError::Syntax { line: 3, .. }), "{e}");
        let e = Policy::from_toml("version = 1\n[tls]\nsuites = [\"TLS_RSA_WITH_RC4_128_SHA\"]\n")
            .unwrap_err();
        assert!(matches!(e, PolicyError::Inconsistent(_)), "{e}");
        let e = Policy::from_toml("version = 1\n[pins]\nh = [\"nope\"]\n").unwrap_err();
        assert!(matches!(e, PolicyError::Inconsistent(_)), "{e}");
        // TLS 1.2 suites: known TLS 1.2 names only (IANA or OpenSSL spelling).
        let p = Policy::from_toml(
            "version = 1\n[tls]\ntls12_suites = [\"ECDHE-RSA-AES128-GCM-SHA256\"]\nextended_master_secret = false\nfips_module = true\n",
        )
        .unwrap();
        assert_eq!(p.tls.tls12_suites, ["ECDHE-RSA-AES128-GCM-SHA256"]);
        assert!(!p.tls.extended_master_secret && p.tls.fips_module);
        for bad in ["TLS_AES_128_GCM_SHA256", "TLS_NOPE"] {
            let e = Policy::from_toml(&format!("version = 1\n[tls]\ntls12_suites = [\"{bad}\"]\n"))
                .unwrap_err();
            assert!(e.to_string().contains("tls.tls12_suites"), "{e}");
        }
    }

    #[test]
    fn versions_profiles_and_consistency_are_checked() {
        assert_eq!(
            Policy::from_toml("version = 2").unwrap_err(),
            PolicyError::Version { found: 2 }
        );
        assert!(matches!(
            Policy::from_toml("version = 1\nextends = \"strict\"").unwrap_err(),
            PolicyError::UnknownProfile { .. }
        ));
        assert!(matches!(
            Policy::from_toml("version = 1\n[alerts]\ncritical_days = 60\n").unwrap_err(),
            PolicyError::Inconsistent(_)
        ));
    }
}
