//! Revocation against supplied CRLs (RFC 5280 6.3): a CRL applies to a certificate when its
//! issuer name is the certificate's issuer and its signature verifies with that issuer's key.
//! A CRL that applies but is unusable (no cRLSign, no CRL number, stale) fails closed.

use x509_parser::prelude::*;
use x509_parser::revocation_list::CertificateRevocationList;

use crate::signature;
use crate::timestamp::Timestamp;

use super::profile::Problem;

/// Checks `cert` (issued by `issuer_spki`, whose certificate is `issuer` when known) against
/// every CRL in `crls`.
pub fn check(
    cert: &X509Certificate<'_>,
    issuer_spki: &SubjectPublicKeyInfo<'_>,
    issuer: Option<&X509Certificate<'_>>,
    crls: &[CertificateRevocationList<'_>],
    now: Timestamp,
) -> Vec<Problem> {
    let mut out = Vec::new();
    for crl in crls {
        if crl.issuer().as_raw() != cert.issuer().as_raw() {
            continue;
        }
        if let Err(e) = signature::verify(
            &crl.signature_algorithm,
            issuer_spki,
            crl.tbs_cert_list.as_ref(),
            crl.signature_value.data.as_ref(),
        ) {
            out.push((
                crate::rule!("CHAIN-CRL-INVALID"),
                format!("the CRL from {} cannot be trusted: {e}", issuer_name(crl)),
            ));
            continue;
        }
        let mut usable = true;
        if let Some(ku) = issuer.and_then(|i| i.key_usage().ok().flatten())
            && !ku.value.crl_sign()
        {
            out.push((
                crate::rule!("CHAIN-CRL-INVALID"),
                format!(
                    "the CRL issuer {} lacks the cRLSign key usage (RFC 5280 4.2.1.3)",
                    crl.issuer()
                ),
            ));
            usable = false;
        }
        match crl
            .extensions()
            .iter()
            .find(|e| crate::asn1::dotted(&e.oid) == "2.5.29.20")
        {
            None => {
                out.push((
                    crate::rule!("CHAIN-CRL-INVALID"),
                    format!(
                        "the CRL from {} has no CRL number (RFC 5280 5.2.3: MUST be present)",
                        crl.issuer()
                    ),
                ));
                usable = false;
            }
            Some(e) if e.critical => {
                out.push((crate::rule!("CHAIN-CRL-INVALID"), format!("the CRL from {} marks its CRL number critical (RFC 5280 5.2.3: MUST be non-critical)", issuer_name(crl))));
                usable = false;
            }
            Some(_) => {}
        }
        if let Some(next) = crl.next_update()
            && Timestamp::from_unix(next.timestamp()) < now
        {
            out.push((
                crate::rule!("CHAIN-CRL-INVALID"),
                format!(
                    "the CRL from {} is stale: its nextUpdate {} has passed",
                    issuer_name(crl),
                    next
                ),
            ));
            usable = false;
        }
        if !usable {
            continue;
        }
        if let Some(entry) = crl
            .iter_revoked_certificates()
            .find(|r| r.raw_serial() == cert.raw_serial())
        {
            let reason = entry
                .reason_code()
                .map(|(_, r)| format!(" (reason: {r})"))
                .unwrap_or_default();
            out.push((
                crate::rule!("CHAIN-REVOKED"),
                format!(
                    "serial {} was revoked on {}{reason} by {}",
                    crate::asn1::hex::upper(cert.raw_serial()),
                    entry.revocation_date,
                    crl.issuer()
                ),
            ));
        }
    }
    out
}

/// A CRL's issuer in RFC 4514 form, as tlscope shows every name.
fn issuer_name(crl: &x509_parser::revocation_list::CertificateRevocationList<'_>) -> String {
    crate::certificate::DistinguishedName::from_x509(crl.issuer()).rfc4514
}
