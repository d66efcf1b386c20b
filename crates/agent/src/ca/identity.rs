//! Workload identities: the tenant, role and name a certificate of the internal CA carries in its
//! URI SAN (`spiffe://tlscope/tenant/T/edge/N`), and the rules for tenant and node names.

use std::fmt;

pub use tlscope_core::observation::NodeRole;

/// The identity in a certificate's URI SAN.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identity {
    /// The tenant.
    pub tenant: String,
    /// `edge`, `coordinator` or `ca`.
    pub role: String,
    /// The node (or CA generation) name.
    pub name: String,
}

/// The URI prefix of every tlscope identity.
pub const PREFIX: &str = "spiffe://tlscope/tenant/";

impl Identity {
    /// The identity of a node.
    pub fn node(tenant: &str, role: NodeRole, name: &str) -> Self {
        Self {
            tenant: tenant.to_owned(),
            role: role.as_str().to_owned(),
            name: name.to_owned(),
        }
    }

    /// The URI form.
    pub fn uri(&self) -> String {
        format!("{PREFIX}{}/{}/{}", self.tenant, self.role, self.name)
    }

    /// Reads an identity URI; `None` when it is not a tlscope identity.
    pub fn parse(uri: &str) -> Option<Self> {
        let rest = uri.strip_prefix(PREFIX)?;
        let mut parts = rest.split('/');
        let (tenant, role, name) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || [tenant, role, name].iter().any(|p| p.is_empty()) {
            return None;
        }
        Some(Self {
            tenant: tenant.to_owned(),
            role: role.to_owned(),
            name: name.to_owned(),
        })
    }

    /// The tlscope identities in a DER certificate's URI SANs (empty when it does not decode).
    pub fn of_certificate(der: &[u8]) -> Vec<Self> {
        let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
            return Vec::new();
        };
        let Ok(Some(san)) = cert.subject_alternative_name() else {
            return Vec::new();
        };
        san.value
            .general_names
            .iter()
            .filter_map(|n| match n {
                x509_parser::extensions::GeneralName::URI(u) => Self::parse(u),
                _ => None,
            })
            .collect()
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.uri())
    }
}

pub use crate::store::check_name;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_round_trip_and_reject_other_uris() {
        let id = Identity::node("acme", NodeRole::Edge, "e1");
        assert_eq!(id.uri(), "spiffe://tlscope/tenant/acme/edge/e1");
        assert_eq!(Identity::parse(&id.uri()), Some(id));
        assert_eq!(Identity::parse("spiffe://other/tenant/acme/edge/e1"), None);
        assert_eq!(Identity::parse("spiffe://tlscope/tenant/acme/edge"), None);
        assert_eq!(
            Identity::parse("spiffe://tlscope/tenant/acme/edge/e1/x"),
            None
        );
        assert!(check_name("tenant", "acme-1").is_ok());
        for bad in ["", "-a", "A", "a/b", "a.b", &"x".repeat(64)] {
            assert!(check_name("tenant", bad).is_err(), "{bad:?}");
        }
    }
}
