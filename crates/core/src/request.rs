//! PKCS#10 certificate signing requests: the subject, key and extensions a CA is asked to
//! certify, and whether the request's self-signature holds.

use serde::Serialize;
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::FromDer;

use crate::certificate::{
    DistinguishedName, PublicKeyInfo, SubjectAltName, public_key_info, signature_algorithm_name,
};

/// One decoded CSR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateRequest {
    /// The requested subject.
    pub subject: DistinguishedName,
    /// The key to be certified.
    pub public_key: PublicKeyInfo,
    /// Subject alternative names requested through the extensionRequest attribute.
    pub subject_alt_names: Vec<SubjectAltName>,
    /// Signature algorithm of the proof of possession.
    pub signature_algorithm: String,
    /// Whether the request's signature verifies with its own key (proof of possession).
    pub signature_valid: bool,
    /// Why the signature does not verify, when it does not.
    pub signature_problem: Option<String>,
    /// Whether the signature was checked at all: a request decoded without a verifier (by the
    /// dashboard's page, whose judging worker checks it) has `signature_valid` false and no
    /// problem.
    pub signature_checked: bool,
}

/// How a request's proof of possession is checked as it is decoded: [`crate::signature::verify`]
/// unless the reader only shows requests.
pub type Verify = fn(
    &x509_parser::x509::AlgorithmIdentifier<'_>,
    &x509_parser::x509::SubjectPublicKeyInfo<'_>,
    &[u8],
    &[u8],
) -> Result<(), crate::signature::SignatureError>;

impl CertificateRequest {
    /// Decodes one DER CSR and checks its signature. The error is the parser's explanation.
    pub fn from_der(der: &[u8]) -> Result<Self, crate::asn1::DerError> {
        Self::from_der_with(der, Some(crate::signature::verify))
    }

    /// Decodes one DER CSR, checking its signature with `verify` when given.
    pub fn from_der_with(
        der: &[u8],
        verify: Option<Verify>,
    ) -> Result<Self, crate::asn1::DerError> {
        let (rest, csr) = X509CertificationRequest::from_der(der)
            .map_err(|e| crate::asn1::DerError::from_parser("request", &e))?;
        crate::asn1::DerError::check_end("request", rest)?;
        let info = &csr.certification_request_info;
        let subject_alt_names = csr
            .requested_extensions()
            .into_iter()
            .flatten()
            .find_map(|e| match e {
                ParsedExtension::SubjectAlternativeName(san) => Some(
                    san.general_names
                        .iter()
                        .map(crate::certificate::san_from_general_name)
                        .collect(),
                ),
                _ => None,
            })
            .unwrap_or_default();
        let verified = verify.map(|verify| {
            verify(
                &csr.signature_algorithm,
                &info.subject_pki,
                info.raw,
                csr.signature_value.data.as_ref(),
            )
        });
        Ok(Self {
            subject: DistinguishedName::from_x509(&info.subject),
            public_key: public_key_info(&info.subject_pki),
            subject_alt_names,
            signature_algorithm: signature_algorithm_name(&crate::asn1::dotted(
                &csr.signature_algorithm.algorithm,
            )),
            signature_valid: verified.as_ref().is_some_and(Result::is_ok),
            signature_problem: verified
                .as_ref()
                .and_then(|v| v.as_ref().err())
                .map(ToString::to_string),
            signature_checked: verified.is_some(),
        })
    }
}
