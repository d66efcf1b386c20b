//! Certificate revocation lists: who issued the list, when it was made and when the next one
//! is due, its number, and the serials it revokes.

use serde::Serialize;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

use crate::asn1::hex;
use crate::certificate::{DistinguishedName, signature_algorithm_name};
use crate::timestamp::Timestamp;

/// Entries listed in full; a CRL with more shows the count and the first ones.
pub const MAX_LISTED_ENTRIES: usize = 500;

/// One decoded CRL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevocationList {
    /// The CA that issued it.
    pub issuer: DistinguishedName,
    /// thisUpdate.
    pub this_update: Timestamp,
    /// nextUpdate, when present.
    pub next_update: Option<Timestamp>,
    /// The CRL number (hex), when present.
    pub number: Option<String>,
    /// Signature algorithm.
    pub signature_algorithm: String,
    /// How many certificates it revokes.
    pub revoked_count: usize,
    /// The first [`MAX_LISTED_ENTRIES`] revoked certificates.
    pub revoked: Vec<RevokedEntry>,
    /// The DER, kept for revocation checks; not serialised.
    #[serde(skip)]
    pub der: Vec<u8>,
}

/// One revoked certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevokedEntry {
    /// Serial, uppercase hex.
    pub serial: String,
    /// When it was revoked.
    pub revoked_at: Timestamp,
    /// The reason code, when given.
    pub reason: Option<String>,
}

impl RevocationList {
    /// Decodes one DER CRL. The error is the parser's explanation.
    pub fn from_der(der: &[u8]) -> Result<Self, crate::asn1::DerError> {
        let (rest, crl) = CertificateRevocationList::from_der(der)
            .map_err(|e| crate::asn1::DerError::from_parser("CRL", &e))?;
        crate::asn1::DerError::check_end("CRL", rest)?;
        let revoked: Vec<RevokedEntry> = crl
            .iter_revoked_certificates()
            .take(MAX_LISTED_ENTRIES)
            .map(|r| RevokedEntry {
                serial: hex::upper(r.raw_serial()),
                revoked_at: Timestamp::from_unix(r.revocation_date.timestamp()),
                reason: r.reason_code().map(|(_, code)| code.to_string()),
            })
            .collect();
        Ok(Self {
            issuer: DistinguishedName::from_x509(crl.issuer()),
            this_update: Timestamp::from_unix(crl.last_update().timestamp()),
            next_update: crl
                .next_update()
                .map(|t| Timestamp::from_unix(t.timestamp())),
            number: crl.crl_number().map(|n| hex::upper(&n.to_bytes_be())),
            signature_algorithm: signature_algorithm_name(&crate::asn1::dotted(
                &crl.signature_algorithm.algorithm,
            )),
            revoked_count: crl.iter_revoked_certificates().count(),
            revoked,
            der: der.to_vec(),
        })
    }
}
