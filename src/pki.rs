//! The certificate authority of an OpenVPN gateway, on the technician's machine: reading the
//! CA, server and client certificates and the CRL kept in the inventory (`pki/`), issuing a
//! client certificate (ECDSA P-256, CN = workstation, clientAuth), and signing the CRL that
//! revokes one. rcgen (aws-lc-rs backend, already in the tree through russh) writes, x509-parser
//! reads and checks signatures.
//!
//! Keys travel as [`Secret`]s; no error message holds key material (rcgen's and
//! x509-parser's errors name what failed, never the bytes).

use crate::inventory::date::Date;
use crate::inventory::model::VpnCertificate;
use crate::secrets::Secret;
use rcgen::{
    CertificateParams, CertificateRevocationListParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    PKCS_ECDSA_P256_SHA256, PublicKeyData as _, RevocationReason, RevokedCertParams, SerialNumber,
};
use sha2::Digest as _;

/// What netparc reads from a certificate.
#[derive(Debug, Clone)]
pub struct CertInfo {
    /// Subject, as OpenSSL prints it in one line (`CN=…`).
    pub subject: String,
    /// Serial, upper-case hex without separators.
    pub serial: String,
    /// SHA-256 of the DER, upper-case hex with colons.
    pub sha256: String,
    /// Last day of validity.
    pub not_after: Date,
    /// basicConstraints CA:TRUE.
    pub is_ca: bool,
    /// The DER encoding.
    pub der: Vec<u8>,
}

/// One revoked certificate of a CRL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoked {
    /// Serial, upper-case hex without separators.
    pub serial: String,
    /// When it was revoked.
    pub date: Date,
}

/// What netparc reads from a CRL.
#[derive(Debug, Clone)]
pub struct CrlInfo {
    /// The CRL number (0 when absent).
    pub number: u64,
    /// Revoked certificates, in the CRL's order.
    pub revoked: Vec<Revoked>,
    /// When the CRL stops being valid (OpenVPN then refuses every client).
    pub next_update: Option<Date>,
}

/// A client certificate just issued, with its private key.
pub struct Issued {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The private key, PKCS#8 PEM (only ever stored in the vault and the 0600 profile).
    pub key_pem: Secret,
    /// What the inventory records of it.
    pub certificate: VpnCertificate,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("certificate", &self.certificate)
            .finish_non_exhaustive()
    }
}

fn hex(bytes: &[u8], separator: &str) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(separator)
}

/// The DER of every PEM block labelled `label` in `text` (text around the blocks, such as
/// a `# netparc:` header or OpenSSL's explanatory lines, is skipped as OpenSSL does).
pub fn pem_blocks(text: &str, label: &str) -> Vec<Vec<u8>> {
    use base64::Engine as _;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut blocks = Vec::new();
    let mut body: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line == begin {
            body = Some(String::new());
        } else if line == end {
            if let Some(b64) = body.take()
                && let Ok(der) = base64::engine::general_purpose::STANDARD.decode(b64)
            {
                blocks.push(der);
            }
        } else if let Some(b64) = body.as_mut() {
            b64.push_str(line);
        }
    }
    blocks
}

fn date_of(timestamp: i64) -> Date {
    Date::from_days_since_epoch(timestamp.div_euclid(86_400))
}

/// `date` at midnight UTC, as rcgen takes it (months and days of a `Date` fit a byte).
macro_rules! rcgen_date {
    ($date:expr) => {{
        let date: Date = $date;
        rcgen::date_time_ymd(date.year, date.month as u8, date.day as u8)
    }};
}

fn days_after(date: Date, days: i64) -> Date {
    Date::from_days_since_epoch(date.days_since_epoch() + days)
}

/// Read the first certificate of a PEM text.
pub fn read_certificate(pem: &str) -> Result<CertInfo, String> {
    let der = pem_blocks(pem, "CERTIFICATE")
        .into_iter()
        .next()
        .ok_or("no `-----BEGIN CERTIFICATE-----` block")?;
    let (_, cert) = x509_parser::parse_x509_certificate(&der)
        .map_err(|e| format!("not an X.509 certificate: {e}"))?;
    Ok(CertInfo {
        subject: cert.subject().to_string(),
        serial: hex(cert.raw_serial(), ""),
        sha256: hex(&sha2::Sha256::digest(&der), ":"),
        not_after: date_of(cert.validity().not_after.timestamp()),
        is_ca: cert.is_ca(),
        der: der.clone(),
    })
}

/// Check that `cert_pem` was signed by the CA of `ca_pem`.
pub fn check_issued_by(cert_pem: &str, ca_pem: &str) -> Result<(), String> {
    let cert_der = read_certificate(cert_pem)?.der;
    let ca_der = read_certificate(ca_pem)?.der;
    let (_, cert) = x509_parser::parse_x509_certificate(&cert_der).map_err(|e| e.to_string())?;
    let (_, ca) = x509_parser::parse_x509_certificate(&ca_der).map_err(|e| e.to_string())?;
    if cert.issuer() != ca.subject() {
        return Err(format!(
            "it is issued by `{}`, not by the CA `{}`",
            cert.issuer(),
            ca.subject()
        ));
    }
    cert.verify_signature(Some(ca.public_key()))
        .map_err(|_| String::from("its signature does not verify with the CA's public key"))
}

fn key_pair(key: &Secret, what: &str) -> Result<KeyPair, String> {
    KeyPair::from_pem(key.expose()).map_err(|_| {
        format!("{what} is not a PEM private key netparc can use (PKCS#8 or SEC1 EC, RSA)")
    })
}

/// Check that `key` is the private key of the certificate `cert_pem`.
pub fn check_key_matches(cert_pem: &str, key: &Secret, what: &str) -> Result<(), String> {
    let pair = key_pair(key, what)?;
    let der = read_certificate(cert_pem)?.der;
    let (_, cert) = x509_parser::parse_x509_certificate(&der).map_err(|e| e.to_string())?;
    if cert.public_key().raw != pair.subject_public_key_info().as_slice() {
        return Err(format!("{what} is not the key of that certificate"));
    }
    Ok(())
}

fn issuer<'a>(ca_pem: &str, ca_key: &Secret) -> Result<Issuer<'a, KeyPair>, String> {
    let pair = key_pair(ca_key, "the CA key")?;
    let der = pem_blocks(ca_pem, "CERTIFICATE")
        .into_iter()
        .next()
        .ok_or("the CA file holds no certificate")?;
    check_key_matches(ca_pem, ca_key, "the CA key")?;
    Issuer::from_ca_cert_der(&der.into(), pair)
        .map_err(|e| format!("cannot use the CA certificate: {e}"))
}

/// A random positive serial of 16 bytes (RFC 5280: at most 20, unpredictable).
fn random_serial() -> Vec<u8> {
    let mut bytes: [u8; 16] = rand::random();
    bytes[0] = (bytes[0] & 0x7f) | 0x10;
    bytes.to_vec()
}

/// Issue a certificate for `cn`, `days` long from `today`, signed by the CA; `server`
/// picks serverAuth (a gateway), otherwise clientAuth (a workstation). The key pair is
/// generated here (ECDSA P-256).
pub fn issue(
    ca_pem: &str,
    ca_key: &Secret,
    cn: &str,
    days: u32,
    today: Date,
    server: bool,
) -> Result<Issued, String> {
    let issuer = issuer(ca_pem, ca_key)?;
    let (key, mut params) = key_and_params(cn)?;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![if server {
        ExtendedKeyUsagePurpose::ServerAuth
    } else {
        ExtendedKeyUsagePurpose::ClientAuth
    }];
    params.use_authority_key_identifier_extension = true;
    params.key_identifier_method = KeyIdMethod::Sha256;
    params.serial_number = Some(SerialNumber::from_slice(&random_serial()));
    // A day of margin for clocks behind.
    params.not_before = rcgen_date!(days_after(today, -1));
    params.not_after = rcgen_date!(days_after(today, i64::from(days)));
    let cert = params
        .signed_by(&key, &issuer)
        .map_err(|e| format!("cannot sign the certificate of {cn}: {e}"))?;
    let cert_pem = cert.pem();
    let info = read_certificate(&cert_pem)?;
    Ok(Issued {
        cert_pem,
        key_pem: Secret::new(&key.serialize_pem()),
        certificate: VpnCertificate {
            serial: info.serial,
            sha256: Some(info.sha256),
            not_after: Some(info.not_after.to_string()),
        },
    })
}

/// A fresh ECDSA P-256 key pair and certificate parameters whose subject is `CN=cn`.
fn key_and_params(cn: &str) -> Result<(KeyPair, CertificateParams), String> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
        .map_err(|e| format!("cannot generate a key pair: {e}"))?;
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, cn);
    params.distinguished_name = name;
    Ok((key, params))
}

/// A new self-signed CA (ECDSA P-256, CA:TRUE, keyCertSign + cRLSign) named `cn`: what a
/// new OpenVPN gateway starts from. Returns the certificate PEM and the key.
pub fn new_ca(cn: &str, days: u32, today: Date) -> Result<(String, Secret), String> {
    let (key, mut params) = key_and_params(cn)?;
    params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.serial_number = Some(SerialNumber::from_slice(&random_serial()));
    params.not_before = rcgen_date!(days_after(today, -1));
    params.not_after = rcgen_date!(days_after(today, i64::from(days)));
    let cert = params
        .self_signed(&key)
        .map_err(|e| format!("cannot sign the CA: {e}"))?;
    Ok((cert.pem(), Secret::new(&key.serialize_pem())))
}

/// Read a CRL (PEM), checking it was signed by the CA of `ca_pem`.
pub fn read_crl(pem: &str, ca_pem: &str) -> Result<CrlInfo, String> {
    let der = pem_blocks(pem, "X509 CRL")
        .into_iter()
        .next()
        .ok_or("no `-----BEGIN X509 CRL-----` block")?;
    let (_, crl) = x509_parser::parse_x509_crl(&der).map_err(|e| format!("not a CRL: {e}"))?;
    let ca_der = read_certificate(ca_pem)?.der;
    let (_, ca) = x509_parser::parse_x509_certificate(&ca_der).map_err(|e| e.to_string())?;
    crl.verify_signature(ca.public_key())
        .map_err(|_| String::from("it is not signed by the gateway's CA"))?;
    let number = crl
        .crl_number()
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0);
    let revoked = crl
        .iter_revoked_certificates()
        .map(|r| Revoked {
            serial: hex(r.raw_serial(), ""),
            date: date_of(r.revocation_date.timestamp()),
        })
        .collect();
    Ok(CrlInfo {
        number,
        revoked,
        next_update: crl.next_update().map(|t| date_of(t.timestamp())),
    })
}

/// Days a CRL netparc signs stays valid. OpenVPN refuses every client once the CRL's next
/// update has passed, so it is long; netparc signs a new one at every revocation.
pub const CRL_DAYS: i64 = 3650;

/// Sign a CRL listing `revoked`, numbered `number`, issued `today`.
pub fn sign_crl(
    ca_pem: &str,
    ca_key: &Secret,
    revoked: &[Revoked],
    number: u64,
    today: Date,
) -> Result<String, String> {
    let issuer = issuer(ca_pem, ca_key)?;
    let mut revoked_certs = Vec::new();
    for entry in revoked {
        let serial = (0..entry.serial.len())
            .step_by(2)
            .map(|i| {
                entry
                    .serial
                    .get(i..i + 2)
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok())
            })
            .collect::<Option<Vec<u8>>>()
            .filter(|bytes| !bytes.is_empty())
            .ok_or_else(|| format!("serial `{}` is not hexadecimal", entry.serial))?;
        revoked_certs.push(RevokedCertParams {
            serial_number: SerialNumber::from_slice(&serial),
            revocation_time: rcgen_date!(entry.date),
            reason_code: Some(RevocationReason::CessationOfOperation),
            invalidity_date: None,
        });
    }
    let params = CertificateRevocationListParams {
        this_update: rcgen_date!(days_after(today, -1)),
        next_update: rcgen_date!(days_after(today, CRL_DAYS)),
        crl_number: SerialNumber::from_slice(&number.to_be_bytes()),
        issuing_distribution_point: None,
        revoked_certs,
        key_identifier_method: KeyIdMethod::Sha256,
    };
    params
        .signed_by(&issuer)
        .and_then(|crl| crl.pem())
        .map_err(|e| format!("cannot sign the CRL: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        "2026-03-02".parse().unwrap()
    }

    #[test]
    fn issue_revoke_and_read_back() {
        let (ca, ca_key) = new_ca("Test CA", 3650, today()).unwrap();
        let info = read_certificate(&ca).unwrap();
        assert!(info.is_ca);
        assert_eq!(info.subject, "CN=Test CA");
        let client = issue(&ca, &ca_key, "pc-1", 825, today(), false).unwrap();
        check_issued_by(&client.cert_pem, &ca).unwrap();
        check_key_matches(&client.cert_pem, &client.key_pem, "the key").unwrap();
        assert_eq!(client.certificate.not_after.as_deref(), Some("2028-06-04"));
        assert_eq!(client.certificate.serial.len(), 32);
        let crl = sign_crl(
            &ca,
            &ca_key,
            &[Revoked {
                serial: client.certificate.serial.clone(),
                date: today(),
            }],
            7,
            today(),
        )
        .unwrap();
        let read = read_crl(&format!("# netparc: header\n{crl}"), &ca).unwrap();
        assert_eq!(read.number, 7);
        assert_eq!(read.revoked[0].serial, client.certificate.serial);
        assert_eq!(read.revoked[0].date, today());
        // Another CA's certificate and key are refused.
        let (other, other_key) = new_ca("Other CA", 10, today()).unwrap();
        assert!(
            check_issued_by(&client.cert_pem, &other)
                .unwrap_err()
                .contains("not by the CA")
        );
        assert!(read_crl(&crl, &other).unwrap_err().contains("not signed"));
        assert!(
            issue(&ca, &other_key, "x", 1, today(), false)
                .unwrap_err()
                .contains("not the key")
        );
        assert!(format!("{client:?}").find("PRIVATE").is_none());
    }
}
