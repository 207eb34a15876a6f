//! The handover sheet: what the user receives when the technician closes the onboarding
//! ticket. Their address, how to join each Wi-Fi network and the VPN from the files the
//! technician left on the workstation, who to call, and the sign-off lines. Written for a
//! non-technical reader, in Markdown and as a self-contained printable HTML page.
//!
//! Pure: no I/O. The sheet is built once as a small list of blocks, then rendered twice, so
//! the two forms always say the same thing.
//!
//! Architecture invariant: the sheet never holds a secret. Its inputs carry file names and
//! identities only (no pre-shared key, no private key, no QR code image); Wi-Fi keys are
//! given to the user in person.

use std::fmt::Write as _;

/// Everything the sheet says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoverSheet {
    /// Name of the new workstation (its inventory name).
    pub workstation: String,
    /// The user it was set up for.
    pub user: String,
    /// The site's display name.
    pub site: String,
    /// Handover date, `YYYY-MM-DD`.
    pub date: String,
    /// Who set the workstation up.
    pub technician: Option<String>,
    /// Change or request ticket, quoted when calling support.
    pub ticket: Option<String>,
    /// The wired connection, when the workstation has one.
    pub wired: Option<Wired>,
    /// One section per Wi-Fi network the user may join.
    pub wifi: Vec<WifiSection>,
    /// The VPN profile, when one was issued.
    pub vpn: Option<VpnSection>,
    /// Who to call.
    pub support: Option<Support>,
}

/// The workstation's wired connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wired {
    /// IPv4 or IPv6 address.
    pub address: String,
    /// Prefix length of its subnet.
    pub prefix_len: u8,
    /// Default gateway.
    pub gateway: Option<String>,
    /// DNS servers, in order.
    pub dns: Vec<String>,
    /// DNS search domain.
    pub domain: Option<String>,
    /// VLAN name from the plan.
    pub vlan: String,
    /// Switch the workstation is plugged into.
    pub switch: Option<String>,
    /// Switch port (or wall socket label).
    pub port: Option<String>,
    /// MAC address of the workstation's network card.
    pub mac: String,
    /// The address is reserved in DHCP (nothing to type) rather than set by hand.
    pub dhcp_reserved: bool,
}

/// One Wi-Fi network and the profile files made for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WifiSection {
    /// Network name.
    pub ssid: String,
    /// Human label of its security, e.g. "WPA3-Personal" (see `wifi::security_label`).
    pub security: String,
    /// The network is hidden: it must be added by name.
    pub hidden: bool,
    /// File name of the Windows WLAN profile XML, if one was made.
    pub windows_profile: Option<String>,
    /// File name of the NetworkManager keyfile, if one was made.
    pub networkmanager_profile: Option<String>,
    /// File name of the wpa_supplicant block, if one was made.
    pub wpa_supplicant_profile: Option<String>,
    /// The user name to sign in with, for an enterprise (802.1X) network; `None` for a
    /// network joined with a key.
    pub enterprise_identity: Option<String>,
    /// Name of the RADIUS server's certificate, shown so the user can check it (and type it
    /// as the "domain" phones ask for).
    pub enterprise_server: Option<String>,
}

/// Which VPN client the user needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VpnKind {
    /// WireGuard app: a `.conf` tunnel file or a QR code.
    WireGuard,
    /// OpenVPN Connect: an `.ovpn` profile.
    OpenVpn,
}

impl VpnKind {
    fn label(self) -> &'static str {
        match self {
            VpnKind::WireGuard => "WireGuard",
            VpnKind::OpenVpn => "OpenVPN",
        }
    }
}

/// The user's VPN profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpnSection {
    /// Which client to install.
    pub kind: VpnKind,
    /// Name of the VPN gateway (inventory name or a friendly name).
    pub gateway: String,
    /// Address and port the client connects to.
    pub endpoint: String,
    /// The workstation's address inside the tunnel.
    pub tunnel_address: String,
    /// File name of the profile left on the workstation.
    pub config_file: String,
    /// File name of the QR code picture (WireGuard, for a phone); shown by the technician,
    /// never printed on the sheet.
    pub qr_png: Option<String>,
}

/// Who to call when something does not work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Support {
    /// Team or person.
    pub name: String,
    /// Phone number.
    pub phone: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Opening hours.
    pub hours: Option<String>,
}

/// The sheet as Markdown.
pub fn markdown(sheet: &HandoverSheet) -> String {
    let mut out = String::new();
    for block in blocks(sheet) {
        match block {
            Block::Title(text) => {
                let _ = writeln!(out, "# {}\n", md_text(&text));
            }
            Block::Section(text) => {
                let _ = writeln!(out, "## {}\n", md_text(&text));
            }
            Block::Subsection(text) => {
                let _ = writeln!(out, "### {}\n", md_text(&text));
            }
            Block::Para(inlines) => {
                let _ = writeln!(out, "{}\n", md_inlines(&inlines));
            }
            Block::Table(rows) => {
                out.push_str("| | |\n|---|---|\n");
                for (label, value) in rows {
                    let _ = writeln!(out, "| {} | {} |", md_text(label), md_text(&value));
                }
                out.push('\n');
            }
            Block::Steps(items) => {
                for (i, item) in items.iter().enumerate() {
                    let _ = writeln!(out, "{}. {}", i + 1, md_inlines(item));
                }
                out.push('\n');
            }
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// The sheet as one self-contained printable HTML page (inline CSS, no script, no image).
pub fn html(sheet: &HandoverSheet) -> String {
    let mut out =
        String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(
        out,
        "<title>Network handover: {}</title>",
        html_escape(&sheet.workstation)
    );
    out.push_str(concat!(
        "<style>\n",
        "body{font-family:system-ui,-apple-system,\"Segoe UI\",sans-serif;max-width:48em;",
        "margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\n",
        "h1{font-size:1.6em;margin-bottom:0.3em}\n",
        "h2{font-size:1.25em;border-bottom:2px solid #444;margin-top:1.6em}\n",
        "h3{font-size:1.05em;margin-top:1.2em}\n",
        "table{border-collapse:collapse;margin:0.5em 0 1em}\n",
        "td{border:1px solid #bbb;padding:0.25em 0.6em;vertical-align:top}\n",
        "td:first-child{font-weight:600;background:#f3f3f3;white-space:nowrap}\n",
        "code{font-family:ui-monospace,Consolas,monospace;background:#f3f3f3;padding:0 0.2em;",
        "word-break:break-all}\n",
        "ol{padding-left:1.6em}li{margin:0.2em 0}\n",
        "@media print{body{margin:0;max-width:none}h2,h3{break-after:avoid}",
        "table,ol{break-inside:avoid}}\n",
        "</style>\n</head>\n<body>\n",
    ));
    for block in blocks(sheet) {
        match block {
            Block::Title(text) => {
                let _ = writeln!(out, "<h1>{}</h1>", html_escape(&text));
            }
            Block::Section(text) => {
                let _ = writeln!(out, "<h2>{}</h2>", html_escape(&text));
            }
            Block::Subsection(text) => {
                let _ = writeln!(out, "<h3>{}</h3>", html_escape(&text));
            }
            Block::Para(inlines) => {
                let _ = writeln!(out, "<p>{}</p>", html_inlines(&inlines));
            }
            Block::Table(rows) => {
                out.push_str("<table>\n");
                for (label, value) in rows {
                    let _ = writeln!(
                        out,
                        "<tr><td>{}</td><td>{}</td></tr>",
                        html_escape(label),
                        html_escape(&value)
                    );
                }
                out.push_str("</table>\n");
            }
            Block::Steps(items) => {
                out.push_str("<ol>\n");
                for item in &items {
                    let _ = writeln!(out, "<li>{}</li>", html_inlines(item));
                }
                out.push_str("</ol>\n");
            }
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

// ---------------------------------------------------------------------------------------
// Content, shared by both renderers

enum Block {
    Title(String),
    Section(String),
    Subsection(String),
    Para(Vec<Inline>),
    /// Label and value rows.
    Table(Vec<(&'static str, String)>),
    /// An ordered list of steps.
    Steps(Vec<Vec<Inline>>),
}

enum Inline {
    Text(String),
    Strong(String),
    /// Something to type or a file name, shown verbatim.
    Code(String),
}

fn t(text: impl Into<String>) -> Inline {
    Inline::Text(text.into())
}

fn b(text: impl Into<String>) -> Inline {
    Inline::Strong(text.into())
}

fn c(text: impl Into<String>) -> Inline {
    Inline::Code(text.into())
}

/// A value put between double quotes in a command line (quotes inside are dropped, as no
/// file name of ours holds one).
fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('"', ""))
}

fn blocks(sheet: &HandoverSheet) -> Vec<Block> {
    let mut out = vec![
        Block::Title(format!("Network handover: {}", sheet.workstation)),
        Block::Para(vec![
            t("Your workstation "),
            b(&sheet.workstation),
            t(
                " is connected and ready. This sheet tells you how it reaches the network \
               and who to call. It holds no password and no key: keep it with your \
               workstation.",
            ),
        ]),
    ];
    let mut who = vec![
        ("User", sheet.user.clone()),
        ("Workstation", sheet.workstation.clone()),
        ("Site", sheet.site.clone()),
        ("Date", sheet.date.clone()),
    ];
    if let Some(technician) = &sheet.technician {
        who.push(("Technician", technician.clone()));
    }
    if let Some(ticket) = &sheet.ticket {
        who.push(("Ticket", ticket.clone()));
    }
    out.push(Block::Table(who));

    if let Some(wired) = &sheet.wired {
        wired_blocks(&mut out, wired);
    }
    if !sheet.wifi.is_empty() {
        out.push(Block::Section("Wi-Fi".into()));
        out.push(Block::Para(vec![t(
            "The technician left the files named below on your workstation. Wi-Fi keys are \
             never written on this sheet: the technician gives them to you in person.",
        )]));
        for wifi in &sheet.wifi {
            wifi_blocks(&mut out, wifi);
        }
    }
    if let Some(vpn) = &sheet.vpn {
        vpn_blocks(&mut out, vpn);
    }
    if let Some(support) = &sheet.support {
        support_blocks(&mut out, sheet, support);
    }

    out.push(Block::Section("Sign-off".into()));
    let dots = "..............................";
    let technician = sheet.technician.as_deref().unwrap_or(dots);
    out.push(Block::Para(vec![
        t("Handed over by: "),
        t(technician),
        t(format!("   Date: {}   Signature: {dots}", sheet.date)),
    ]));
    out.push(Block::Para(vec![
        t("Received by: "),
        t(&sheet.user),
        t(format!("   Date: {}   Signature: {dots}", sheet.date)),
    ]));
    out
}

fn wired_blocks(out: &mut Vec<Block>, wired: &Wired) {
    out.push(Block::Section("Your network connection".into()));
    out.push(Block::Para(vec![if wired.dhcp_reserved {
        t(
            "Your workstation receives these settings automatically when its cable is \
           plugged in (they are reserved for it): there is nothing to type.",
        )
    } else {
        t(
            "The technician entered these settings on your workstation: please do not \
           change them.",
        )
    }]));
    let mut rows = vec![("Address", format!("{}/{}", wired.address, wired.prefix_len))];
    if let Some(gateway) = &wired.gateway {
        rows.push(("Gateway", gateway.clone()));
    }
    if !wired.dns.is_empty() {
        rows.push(("DNS servers", wired.dns.join(", ")));
    }
    if let Some(domain) = &wired.domain {
        rows.push(("DNS domain", domain.clone()));
    }
    rows.push(("Network (VLAN)", wired.vlan.clone()));
    match (&wired.switch, &wired.port) {
        (Some(switch), Some(port)) => rows.push(("Plugged into", format!("{switch}, port {port}"))),
        (Some(switch), None) => rows.push(("Plugged into", switch.clone())),
        (None, Some(port)) => rows.push(("Plugged into", format!("port {port}"))),
        (None, None) => {}
    }
    rows.push(("Network card (MAC)", wired.mac.clone()));
    out.push(Block::Table(rows));
    out.push(Block::Para(vec![t(
        "If the network stops working, check that the cable is firmly plugged in at both \
         ends and restart the workstation before calling.",
    )]));
}

fn wifi_blocks(out: &mut Vec<Block>, wifi: &WifiSection) {
    out.push(Block::Subsection(format!(
        "{} ({})",
        wifi.ssid, wifi.security
    )));
    if wifi.hidden {
        out.push(Block::Para(vec![t(
            "This network is hidden: it does not appear in the list of networks, you add it \
             by its name.",
        )]));
    }
    let sign_in = |device: &str| -> Vec<Inline> {
        match &wifi.enterprise_identity {
            Some(identity) => vec![
                t(format!(
                    "{device} asks for your user name and password the first time: user name "
                )),
                c(identity),
                t(", and your usual password."),
            ],
            None => vec![t(format!(
                "{device} connects on its own whenever the network is in range."
            ))],
        }
    };

    if let Some(file) = &wifi.windows_profile {
        out.push(Block::Para(vec![b("On Windows")]));
        out.push(Block::Steps(vec![
            vec![t("Open the folder that holds "), c(file), t(".")],
            vec![
                t("Click the folder's address bar, type "),
                c("cmd"),
                t(" and press Enter."),
            ],
            vec![
                t("Type "),
                c(format!(
                    "netsh wlan add profile filename={} user=current",
                    quoted(file)
                )),
                t(" and press Enter."),
            ],
            sign_in("Windows"),
        ]));
    }
    if let Some(file) = &wifi.networkmanager_profile {
        out.push(Block::Para(vec![b("On Linux")]));
        out.push(Block::Steps(vec![
            vec![t("Open a terminal in the folder that holds "), c(file), t(".")],
            vec![
                t("Type "),
                c(format!(
                    "sudo install -m 600 -o root -g root {} /etc/NetworkManager/system-connections/",
                    quoted(file)
                )),
                t(" and press Enter (the file must stay readable by the administrator only)."),
            ],
            vec![t("Type "), c("sudo nmcli connection reload"), t(" and press Enter.")],
            sign_in("The workstation"),
        ]));
    }
    if let Some(file) = &wifi.wpa_supplicant_profile {
        out.push(Block::Para(vec![
            b("On Linux without NetworkManager"),
            t(": add the block in "),
            c(file),
            t(" to "),
            c("/etc/wpa_supplicant/wpa_supplicant.conf"),
            t(" (readable by the administrator only), then restart wpa_supplicant."),
        ]));
    }

    out.push(Block::Para(vec![b("On a phone or tablet")]));
    let mut steps = vec![vec![t("Open Settings, then Wi-Fi.")]];
    if wifi.hidden {
        steps.push(vec![
            t("Choose Add network (Other… on an iPhone), type the name "),
            b(&wifi.ssid),
            t(" exactly, and choose the security "),
            b(&wifi.security),
            t("."),
        ]);
    } else {
        steps.push(vec![t("Choose "), b(&wifi.ssid), t(".")]);
    }
    match &wifi.enterprise_identity {
        Some(identity) => {
            steps.push(vec![
                t("Sign in with your user name "),
                c(identity),
                t(" and your usual password."),
            ]);
            if let Some(server) = &wifi.enterprise_server {
                steps.push(vec![
                    t("If asked for a domain, type "),
                    c(server),
                    t(". If the phone asks you to trust a certificate whose name is not "),
                    c(server),
                    t(", stop and call support."),
                ]);
            } else {
                steps.push(vec![t(
                    "If the phone asks you to trust a certificate, stop and call support.",
                )]);
            }
        }
        None => steps.push(vec![t(
            "Type the Wi-Fi key the technician gave you in person. Never write it down or \
             share it.",
        )]),
    }
    out.push(Block::Steps(steps));
}

fn vpn_blocks(out: &mut Vec<Block>, vpn: &VpnSection) {
    out.push(Block::Section("VPN (working away from the office)".into()));
    out.push(Block::Para(vec![t(
        "The VPN connects you to the company network from anywhere. Switch it on only when \
         you are away from the office.",
    )]));
    out.push(Block::Table(vec![
        ("VPN type", vpn.kind.label().to_string()),
        ("Gateway", vpn.gateway.clone()),
        ("Server address", vpn.endpoint.clone()),
        ("Your VPN address", vpn.tunnel_address.clone()),
        ("Profile file", vpn.config_file.clone()),
    ]));
    match vpn.kind {
        VpnKind::WireGuard => {
            out.push(Block::Para(vec![b("On your workstation")]));
            out.push(Block::Steps(vec![
                vec![
                    t("Install WireGuard (from "),
                    c("https://www.wireguard.com/install/"),
                    t(" or your app store)."),
                ],
                vec![
                    t("Open WireGuard, choose Import tunnel(s) from file and pick "),
                    c(&vpn.config_file),
                    t("."),
                ],
                vec![t("Click Activate to connect and Deactivate to disconnect.")],
            ]));
            if let Some(qr) = &vpn.qr_png {
                out.push(Block::Para(vec![b("On a phone")]));
                out.push(Block::Steps(vec![
                    vec![t("Install the WireGuard app from your app store.")],
                    vec![
                        t(
                            "Tap +, then Scan from QR code, and scan the code the technician \
                           shows you (",
                        ),
                        c(qr),
                        t(")."),
                    ],
                    vec![t("Give the tunnel a name, then switch it on to connect.")],
                ]));
            }
        }
        VpnKind::OpenVpn => {
            out.push(Block::Steps(vec![
                vec![
                    t("Install OpenVPN Connect (from "),
                    c("https://openvpn.net/client/"),
                    t(" or your app store)."),
                ],
                vec![
                    t("Open it, choose Import Profile, then File, and pick "),
                    c(&vpn.config_file),
                    t("."),
                ],
                vec![t("Choose Add, then switch the profile on to connect.")],
            ]));
        }
    }
    out.push(Block::Para(vec![t(
        "The VPN profile holds your personal key: keep it on this workstation, never e-mail \
         or share it, and call support at once if the workstation is lost or stolen.",
    )]));
}

fn support_blocks(out: &mut Vec<Block>, sheet: &HandoverSheet, support: &Support) {
    out.push(Block::Section("Who to call".into()));
    let mut rows = vec![("Support", support.name.clone())];
    if let Some(phone) = &support.phone {
        rows.push(("Phone", phone.clone()));
    }
    if let Some(email) = &support.email {
        rows.push(("E-mail", email.clone()));
    }
    if let Some(hours) = &support.hours {
        rows.push(("Hours", hours.clone()));
    }
    out.push(Block::Table(rows));
    let mut quote = vec![
        t("When you call, give the name of your workstation, "),
        b(&sheet.workstation),
    ];
    if let Some(ticket) = &sheet.ticket {
        quote.push(t(", and the ticket "));
        quote.push(b(ticket));
    }
    quote.push(t("."));
    out.push(Block::Para(quote));
}

// ---------------------------------------------------------------------------------------
// Escaping

/// Markdown text with every character that could start markup backslash-escaped, and line
/// breaks folded (a value never breaks a table row or a paragraph).
fn md_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' | '&' | '!' => {
                out.push('\\');
                out.push(ch);
            }
            ch if ch.is_control() => out.push(' '),
            ch => out.push(ch),
        }
    }
    out
}

/// A Markdown code span: delimited by one backtick more than the longest run inside.
fn md_code(text: &str) -> String {
    let text: String = text
        .chars()
        .map(|ch| if ch.is_control() { ' ' } else { ch })
        .collect();
    let mut longest = 0;
    let mut run = 0;
    for ch in text.chars() {
        run = if ch == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

fn md_inlines(inlines: &[Inline]) -> String {
    inlines
        .iter()
        .map(|inline| match inline {
            Inline::Text(text) => md_text(text),
            Inline::Strong(text) => format!("**{}**", md_text(text)),
            Inline::Code(text) => md_code(text),
        })
        .collect()
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            ch => out.push(ch),
        }
    }
    out
}

fn html_inlines(inlines: &[Inline]) -> String {
    inlines
        .iter()
        .map(|inline| match inline {
            Inline::Text(text) => html_escape(text),
            Inline::Strong(text) => format!("<strong>{}</strong>", html_escape(text)),
            Inline::Code(text) => format!("<code>{}</code>", html_escape(text)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> HandoverSheet {
        HandoverSheet {
            workstation: "pc-hq-042".into(),
            user: "Alice Martin".into(),
            site: "Head office".into(),
            date: "2025-03-14".into(),
            technician: None,
            ticket: None,
            wired: None,
            wifi: Vec::new(),
            vpn: None,
            support: None,
        }
    }

    fn full() -> HandoverSheet {
        HandoverSheet {
            technician: Some("Bob Durand".into()),
            ticket: Some("CHG-1234".into()),
            wired: Some(Wired {
                address: "10.10.20.42".into(),
                prefix_len: 24,
                gateway: Some("10.10.20.1".into()),
                dns: vec!["10.10.0.53".into(), "10.10.0.54".into()],
                domain: Some("hq.example.com".into()),
                vlan: "users".into(),
                switch: Some("sw-hq-01".into()),
                port: Some("Gi1/0/12".into()),
                mac: "3c:52:82:aa:bb:cc".into(),
                dhcp_reserved: true,
            }),
            wifi: vec![
                WifiSection {
                    ssid: "Office".into(),
                    security: "WPA3-Personal".into(),
                    hidden: false,
                    windows_profile: Some("Office.xml".into()),
                    networkmanager_profile: Some("Office.nmconnection".into()),
                    wpa_supplicant_profile: Some("Office.wpa.conf".into()),
                    enterprise_identity: None,
                    enterprise_server: None,
                },
                WifiSection {
                    ssid: "Corp".into(),
                    security: "WPA2-Enterprise".into(),
                    hidden: true,
                    windows_profile: Some("Corp.xml".into()),
                    networkmanager_profile: None,
                    wpa_supplicant_profile: None,
                    enterprise_identity: Some("alice.martin".into()),
                    enterprise_server: Some("radius.example.com".into()),
                },
            ],
            vpn: Some(VpnSection {
                kind: VpnKind::WireGuard,
                gateway: "vpn-hq".into(),
                endpoint: "vpn.example.com:51820".into(),
                tunnel_address: "10.99.0.42/32".into(),
                config_file: "pc-hq-042.conf".into(),
                qr_png: Some("pc-hq-042.png".into()),
            }),
            support: Some(Support {
                name: "IT service desk".into(),
                phone: Some("+33 1 23 45 67 89".into()),
                email: Some("support@example.com".into()),
                hours: Some("Mon–Fri 8:00–18:00".into()),
            }),
            ..minimal()
        }
    }

    #[test]
    fn full_sheet_has_every_section() {
        let sheet = full();
        let md = markdown(&sheet);
        for needle in [
            "# Network handover: pc-hq-042",
            "| User | Alice Martin |",
            "| Ticket | CHG-1234 |",
            "## Your network connection",
            "there is nothing to type",
            "| Address | 10.10.20.42/24 |",
            "| DNS servers | 10.10.0.53, 10.10.0.54 |",
            "| Plugged into | sw-hq-01, port Gi1/0/12 |",
            "## Wi-Fi",
            "### Office (WPA3-Personal)",
            "`netsh wlan add profile filename=\"Office.xml\" user=current`",
            "`sudo install -m 600 -o root -g root \"Office.nmconnection\" /etc/NetworkManager/system-connections/`",
            "`sudo nmcli connection reload`",
            "`Office.wpa.conf`",
            "Type the Wi-Fi key the technician gave you in person",
            "### Corp (WPA2-Enterprise)",
            "This network is hidden",
            "user name `alice.martin`",
            "If asked for a domain, type `radius.example.com`",
            "## VPN (working away from the office)",
            "Import tunnel(s) from file and pick `pc-hq-042.conf`",
            "Scan from QR code",
            "`pc-hq-042.png`",
            "## Who to call",
            "| Phone | +33 1 23 45 67 89 |",
            "give the name of your workstation, **pc-hq-042**, and the ticket **CHG-1234**",
            "## Sign-off",
            "Handed over by: Bob Durand",
            "Received by: Alice Martin",
        ] {
            assert!(md.contains(needle), "{needle:?} missing from\n{md}");
        }
        let html = html(&sheet);
        for needle in [
            "<h2>Your network connection</h2>",
            "<tr><td>Address</td><td>10.10.20.42/24</td></tr>",
            "<h3>Office (WPA3-Personal)</h3>",
            "<code>netsh wlan add profile filename=&quot;Office.xml&quot; user=current</code>",
            "<h2>VPN (working away from the office)</h2>",
            "<h2>Who to call</h2>",
            "<h2>Sign-off</h2>",
        ] {
            assert!(html.contains(needle), "{needle:?} missing from\n{html}");
        }
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<style>"));
        assert!(!html.contains("<script") && !html.contains("<img"));
    }

    #[test]
    fn minimal_sheet_leaves_sections_out() {
        let sheet = minimal();
        for text in [markdown(&sheet), html(&sheet)] {
            assert!(text.contains("Alice Martin"));
            assert!(text.contains("Sign-off"));
            for absent in [
                "Your network connection",
                "Wi-Fi",
                "VPN",
                "Who to call",
                "Technician",
                "Ticket",
            ] {
                assert!(!text.contains(absent), "{absent:?} in\n{text}");
            }
        }
        assert!(markdown(&sheet).contains("Handed over by: ......"));
    }

    #[test]
    fn optional_parts_follow_the_fields() {
        let mut sheet = full();
        sheet.wired.as_mut().unwrap().dhcp_reserved = false;
        sheet.wifi.truncate(1);
        sheet.wifi[0].windows_profile = None;
        sheet.wifi[0].wpa_supplicant_profile = None;
        sheet.vpn = Some(VpnSection {
            kind: VpnKind::OpenVpn,
            qr_png: None,
            config_file: "alice.ovpn".into(),
            ..sheet.vpn.clone().unwrap()
        });
        let md = markdown(&sheet);
        assert!(md.contains("please do not change them"));
        assert!(!md.contains("nothing to type"));
        assert!(!md.contains("On Windows") && !md.contains("netsh"));
        assert!(md.contains("On Linux"));
        assert!(!md.contains("without NetworkManager"));
        assert!(md.contains("Install OpenVPN Connect"));
        assert!(md.contains("pick `alice.ovpn`"));
        assert!(!md.contains("WireGuard") && !md.contains("QR"));
    }

    #[test]
    fn html_escapes_hostile_values() {
        let mut sheet = full();
        sheet.user = "<script>alert(1)</script>".into();
        sheet.wifi[0].ssid = "\"><img src=x onerror=alert(1)>".into();
        sheet.wifi[0].windows_profile = Some("a&b<c>.xml".into());
        sheet.support.as_mut().unwrap().name = "O'Brien & <Co>".into();
        let html = html(&sheet);
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
        assert!(html.contains("<code>a&amp;b&lt;c&gt;.xml</code>"));
        assert!(html.contains("O&#39;Brien &amp; &lt;Co&gt;"));
    }

    #[test]
    fn markdown_escapes_table_cells_and_text() {
        let mut sheet = minimal();
        sheet.user = "a|b*c_d".into();
        sheet.site = "HQ | <b>[x](y)</b>".into();
        sheet.ticket = Some("line1\nline2".into());
        let md = markdown(&sheet);
        assert!(md.contains("| User | a\\|b\\*c\\_d |"), "{md}");
        assert!(
            md.contains("| Site | HQ \\| \\<b\\>\\[x\\](y)\\</b\\> |"),
            "{md}"
        );
        assert!(md.contains("| Ticket | line1 line2 |"), "{md}");
        // Every table row still has exactly three unescaped pipes.
        for line in md
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| |"))
        {
            let pipes = line
                .match_indices('|')
                .filter(|(i, _)| !line[..*i].ends_with('\\'))
                .count();
            assert_eq!(pipes, 3, "{line}");
        }
    }

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(md_code("plain"), "`plain`");
        assert_eq!(md_code("a`b"), "``a`b``");
        assert_eq!(md_code("`x`"), "`` `x` ``");
    }

    #[test]
    fn sheet_never_invites_a_secret() {
        let md = markdown(&full());
        assert!(md.contains("holds no password and no key"));
        assert!(md.contains("never written on this sheet"));
        assert!(!md.to_lowercase().contains("psk"));
    }
}
