//! The policy language: TOML, versioned (`version = 1`), starting from a built-in profile
//! (`extends = "default"` or `"cert-manager"`) and overriding any value. Unknown keys and wrong
//! types are errors with the line and column where they occur.

use serde::Deserialize;

use super::{Alerts, Keys, Policy, Rotation};

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
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertsPatch {
    warning_days: Option<i64>,
    critical_days: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RotationPatch {
    leaf_days: Option<i64>,
    leaf_grace_days: Option<i64>,
    ca_days: Option<i64>,
    ca_grace_days: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeysPatch {
    rsa_min_bits: Option<u32>,
    ec_curves: Option<Vec<String>>,
    ed25519: Option<bool>,
}

/// 1-based line and column of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl Policy {
    /// The built-in profiles a policy file can extend.
    pub const PROFILES: &'static [&'static str] = &["default", "cert-manager"];

    /// A built-in profile by name.
    pub fn profile(name: &str) -> Option<Self> {
        match name {
            "default" => Some(Self::default()),
            "cert-manager" => Some(Self::cert_manager()),
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
            };
        }
        if let Some(r) = file.rotation {
            policy.rotation = Rotation {
                leaf_days: r.leaf_days.unwrap_or(policy.rotation.leaf_days),
                leaf_grace_days: r.leaf_grace_days.unwrap_or(policy.rotation.leaf_grace_days),
                ca_days: r.ca_days.unwrap_or(policy.rotation.ca_days),
                ca_grace_days: r.ca_grace_days.unwrap_or(policy.rotation.ca_grace_days),
            };
        }
        if let Some(k) = file.keys {
            policy.keys = Keys {
                rsa_min_bits: k.rsa_min_bits.unwrap_or(policy.keys.rsa_min_bits),
                ec_curves: k.ec_curves.unwrap_or(policy.keys.ec_curves),
                ed25519: k.ed25519.unwrap_or(policy.keys.ed25519),
            };
        }
        if policy.alerts.critical_days > policy.alerts.warning_days {
            return Err(PolicyError::Inconsistent(format!(
                "alerts.critical_days ({}) is later than alerts.warning_days ({})",
                policy.alerts.critical_days, policy.alerts.warning_days
            )));
        }
        if policy.rotation.leaf_grace_days >= policy.rotation.leaf_days {
            return Err(PolicyError::Inconsistent(format!(
                "rotation.leaf_grace_days ({}) must be shorter than rotation.leaf_days ({})",
                policy.rotation.leaf_grace_days, policy.rotation.leaf_days
            )));
        }
        Ok(policy)
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
