//! Wi-Fi profiles for a new workstation: one SSID of the plan (its security mode, and its
//! pre-shared key or 802.1X settings) exported in the three forms clients import:
//!
//! - a NetworkManager keyfile (`/etc/NetworkManager/system-connections/<name>.nmconnection`,
//!   root-owned, mode 600),
//! - a wpa_supplicant `network={...}` block (for `wpa_supplicant.conf`),
//! - a Windows WLAN profile XML (for `netsh wlan add profile filename="..."`).
//!
//! Pure: no I/O. The exports of a PSK or SAE network hold the key in clear, as every one of
//! those tools needs it; the caller writes them with restrictive permissions and never logs
//! them. Enterprise exports hold no password: the user types it (or the tool's secret agent
//! asks for it) on first connection.
//!
//! Architecture invariant: no secret reaches a `Debug` output or an error message of this
//! module; `WifiProfile` and `WifiExports` implement `Debug` by hand to redact them.

use std::fmt;
use std::fmt::Write as _;

use crate::inventory::model::WifiSecurity;

/// One Wi-Fi network to export, as the plan describes it and with its secret resolved.
#[derive(Clone, Copy)]
pub struct WifiProfile<'a> {
    /// Network name as broadcast (1 to 32 bytes).
    pub ssid: &'a str,
    /// Security mode of the SSID in the plan.
    pub security: WifiSecurity,
    /// Passphrase in clear text, for the PSK and SAE modes (8 to 63 printable ASCII characters).
    pub psk: Option<&'a str>,
    /// The SSID is not broadcast: clients must probe for it by name.
    pub hidden: bool,
    /// 802.1X settings, for the enterprise modes.
    pub enterprise: Option<Enterprise<'a>>,
}

impl fmt::Debug for WifiProfile<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WifiProfile")
            .field("ssid", &self.ssid)
            .field("security", &self.security)
            .field("psk", &self.psk.map(|_| "<redacted>"))
            .field("hidden", &self.hidden)
            .field("enterprise", &self.enterprise)
            .finish()
    }
}

/// The EAP method of an enterprise network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EapMethod {
    /// PEAP with MSCHAPv2 inside (user name and password).
    Peap,
    /// EAP-TTLS with MSCHAPv2 inside (user name and password).
    Ttls,
    /// EAP-TLS (a client certificate; on Windows, picked from the user's certificate store).
    Tls,
}

/// 802.1X settings of an enterprise network. Holds no secret: the password (PEAP, TTLS) or
/// the private key's passphrase (TLS) is asked of the user on first connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enterprise<'a> {
    /// EAP method the RADIUS server speaks.
    pub method: EapMethod,
    /// The user's identity (user name, or the certificate's subject for TLS). Linux exports
    /// carry it; Windows asks for it on first connection.
    pub identity: &'a str,
    /// Name in the RADIUS server's certificate, checked by every client (a suffix match on
    /// Linux); without it any certificate from a trusted CA is accepted.
    pub server_name: Option<&'a str>,
    /// Absolute path, on the Linux client, of the CA certificate that signed the RADIUS
    /// server's certificate. Windows uses its own trust store.
    pub ca_cert: Option<&'a str>,
    /// Absolute path, on the Linux client, of the user's certificate (TLS only).
    pub client_cert: Option<&'a str>,
    /// Absolute path, on the Linux client, of the user's private key (TLS only).
    pub private_key: Option<&'a str>,
}

/// The three exports of one profile. The PSK and SAE ones hold the key in clear: write them
/// with mode 600 and never log them.
#[derive(Clone, PartialEq, Eq)]
pub struct WifiExports {
    /// NetworkManager keyfile (`<name>.nmconnection`).
    pub networkmanager: String,
    /// wpa_supplicant `network={...}` block, with a comment line naming the connection.
    pub wpa_supplicant: String,
    /// Windows WLAN profile XML (`netsh wlan add profile filename="<name>.xml"`).
    pub windows_xml: String,
}

impl fmt::Debug for WifiExports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |s: &String| format!("<{} bytes, redacted>", s.len());
        f.debug_struct("WifiExports")
            .field("networkmanager", &redacted(&self.networkmanager))
            .field("wpa_supplicant", &redacted(&self.wpa_supplicant))
            .field("windows_xml", &redacted(&self.windows_xml))
            .finish()
    }
}

/// Why a profile cannot be exported. No variant carries a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WifiError {
    /// Open networks need no profile (and should not get one: a captive portal is joined
    /// by name).
    #[error("SSID {ssid:?} is an open network: no Wi-Fi profile is needed, join it by name")]
    OpenNetwork {
        /// The SSID.
        ssid: String,
    },
    /// An SSID has at least one byte.
    #[error("the SSID is empty")]
    EmptySsid,
    /// An SSID has at most 32 bytes (IEEE 802.11).
    #[error("SSID {ssid:?} is {len} bytes long; an SSID holds at most 32 bytes")]
    SsidTooLong {
        /// The SSID.
        ssid: String,
        /// Its length in bytes.
        len: usize,
    },
    /// A PSK or SAE mode without a key.
    #[error("SSID {ssid:?} uses {mode} but no pre-shared key was given")]
    MissingPsk {
        /// The SSID.
        ssid: String,
        /// Human label of the mode.
        mode: &'static str,
    },
    /// A WPA passphrase is 8 to 63 characters long.
    #[error(
        "the pre-shared key of SSID {ssid:?} is {len} characters long; a WPA passphrase has 8 to 63"
    )]
    PskLength {
        /// The SSID.
        ssid: String,
        /// Length of the key (not the key).
        len: usize,
    },
    /// A WPA passphrase holds printable ASCII only (IEEE 802.11 Annex J).
    #[error(
        "the pre-shared key of SSID {ssid:?} holds a character outside printable ASCII (space to ~), which WPA does not allow"
    )]
    PskCharacter {
        /// The SSID.
        ssid: String,
    },
    /// An enterprise mode without its 802.1X settings.
    #[error("SSID {ssid:?} uses {mode} but no 802.1X (enterprise) settings were given")]
    MissingEnterprise {
        /// The SSID.
        ssid: String,
        /// Human label of the mode.
        mode: &'static str,
    },
    /// An enterprise identity is needed by every EAP method.
    #[error("SSID {ssid:?}: the 802.1X identity is empty")]
    EmptyIdentity {
        /// The SSID.
        ssid: String,
    },
    /// EAP-TLS needs the user's certificate and key on the Linux client.
    #[error("SSID {ssid:?} uses EAP-TLS but the client certificate or private key path is missing")]
    MissingClientCertificate {
        /// The SSID.
        ssid: String,
    },
    /// Certificate paths are on the client and must not depend on where the file lands.
    #[error("SSID {ssid:?}: {field} {path:?} is not an absolute path")]
    RelativePath {
        /// The SSID.
        ssid: String,
        /// Which setting.
        field: &'static str,
        /// The path given.
        path: String,
    },
    /// The connection name names the files and the profiles.
    #[error("the connection name is empty")]
    EmptyConnectionName,
    /// Control characters (newline, tab…) fit none of the three formats.
    #[error("{field} holds a control character, which no Wi-Fi profile format accepts")]
    ControlCharacter {
        /// Which setting.
        field: &'static str,
    },
}

/// Human label of a security mode, as users meet it in their Wi-Fi settings.
pub fn security_label(security: WifiSecurity) -> &'static str {
    match security {
        WifiSecurity::Open => "Open",
        WifiSecurity::Wpa2Psk => "WPA2-Personal",
        WifiSecurity::Wpa3Sae => "WPA3-Personal",
        WifiSecurity::Wpa2Wpa3 => "WPA2/WPA3-Personal",
        WifiSecurity::Wpa2Enterprise => "WPA2-Enterprise",
        WifiSecurity::Wpa3Enterprise => "WPA3-Enterprise",
    }
}

/// What the validated profile authenticates with.
enum Auth<'a> {
    Personal { psk: &'a str },
    Enterprise(&'a Enterprise<'a>),
}

/// Export `profile` under `connection_name` (the NetworkManager id and Windows profile name)
/// in the three client formats, after checking it.
pub fn export(profile: &WifiProfile<'_>, connection_name: &str) -> Result<WifiExports, WifiError> {
    let auth = validate(profile, connection_name)?;
    Ok(WifiExports {
        networkmanager: networkmanager(profile, &auth, connection_name),
        wpa_supplicant: wpa_supplicant(profile, &auth, connection_name),
        windows_xml: windows_xml(profile, &auth, connection_name),
    })
}

fn validate<'a>(
    profile: &'a WifiProfile<'a>,
    connection_name: &str,
) -> Result<Auth<'a>, WifiError> {
    let ssid = || profile.ssid.to_string();
    if connection_name.trim().is_empty() {
        return Err(WifiError::EmptyConnectionName);
    }
    no_control("the connection name", connection_name)?;
    if profile.ssid.is_empty() {
        return Err(WifiError::EmptySsid);
    }
    if profile.ssid.len() > 32 {
        return Err(WifiError::SsidTooLong {
            ssid: ssid(),
            len: profile.ssid.len(),
        });
    }
    let mode = security_label(profile.security);
    match profile.security {
        WifiSecurity::Open => Err(WifiError::OpenNetwork { ssid: ssid() }),
        WifiSecurity::Wpa2Psk | WifiSecurity::Wpa3Sae | WifiSecurity::Wpa2Wpa3 => {
            let psk = profile
                .psk
                .ok_or_else(|| WifiError::MissingPsk { ssid: ssid(), mode })?;
            let len = psk.chars().count();
            if !(8..=63).contains(&len) {
                return Err(WifiError::PskLength { ssid: ssid(), len });
            }
            if !psk.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
                return Err(WifiError::PskCharacter { ssid: ssid() });
            }
            Ok(Auth::Personal { psk })
        }
        WifiSecurity::Wpa2Enterprise | WifiSecurity::Wpa3Enterprise => {
            let e = profile
                .enterprise
                .as_ref()
                .ok_or_else(|| WifiError::MissingEnterprise { ssid: ssid(), mode })?;
            if e.identity.trim().is_empty() {
                return Err(WifiError::EmptyIdentity { ssid: ssid() });
            }
            no_control("the 802.1X identity", e.identity)?;
            if let Some(name) = e.server_name {
                no_control("the RADIUS server name", name)?;
            }
            if e.method == EapMethod::Tls && (e.client_cert.is_none() || e.private_key.is_none()) {
                return Err(WifiError::MissingClientCertificate { ssid: ssid() });
            }
            for (field, path) in [
                ("the CA certificate path", e.ca_cert),
                ("the client certificate path", e.client_cert),
                ("the private key path", e.private_key),
            ] {
                let Some(path) = path else { continue };
                no_control(field, path)?;
                if !path.starts_with('/') {
                    return Err(WifiError::RelativePath {
                        ssid: ssid(),
                        field,
                        path: path.to_string(),
                    });
                }
            }
            Ok(Auth::Enterprise(e))
        }
    }
}

fn no_control(field: &'static str, value: &str) -> Result<(), WifiError> {
    if value.chars().any(char::is_control) {
        return Err(WifiError::ControlCharacter { field });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// NetworkManager keyfile

fn networkmanager(profile: &WifiProfile<'_>, auth: &Auth<'_>, connection_name: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "[connection]");
    let _ = writeln!(out, "id={}", keyfile_value(connection_name));
    let _ = writeln!(
        out,
        "uuid={}",
        connection_uuid(profile.ssid, connection_name)
    );
    let _ = writeln!(out, "type=wifi");
    let _ = writeln!(out);
    let _ = writeln!(out, "[wifi]");
    let _ = writeln!(out, "mode=infrastructure");
    let _ = writeln!(out, "ssid={}", keyfile_ssid(profile.ssid));
    if profile.hidden {
        let _ = writeln!(out, "hidden=true");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "[wifi-security]");
    // pmf: 2 = optional, 3 = required (NM_SETTING_WIRELESS_SECURITY_PMF_*).
    let (key_mgmt, pmf) = match profile.security {
        WifiSecurity::Wpa2Psk => ("wpa-psk", None),
        // With pmf enabled, NetworkManager offers SAE beside WPA-PSK when the supplicant
        // supports it: that is how it joins a transition network.
        WifiSecurity::Wpa2Wpa3 => ("wpa-psk", Some(2)),
        WifiSecurity::Wpa3Sae => ("sae", Some(3)),
        WifiSecurity::Wpa2Enterprise => ("wpa-eap", None),
        // With pmf required NetworkManager offers WPA-EAP-SHA256 too (WPA3-Enterprise).
        WifiSecurity::Wpa3Enterprise => ("wpa-eap", Some(3)),
        WifiSecurity::Open => ("none", None),
    };
    let _ = writeln!(out, "key-mgmt={key_mgmt}");
    if let Some(pmf) = pmf {
        let _ = writeln!(out, "pmf={pmf}");
    }
    match auth {
        Auth::Personal { psk } => {
            let _ = writeln!(out, "psk={}", keyfile_value(psk));
        }
        Auth::Enterprise(e) => {
            let _ = writeln!(out);
            let _ = writeln!(out, "[802-1x]");
            let eap = match e.method {
                EapMethod::Peap => "peap",
                EapMethod::Ttls => "ttls",
                EapMethod::Tls => "tls",
            };
            let _ = writeln!(out, "eap={eap};");
            let _ = writeln!(out, "identity={}", keyfile_value(e.identity));
            if let Some(name) = e.server_name {
                let _ = writeln!(out, "domain-suffix-match={}", keyfile_value(name));
            }
            if let Some(path) = e.ca_cert {
                let _ = writeln!(out, "ca-cert={}", keyfile_value(path));
            }
            match e.method {
                EapMethod::Peap | EapMethod::Ttls => {
                    let _ = writeln!(out, "phase2-auth=mschapv2");
                    // 1 = agent-owned: the desktop asks for the password and keeps it in
                    // the user's keyring; it never lands in this file.
                    let _ = writeln!(out, "password-flags=1");
                }
                EapMethod::Tls => {
                    if let Some(path) = e.client_cert {
                        let _ = writeln!(out, "client-cert={}", keyfile_value(path));
                    }
                    if let Some(path) = e.private_key {
                        let _ = writeln!(out, "private-key={}", keyfile_value(path));
                    }
                    let _ = writeln!(out, "private-key-password-flags=1");
                }
            }
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "[ipv4]");
    let _ = writeln!(out, "method=auto");
    let _ = writeln!(out);
    let _ = writeln!(out, "[ipv6]");
    let _ = writeln!(out, "method=auto");
    out
}

/// A string value as GKeyFile writes it (`g_key_file_set_string`): backslash, newline,
/// carriage return and tab escaped, leading spaces kept as `\s`.
fn keyfile_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut leading = true;
    for c in value.chars() {
        match c {
            ' ' if leading => out.push_str("\\s"),
            '\t' if leading => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\\' => {
                leading = false;
                out.push_str("\\\\");
            }
            c => {
                leading = false;
                out.push(c);
            }
        }
    }
    out
}

/// The SSID as NetworkManager's keyfile writer stores it: plain text when every byte is
/// printable ASCII, else a list of byte values (`67;97;102;195;169;`). Plain text is only
/// used when it cannot be mistaken for that list or need any escape (no `;`, `\`, and no
/// space at either end); the list form reads back the same everywhere.
fn keyfile_ssid(ssid: &str) -> String {
    let plain = ssid
        .bytes()
        .all(|b| (0x20..=0x7e).contains(&b) && b != b';' && b != b'\\')
        && !ssid.starts_with(' ')
        && !ssid.ends_with(' ');
    if plain {
        return ssid.to_string();
    }
    let mut out = String::new();
    for b in ssid.bytes() {
        let _ = write!(out, "{b};");
    }
    out
}

/// A stable name-based UUID (version 5, SHA-1) of the connection: exporting the same
/// profile twice gives the same keyfile, and NetworkManager replaces rather than duplicates.
fn connection_uuid(ssid: &str, connection_name: &str) -> String {
    use sha1::Digest;
    // Namespace of netparc's Wi-Fi connections (a fixed random UUID).
    const NAMESPACE: [u8; 16] = [
        0x6e, 0x2f, 0x1c, 0x4a, 0x93, 0x0b, 0x4d, 0x5e, 0xa1, 0x77, 0x2c, 0x58, 0x0e, 0x9d, 0x31,
        0xb4,
    ];
    let mut hasher = sha1::Sha1::new();
    hasher.update(NAMESPACE);
    hasher.update(connection_name.as_bytes());
    hasher.update([0u8]);
    hasher.update(ssid.as_bytes());
    let digest = hasher.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

// ---------------------------------------------------------------------------------------
// wpa_supplicant

fn wpa_supplicant(profile: &WifiProfile<'_>, auth: &Auth<'_>, connection_name: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {connection_name}");
    let _ = writeln!(out, "network={{");
    let _ = writeln!(out, "\tssid={}", wpa_string(profile.ssid));
    if profile.hidden {
        let _ = writeln!(out, "\tscan_ssid=1");
    }
    let (key_mgmt, ieee80211w) = match profile.security {
        WifiSecurity::Wpa2Psk => ("WPA-PSK", None),
        WifiSecurity::Wpa2Wpa3 => ("WPA-PSK SAE", Some(1)),
        WifiSecurity::Wpa3Sae => ("SAE", Some(2)),
        WifiSecurity::Wpa2Enterprise => ("WPA-EAP", None),
        // WPA3-Enterprise APs offer WPA-EAP-SHA256, some WPA-EAP, always with PMF required.
        WifiSecurity::Wpa3Enterprise => ("WPA-EAP WPA-EAP-SHA256", Some(2)),
        WifiSecurity::Open => ("NONE", None),
    };
    let _ = writeln!(out, "\tkey_mgmt={key_mgmt}");
    if let Some(w) = ieee80211w {
        let _ = writeln!(out, "\tieee80211w={w}");
    }
    match auth {
        Auth::Personal { psk } => {
            let quotable = !psk.contains('"');
            if profile.security != WifiSecurity::Wpa3Sae {
                if quotable {
                    let _ = writeln!(out, "\tpsk=\"{psk}\"");
                } else {
                    // A quote inside a quoted value is misread by older wpa_supplicant
                    // releases: give the derived 256-bit key instead, as wpa_passphrase does.
                    let _ = writeln!(out, "\tpsk={}", hex(&wpa_pmk(psk, profile.ssid)));
                }
            }
            // SAE needs the passphrase itself: in transition mode `psk` serves both unless
            // it was replaced by the derived key.
            let sae = match profile.security {
                WifiSecurity::Wpa3Sae => true,
                WifiSecurity::Wpa2Wpa3 => !quotable,
                _ => false,
            };
            if sae {
                let _ = writeln!(out, "\tsae_password={}", wpa_string(psk));
            }
        }
        Auth::Enterprise(e) => {
            let eap = match e.method {
                EapMethod::Peap => "PEAP",
                EapMethod::Ttls => "TTLS",
                EapMethod::Tls => "TLS",
            };
            let _ = writeln!(out, "\teap={eap}");
            let _ = writeln!(out, "\tidentity={}", wpa_string(e.identity));
            if matches!(e.method, EapMethod::Peap | EapMethod::Ttls) {
                let _ = writeln!(out, "\tphase2=\"auth=MSCHAPV2\"");
            }
            if let Some(path) = e.ca_cert {
                let _ = writeln!(out, "\tca_cert={}", wpa_string(path));
            }
            if let Some(name) = e.server_name {
                let _ = writeln!(out, "\tdomain_suffix_match={}", wpa_string(name));
            }
            if let Some(path) = e.client_cert {
                let _ = writeln!(out, "\tclient_cert={}", wpa_string(path));
            }
            if let Some(path) = e.private_key {
                let _ = writeln!(out, "\tprivate_key={}", wpa_string(path));
            }
        }
    }
    let _ = writeln!(out, "}}");
    out
}

/// A wpa_supplicant string value: quoted when it is printable ASCII without a quote, else
/// the unquoted hex form every string field accepts.
fn wpa_string(value: &str) -> String {
    if value
        .bytes()
        .all(|b| (0x20..=0x7e).contains(&b) && b != b'"')
    {
        format!("\"{value}\"")
    } else {
        hex(value.as_bytes())
    }
}

/// The WPA pre-shared key derived from a passphrase (IEEE 802.11 Annex J):
/// PBKDF2-HMAC-SHA1(passphrase, ssid, 4096 rounds, 32 bytes).
fn wpa_pmk(passphrase: &str, ssid: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (block, chunk) in out.chunks_mut(20).enumerate() {
        let index = (block as u32 + 1).to_be_bytes();
        let mut u = hmac_sha1(passphrase.as_bytes(), &[ssid.as_bytes(), &index]);
        let mut t = u;
        for _ in 1..4096 {
            u = hmac_sha1(passphrase.as_bytes(), &[&u]);
            for (t, u) in t.iter_mut().zip(u) {
                *t ^= u;
            }
        }
        chunk.copy_from_slice(&t[..chunk.len()]);
    }
    out
}

fn hmac_sha1(key: &[u8], message: &[&[u8]]) -> [u8; 20] {
    use sha1::Digest;
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..20].copy_from_slice(&sha1::Sha1::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = sha1::Sha1::new();
    inner.update(block.map(|b| b ^ 0x36));
    for part in message {
        inner.update(part);
    }
    let mut outer = sha1::Sha1::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    let mut out = [0u8; 20];
    out.copy_from_slice(&outer.finalize());
    out
}

// ---------------------------------------------------------------------------------------
// Windows WLAN profile

const EAP_COMMON: &str = "http://www.microsoft.com/provisioning/EapCommon";
const BASE_EAP: &str = "http://www.microsoft.com/provisioning/BaseEapConnectionPropertiesV1";

fn windows_xml(profile: &WifiProfile<'_>, auth: &Auth<'_>, connection_name: &str) -> String {
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<WLANProfile xmlns=\"http://www.microsoft.com/networking/WLAN/profile/v1\">\n");
    let _ = writeln!(out, "\t<name>{}</name>", xml_escape(connection_name));
    out.push_str("\t<SSIDConfig>\n\t\t<SSID>\n");
    let _ = writeln!(
        out,
        "\t\t\t<hex>{}</hex>",
        hex(profile.ssid.as_bytes()).to_uppercase()
    );
    // XML cannot carry control characters: such an SSID is given by its hex form only.
    if !profile.ssid.chars().any(char::is_control) {
        let _ = writeln!(out, "\t\t\t<name>{}</name>", xml_escape(profile.ssid));
    }
    out.push_str("\t\t</SSID>\n");
    let _ = writeln!(out, "\t\t<nonBroadcast>{}</nonBroadcast>", profile.hidden);
    out.push_str("\t</SSIDConfig>\n");
    out.push_str("\t<connectionType>ESS</connectionType>\n");
    out.push_str("\t<connectionMode>auto</connectionMode>\n");
    out.push_str("\t<MSM>\n\t\t<security>\n\t\t\t<authEncryption>\n");
    let authentication = match profile.security {
        // Windows joins a transition network with a WPA2PSK profile on every release;
        // WPA3SAE with transitionMode needs a recent Windows and driver.
        WifiSecurity::Wpa2Psk | WifiSecurity::Wpa2Wpa3 => "WPA2PSK",
        WifiSecurity::Wpa3Sae => "WPA3SAE",
        WifiSecurity::Wpa2Enterprise => "WPA2",
        // Windows 11 and later.
        WifiSecurity::Wpa3Enterprise => "WPA3ENT",
        WifiSecurity::Open => "open",
    };
    let _ = writeln!(
        out,
        "\t\t\t\t<authentication>{authentication}</authentication>"
    );
    out.push_str("\t\t\t\t<encryption>AES</encryption>\n");
    let _ = writeln!(
        out,
        "\t\t\t\t<useOneX>{}</useOneX>",
        matches!(auth, Auth::Enterprise(_))
    );
    out.push_str("\t\t\t</authEncryption>\n");
    match auth {
        Auth::Personal { psk } => {
            out.push_str("\t\t\t<sharedKey>\n");
            out.push_str("\t\t\t\t<keyType>passPhrase</keyType>\n");
            out.push_str("\t\t\t\t<protected>false</protected>\n");
            let _ = writeln!(
                out,
                "\t\t\t\t<keyMaterial>{}</keyMaterial>",
                xml_escape(psk)
            );
            out.push_str("\t\t\t</sharedKey>\n");
        }
        Auth::Enterprise(e) => windows_onex(&mut out, e),
    }
    out.push_str("\t\t</security>\n\t</MSM>\n</WLANProfile>\n");
    out
}

/// The `<OneX>` block: user authentication, the EAP method's configuration, and the
/// RADIUS server name to check. Windows asks for the user's credentials on first use.
fn windows_onex(out: &mut String, e: &Enterprise<'_>) {
    let (eap_type, author) = match e.method {
        EapMethod::Peap => (25, 0),
        EapMethod::Ttls => (21, 311),
        EapMethod::Tls => (13, 0),
    };
    let server_names = e.server_name.map(xml_escape).unwrap_or_default();
    let accept_name = e.server_name.is_some();
    out.push_str("\t\t\t<OneX xmlns=\"http://www.microsoft.com/networking/OneX/v1\">\n");
    out.push_str("\t\t\t\t<authMode>user</authMode>\n");
    out.push_str("\t\t\t\t<EAPConfig>\n");
    out.push_str("<EapHostConfig xmlns=\"http://www.microsoft.com/provisioning/EapHostConfig\">\n");
    out.push_str("<EapMethod>\n");
    let _ = writeln!(out, "<Type xmlns=\"{EAP_COMMON}\">{eap_type}</Type>");
    let _ = writeln!(out, "<VendorId xmlns=\"{EAP_COMMON}\">0</VendorId>");
    let _ = writeln!(out, "<VendorType xmlns=\"{EAP_COMMON}\">0</VendorType>");
    let _ = writeln!(out, "<AuthorId xmlns=\"{EAP_COMMON}\">{author}</AuthorId>");
    out.push_str("</EapMethod>\n");
    out.push_str("<Config xmlns=\"http://www.microsoft.com/provisioning/EapHostConfig\">\n");
    match e.method {
        EapMethod::Peap => {
            let v2 = "http://www.microsoft.com/provisioning/MsPeapConnectionPropertiesV2";
            let _ = writeln!(out, "<Eap xmlns=\"{BASE_EAP}\">");
            out.push_str("<Type>25</Type>\n");
            out.push_str(
                "<EapType xmlns=\"http://www.microsoft.com/provisioning/MsPeapConnectionPropertiesV1\">\n",
            );
            out.push_str("<ServerValidation>\n");
            out.push_str(
                "<DisableUserPromptForServerValidation>false</DisableUserPromptForServerValidation>\n",
            );
            let _ = writeln!(out, "<ServerNames>{server_names}</ServerNames>");
            out.push_str("</ServerValidation>\n");
            out.push_str("<FastReconnect>true</FastReconnect>\n");
            out.push_str("<InnerEapOptional>false</InnerEapOptional>\n");
            let _ = writeln!(out, "<Eap xmlns=\"{BASE_EAP}\">");
            out.push_str("<Type>26</Type>\n");
            out.push_str(
                "<EapType xmlns=\"http://www.microsoft.com/provisioning/MsChapV2ConnectionPropertiesV1\">\n",
            );
            out.push_str("<UseWinLogonCredentials>false</UseWinLogonCredentials>\n");
            out.push_str("</EapType>\n</Eap>\n");
            out.push_str("<EnableQuarantineChecks>false</EnableQuarantineChecks>\n");
            out.push_str("<RequireCryptoBinding>false</RequireCryptoBinding>\n");
            out.push_str("<PeapExtensions>\n");
            let _ = writeln!(
                out,
                "<PerformServerValidation xmlns=\"{v2}\">true</PerformServerValidation>"
            );
            let _ = writeln!(
                out,
                "<AcceptServerName xmlns=\"{v2}\">{accept_name}</AcceptServerName>"
            );
            out.push_str("</PeapExtensions>\n");
            out.push_str("</EapType>\n</Eap>\n");
        }
        EapMethod::Ttls => {
            out.push_str(
                "<EapTtls xmlns=\"http://www.microsoft.com/provisioning/EapTtlsConnectionPropertiesV1\">\n",
            );
            out.push_str("<ServerValidation>\n");
            let _ = writeln!(out, "<ServerNames>{server_names}</ServerNames>");
            out.push_str("<DisablePrompt>false</DisablePrompt>\n");
            out.push_str("</ServerValidation>\n");
            out.push_str("<Phase2Authentication>\n<MSCHAPv2Authentication>\n");
            out.push_str("<UseWinlogonCredentials>false</UseWinlogonCredentials>\n");
            out.push_str("</MSCHAPv2Authentication>\n</Phase2Authentication>\n");
            out.push_str(
                "<Phase1Identity>\n<IdentityPrivacy>false</IdentityPrivacy>\n</Phase1Identity>\n",
            );
            out.push_str("</EapTtls>\n");
        }
        EapMethod::Tls => {
            let v2 = "http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV2";
            let _ = writeln!(out, "<Eap xmlns=\"{BASE_EAP}\">");
            out.push_str("<Type>13</Type>\n");
            out.push_str(
                "<EapType xmlns=\"http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV1\">\n",
            );
            out.push_str("<CredentialsSource>\n<CertificateStore>\n");
            out.push_str("<SimpleCertSelection>true</SimpleCertSelection>\n");
            out.push_str("</CertificateStore>\n</CredentialsSource>\n");
            out.push_str("<ServerValidation>\n");
            out.push_str(
                "<DisableUserPromptForServerValidation>false</DisableUserPromptForServerValidation>\n",
            );
            let _ = writeln!(out, "<ServerNames>{server_names}</ServerNames>");
            out.push_str("</ServerValidation>\n");
            out.push_str("<DifferentUsername>false</DifferentUsername>\n");
            let _ = writeln!(
                out,
                "<PerformServerValidation xmlns=\"{v2}\">true</PerformServerValidation>"
            );
            let _ = writeln!(
                out,
                "<AcceptServerName xmlns=\"{v2}\">{accept_name}</AcceptServerName>"
            );
            out.push_str("</EapType>\n</Eap>\n");
        }
    }
    out.push_str("</Config>\n</EapHostConfig>\n");
    out.push_str("\t\t\t\t</EAPConfig>\n");
    out.push_str("\t\t\t</OneX>\n");
}

fn xml_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PSK: &str = "correct horse battery";

    fn personal(security: WifiSecurity) -> WifiProfile<'static> {
        WifiProfile {
            ssid: "Office",
            security,
            psk: Some(PSK),
            hidden: false,
            enterprise: None,
        }
    }

    fn enterprise(security: WifiSecurity, method: EapMethod) -> WifiProfile<'static> {
        WifiProfile {
            ssid: "Corp",
            security,
            psk: None,
            hidden: false,
            enterprise: Some(Enterprise {
                method,
                identity: "alice@example.com",
                server_name: Some("radius.example.com"),
                ca_cert: Some("/etc/ssl/certs/corp-ca.pem"),
                client_cert: (method == EapMethod::Tls).then_some("/home/alice/.certs/alice.pem"),
                private_key: (method == EapMethod::Tls).then_some("/home/alice/.certs/alice.key"),
            }),
        }
    }

    fn lines(text: &str) -> Vec<&str> {
        text.lines().map(str::trim).collect()
    }

    fn has(text: &str, line: &str) -> bool {
        lines(text).contains(&line)
    }

    /// A small well-formedness check: every tag closed in order, one root, no stray `<` or
    /// `&` in text or attributes.
    fn assert_well_formed(xml: &str) {
        let mut stack: Vec<&str> = Vec::new();
        let mut roots = 0;
        let mut rest = xml.trim_start();
        if let Some(after) = rest.strip_prefix("<?xml") {
            let end = after.find("?>").expect("unterminated declaration");
            rest = &after[end + 2..];
        }
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('<') {
                let end = after.find('>').expect("unterminated tag");
                let tag = &after[..end];
                assert!(!tag.contains('<'), "'<' inside tag {tag:?}");
                check_entities(tag);
                if let Some(name) = tag.strip_prefix('/') {
                    assert_eq!(stack.pop(), Some(name.trim()), "mismatched </{name}>");
                } else {
                    let name = tag.trim_end_matches('/').split_whitespace().next().unwrap();
                    if stack.is_empty() {
                        roots += 1;
                    }
                    if !tag.ends_with('/') {
                        stack.push(name);
                    }
                }
                rest = &after[end + 1..];
            } else {
                let end = rest.find('<').unwrap_or(rest.len());
                let text = &rest[..end];
                assert!(
                    !text.contains('>') || !stack.is_empty(),
                    "text outside the root"
                );
                if stack.is_empty() {
                    assert!(text.trim().is_empty(), "text outside the root: {text:?}");
                }
                check_entities(text);
                rest = &rest[end..];
            }
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
        assert_eq!(roots, 1);
    }

    fn check_entities(text: &str) {
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                    .iter()
                    .any(|e| entity.starts_with(e)),
                "bare '&' in {text:?}"
            );
        }
    }

    #[test]
    fn wpa2_personal() {
        let x = export(&personal(WifiSecurity::Wpa2Psk), "Office (netparc)").unwrap();
        let nm = &x.networkmanager;
        for line in [
            "[connection]",
            "id=Office (netparc)",
            "type=wifi",
            "[wifi]",
            "mode=infrastructure",
            "ssid=Office",
            "[wifi-security]",
            "key-mgmt=wpa-psk",
            "psk=correct horse battery",
            "[ipv4]",
            "method=auto",
            "[ipv6]",
        ] {
            assert!(has(nm, line), "{line:?} missing from\n{nm}");
        }
        assert!(!nm.contains("pmf="));
        assert!(!nm.contains("hidden="));
        let w = &x.wpa_supplicant;
        assert!(w.starts_with("# Office (netparc)\nnetwork={\n"));
        for line in [
            "ssid=\"Office\"",
            "key_mgmt=WPA-PSK",
            "psk=\"correct horse battery\"",
            "}",
        ] {
            assert!(has(w, line), "{line:?} missing from\n{w}");
        }
        assert!(!w.contains("scan_ssid") && !w.contains("ieee80211w") && !w.contains("sae_"));
        let xml = &x.windows_xml;
        for line in [
            "<WLANProfile xmlns=\"http://www.microsoft.com/networking/WLAN/profile/v1\">",
            "<name>Office (netparc)</name>",
            "<hex>4F6666696365</hex>",
            "<name>Office</name>",
            "<nonBroadcast>false</nonBroadcast>",
            "<connectionType>ESS</connectionType>",
            "<connectionMode>auto</connectionMode>",
            "<authentication>WPA2PSK</authentication>",
            "<encryption>AES</encryption>",
            "<useOneX>false</useOneX>",
            "<keyType>passPhrase</keyType>",
            "<protected>false</protected>",
            "<keyMaterial>correct horse battery</keyMaterial>",
        ] {
            assert!(has(xml, line), "{line:?} missing from\n{xml}");
        }
        assert_well_formed(xml);
    }

    #[test]
    fn wpa3_personal() {
        let x = export(&personal(WifiSecurity::Wpa3Sae), "Office").unwrap();
        assert!(has(&x.networkmanager, "key-mgmt=sae"));
        assert!(has(&x.networkmanager, "pmf=3"));
        assert!(has(&x.networkmanager, "psk=correct horse battery"));
        let w = &x.wpa_supplicant;
        assert!(has(w, "key_mgmt=SAE"));
        assert!(has(w, "ieee80211w=2"));
        assert!(has(w, "sae_password=\"correct horse battery\""));
        assert!(!w.contains("\tpsk="));
        assert!(has(
            &x.windows_xml,
            "<authentication>WPA3SAE</authentication>"
        ));
        assert!(has(
            &x.windows_xml,
            "<keyMaterial>correct horse battery</keyMaterial>"
        ));
        assert_well_formed(&x.windows_xml);
    }

    #[test]
    fn wpa2_wpa3_transition() {
        let x = export(&personal(WifiSecurity::Wpa2Wpa3), "Office").unwrap();
        assert!(has(&x.networkmanager, "key-mgmt=wpa-psk"));
        assert!(has(&x.networkmanager, "pmf=2"));
        let w = &x.wpa_supplicant;
        assert!(has(w, "key_mgmt=WPA-PSK SAE"));
        assert!(has(w, "ieee80211w=1"));
        assert!(has(w, "psk=\"correct horse battery\""));
        assert!(!w.contains("sae_password"));
        assert!(has(
            &x.windows_xml,
            "<authentication>WPA2PSK</authentication>"
        ));
        assert_well_formed(&x.windows_xml);
    }

    #[test]
    fn wpa2_enterprise_peap() {
        let x = export(
            &enterprise(WifiSecurity::Wpa2Enterprise, EapMethod::Peap),
            "Corp",
        )
        .unwrap();
        let nm = &x.networkmanager;
        for line in [
            "key-mgmt=wpa-eap",
            "[802-1x]",
            "eap=peap;",
            "identity=alice@example.com",
            "phase2-auth=mschapv2",
            "password-flags=1",
            "domain-suffix-match=radius.example.com",
            "ca-cert=/etc/ssl/certs/corp-ca.pem",
        ] {
            assert!(has(nm, line), "{line:?} missing from\n{nm}");
        }
        assert!(!nm.contains("pmf=") && !nm.contains("psk="));
        let w = &x.wpa_supplicant;
        for line in [
            "key_mgmt=WPA-EAP",
            "eap=PEAP",
            "identity=\"alice@example.com\"",
            "phase2=\"auth=MSCHAPV2\"",
            "ca_cert=\"/etc/ssl/certs/corp-ca.pem\"",
            "domain_suffix_match=\"radius.example.com\"",
        ] {
            assert!(has(w, line), "{line:?} missing from\n{w}");
        }
        assert!(!w.contains("ieee80211w"));
        let xml = &x.windows_xml;
        for line in [
            "<authentication>WPA2</authentication>",
            "<encryption>AES</encryption>",
            "<useOneX>true</useOneX>",
            "<OneX xmlns=\"http://www.microsoft.com/networking/OneX/v1\">",
            "<Type>25</Type>",
            "<Type>26</Type>",
            "<ServerNames>radius.example.com</ServerNames>",
        ] {
            assert!(has(xml, line), "{line:?} missing from\n{xml}");
        }
        assert!(!xml.contains("sharedKey"));
        assert_well_formed(xml);
    }

    #[test]
    fn wpa3_enterprise_ttls() {
        let x = export(
            &enterprise(WifiSecurity::Wpa3Enterprise, EapMethod::Ttls),
            "Corp",
        )
        .unwrap();
        assert!(has(&x.networkmanager, "key-mgmt=wpa-eap"));
        assert!(has(&x.networkmanager, "pmf=3"));
        assert!(has(&x.networkmanager, "eap=ttls;"));
        assert!(has(&x.networkmanager, "phase2-auth=mschapv2"));
        let w = &x.wpa_supplicant;
        assert!(has(w, "key_mgmt=WPA-EAP WPA-EAP-SHA256"));
        assert!(has(w, "ieee80211w=2"));
        assert!(has(w, "eap=TTLS"));
        assert!(has(w, "phase2=\"auth=MSCHAPV2\""));
        let xml = &x.windows_xml;
        assert!(has(xml, "<authentication>WPA3ENT</authentication>"));
        assert!(xml.contains("EapTtlsConnectionPropertiesV1"));
        assert!(has(
            xml,
            "<AuthorId xmlns=\"http://www.microsoft.com/provisioning/EapCommon\">311</AuthorId>"
        ));
        assert_well_formed(xml);
    }

    #[test]
    fn enterprise_tls() {
        let x = export(
            &enterprise(WifiSecurity::Wpa2Enterprise, EapMethod::Tls),
            "Corp",
        )
        .unwrap();
        let nm = &x.networkmanager;
        assert!(has(nm, "eap=tls;"));
        assert!(has(nm, "client-cert=/home/alice/.certs/alice.pem"));
        assert!(has(nm, "private-key=/home/alice/.certs/alice.key"));
        assert!(has(nm, "private-key-password-flags=1"));
        assert!(!nm.contains("phase2-auth"));
        let w = &x.wpa_supplicant;
        assert!(has(w, "eap=TLS"));
        assert!(has(w, "client_cert=\"/home/alice/.certs/alice.pem\""));
        assert!(has(w, "private_key=\"/home/alice/.certs/alice.key\""));
        assert!(!w.contains("phase2"));
        assert!(has(&x.windows_xml, "<Type>13</Type>"));
        assert!(has(
            &x.windows_xml,
            "<SimpleCertSelection>true</SimpleCertSelection>"
        ));
        assert_well_formed(&x.windows_xml);
    }

    #[test]
    fn hidden_network() {
        let mut p = personal(WifiSecurity::Wpa2Psk);
        p.hidden = true;
        let x = export(&p, "Office").unwrap();
        assert!(has(&x.networkmanager, "hidden=true"));
        assert!(has(&x.wpa_supplicant, "scan_ssid=1"));
        assert!(has(&x.windows_xml, "<nonBroadcast>true</nonBroadcast>"));
    }

    #[test]
    fn uuid_is_stable_and_version_5() {
        let a = export(&personal(WifiSecurity::Wpa2Psk), "Office").unwrap();
        let b = export(&personal(WifiSecurity::Wpa3Sae), "Office").unwrap();
        let c = export(&personal(WifiSecurity::Wpa2Psk), "Office 2").unwrap();
        let uuid = |x: &WifiExports| {
            x.networkmanager
                .lines()
                .find_map(|l| l.strip_prefix("uuid="))
                .unwrap()
                .to_string()
        };
        assert_eq!(uuid(&a), uuid(&b));
        assert_ne!(uuid(&a), uuid(&c));
        let u = uuid(&a);
        let parts: Vec<&str> = u.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('5'));
        assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn hostile_values_are_escaped() {
        let p = WifiProfile {
            ssid: "Caf\u{e9} \"<&>\";x",
            security: WifiSecurity::Wpa2Wpa3,
            psk: Some(" a\\b\"<&>'#;c"),
            hidden: false,
            enterprise: None,
        };
        let x = export(&p, "R&D <lab>").unwrap();
        let nm = &x.networkmanager;
        // Non-ASCII SSID: NetworkManager's byte-list form.
        assert!(
            has(nm, "ssid=67;97;102;195;169;32;34;60;38;62;34;59;120;"),
            "{nm}"
        );
        assert!(has(nm, "psk=\\sa\\\\b\"<&>'#;c"), "{nm}");
        let w = &x.wpa_supplicant;
        assert!(has(w, &format!("ssid={}", hex(p.ssid.as_bytes()))), "{w}");
        // A quote in the passphrase: the derived key for WPA2 and the hex passphrase for SAE.
        assert!(
            has(w, &format!("psk={}", hex(&wpa_pmk(p.psk.unwrap(), p.ssid)))),
            "{w}"
        );
        assert!(
            has(
                w,
                &format!("sae_password={}", hex(p.psk.unwrap().as_bytes()))
            ),
            "{w}"
        );
        let wpa2 = WifiProfile {
            security: WifiSecurity::Wpa2Psk,
            ..p
        };
        let w2 = export(&wpa2, "R&D <lab>").unwrap().wpa_supplicant;
        assert!(
            w2.contains("\tpsk=") && !w2.contains("sae_password"),
            "{w2}"
        );
        let xml = &x.windows_xml;
        assert!(has(xml, "<name>R&amp;D &lt;lab&gt;</name>"));
        assert!(has(
            xml,
            "<name>Caf\u{e9} &quot;&lt;&amp;&gt;&quot;;x</name>"
        ));
        assert!(has(
            xml,
            "<keyMaterial> a\\b&quot;&lt;&amp;&gt;&apos;#;c</keyMaterial>"
        ));
        assert_well_formed(xml);
    }

    #[test]
    fn semicolon_ssid_uses_byte_list() {
        assert_eq!(keyfile_ssid("a;b"), "97;59;98;");
        assert_eq!(keyfile_ssid(" a"), "32;97;");
        assert_eq!(keyfile_ssid("Guest WiFi"), "Guest WiFi");
    }

    #[test]
    fn pmk_matches_ieee_test_vector() {
        // IEEE 802.11-2016 Annex J.4.2.
        assert_eq!(
            hex(&wpa_pmk("password", "IEEE")),
            "f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e"
        );
        assert_eq!(
            hex(&wpa_pmk("ThisIsAPassword", "ThisIsASSID")),
            "0dc0d6eb90555ed6419756b9a15ec3e3209b63df707dd508d14581f8982721af"
        );
    }

    #[test]
    fn errors() {
        let name = "Office";
        let open = WifiProfile {
            security: WifiSecurity::Open,
            psk: None,
            ..personal(WifiSecurity::Open)
        };
        assert_eq!(
            export(&open, name).unwrap_err(),
            WifiError::OpenNetwork {
                ssid: "Office".into()
            }
        );
        assert!(
            export(&open, name)
                .unwrap_err()
                .to_string()
                .contains("no Wi-Fi profile is needed")
        );

        let mut p = personal(WifiSecurity::Wpa2Psk);
        p.ssid = "";
        assert_eq!(export(&p, name).unwrap_err(), WifiError::EmptySsid);
        let long = "x".repeat(33);
        p.ssid = &long;
        assert!(matches!(
            export(&p, name).unwrap_err(),
            WifiError::SsidTooLong { len: 33, .. }
        ));
        let exact = "\u{e9}".repeat(16); // 32 bytes
        p.ssid = &exact;
        assert!(export(&p, name).is_ok());

        for security in [
            WifiSecurity::Wpa2Psk,
            WifiSecurity::Wpa3Sae,
            WifiSecurity::Wpa2Wpa3,
        ] {
            let p = WifiProfile {
                psk: None,
                ..personal(security)
            };
            assert!(matches!(
                export(&p, name).unwrap_err(),
                WifiError::MissingPsk { .. }
            ));
        }
        let short = WifiProfile {
            psk: Some("s3cret!"),
            ..personal(WifiSecurity::Wpa2Psk)
        };
        let err = export(&short, name).unwrap_err();
        assert_eq!(
            err,
            WifiError::PskLength {
                ssid: "Office".into(),
                len: 7
            }
        );
        assert!(!err.to_string().contains("s3cret!"));
        let long_key = "k".repeat(64);
        let long = WifiProfile {
            psk: Some(&long_key),
            ..personal(WifiSecurity::Wpa3Sae)
        };
        assert!(matches!(
            export(&long, name).unwrap_err(),
            WifiError::PskLength { len: 64, .. }
        ));
        let accent = WifiProfile {
            psk: Some("m\u{f6}tleycr\u{fc}e"),
            ..personal(WifiSecurity::Wpa2Psk)
        };
        let err = export(&accent, name).unwrap_err();
        assert!(matches!(err, WifiError::PskCharacter { .. }));
        assert!(!format!("{err} {err:?}").contains("tleycr"));

        for security in [WifiSecurity::Wpa2Enterprise, WifiSecurity::Wpa3Enterprise] {
            let p = WifiProfile {
                enterprise: None,
                ..enterprise(security, EapMethod::Peap)
            };
            assert!(matches!(
                export(&p, name).unwrap_err(),
                WifiError::MissingEnterprise { .. }
            ));
        }
        let mut p = enterprise(WifiSecurity::Wpa2Enterprise, EapMethod::Tls);
        p.enterprise.as_mut().unwrap().private_key = None;
        assert!(matches!(
            export(&p, name).unwrap_err(),
            WifiError::MissingClientCertificate { .. }
        ));
        let mut p = enterprise(WifiSecurity::Wpa2Enterprise, EapMethod::Peap);
        p.enterprise.as_mut().unwrap().identity = " ";
        assert!(matches!(
            export(&p, name).unwrap_err(),
            WifiError::EmptyIdentity { .. }
        ));
        let mut p = enterprise(WifiSecurity::Wpa2Enterprise, EapMethod::Peap);
        p.enterprise.as_mut().unwrap().ca_cert = Some("certs/ca.pem");
        assert!(matches!(
            export(&p, name).unwrap_err(),
            WifiError::RelativePath {
                field: "the CA certificate path",
                ..
            }
        ));
        let mut p = enterprise(WifiSecurity::Wpa2Enterprise, EapMethod::Peap);
        p.enterprise.as_mut().unwrap().identity = "alice\nkey-mgmt=none";
        assert!(matches!(
            export(&p, name).unwrap_err(),
            WifiError::ControlCharacter { .. }
        ));

        let p = personal(WifiSecurity::Wpa2Psk);
        assert_eq!(export(&p, " ").unwrap_err(), WifiError::EmptyConnectionName);
        assert!(matches!(
            export(&p, "a\nb").unwrap_err(),
            WifiError::ControlCharacter { .. }
        ));
    }

    #[test]
    fn debug_output_holds_no_secret() {
        let p = personal(WifiSecurity::Wpa2Psk);
        let x = export(&p, "Office").unwrap();
        let debug = format!("{p:?} {x:?}");
        assert!(!debug.contains(PSK), "{debug}");
        assert!(debug.contains("<redacted>"));
    }

    #[test]
    fn labels() {
        assert_eq!(security_label(WifiSecurity::Wpa3Sae), "WPA3-Personal");
        assert_eq!(security_label(WifiSecurity::Wpa2Wpa3), "WPA2/WPA3-Personal");
        assert_eq!(
            security_label(WifiSecurity::Wpa3Enterprise),
            "WPA3-Enterprise"
        );
    }
}
