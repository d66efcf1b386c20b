//! The policy a judgement is made under. `Policy::default()` encodes the transport-security
//! specification (DESIGN.md): alerts at 30 and 7 days, 90-day leaf rotation, RSA ≥ 2048,
//! ECDSA P-256/P-384, Ed25519, no MD5 or SHA-1 signatures.

mod language;

use serde::{Deserialize, Serialize};

pub use language::PolicyError;

/// Everything the rules read from configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Profile this policy starts from (`default`, `cert-manager`).
    pub profile: String,
    /// Expiry alert bands.
    pub alerts: Alerts,
    /// Certificate lifetimes.
    pub rotation: Rotation,
    /// Key and signature hygiene.
    pub keys: Keys,
}

/// Expiry alert bands, in days before notAfter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alerts {
    /// Warning at or below this many days left.
    pub warning_days: i64,
    /// Critical at or below this many days left.
    pub critical_days: i64,
}

/// Certificate lifetimes and renewal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    /// Longest acceptable leaf lifetime.
    pub leaf_days: i64,
    /// Renew this many days before expiry (the grace window).
    pub leaf_grace_days: i64,
    /// CA lifetime.
    pub ca_days: i64,
    /// CA overlap during rotation.
    pub ca_grace_days: i64,
}

/// Key and signature hygiene.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// Smallest acceptable RSA modulus.
    pub rsa_min_bits: u32,
    /// Acceptable EC curves.
    pub ec_curves: Vec<String>,
    /// Whether Ed25519 keys are acceptable.
    pub ed25519: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            profile: "default".into(),
            alerts: Alerts {
                warning_days: 30,
                critical_days: 7,
            },
            rotation: Rotation {
                leaf_days: 90,
                leaf_grace_days: 14,
                ca_days: 365,
                ca_grace_days: 30,
            },
            keys: Keys {
                rsa_min_bits: 2048,
                ec_curves: vec!["P-256".into(), "P-384".into()],
                ed25519: true,
            },
        }
    }
}

impl Policy {
    /// The cert-manager profile: leaf 90 days renewed 30 days before expiry, intermediate 1 year.
    pub fn cert_manager() -> Self {
        let default = Self::default();
        Self {
            profile: "cert-manager".into(),
            rotation: Rotation {
                leaf_grace_days: 30,
                ..default.rotation
            },
            ..default
        }
    }
}
