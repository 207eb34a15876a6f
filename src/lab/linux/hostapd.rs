//! hostapd's configuration file as the twin validates it: hostapd's own line rules (no
//! trimming, `key=value`, `#` comments only at the start of a line), a generous list of
//! known keys, the value checks that catch real template mistakes (SSID length, WPA
//! passphrase length, a PSK network without a passphrase), and the BSS list whose SSIDs a
//! running access point broadcasts.

/// One BSS (SSID) hostapd serves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bss {
    /// Interface name (`wlan0`, or the `bss=` name of an extra BSS).
    pub ifname: String,
    /// The SSID.
    pub ssid: String,
    /// The `wpa=` bit field (0 open, 2 WPA2…).
    pub wpa: u8,
    /// `wpa_key_mgmt` as written (`WPA-PSK SAE`), when set.
    pub key_mgmt: Option<String>,
    /// A passphrase or PSK is configured.
    pub has_psk: bool,
    /// `ignore_broadcast_ssid` is on.
    pub hidden: bool,
}

/// A configuration hostapd accepted (what it loaded).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostapdConfig {
    /// The radio interface (`interface=`).
    pub interface: String,
    /// `channel=`, when numeric.
    pub channel: Option<u32>,
    /// `hw_mode=`.
    pub hw_mode: Option<String>,
    /// `country_code=`.
    pub country_code: Option<String>,
    /// The primary BSS first, then one per `bss=` line.
    pub bsses: Vec<Bss>,
}

impl HostapdConfig {
    /// Every SSID served, in file order.
    pub fn ssids(&self) -> Vec<String> {
        self.bsses.iter().map(|b| b.ssid.clone()).collect()
    }
}

/// Keys the twin knows by name; families of keys are accepted by prefix below.
const KNOWN_KEYS: &[&str] = &[
    "interface",
    "bridge",
    "vlan_bridge",
    "wds_bridge",
    "driver",
    "ssid",
    "ssid2",
    "utf8_ssid",
    "country_code",
    "country3",
    "ieee80211d",
    "ieee80211h",
    "local_pwr_constraint",
    "spectrum_mgmt_required",
    "hw_mode",
    "channel",
    "chanlist",
    "freqlist",
    "op_class",
    "beacon_int",
    "dtim_period",
    "max_num_sta",
    "rts_threshold",
    "fragm_threshold",
    "supported_rates",
    "basic_rates",
    "preamble",
    "macaddr_acl",
    "accept_mac_file",
    "deny_mac_file",
    "auth_algs",
    "ignore_broadcast_ssid",
    "ap_isolate",
    "bss_load_update_period",
    "uapsd_advertisement_enabled",
    "ieee80211n",
    "ieee80211ac",
    "ieee80211ax",
    "ieee80211be",
    "ieee80211w",
    "ieee8021x",
    "ht_capab",
    "require_ht",
    "require_vht",
    "obss_interval",
    "vht_capab",
    "vht_oper_chwidth",
    "vht_oper_centr_freq_seg0_idx",
    "vht_oper_centr_freq_seg1_idx",
    "ctrl_interface",
    "ctrl_interface_group",
    "logger_syslog",
    "logger_syslog_level",
    "logger_stdout",
    "logger_stdout_level",
    "dump_file",
    "wpa",
    "wpa_passphrase",
    "wpa_psk",
    "wpa_psk_file",
    "wpa_key_mgmt",
    "wpa_pairwise",
    "rsn_pairwise",
    "rsn_preauth",
    "rsn_preauth_interfaces",
    "wpa_group_rekey",
    "wpa_strict_rekey",
    "wpa_gmk_rekey",
    "wpa_ptk_rekey",
    "wpa_disable_eapol_key_retries",
    "sae_password",
    "sae_pwe",
    "sae_require_mfp",
    "sae_groups",
    "sae_anti_clogging_threshold",
    "group_mgmt_cipher",
    "beacon_prot",
    "okc",
    "disable_pmksa_caching",
    "eap_server",
    "eap_user_file",
    "eapol_version",
    "eapol_key_index_workaround",
    "eap_reauth_period",
    "own_ip_addr",
    "nas_identifier",
    "radius_client_addr",
    "dynamic_vlan",
    "vlan_file",
    "vlan_tagged_interface",
    "vlan_naming",
    "per_sta_vif",
    "disassoc_low_ack",
    "skip_inactivity_poll",
    "ap_max_inactivity",
    "max_listen_interval",
    "wmm_enabled",
    "multicast_to_unicast",
    "proxy_arp",
    "noscan",
    "bssid",
    "ap_table_max_size",
    "ap_table_expiration_time",
    "track_sta_max_num",
    "track_sta_max_age",
    "no_probe_resp_if_max_sta",
    "mobility_domain",
    "ft_over_ds",
    "ft_psk_generate_local",
    "pmk_r1_push",
    "reassociation_deadline",
    "r0_key_lifetime",
    "r1_key_holder",
    "interworking",
    "access_network_type",
    "internet",
    "venue_group",
    "venue_type",
    "hessid",
    "time_advertisement",
    "time_zone",
    "wnm_sleep_mode",
    "bss_transition",
    "rrm_neighbor_report",
    "rrm_beacon_report",
    "use_driver_iface_addr",
    "owe_transition_ifname",
    "owe_groups",
    "multi_ap",
    "airtime_mode",
    "tx_queue_data2_burst",
];

/// Families of keys accepted by prefix (per-AC WMM parameters, HE/EHT options, RADIUS…).
const KNOWN_PREFIXES: &[&str] = &[
    "wmm_ac_",
    "tx_queue_",
    "he_",
    "eht_",
    "vht_",
    "ht_",
    "auth_server_",
    "acct_server_",
    "radius_",
    "wps_",
    "ieee80211",
    "r0kh",
    "r1kh",
    "acs_",
    "fils_",
    "owe_",
    "sae_",
    "ft_",
    "wpa_",
    "rsn_",
    "eap_",
    "eapol_",
    "hs20",
    "anqp_",
    "roaming_consortium",
    "domain_name",
    "nai_realm",
    "venue_",
    "vendor_elements",
    "assocresp_elements",
    "multi_ap_",
    "mbo",
    "oce",
];

const KEY_MGMT: &[&str] = &[
    "WPA-PSK",
    "WPA-EAP",
    "WPA-PSK-SHA256",
    "WPA-EAP-SHA256",
    "SAE",
    "SAE-EXT-KEY",
    "FT-PSK",
    "FT-EAP",
    "FT-EAP-SHA384",
    "FT-SAE",
    "FT-SAE-EXT-KEY",
    "WPA-EAP-SUITE-B",
    "WPA-EAP-SUITE-B-192",
    "OWE",
    "DPP",
    "OSEN",
    "FILS-SHA256",
    "FILS-SHA384",
    "FT-FILS-SHA256",
    "FT-FILS-SHA384",
];

const CIPHERS: &[&str] = &["CCMP", "TKIP", "GCMP", "GCMP-256", "CCMP-256"];

fn known_key(key: &str) -> bool {
    KNOWN_KEYS.contains(&key) || KNOWN_PREFIXES.iter().any(|p| key.starts_with(p))
}

/// Parse hostapd's `ssid2=` forms: `"text"`, `P"printf-escaped"` or hex.
fn parse_ssid2(value: &str) -> Option<String> {
    if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        return Some(inner.to_string());
    }
    if let Some(inner) = value.strip_prefix("P\"").and_then(|v| v.strip_suffix('"')) {
        return Some(inner.replace("\\\"", "\"").replace("\\\\", "\\"));
    }
    if !value.len().is_multiple_of(2) || value.is_empty() {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..value.len())
        .step_by(2)
        .map(|i| {
            value
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    String::from_utf8(bytes?).ok()
}

/// Validate and load a hostapd configuration. On failure, the messages hostapd logs, the
/// last being `N errors found in configuration file 'PATH'`.
pub fn parse(text: &str, path: &str) -> Result<HostapdConfig, Vec<String>> {
    let mut conf = HostapdConfig::default();
    let mut errors: Vec<String> = Vec::new();
    let mut error_count = 0usize;
    // The primary BSS exists from the start; `bss=` lines open the others.
    conf.bsses.push(Bss::default());
    let mut ieee80211d = false;
    for (index, raw) in text.split('\n').enumerate() {
        let line_no = index + 1;
        if raw.starts_with('#') || raw.is_empty() {
            continue;
        }
        let Some((key, value)) = raw.split_once('=') else {
            errors.push(format!("Line {line_no}: invalid line '{raw}'"));
            error_count += 1;
            continue;
        };
        let mut fail = |msg: String| {
            errors.push(msg);
            error_count += 1;
        };
        let bss_index = conf.bsses.len() - 1;
        match key {
            "interface" => {
                if value.len() >= 16 {
                    fail(format!("Line {line_no}: invalid interface name '{value}'"));
                } else {
                    conf.interface = value.to_string();
                    conf.bsses[0].ifname = value.to_string();
                }
            }
            "bss" => conf.bsses.push(Bss {
                ifname: value.to_string(),
                ..Bss::default()
            }),
            "ssid" => {
                if value.is_empty() || value.len() > 32 {
                    fail(format!("Line {line_no}: invalid SSID '{value}'"));
                } else {
                    conf.bsses[bss_index].ssid = value.to_string();
                }
            }
            "ssid2" => match parse_ssid2(value) {
                Some(ssid) if !ssid.is_empty() && ssid.len() <= 32 => {
                    conf.bsses[bss_index].ssid = ssid;
                }
                _ => fail(format!("Line {line_no}: invalid SSID '{value}'")),
            },
            "wpa" => match value.parse::<u8>() {
                Ok(v) if v <= 3 => conf.bsses[bss_index].wpa = v,
                _ => fail(format!("Line {line_no}: invalid wpa '{value}'")),
            },
            "wpa_passphrase" => {
                let len = value.len();
                if !(8..=63).contains(&len) {
                    fail(format!(
                        "Line {line_no}: invalid WPA passphrase length {len} (expected 8..63)"
                    ));
                } else {
                    conf.bsses[bss_index].has_psk = true;
                }
            }
            "wpa_psk" => {
                if value.len() == 64 && value.chars().all(|c| c.is_ascii_hexdigit()) {
                    conf.bsses[bss_index].has_psk = true;
                } else {
                    fail(format!("Line {line_no}: Invalid PSK '{value}'."));
                }
            }
            "sae_password" => conf.bsses[bss_index].has_psk = true,
            "wpa_key_mgmt" => {
                let bad: Vec<&str> = value
                    .split_whitespace()
                    .filter(|k| !KEY_MGMT.contains(k))
                    .collect();
                if value.split_whitespace().next().is_none() || !bad.is_empty() {
                    fail(format!("Line {line_no}: invalid key_mgmt '{value}'"));
                } else {
                    conf.bsses[bss_index].key_mgmt = Some(value.to_string());
                }
            }
            "wpa_pairwise" | "rsn_pairwise" => {
                if value.split_whitespace().next().is_none()
                    || value.split_whitespace().any(|c| !CIPHERS.contains(&c))
                {
                    fail(format!("Line {line_no}: invalid cipher '{value}'"));
                }
            }
            "hw_mode" => {
                if matches!(value, "a" | "b" | "g" | "ad" | "any") {
                    conf.hw_mode = Some(value.to_string());
                } else {
                    fail(format!("Line {line_no}: unknown hw_mode '{value}'"));
                }
            }
            "channel" => match value.parse::<u32>() {
                // Wi-Fi channel numbers stop at 233 (6 GHz); anything above is a typo.
                Ok(c) if c <= 233 => conf.channel = Some(c),
                Err(_) if value == "acs_survey" || value == "acs" => conf.channel = Some(0),
                _ => fail(format!("Line {line_no}: invalid channel '{value}'")),
            },
            "country_code" => {
                if value.len() == 2 && value.chars().all(|c| c.is_ascii_uppercase()) {
                    conf.country_code = Some(value.to_string());
                } else {
                    fail(format!("Line {line_no}: invalid country_code '{value}'"));
                }
            }
            "ieee80211d" => ieee80211d = value == "1",
            "ignore_broadcast_ssid" => conf.bsses[bss_index].hidden = value != "0",
            "ieee80211w" => {
                if !matches!(value, "0" | "1" | "2") {
                    fail(format!("Line {line_no}: invalid ieee80211w '{value}'"));
                }
            }
            _ if known_key(key) => {}
            _ => fail(format!(
                "Line {line_no}: unknown configuration item '{key}'"
            )),
        }
    }
    if conf.interface.is_empty() {
        errors.push("No interface configured (interface=)".into());
        error_count += 1;
    }
    if ieee80211d && conf.country_code.is_none() {
        errors.push("Cannot enable IEEE 802.11d without setting the country_code".into());
        error_count += 1;
    }
    for bss in &conf.bsses {
        if bss.ssid.is_empty() {
            let name = if bss.ifname.is_empty() {
                "(none)"
            } else {
                &bss.ifname
            };
            errors.push(format!("No SSID configured for interface '{name}'"));
            error_count += 1;
        }
        let psk_mgmt = bss.key_mgmt.as_deref().is_none_or(|m| {
            m.split_whitespace()
                .any(|k| k.contains("PSK") || k.contains("SAE"))
        });
        if bss.wpa != 0 && psk_mgmt && !bss.has_psk {
            errors.push("WPA-PSK enabled, but PSK or passphrase is not configured.".into());
            error_count += 1;
        }
    }
    if error_count > 0 {
        errors.push(format!(
            "{error_count} errors found in configuration file '{path}'"
        ));
        return Err(errors);
    }
    Ok(conf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_ssids_of_every_bss() {
        let conf = parse(
            "interface=wlan0\ndriver=nl80211\nssid=Staff\nhw_mode=g\nchannel=6\nwpa=2\nwpa_passphrase=correct horse\nwpa_key_mgmt=WPA-PSK\nrsn_pairwise=CCMP\nbss=wlan0_1\nssid2=\"Guest\"\n",
            "/etc/hostapd/hostapd.conf",
        )
        .unwrap();
        assert_eq!(conf.ssids(), vec!["Staff", "Guest"]);
        assert_eq!(conf.channel, Some(6));
    }

    #[test]
    fn reports_every_error_then_the_count() {
        let errors = parse(
            "interface=wlan0\nssid = Staff\ngarbage\nwpa=2\nwpa_passphrase=short\n",
            "/etc/hostapd/hostapd.conf",
        )
        .unwrap_err();
        assert_eq!(
            errors,
            vec![
                "Line 2: unknown configuration item 'ssid '",
                "Line 3: invalid line 'garbage'",
                "Line 5: invalid WPA passphrase length 5 (expected 8..63)",
                "No SSID configured for interface 'wlan0'",
                "WPA-PSK enabled, but PSK or passphrase is not configured.",
                "5 errors found in configuration file '/etc/hostapd/hostapd.conf'",
            ]
        );
    }
}
