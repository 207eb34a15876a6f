//! The policy audit of `netparc check`: every secret an asset uses is measured against
//! ANSSI's password recommendations, and the inventory and rendered configurations are
//! checked for SNMP, Wi-Fi and management-access practices the agency advises against.
//!
//! Sources:
//! - ANSSI, *Recommandations relatives à l'authentification multifacteur et aux mots de
//!   passe*, ANSSI-PA-093, v2.0, October 2021: minimum lengths and the entropy classes
//!   (under 64 bits very weak, 64–80 weak, 80–100 medium, 100 and more strong).
//! - ANSSI, *Recommandations pour la sécurisation des sites web* and *Recommandations de
//!   sécurité relatives aux réseaux Wi-Fi* (ANSSI-PA-013): WPA3 or 802.1X, no open networks.
//! - ANSSI, *Recommandations pour un usage sécurisé d'(Open)SSH* (ANSSI-PA-093 companion,
//!   DAT-NT-007): SSH only for administration, never telnet; no SHA-1 or CBC algorithms
//!   (an asset allowed `ssh.algorithms: legacy` is flagged).
//!
//! Each finding names the asset and the field; severities are overridable per code in
//! `netparc.yml` (`policy.severity`).

use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::intent::{CachedResolver, Intent, secret_fields};
use crate::inventory::{
    Inventory, Selector, SnmpAuthProtocol, SnmpPrivProtocol, SnmpVersion, SshAlgorithms,
    WifiSecurity, vars,
};
use crate::secrets::strength::{SecretClass, Strength, assess};
use crate::ypath;
use std::collections::{BTreeMap, HashSet};

/// Audit the selected assets. `intents` are their rendered configurations (for the rules
/// that look at what a template produces, such as telnet).
pub fn audit(
    inventory: &Inventory,
    selector: &Selector,
    intents: &[Intent],
    secrets: &mut CachedResolver<'_>,
) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    // A weak password set in the defaults would otherwise be reported once per device:
    // report each (reference, place) once, naming the first asset and how many share it.
    let mut secret_findings: BTreeMap<(String, String), (Diagnostic, usize)> = BTreeMap::new();
    let mut assessments: std::collections::HashMap<
        (crate::secrets::SecretRef, SecretClass),
        crate::secrets::Assessment,
    > = std::collections::HashMap::new();
    // `ssh.algorithms: legacy` set on a group: one finding per place, like the secrets.
    let mut legacy_ssh: BTreeMap<(String, String), (Diagnostic, usize)> = BTreeMap::new();
    for asset in inventory
        .assets
        .iter()
        .filter(|a| selector.matches(&a.value))
    {
        let a = &asset.value;
        for field in secret_fields(inventory, asset) {
            let Ok(secret) = secrets.resolve(&field, &a.name) else {
                continue; // unresolvable secrets are reported by the render pass
            };
            // A handful of secrets serve thousands of devices: assess each once.
            let assessment = assessments
                .entry((field.reference.clone(), field.class))
                .or_insert_with(|| assess(secret.expose(), field.class))
                .clone();
            let who = match field.class {
                SecretClass::User => "user",
                SecretClass::Administrator => "administrator or device",
            };
            let mut found = Vec::new();
            if field.field == "snmp.community" && is_default_community(secret.expose()) {
                found.push(
                    Diagnostic::error(
                        "audit.snmp-default-community",
                        format!("the SNMP community behind `{}` is a factory default (public or private)", field.reference),
                    )
                    .hint("every scanner tries public and private first; use SNMPv3, or at least a random community"),
                );
            } else if assessment.known_default {
                found.push(
                    Diagnostic::error(
                        "audit.default-password",
                        format!("`{}` ({}) is a well-known default password", field.field, field.reference),
                    )
                    .hint("replace it with a random secret; defaults are the first thing an attacker tries"),
                );
            }
            if assessment.length < assessment.min_length {
                found.push(
                    Diagnostic::error(
                        "audit.password-too-short",
                        format!(
                            "`{}` ({}) is {} characters long; ANSSI asks at least {} for {who} secrets",
                            field.field, field.reference, assessment.length, assessment.min_length
                        ),
                    )
                    .expected(format!("at least {} characters", assessment.min_length)),
                );
            }
            let strength = match assessment.strength {
                Strength::VeryWeak => Some((
                    "audit.password-very-weak",
                    Severity::Error,
                    "very weak (under 64 bits)",
                )),
                Strength::Weak => Some((
                    "audit.password-weak",
                    Severity::Warning,
                    "weak (64 to 80 bits)",
                )),
                Strength::Medium => Some((
                    "audit.password-medium",
                    Severity::Note,
                    "medium (80 to 100 bits)",
                )),
                Strength::Strong => None,
            };
            if let Some((code, severity, words)) = strength {
                found.push(
                    Diagnostic::new(
                        severity,
                        code,
                        format!(
                            "`{}` ({}) is {words}: about {:.0} bits of entropy",
                            field.field, field.reference, assessment.entropy_bits
                        ),
                    )
                    .expected("100 bits or more (ANSSI's \"strong\" class)")
                    .hint("use a random secret: e.g. 20 characters drawn from letters, digits and symbols"),
                );
            }
            for diagnostic in found {
                let key = (
                    format!(
                        "{}@{}:{}",
                        field.reference,
                        field.origin.file.path.display(),
                        crate::yaml::path_to_string(&field.written_at)
                    ),
                    diagnostic.code.to_string(),
                );
                let entry = secret_findings.entry(key).or_insert_with(|| {
                    (
                        diagnostic
                            .at(field.location())
                            .asset(&a.name)
                            .field(&field.field),
                        0,
                    )
                });
                entry.1 += 1;
            }
        }
        audit_snmp(inventory, asset, &mut diagnostics);
        audit_wifi(inventory, asset, &mut diagnostics);
        if let Some(algorithms) = vars::ssh_algorithms(inventory, asset)
            && *algorithms.value == SshAlgorithms::Legacy
        {
            let location = algorithms.locate(&[]);
            let entry = legacy_ssh
                .entry((String::from("ssh.algorithms"), location.to_string()))
                .or_insert_with(|| {
                    (
                        Diagnostic::warning(
                            "audit.ssh-legacy-algorithms",
                            "SSH may fall back to SHA-1 key exchange and signatures, CBC ciphers and HMAC-SHA1",
                        )
                        .at(location)
                        .asset(&a.name)
                        .field("ssh.algorithms")
                        .hint("for firmware that offers nothing stronger only; upgrade it, then remove the setting"),
                        0,
                    )
                });
            entry.1 += 1;
        }
    }
    secret_findings.extend(legacy_ssh);
    for (_, (mut diagnostic, count)) in secret_findings {
        if count > 1
            && let Some(asset) = &diagnostic.asset
        {
            diagnostic.asset = Some(format!("{asset} and {} more", count - 1));
        }
        diagnostics.push(diagnostic);
    }
    for intent in intents {
        audit_management_access(inventory, intent, &mut diagnostics);
    }
    if let Some(identity) = &inventory.settings.value.secrets.identity {
        let path = inventory.root.join(identity);
        if path.starts_with(&inventory.root)
            && !identity.starts_with('~')
            && !identity.starts_with('/')
        {
            diagnostics.push(
                Diagnostic::warning(
                    "audit.identity-in-inventory",
                    format!("the identity that decrypts the secrets store is kept inside the inventory ({identity})"),
                )
                .at(inventory.settings.origin.locate(&ypath!["secrets", "identity"]))
                .hint("anyone with the inventory can read every secret: acceptable for a demo or lab only; keep real identities in ~/.config/netparc/identity.txt or NETPARC_IDENTITY"),
            );
        }
    }
    diagnostics
}

fn audit_snmp(
    inventory: &Inventory,
    asset: &crate::inventory::Located<crate::inventory::Asset>,
    diagnostics: &mut Diagnostics,
) {
    let Some(snmp) = vars::snmp(inventory, asset) else {
        return;
    };
    let a = &asset.value;
    let profile = snmp.value;
    let required = inventory.site(&a.site).and_then(|s| s.value.policy.snmp);
    if let Some(required) = required
        && profile.version < required
    {
        diagnostics.push(
            Diagnostic::error(
                "audit.snmp-version",
                format!("SNMP {:?} is used where site `{}` requires {:?}", profile.version, a.site, required).to_lowercase(),
            )
            .at(snmp.locate(&ypath!["version"]))
            .asset(&a.name)
            .field("snmp.version")
            .expected("SNMPv3 with authentication and privacy")
            .hint("communities travel in clear text; configure a v3 user with auth sha256 and privacy aes"),
        );
    } else if profile.version != SnmpVersion::V3 {
        diagnostics.push(
            Diagnostic::warning(
                "audit.snmp-cleartext",
                format!(
                    "SNMP {:?} sends its community in clear text",
                    profile.version
                )
                .to_lowercase(),
            )
            .at(snmp.locate(&ypath!["version"]))
            .asset(&a.name)
            .field("snmp.version")
            .hint("prefer SNMPv3 with authentication and privacy"),
        );
    }
    if profile.version == SnmpVersion::V3 {
        if profile.auth == Some(SnmpAuthProtocol::Md5) {
            diagnostics.push(
                Diagnostic::warning("audit.snmp-weak-crypto", "SNMPv3 authentication uses MD5")
                    .at(snmp.locate(&ypath!["auth"]))
                    .asset(&a.name)
                    .field("snmp.auth")
                    .hint("use sha256 or better where the device supports it"),
            );
        }
        if profile.privacy == Some(SnmpPrivProtocol::Des) {
            diagnostics.push(
                Diagnostic::warning("audit.snmp-weak-crypto", "SNMPv3 privacy uses DES")
                    .at(snmp.locate(&ypath!["privacy"]))
                    .asset(&a.name)
                    .field("snmp.privacy")
                    .hint("use aes (128 bits) or better"),
            );
        }
        if profile.auth.is_none() || profile.privacy.is_none() {
            diagnostics.push(
                Diagnostic::error(
                    "audit.snmp-no-privacy",
                    "SNMPv3 is configured without both authentication and privacy",
                )
                .at(snmp.locate(&[]))
                .asset(&a.name)
                .field("snmp")
                .expected("auth and privacy (authPriv)"),
            );
        }
    }
}

/// SNMP's factory communities, which every scanner tries first.
pub fn is_default_community(value: &str) -> bool {
    value.eq_ignore_ascii_case("public") || value.eq_ignore_ascii_case("private")
}

fn audit_wifi(
    inventory: &Inventory,
    asset: &crate::inventory::Located<crate::inventory::Asset>,
    diagnostics: &mut Diagnostics,
) {
    let a = &asset.value;
    let allowed = inventory
        .site(&a.site)
        .map(|s| s.value.policy.wifi.clone())
        .unwrap_or_default();
    for (index, ssid) in a.ssids.iter().enumerate() {
        let at = || asset.origin.locate(&ypath!["ssids", index, "security"]);
        let security = serde_json::to_value(ssid.security)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        if !allowed.is_empty() && !allowed.contains(&ssid.security) {
            let names: Vec<String> = allowed
                .iter()
                .filter_map(|s| {
                    serde_json::to_value(s)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                })
                .collect();
            diagnostics.push(
                Diagnostic::error(
                    "audit.wifi-security",
                    format!("SSID `{}` uses {security}, which site `{}` does not allow", ssid.name, a.site),
                )
                .at(at())
                .asset(&a.name)
                .field(format!("ssids[{index}].security"))
                .expected(format!("one of: {}", names.join(", ")))
                .hint("WPA2-PSK keys can be brute-forced offline from one captured handshake; use WPA3-SAE or 802.1X"),
            );
        } else if ssid.security == WifiSecurity::Open {
            diagnostics.push(
                Diagnostic::warning(
                    "audit.wifi-open",
                    format!("SSID `{}` is open (no encryption)", ssid.name),
                )
                .at(at())
                .asset(&a.name)
                .field(format!("ssids[{index}].security")),
            );
        }
        let needs_psk = matches!(
            ssid.security,
            WifiSecurity::Wpa2Psk | WifiSecurity::Wpa3Sae | WifiSecurity::Wpa2Wpa3
        );
        if needs_psk && ssid.psk.is_none() {
            diagnostics.push(
                Diagnostic::error(
                    "audit.wifi-missing-psk",
                    format!("SSID `{}` uses {security} but has no psk", ssid.name),
                )
                .at(asset.origin.locate(&ypath!["ssids", index]))
                .asset(&a.name)
                .field(format!("ssids[{index}].psk")),
            );
        }
    }
}

/// Lines of a rendered IOS-style configuration that open management access to telnet.
fn telnet_lines(text: &str) -> Vec<(usize, &str)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| {
            let line = line.trim();
            line.starts_with("transport input")
                && (line.contains("telnet") || line.ends_with(" all"))
                || line == "ip telnet server"
                || line.starts_with("telnet server enable")
        })
        .map(|(index, line)| (index + 1, line.trim()))
        .collect()
}

fn audit_management_access(inventory: &Inventory, intent: &Intent, diagnostics: &mut Diagnostics) {
    let mut seen = HashSet::new();
    for (line, text) in telnet_lines(&intent.text) {
        if !seen.insert(text) {
            continue;
        }
        let template = inventory.templates_dir().join(&intent.template);
        diagnostics.push(
            Diagnostic::error(
                "audit.telnet-enabled",
                format!("template `{}` enables telnet for `{}`: `{text}` (line {line} of the rendered configuration)", intent.template, intent.asset),
            )
            .at(crate::diag::SourceLocation::file(template))
            .asset(&intent.asset)
            .expected("`transport input ssh` only")
            .hint("telnet sends passwords in clear text; ANSSI recommends SSH for every administration flow"),
        );
    }
}

/// Apply the inventory's severity overrides (`policy.severity`) to audit findings; an
/// unknown severity word is itself reported.
pub fn apply_policy(inventory: &Inventory, diagnostics: &mut Diagnostics) {
    let mut overrides = Vec::new();
    for (code, word) in &inventory.settings.value.policy.severity {
        match word.parse::<Severity>() {
            Ok(severity) => overrides.push((code.clone(), severity)),
            Err(error) => diagnostics.push(
                Diagnostic::error("inventory.bad-severity", error).at(inventory
                    .settings
                    .origin
                    .locate(&ypath!["policy", "severity", code.as_str()])),
            ),
        }
    }
    for diagnostic in &mut diagnostics.0 {
        if let Some((_, severity)) = overrides.iter().find(|(code, _)| code == diagnostic.code) {
            diagnostic.severity = *severity;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telnet_detection() {
        let config =
            "line vty 0 4\n transport input ssh\nline vty 5 15\n transport input telnet ssh\n";
        assert_eq!(
            telnet_lines(config),
            vec![(4, "transport input telnet ssh")]
        );
        assert_eq!(
            telnet_lines("line vty 0 4\n transport input all\n").len(),
            1
        );
        assert!(telnet_lines("transport input ssh\n").is_empty());
    }
}
