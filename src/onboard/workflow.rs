//! The onboarding and offboarding procedures, end to end, as library calls (what the CLI,
//! the playbook form and the tests run).
//!
//! Onboarding, under `state/onboarding.lock` so two technicians never get one address:
//! validate ([`super::request`]) → allocate → keys into the secrets store → the asset file
//! (a new file, nothing else rewritten) → DHCP reservations → the switch port and the VPN
//! peer through the playbook engine (backup, push, verify, record; rolled back by the engine
//! on a device failure) → the workstation's own checks (port up by SNMP, ping, peer loaded)
//! → profiles and the handover sheet. Any failure after the first change undoes every step
//! already done, in reverse: devices restored from their backups, the file, the secrets and
//! the DHCP files put back as they were.

use super::request::{self, Placement, Request};
use crate::access::{Access, AccessOptions};
use crate::backup::BackupStore;
use crate::diag::{Diagnostic, Diagnostics};
use crate::driver::Timeouts;
use crate::inventory::load::{Origin, SourceFile};
use crate::inventory::{Asset, Inventory, Located, Selector};
use crate::playbook::engine::{EventSink, RunOptions};
use crate::playbook::report::{RunReport, Status};
use crate::secrets::{Secret, SecretResolver};
use serde::Serialize;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How an onboarding or offboarding runs.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Change nothing: validate, plan and show the device changes.
    pub check: bool,
    /// Against the twin lab.
    pub lab: bool,
    /// Faults to switch on in the lab (`ASSET:FAULT`).
    pub faults: Vec<String>,
    /// Record unknown host keys.
    pub accept_new: bool,
    /// Device timeouts.
    pub timeouts: Timeouts,
    /// Where profiles and the handover sheet go (default `state/handover/<name>/`).
    pub out: Option<PathBuf>,
}

/// How it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done and verified.
    Done,
    /// Check mode: nothing changed.
    Checked,
    /// A step failed after changes began: every change was undone.
    RolledBack,
}

/// One verification of the workstation's connection.
#[derive(Debug, Clone, Serialize)]
pub struct Proof {
    /// What was checked.
    pub check: String,
    /// Passed.
    pub ok: bool,
    /// What was seen.
    pub detail: String,
}

/// What an onboarding or offboarding did.
#[derive(Clone, Serialize)]
pub struct Report {
    /// The workstation.
    pub name: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Why it rolled back.
    pub reason: Option<String>,
    /// Its address (given, or released).
    pub address: Option<IpAddr>,
    /// Its VPN gateway and tunnel address.
    pub vpn: Option<(String, IpAddr)>,
    /// Switch and port.
    pub port: Option<(String, String)>,
    /// The asset file written (or archived).
    pub asset_file: Option<PathBuf>,
    /// Files produced for the user and the DHCP server.
    pub files: Vec<PathBuf>,
    /// The checks after the change.
    pub proofs: Vec<Proof>,
    /// The device run (switch and gateway), when one was needed.
    #[serde(skip)]
    pub run: Option<RunReport>,
    /// The run report's path.
    pub run_report: Option<PathBuf>,
    /// The WireGuard profile's QR code for a terminal (holds the private key: shown once,
    /// never saved in a report).
    #[serde(skip)]
    pub qr_terminal: Option<String>,
}

impl std::fmt::Debug for Report {
    // The terminal QR code encodes the client's private key: never in a Debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Report")
            .field("name", &self.name)
            .field("outcome", &self.outcome)
            .field("reason", &self.reason)
            .field("address", &self.address)
            .field("vpn", &self.vpn)
            .field("port", &self.port)
            .field("files", &self.files)
            .field("proofs", &self.proofs)
            .field("run_report", &self.run_report)
            .finish_non_exhaustive()
    }
}

/// The file a workstation onboarded by netparc lives in.
pub fn asset_path(root: &Path, name: &str) -> PathBuf {
    root.join("assets")
        .join("workstations")
        .join(format!("{name}.yml"))
}

fn failure(code: &'static str, message: impl Into<String>) -> Diagnostics {
    Diagnostics::from(Diagnostic::error(code, message))
}

fn today() -> String {
    crate::inventory::date::Date::today().to_string()
}

/// A YAML scalar for free text: JSON's double-quoted strings are YAML too.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| String::from("\"\""))
}

/// Secret store entry names for a workstation's VPN keys.
fn vault_names(name: &str) -> (String, String) {
    (format!("vpn/clients/{name}"), format!("vpn/psk/{name}"))
}

/// A workstation's new VPN credentials, made on this machine.
enum VpnKeys {
    /// A WireGuard key pair and the pre-shared key.
    WireGuard(super::wgkeys::WgKeyPair, Secret),
    /// An OpenVPN client certificate issued by the gateway's CA, with its key.
    OpenVpn(Box<OpenVpnClient>),
}

/// An OpenVPN client certificate and what its gateway's profile and CRL need.
struct OpenVpnClient {
    /// The certificate and its key.
    issued: crate::pki::Issued,
    /// The gateway's CA.
    ca: OpenVpnCa,
    /// The CRL to write first when the inventory has none yet (path, PEM).
    crl: Option<(PathBuf, String)>,
}

/// An OpenVPN gateway's CA, read and checked before anything changes.
struct OpenVpnCa {
    /// The CA certificate, PEM.
    cert_pem: String,
    /// The CA key.
    key: Secret,
    /// The CRL file (absolute) and its text when it exists.
    crl_path: PathBuf,
    crl_pem: Option<String>,
}

impl VpnKeys {
    /// The vault entries this onboarding adds: (name, value).
    fn vault_entries(&self, name: &str) -> Vec<(String, Secret)> {
        let (private, shared) = vault_names(name);
        match self {
            VpnKeys::WireGuard(pair, psk) => {
                vec![(private, pair.private_key().clone()), (shared, psk.clone())]
            }
            VpnKeys::OpenVpn(client) => vec![(private, client.issued.key_pem.clone())],
        }
    }
}

/// The CA of OpenVPN gateway `gateway`: its gateway's configuration checked as `netparc
/// check` does, the certificate read and the key resolved. Anything missing refuses the
/// onboarding or offboarding before any change.
fn openvpn_ca(
    inventory: &Inventory,
    gateway: &Located<Asset>,
    resolver: &SecretResolver,
) -> Result<OpenVpnCa, Diagnostics> {
    let found = crate::inventory::validate::check_openvpn_gateway(inventory, gateway);
    if found.has_errors() {
        return Err(found);
    }
    let name = &gateway.value.name;
    let Some(service) = gateway.value.vpn.as_ref() else {
        return Err(failure(
            "onboard.no-vpn-gateway",
            format!("`{name}` has no vpn section"),
        ));
    };
    let (Some(ca_file), Some(reference)) = (&service.ca, &service.ca_key) else {
        return Err(failure(
            "inventory.openvpn-no-ca",
            format!("OpenVPN gateway `{name}` has no CA (`vpn.ca` and `vpn.ca_key`)"),
        ));
    };
    let cert_pem = std::fs::read_to_string(inventory.root.join(ca_file)).map_err(|e| {
        failure(
            "inventory.openvpn-bad-ca",
            format!("cannot read the CA certificate {ca_file} of `{name}`: {e}"),
        )
    })?;
    let key = resolver.resolve(reference).map_err(|e| {
        let mut diagnostic = e.to_diagnostic();
        diagnostic.code = "onboard.ca-key";
        diagnostic.message = format!(
            "the CA key of OpenVPN gateway `{name}` ({reference}) cannot be read: {}",
            diagnostic.message
        );
        Diagnostics::from(
            diagnostic
                .at(gateway.origin.locate(&crate::ypath!["vpn", "ca_key"]))
                .asset(name)
                .hint("the CA key signs client certificates and the CRL: store it with `netparc secrets set`"),
        )
    })?;
    crate::pki::check_key_matches(&cert_pem, &key, "the CA key").map_err(|problem| {
        failure(
            "onboard.ca-key",
            format!("OpenVPN gateway `{name}`: {problem} ({ca_file})"),
        )
    })?;
    let crl_path = inventory.root.join(service.crl_path(name));
    let crl_pem = std::fs::read_to_string(&crl_path).ok();
    Ok(OpenVpnCa {
        cert_pem,
        key,
        crl_path,
        crl_pem,
    })
}

/// The IPv4 netmask of the subnet of `vlan` at `site` holding `address` (OpenVPN's
/// `ifconfig-push` takes one).
fn netmask(inventory: &Inventory, site: &str, vlan: &str, address: IpAddr) -> Option<String> {
    let site = inventory.site(site)?;
    let vlan = site.value.vlans.iter().find(|v| v.name == vlan)?;
    vlan.subnets
        .iter()
        .find(|s| s.prefix.0.contains(address))
        .map(|s| s.prefix.0.mask().to_string())
}

/// Where an OpenVPN gateway keeps its client files (the template's `ccd` folder).
fn ccd_file(gateway: &str, client: &str) -> String {
    format!("{}/{gateway}/ccd/{client}", OPENVPN_SERVER_DIR)
}

/// The folder of OpenVPN's server configurations on Debian (`openvpn-server@.service`).
const OPENVPN_SERVER_DIR: &str = "\u{2f}etc/openvpn/server";

/// The new asset file, as a person would write it.
fn asset_text(request: &Request, placement: &Placement, keys: Option<&VpnKeys>) -> String {
    let mut text = format!(
        "# {name}: onboarded by netparc on {date}{ticket}{by}.\n\
         # Human-owned from now on; `netparc offboard {name}` retires it.\n\
         name: {name}\n\
         kind: workstation\n\
         site: {site}\n\
         address: {address}\n\
         vlan: {vlan}\n\
         mac: \"{mac}\"\n\
         user: {user}\n",
        name = request.name,
        date = today(),
        ticket = request
            .ticket
            .as_deref()
            .map(|t| format!(" ({t})"))
            .unwrap_or_default(),
        by = request
            .technician
            .as_deref()
            .map(|t| format!(" by {t}"))
            .unwrap_or_default(),
        site = request.site,
        address = placement.address,
        vlan = request.vlan,
        mac = placement.mac,
        user = quoted(&request.user),
    );
    if let Some(description) = &request.description {
        text.push_str(&format!("description: {}\n", quoted(description)));
    }
    if let Some((switch, port)) = &placement.port {
        text.push_str(&format!(
            "connected_to: {{switch: {}, port: {}}}\n",
            quoted(switch),
            quoted(port)
        ));
    }
    if !placement.ssids.is_empty() {
        let names: Vec<String> = placement.ssids.iter().map(|s| quoted(&s.name)).collect();
        text.push_str(&format!("wifi: [{}]\n", names.join(", ")));
    }
    let (private, psk) = vault_names(&request.name);
    match (&placement.vpn, keys) {
        (Some((gateway, address)), Some(VpnKeys::WireGuard(pair, _))) => {
            text.push_str(&format!(
                "vpn_client:\n  gateway: {}\n  address: {address}\n  public_key: {}\n  \
                 preshared_key: vault:{psk}\n  private_key: vault:{private}\n",
                quoted(gateway),
                quoted(&pair.public),
            ));
        }
        (Some((gateway, address)), Some(VpnKeys::OpenVpn(client))) => {
            let certificate = &client.issued.certificate;
            text.push_str(&format!(
                "vpn_client:\n  gateway: {}\n  address: {address}\n  certificate:\n    \
                 serial: {}\n    sha256: {}\n    not_after: {}\n  private_key: vault:{private}\n",
                quoted(gateway),
                quoted(&certificate.serial),
                quoted(certificate.sha256.as_deref().unwrap_or_default()),
                quoted(certificate.not_after.as_deref().unwrap_or_default()),
            ));
        }
        _ => {}
    }
    text
}

/// Parse an asset file's text as the loader would, located in `path`.
fn located_asset(text: &str, path: &Path) -> Result<Located<Asset>, Diagnostics> {
    let vocabulary = crate::inventory::model::vocabulary();
    let (loaded, found) = crate::yaml::parse::<Asset>(text, path, &vocabulary)?;
    if found.has_errors() {
        return Err(found);
    }
    let file: Arc<SourceFile> = loaded.source;
    Ok(Located {
        value: loaded.value,
        origin: Origin {
            file,
            path: Vec::new(),
        },
    })
}

fn load(root: &Path) -> Result<Inventory, Diagnostics> {
    let outcome = Inventory::load(root);
    match outcome.inventory {
        Some(inventory) if !outcome.diagnostics.has_errors() => Ok(inventory),
        _ => Err(outcome.diagnostics),
    }
}

fn lock(root: &Path) -> Result<crate::fsutil::FileLock, Diagnostics> {
    let state = root.join("state");
    crate::fsutil::create_private_dir(&state).map_err(|e| {
        failure(
            "onboard.state",
            format!("cannot create {}: {e}", state.display()),
        )
    })?;
    crate::fsutil::FileLock::acquire(&state.join("onboarding.lock"), Duration::from_secs(120))
        .map_err(|e| {
            failure(
                "onboard.locked",
                format!("cannot take the onboarding lock: {e}"),
            )
        })
}

/// What was done so far, to undo in reverse.
#[derive(Default)]
struct Undo {
    asset_file: Option<PathBuf>,
    /// (path, previous bytes or None when the file did not exist).
    replaced: Vec<(PathBuf, Option<Vec<u8>>)>,
    vault: Vec<String>,
    /// Devices changed, with the backup revision taken before.
    devices: Vec<(String, String)>,
}

impl Undo {
    /// Remember a file's content before it is replaced.
    fn remember(&mut self, path: &Path) {
        if !self.replaced.iter().any(|(p, _)| p == path) {
            self.replaced
                .push((path.to_path_buf(), std::fs::read(path).ok()));
        }
    }

    /// Undo everything, devices first (they are reached with the inventory as it was).
    async fn run(
        self,
        root: &Path,
        before: &Inventory,
        access: Option<&Access>,
        errors: &mut Vec<String>,
    ) {
        if !self.devices.is_empty()
            && let Some(access) = access
        {
            let resolver = crate::check::open_resolver(before);
            match BackupStore::open(&before.root) {
                Ok(store) => {
                    for (asset, revision) in &self.devices {
                        if let Err(e) = crate::restore::restore(
                            access,
                            before,
                            &resolver,
                            &store,
                            asset,
                            Some(revision),
                            false,
                        )
                        .await
                        {
                            errors.push(format!("restoring {asset} to {revision}: {e}"));
                        }
                    }
                }
                Err(e) => errors.push(format!("backup store: {e}")),
            }
        }
        if let Some(path) = &self.asset_file
            && let Err(e) = std::fs::remove_file(path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            errors.push(format!("removing {}: {e}", path.display()));
        }
        for (path, previous) in self.replaced.iter().rev() {
            let result = match previous {
                Some(bytes) => crate::fsutil::write_file(path, bytes, 0o600),
                None => match std::fs::remove_file(path) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                    other => other,
                },
            };
            if let Err(e) = result {
                errors.push(format!("putting back {}: {e}", path.display()));
            }
        }
        if !self.vault.is_empty() {
            let result = open_vault(root).and_then(|mut store| {
                for name in &self.vault {
                    let _ = store.remove(name);
                }
                store.save().map_err(|e| e.to_string())
            });
            if let Err(e) = result {
                errors.push(format!("removing the VPN keys from the secrets store: {e}"));
            }
        }
    }
}

fn open_vault(root: &Path) -> Result<crate::secrets::store::SecretStore, String> {
    let settings = crate::inventory::load::load_settings(root).map_err(|d| {
        d.iter()
            .map(|x| x.message.clone())
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    crate::check::open_secret_store(root, &settings.value.secrets).map_err(|e| e.to_string())
}

/// The change record and steps for the devices an onboarding touches.
fn device_playbook(
    title: &str,
    request_user: &str,
    technician: Option<&str>,
    ticket: Option<&str>,
    reason: &str,
    devices: &[String],
    gateway_check: Option<&GatewayCheck>,
) -> String {
    let targets: Vec<String> = devices.iter().map(|d| format!("name:{d}")).collect();
    let responsible = technician
        .map(str::to_string)
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| String::from("the technician on duty"));
    let mut text = format!(
        "name: {title}\ntargets: {targets}\nchange:\n  id: {id}\n  requested_by: {requested}\n  \
         reason: {reason}\n  expected_return: {ret}\n  risks: {risks}\n  resources: {res}\n  \
         responsible: {responsible}\nrollout:\n  forks: {forks}\nsteps:\n  \
         - backup: {{message: {title}}}\n  - render: {{}}\n{before}  - push: {{mode: replace}}\n",
        title = quoted(title),
        targets = quoted(&targets.join(",")),
        id = ticket.map(quoted).unwrap_or_else(|| String::from("null")),
        requested = quoted(request_user),
        reason = quoted(reason),
        ret = quoted("the workstation is connected, verified and recorded"),
        risks = quoted(
            "its switch and VPN gateway are brought to their intended configuration (the port \
             and the peer, and any drift found: preview with --check --diff); each device is \
             backed up first and restored if anything fails"
        ),
        res = quoted("netparc, one technician"),
        responsible = quoted(&responsible),
        forks = devices.len().max(1),
        before = gateway_check
            .map(|check| interface_step(INTERFACE_BEFORE, &check.interface))
            .unwrap_or_default(),
    );
    if let Some(check) = gateway_check {
        text.push_str(&format!(
            "  - name: {name}\n    when: \"asset.vpn is not none\"\n    command: {{run: {run}, expect: [{expect}]}}\n",
            name = quoted(if check.present {
                "The VPN peer is loaded"
            } else {
                "The VPN peer is gone"
            }),
            run = quoted(&check.command),
            expect = quoted(if check.present { "^peer-loaded" } else { "^peer-absent" }),
        ));
        text.push_str(&interface_step(INTERFACE_AFTER, &check.interface));
    }
    text.push_str("  - verify: {}\n  - record: {}\n");
    text
}

/// How the device playbook proves a VPN client present on (or gone from) its gateway: a
/// command printing `peer-loaded` or `peer-absent`, and the tunnel interface whose index
/// must not change.
struct GatewayCheck {
    /// The tunnel interface (`wg0`, `tun0`).
    interface: String,
    /// The shell command run on the gateway.
    command: String,
    /// The client should be there (onboarding) or gone (offboarding).
    present: bool,
}

impl GatewayCheck {
    /// WireGuard: the peer loaded in the running interface, not only in the file.
    fn wireguard(interface: &str, public_key: &str, present: bool) -> GatewayCheck {
        GatewayCheck {
            interface: interface.to_string(),
            command: format!(
                "if wg show {interface} peers | grep -qxF -- '{public_key}'; then echo peer-loaded; \
                 else echo peer-absent; fi"
            ),
            present,
        }
    }

    /// OpenVPN: the client's ccd file, which OpenVPN reads when the client connects
    /// (`ccd-exclusive`: without it the client is refused). Present means holding its
    /// `ifconfig-push` line.
    fn openvpn(interface: &str, ccd: &str, push: Option<&str>) -> GatewayCheck {
        let ccd = crate::driver::linux::shell_quote(ccd);
        let command = match push {
            Some(line) => format!(
                "if grep -qxF -- {} {ccd}; then echo peer-loaded; else echo peer-absent; fi",
                crate::driver::linux::shell_quote(line)
            ),
            None => format!("if [ -e {ccd} ]; then echo peer-loaded; else echo peer-absent; fi"),
        };
        GatewayCheck {
            interface: interface.to_string(),
            command,
            present: push.is_some(),
        }
    }
}

/// Steps reading the tunnel interface's index before and after the reload: a new index
/// means the interface was recreated and every other client's tunnel dropped.
const INTERFACE_BEFORE: &str = "Tunnel interface before the change";
const INTERFACE_AFTER: &str = "Tunnel interface after the change";

fn interface_step(name: &str, interface: &str) -> String {
    format!(
        "  - name: {}\n    when: \"asset.vpn is not none\"\n    command: {{run: {}}}\n",
        quoted(name),
        quoted(&format!("ip -o link show {interface} || true")),
    )
}

/// `3: wg0: <…>` → 3.
fn interface_index(output: &str) -> Option<u32> {
    output.trim_start().split(':').next()?.trim().parse().ok()
}

/// The gateway kept its tunnel interface through the reload (other peers stay up).
fn interface_kept(run: &RunReport, gateway: &str) -> Result<(), String> {
    let Some(report) = run.assets.iter().find(|a| a.asset == gateway) else {
        return Ok(());
    };
    let index = |name: &str| {
        report
            .steps
            .iter()
            .find(|s| s.name == name)
            .and_then(|s| s.output.as_deref())
            .and_then(interface_index)
    };
    match (index(INTERFACE_BEFORE), index(INTERFACE_AFTER)) {
        (Some(before), Some(after)) if before != after => Err(format!(
            "{gateway}: the reload recreated the tunnel interface (index {before} → {after}): \
             every other client's tunnel dropped"
        )),
        _ => Ok(()),
    }
}

/// A WireGuard key as `wg` prints it (so it can sit in a shell command).
fn is_wireguard_key(key: &str) -> bool {
    key.len() == 44
        && key.ends_with('=')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '=')
}

/// Run the device playbook on `devices` (switch and gateway) and say which changed.
#[allow(clippy::too_many_arguments)]
async fn run_devices(
    inventory: &Inventory,
    resolver: &SecretResolver,
    access: &Access,
    name: &str,
    playbook: &str,
    options: &Options,
    events: EventSink,
) -> Result<RunReport, Diagnostics> {
    // The run is named after the playbook file: `<time>-onboard-<name>`.
    let write_error = |e: std::io::Error| {
        failure(
            "onboard.tempfile",
            format!("cannot write the device playbook: {e}"),
        )
    };
    let folder = tempfile::tempdir().map_err(write_error)?;
    let path = folder.path().join(format!("{name}.yml"));
    std::fs::write(&path, playbook).map_err(write_error)?;
    let (_cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
    let run_options = RunOptions {
        check: options.check,
        forks: None,
        timeouts: options.timeouts,
        limit: None,
        lab: options.lab,
        verifier: None,
    };
    crate::playbook::launch::launch(
        inventory,
        resolver,
        &path,
        access,
        run_options,
        events,
        cancel_rx,
    )
    .await
}

/// The lab (with `--lab`) or the network, for exactly these assets.
async fn open_access(
    inventory: &Inventory,
    resolver: &SecretResolver,
    names: &[&str],
    options: &Options,
) -> Result<Access, Diagnostics> {
    let terms: Vec<String> = names.iter().map(|n| format!("name:{n}")).collect();
    let selector = Selector::parse(&terms.join(","))
        .map_err(|e| failure("onboard.selector", e.to_string()))?;
    let access_options = AccessOptions {
        lab: options.lab,
        faults: options.faults.clone(),
        accept_new: options.accept_new || options.lab,
    };
    Access::open(inventory, resolver, &selector, &access_options).await
}

/// Devices the run changed, with the backup revision to restore each to.
fn changed_devices(run: &RunReport) -> Vec<(String, String)> {
    run.assets
        .iter()
        .filter(|a| a.status == Status::Changed)
        .filter_map(|a| Some((a.asset.clone(), a.backup_revision.clone()?)))
        .collect()
}

fn run_failure(run: &RunReport) -> Option<String> {
    run.assets.iter().find(|a| a.status.is_failure()).map(|a| {
        format!(
            "{} {}: {}",
            a.asset,
            a.status.as_str(),
            a.reason.as_deref().unwrap_or("see the run report")
        )
    })
}

/// The workstation's own proofs: its switch port up (SNMP ifOperStatus) and the
/// workstation answering ping at its address.
async fn prove(
    inventory: &Inventory,
    resolver: &SecretResolver,
    access: &Access,
    name: &str,
    port: Option<&(String, String)>,
) -> Vec<Proof> {
    use crate::probe::icmp::PingOptions;
    let mut proofs = Vec::new();
    let ping = async {
        let Some(asset) = inventory.asset(name) else {
            return Vec::new();
        };
        let options = crate::verify::VerifyOptions {
            snmp_scope: crate::verify::SnmpScope::Full,
            held: None,
            ping: Some(PingOptions {
                count: 2,
                interval: Duration::from_millis(20),
                ..PingOptions::default()
            }),
            tcp: None,
            snmp: false,
            config: false,
            concurrency: 1,
            previous_uptime: Default::default(),
            interfaces_up: None,
            probers: None,
        };
        let (states, found) =
            crate::verify::verify_assets(inventory, resolver, access, &[asset], &[], &options)
                .await;
        let mut proofs: Vec<Proof> = states
            .iter()
            .map(|state| {
                let report = state.ping.as_ref();
                let answered = report.is_some_and(|p| p.received > 0);
                Proof {
                    check: format!("{name} answers ping"),
                    ok: answered,
                    detail: match report {
                        Some(p) => format!("{}/{} echoes answered", p.received, p.sent),
                        None => String::from("no ping report"),
                    },
                }
            })
            .collect();
        proofs.extend(found.iter().map(|d| Proof {
            check: format!("{name} answers ping"),
            ok: false,
            detail: d.message.clone(),
        }));
        proofs
    };
    let port_up = async {
        let Some((switch, port)) = port else {
            return Vec::new();
        };
        let Some(asset) = inventory.asset(switch) else {
            return Vec::new();
        };
        let options = crate::verify::VerifyOptions {
            snmp_scope: crate::verify::SnmpScope::States,
            held: None,
            ping: None,
            tcp: None,
            snmp: true,
            config: false,
            concurrency: 1,
            previous_uptime: Default::default(),
            interfaces_up: Some(vec![port.clone()]),
            probers: None,
        };
        let (states, found) =
            crate::verify::verify_assets(inventory, resolver, access, &[asset], &[], &options)
                .await;
        let check = format!("port {port} of {switch} is up (SNMP ifOperStatus)");
        let mut proofs: Vec<Proof> = states
            .iter()
            .map(|state| {
                let fact = state
                    .snmp
                    .as_ref()
                    .and_then(|facts| facts.interfaces.iter().find(|i| &i.name == port));
                match (fact, &state.snmp_error) {
                    (Some(fact), _) => Proof {
                        check: check.clone(),
                        ok: fact.oper_status == "up",
                        detail: format!(
                            "admin {}, oper {}, alias \"{}\"",
                            fact.admin_status, fact.oper_status, fact.alias
                        ),
                    },
                    (None, Some(error)) => Proof {
                        check: check.clone(),
                        ok: false,
                        detail: format!("SNMP: {error}"),
                    },
                    (None, None) => Proof {
                        check: check.clone(),
                        ok: false,
                        detail: String::from("the switch does not report that port"),
                    },
                }
            })
            .collect();
        proofs.extend(found.iter().map(|d| Proof {
            check: check.clone(),
            ok: false,
            detail: d.message.clone(),
        }));
        proofs
    };
    let (mut pinged, ported) = tokio::join!(ping, port_up);
    proofs.append(&mut ported.into_iter().collect());
    proofs.append(&mut pinged);
    proofs
}

/// Onboard the workstation `request` describes, in the inventory at `root`.
pub async fn onboard(
    root: &Path,
    request: &Request,
    options: &Options,
    events: EventSink,
) -> Result<Report, Diagnostics> {
    let _lock = if options.check {
        None
    } else {
        Some(lock(root)?)
    };
    let before = load(root)?;
    let placement = request::validate(&before, request)?;
    let path = asset_path(root, &request.name);
    if path.exists() {
        return Err(failure(
            "onboard.duplicate-name",
            format!("{} already exists", path.display()),
        ));
    }
    let keys = match &placement.vpn {
        None => None,
        Some((gateway_name, _)) => Some(vpn_keys(&before, gateway_name, &request.name)?),
    };
    let text = asset_text(request, &placement, keys.as_ref());
    let mut after = before.clone();
    after.assets.push(located_asset(&text, &path)?);
    let mut found = Diagnostics::new();
    found.extend(
        crate::inventory::validate::validate(&after)
            .into_iter()
            .filter(|d| d.is_error() && d.asset.as_deref() == Some(request.name.as_str())),
    );
    if found.has_errors() {
        return Err(found);
    }
    let mut report = Report {
        name: request.name.clone(),
        outcome: if options.check {
            Outcome::Checked
        } else {
            Outcome::Done
        },
        reason: None,
        address: Some(placement.address),
        vpn: placement.vpn.clone(),
        port: placement.port.clone(),
        asset_file: Some(path.clone()),
        files: Vec::new(),
        proofs: Vec::new(),
        run: None,
        run_report: None,
        qr_terminal: None,
    };
    let mut undo = Undo::default();
    if !options.check {
        match record_files(root, &after, request, &path, &text, &keys, &mut undo) {
            Ok(dhcp_files) => report.files.extend(dhcp_files),
            Err(reason) => {
                let mut errors = Vec::new();
                undo.run(root, &before, None, &mut errors).await;
                return Err(failure("onboard.write", with_undo_errors(reason, &errors)));
            }
        }
    }
    let resolver = match (&keys, options.check) {
        // Check mode saves nothing: the new keys are known to this run only.
        (Some(keys), true) => {
            let mut store = open_vault(root).map_err(|e| failure("onboard.secrets", e))?;
            for (name, value) in keys.vault_entries(&request.name) {
                store
                    .set(&name, value)
                    .map_err(|e| failure("onboard.secrets", e.to_string()))?;
            }
            SecretResolver::with_open_store(root, store)
        }
        _ => crate::check::open_resolver(&after),
    };
    let devices = placement.devices();
    let mut names: Vec<&str> = devices.iter().map(String::as_str).collect();
    names.push(&request.name);
    let access = match open_access(&after, &resolver, &names, options).await {
        Ok(access) => access,
        Err(found) => {
            let mut errors = Vec::new();
            undo.run(root, &before, None, &mut errors).await;
            return Err(found);
        }
    };
    let result = connect_and_prove(
        &after,
        &resolver,
        &access,
        request,
        &placement,
        &keys,
        options,
        events,
        &mut undo,
        &mut report,
    )
    .await;
    match result {
        Ok(()) if !options.check => {
            match issue_files(&after, &resolver, request, &placement, &keys, options) {
                Ok((files, qr)) => {
                    report.files.extend(files);
                    report.qr_terminal = qr;
                    record_state(root, &report);
                }
                Err(reason) => rollback(root, &before, &access, undo, &mut report, reason).await,
            }
        }
        Ok(()) => {}
        Err(reason) if options.check => {
            report.reason = Some(reason);
        }
        Err(reason) => rollback(root, &before, &access, undo, &mut report, reason).await,
    }
    access.close().await;
    Ok(report)
}

fn with_undo_errors(reason: String, errors: &[String]) -> String {
    if errors.is_empty() {
        reason
    } else {
        format!("{reason}; undoing also failed: {}", errors.join("; "))
    }
}

async fn rollback(
    root: &Path,
    before: &Inventory,
    access: &Access,
    undo: Undo,
    report: &mut Report,
    reason: String,
) {
    let mut errors = Vec::new();
    undo.run(root, before, Some(access), &mut errors).await;
    report.outcome = Outcome::RolledBack;
    report.reason = Some(with_undo_errors(reason, &errors));
    report.files.clear();
}

/// The secrets, the asset file and the DHCP files, each remembered for undoing; returns
/// the DHCP files written.
fn record_files(
    root: &Path,
    after: &Inventory,
    request: &Request,
    path: &Path,
    text: &str,
    keys: &Option<VpnKeys>,
    undo: &mut Undo,
) -> Result<Vec<PathBuf>, String> {
    if let Some(keys) = keys {
        let mut store = open_vault(root)?;
        undo.vault.clear();
        for (name, value) in keys.vault_entries(&request.name) {
            store.set(&name, value).map_err(|e| e.to_string())?;
            undo.vault.push(name);
        }
        let vault_path = store.path().to_path_buf();
        undo.remember(&vault_path);
        // The names are removed on undo; the file itself is re-encrypted, not restored.
        undo.replaced.retain(|(p, _)| p != &vault_path);
        store.save().map_err(|e| e.to_string())?;
    }
    // An OpenVPN gateway without its CRL yet gets an empty one, signed by its CA (its
    // configuration names the file; later revocations add to it).
    if let Some(VpnKeys::OpenVpn(client)) = keys
        && let Some((crl_path, pem)) = &client.crl
    {
        write_crl(crl_path, pem, undo)?;
    }
    let folder = path.parent().unwrap_or(root);
    std::fs::create_dir_all(folder)
        .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    // A new file, never one that appeared meanwhile (another process without the lock).
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    undo.asset_file = Some(path.to_path_buf());
    use std::io::Write;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let dir = super::dhcp::site_dir(root, &request.site).map_err(|e| e.to_string())?;
    undo.remember(&dir.join(super::dhcp::KEA_FILE));
    undo.remember(&dir.join(super::dhcp::DNSMASQ_FILE));
    super::dhcp::write_site(after, &request.site).map_err(|e| e.to_string())
}

/// Write a gateway's CRL (remembered for undoing), creating its folder.
fn write_crl(path: &Path, pem: &str, undo: &mut Undo) -> Result<(), String> {
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)
            .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    }
    undo.remember(path);
    crate::fsutil::write_file(path, pem.as_bytes(), 0o644)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The VPN credentials of workstation `name` on `gateway_name`: a WireGuard key pair, or
/// an OpenVPN client certificate issued by the gateway's CA (read and checked first).
fn vpn_keys(inventory: &Inventory, gateway_name: &str, name: &str) -> Result<VpnKeys, Diagnostics> {
    use crate::inventory::model::VpnType;
    let Some(gateway) = inventory.asset(gateway_name) else {
        return Err(failure(
            "onboard.no-vpn-gateway",
            format!("no gateway `{gateway_name}`"),
        ));
    };
    let Some(service) = gateway.value.vpn.as_ref() else {
        return Err(failure(
            "onboard.no-vpn-gateway",
            format!("`{gateway_name}` has no vpn section"),
        ));
    };
    if service.vpn_type == VpnType::Wireguard {
        return Ok(VpnKeys::WireGuard(
            super::wgkeys::generate(),
            super::wgkeys::preshared_key(),
        ));
    }
    let resolver = crate::check::open_resolver(inventory);
    let ca = openvpn_ca(inventory, gateway, &resolver)?;
    let today = crate::inventory::date::Date::today();
    let issued = crate::pki::issue(
        &ca.cert_pem,
        &ca.key,
        name,
        service.client_cert_days(),
        today,
        false,
    )
    .map_err(|problem| failure("onboard.certificate", format!("{gateway_name}: {problem}")))?;
    let crl = match &ca.crl_pem {
        Some(_) => None,
        None => {
            let pem =
                crate::pki::sign_crl(&ca.cert_pem, &ca.key, &[], 1, today).map_err(|problem| {
                    failure("onboard.certificate", format!("{gateway_name}: {problem}"))
                })?;
            Some((ca.crl_path.clone(), crl_text(gateway_name, &pem)))
        }
    };
    Ok(VpnKeys::OpenVpn(Box::new(OpenVpnClient {
        issued,
        ca,
        crl,
    })))
}

/// A CRL file as netparc keeps it in the inventory: a comment, then the PEM.
fn crl_text(gateway: &str, pem: &str) -> String {
    format!(
        "# Certificate revocation list of the CA of OpenVPN gateway {gateway}, written by netparc\n\
         # on {}: every client certificate revoked (offboarded workstations). Keep it: deleting a\n\
         # serial gives that client its access back.\n{pem}",
        today()
    )
}

/// Devices through the engine, then the workstation's own proofs.
#[allow(clippy::too_many_arguments)]
async fn connect_and_prove(
    after: &Inventory,
    resolver: &SecretResolver,
    access: &Access,
    request: &Request,
    placement: &Placement,
    keys: &Option<VpnKeys>,
    options: &Options,
    events: EventSink,
    undo: &mut Undo,
    report: &mut Report,
) -> Result<(), String> {
    let devices = placement.devices();
    let mut gateway_check = None;
    if let (Some((gateway, address)), Some(keys)) = (&placement.vpn, keys) {
        let service = after.asset(gateway).and_then(|g| g.value.vpn.as_ref());
        let interface = service.map_or("wg0", |v| v.interface.as_str());
        gateway_check = Some(match keys {
            VpnKeys::WireGuard(pair, _) => GatewayCheck::wireguard(interface, &pair.public, true),
            VpnKeys::OpenVpn(_) => {
                let site = after
                    .asset(gateway)
                    .map(|g| g.value.site.clone())
                    .unwrap_or_default();
                let vlan = service.map(|v| v.client_vlan.as_str()).unwrap_or_default();
                let mask = netmask(after, &site, vlan, *address).unwrap_or_default();
                GatewayCheck::openvpn(
                    interface,
                    &ccd_file(gateway, &request.name),
                    Some(&format!("ifconfig-push {address} {mask}")),
                )
            }
        });
    }
    if !devices.is_empty() {
        let playbook = device_playbook(
            &format!("Onboard {} ({})", request.name, request.user),
            &request.user,
            request.technician.as_deref(),
            request.ticket.as_deref(),
            &format!(
                "new workstation {} for {} at {}",
                request.name, request.user, placement.address
            ),
            &devices,
            gateway_check.as_ref(),
        );
        let run = run_devices(
            after,
            resolver,
            access,
            &format!("onboard-{}", request.name),
            &playbook,
            options,
            events,
        )
        .await
        .map_err(|found| {
            found
                .iter()
                .map(|d| d.message.clone())
                .collect::<Vec<_>>()
                .join("; ")
        })?;
        if !options.check {
            undo.devices = changed_devices(&run);
            report.run_report = run.save(&after.root).ok();
        }
        let failed = run_failure(&run).or_else(|| {
            placement
                .vpn
                .as_ref()
                .and_then(|(gateway, _)| interface_kept(&run, gateway).err())
        });
        report.run = Some(run);
        if let Some(reason) = failed {
            return Err(reason);
        }
    }
    if options.check {
        return Ok(());
    }
    report.proofs = prove(
        after,
        resolver,
        access,
        &request.name,
        placement.port.as_ref(),
    )
    .await;
    if let Some(failed) = report.proofs.iter().find(|p| !p.ok) {
        return Err(format!("{}: {}", failed.check, failed.detail));
    }
    Ok(())
}

/// The onboarding as the workstation's verified state (`state/assets/<name>.yml`).
fn record_state(root: &Path, report: &Report) {
    let store = crate::state::StateStore::open(root);
    let value = serde_json::json!({
        "date": today(),
        "address": report.address,
        "port": report.port.as_ref().map(|(s, p)| format!("{s} {p}")),
        "vpn": report.vpn.as_ref().map(|(g, a)| format!("{g} {a}")),
        "proofs": report.proofs,
        "run": report.run.as_ref().map(|r| r.run.clone()),
    });
    if let Err(e) = store.update(&report.name, "onboarding", value) {
        tracing::warn!("cannot record the onboarding of {}: {e}", report.name);
    }
}

/// Wi-Fi profiles, the VPN profile with its QR code, and the handover sheet, in the output
/// folder (0700; files holding a key 0600). Returns the files and the terminal QR code.
fn issue_files(
    inventory: &Inventory,
    resolver: &SecretResolver,
    request: &Request,
    placement: &Placement,
    keys: &Option<VpnKeys>,
    options: &Options,
) -> Result<(Vec<PathBuf>, Option<String>), String> {
    use super::handover::{HandoverSheet, Support, VpnSection, WifiSection, Wired};
    use super::wifi::{EapMethod, Enterprise, WifiProfile};
    use crate::inventory::model::WifiSecurity;
    let out = options.out.clone().unwrap_or_else(|| {
        inventory
            .root
            .join("state")
            .join("handover")
            .join(&request.name)
    });
    crate::fsutil::create_private_dir(&out)
        .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let mut files = Vec::new();
    let mut write = |name: &str, bytes: &[u8], mode: u32| -> Result<PathBuf, String> {
        let path = out.join(name);
        crate::fsutil::write_file(&path, bytes, mode)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        files.push(path.clone());
        Ok(path)
    };
    let site = inventory
        .site(&request.site)
        .ok_or_else(|| format!("no site `{}`", request.site))?;
    let mut wifi_sections = Vec::new();
    for ssid in &placement.ssids {
        let psk = match &ssid.psk {
            Some(reference) => Some(resolver.resolve(reference).map_err(|e| e.to_string())?),
            None => None,
        };
        let enterprise = matches!(
            ssid.security,
            WifiSecurity::Wpa2Enterprise | WifiSecurity::Wpa3Enterprise
        )
        .then(|| Enterprise {
            method: EapMethod::Peap,
            identity: &request.user,
            server_name: None,
            ca_cert: None,
            client_cert: None,
            private_key: None,
        });
        let profile = WifiProfile {
            ssid: &ssid.name,
            security: ssid.security,
            psk: psk.as_ref().map(|p| p.expose()),
            hidden: ssid.hidden,
            enterprise,
        };
        let exports = super::wifi::export(&profile, &ssid.name).map_err(|e| e.to_string())?;
        let stem = file_stem(&ssid.name);
        let names = [
            format!("wifi-{stem}.nmconnection"),
            format!("wifi-{stem}.wpa_supplicant.conf"),
            format!("wifi-{stem}.xml"),
        ];
        write(&names[0], exports.networkmanager.as_bytes(), 0o600)?;
        write(&names[1], exports.wpa_supplicant.as_bytes(), 0o600)?;
        write(&names[2], exports.windows_xml.as_bytes(), 0o600)?;
        wifi_sections.push(WifiSection {
            ssid: ssid.name.clone(),
            security: super::wifi::security_label(ssid.security).to_string(),
            hidden: ssid.hidden,
            windows_profile: Some(names[2].clone()),
            networkmanager_profile: Some(names[0].clone()),
            wpa_supplicant_profile: Some(names[1].clone()),
            enterprise_identity: profile.enterprise.as_ref().map(|e| e.identity.to_string()),
            enterprise_server: None,
        });
    }
    let mut vpn_section = None;
    let mut qr_terminal = None;
    if let (Some((gateway_name, address)), Some(VpnKeys::OpenVpn(client))) = (&placement.vpn, keys)
    {
        let (gateway, service) = gateway_service(inventory, gateway_name)?;
        let tls_crypt = match &service.tls_crypt {
            Some(reference) => Some(resolver.resolve(reference).map_err(|e| e.to_string())?),
            None => None,
        };
        let profile = openvpn_profile(
            inventory,
            gateway,
            service,
            &request.name,
            client,
            tls_crypt.as_ref(),
        )?;
        let profile_name = format!("{}.ovpn", request.name);
        write(&profile_name, profile.as_bytes(), 0o600)?;
        vpn_section = Some(VpnSection {
            kind: super::handover::VpnKind::OpenVpn,
            gateway: gateway_name.clone(),
            endpoint: service.endpoint.clone().unwrap_or_default(),
            tunnel_address: address.to_string(),
            config_file: profile_name,
            qr_png: None,
        });
    }
    if let (Some((gateway_name, address)), Some(VpnKeys::WireGuard(pair, psk))) =
        (&placement.vpn, keys)
    {
        let (gateway, service) = gateway_service(inventory, gateway_name)?;
        let conf = wireguard_profile(
            inventory,
            gateway,
            service,
            &request.name,
            *address,
            pair,
            psk,
        )?;
        let conf_name = format!("{}.conf", request.name);
        write(&conf_name, conf.as_bytes(), 0o600)?;
        let qr = super::qr::Qr::encode(&conf).map_err(|e| e.to_string())?;
        let png_name = format!("{}-wireguard-qr.png", request.name);
        write(&png_name, &qr.to_png(), 0o600)?;
        qr_terminal = Some(qr.to_terminal(super::qr::TerminalStyle::Ansi));
        vpn_section = Some(VpnSection {
            kind: super::handover::VpnKind::WireGuard,
            gateway: gateway_name.clone(),
            endpoint: service.endpoint.clone().unwrap_or_default(),
            tunnel_address: address.to_string(),
            config_file: conf_name,
            qr_png: Some(png_name),
        });
    }
    let sheet = HandoverSheet {
        workstation: request.name.clone(),
        user: request.user.clone(),
        site: site
            .value
            .name
            .clone()
            .unwrap_or_else(|| site.value.site.clone()),
        date: today(),
        technician: request.technician.clone(),
        ticket: request.ticket.clone(),
        wired: Some(Wired {
            address: placement.address.to_string(),
            prefix_len: placement.prefix_len,
            gateway: placement.gateway.map(|g| g.to_string()),
            dns: site.value.dns.iter().map(ToString::to_string).collect(),
            domain: site.value.domain.clone(),
            vlan: request.vlan.clone(),
            switch: placement.port.as_ref().map(|(s, _)| s.clone()),
            port: placement.port.as_ref().map(|(_, p)| p.clone()),
            mac: placement.mac.clone(),
            dhcp_reserved: true,
        }),
        wifi: wifi_sections,
        vpn: vpn_section,
        support: inventory.settings.value.support.as_ref().map(|s| Support {
            name: s.name.clone(),
            phone: s.phone.clone(),
            email: s.email.clone(),
            hours: s.hours.clone(),
        }),
    };
    write(
        "handover.md",
        super::handover::markdown(&sheet).as_bytes(),
        0o644,
    )?;
    write(
        "handover.html",
        super::handover::html(&sheet).as_bytes(),
        0o644,
    )?;
    Ok((files, qr_terminal))
}

/// A file name part from an SSID: letters, digits and hyphens.
fn file_stem(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// The VPN gateway `name` and its `vpn` section.
fn gateway_service<'a>(
    inventory: &'a Inventory,
    name: &str,
) -> Result<(&'a Located<Asset>, &'a crate::inventory::model::VpnService), String> {
    let gateway = inventory
        .asset(name)
        .ok_or_else(|| format!("no gateway `{name}`"))?;
    let service = gateway
        .value
        .vpn
        .as_deref()
        .ok_or_else(|| format!("`{name}` has no vpn section"))?;
    Ok((gateway, service))
}

/// A VPN client profile rendered from `template` with the gateway's site and variables,
/// the inventory's name, and the `peer` and `gateway` objects the template documents.
fn client_profile(
    inventory: &Inventory,
    gateway: &Located<Asset>,
    template: &str,
    name: &str,
    peer: serde_json::Value,
    gateway_fields: serde_json::Value,
) -> Result<String, String> {
    let templates = crate::check::load_templates(inventory).map_err(|found| {
        found
            .iter()
            .map(|d| d.message.clone())
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    let site = inventory
        .site(&gateway.value.site)
        .map(|s| serde_json::to_value(&s.value).unwrap_or_default())
        .unwrap_or_default();
    let vars = serde_json::to_value(crate::inventory::vars::merged_vars(inventory, gateway))
        .unwrap_or_default();
    let context = serde_json::json!({
        "inventory": {
            "name": inventory.settings.value.name,
            "description": inventory.settings.value.description,
        },
        "site": site,
        "vars": vars,
        "peer": peer,
        "gateway": gateway_fields,
    });
    templates
        .render(template, name, &context)
        .map_err(|d| d.message)
}

/// The client's WireGuard profile, from `templates/vpn/wireguard-client.tera`.
fn wireguard_profile(
    inventory: &Inventory,
    gateway: &Located<Asset>,
    service: &crate::inventory::model::VpnService,
    name: &str,
    address: IpAddr,
    pair: &super::wgkeys::WgKeyPair,
    psk: &Secret,
) -> Result<String, String> {
    client_profile(
        inventory,
        gateway,
        "vpn/wireguard-client.tera",
        name,
        serde_json::json!({
            "name": name,
            "address": address,
            "private_key": pair.private_key().expose(),
            "preshared_key": psk.expose(),
        }),
        serde_json::json!({
            "name": gateway.value.name,
            "endpoint": service.endpoint,
            "public_key": service.public_key,
            "tunnel_address": service.tunnel_address,
            "routes": service.routes,
        }),
    )
}

/// The client's inline OpenVPN profile (`.ovpn`), from `templates/vpn/openvpn-client.tera`.
fn openvpn_profile(
    inventory: &Inventory,
    gateway: &Located<Asset>,
    service: &crate::inventory::model::VpnService,
    name: &str,
    client: &OpenVpnClient,
    tls_crypt: Option<&Secret>,
) -> Result<String, String> {
    let endpoint = service.endpoint.clone().ok_or_else(|| {
        format!(
            "`{}` has no vpn.endpoint for clients to dial",
            gateway.value.name
        )
    })?;
    client_profile(
        inventory,
        gateway,
        "vpn/openvpn-client.tera",
        name,
        serde_json::json!({
            "name": name,
            "cert": client.issued.cert_pem,
            "key": client.issued.key_pem.expose(),
        }),
        serde_json::json!({
            "name": gateway.value.name,
            "endpoint": endpoint,
            "proto": service.proto,
            "ca": client.ca.cert_pem,
            "tls_crypt": tls_crypt.map(Secret::expose),
        }),
    )
}

/// Where retired assets are archived.
pub fn retired_path(root: &Path, name: &str) -> PathBuf {
    root.join("assets")
        .join("retired")
        .join(format!("{name}.yml"))
}

/// The asset as retired: what it held moves into its `retired` record.
fn retire(asset: &Asset, reason: Option<&str>) -> Asset {
    let mut retired = asset.clone();
    retired.retired = Some(Box::new(crate::inventory::model::Retirement {
        date: today(),
        reason: reason.map(str::to_string),
        address: retired.address.take(),
        mac: retired.mac.take(),
        connected_to: retired.connected_to.take(),
        vpn_certificate: retired
            .vpn_client
            .as_ref()
            .and_then(|c| c.certificate.clone()),
        vpn: retired
            .vpn_client
            .take()
            .map(|c| format!("{} {}", c.gateway, c.address)),
    }));
    retired.wifi.clear();
    retired.monitoring = None;
    retired
}

/// Drop nulls and empty lists and maps, so the archive reads like a hand-written file.
fn prune(value: serde_json::Value) -> Option<serde_json::Value> {
    use serde_json::Value;
    match value {
        Value::Null => None,
        Value::Array(items) if items.is_empty() => None,
        Value::Object(map) => {
            let kept: serde_json::Map<String, Value> = map
                .into_iter()
                .filter_map(|(k, v)| prune(v).map(|v| (k, v)))
                .collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        Value::Array(items) => Some(Value::Array(items.into_iter().filter_map(prune).collect())),
        other => Some(other),
    }
}

fn archive_text(asset: &Asset) -> Result<String, String> {
    let value = prune(serde_json::to_value(asset).map_err(|e| e.to_string())?)
        .unwrap_or(serde_json::Value::Null);
    let body = serde_saphyr::to_string(&value).map_err(|e| e.to_string())?;
    Ok(format!(
        "# {}: retired by netparc on {} (netparc offboard). Kept for the fleet history;\n\
         # it holds no address, port or VPN peer any more.\n{body}",
        asset.name,
        today()
    ))
}

/// The text of a list file without item `index` (from its first line up to the comments
/// that introduce the next item, which stay with it).
fn without_item(file: &SourceFile, index: usize, count: usize) -> Option<String> {
    use crate::yaml::PathSegment;
    let text = file.text()?;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let start_line = |i: usize| -> Option<usize> {
        // Where the item's first key is (1-based line).
        let (line, _) = file.index().position(&[PathSegment::Index(i)])?;
        (line as usize).checked_sub(1)
    };
    let start = start_line(index)?;
    let mut end = if index + 1 < count {
        start_line(index + 1)?
    } else {
        lines.len()
    };
    while end > start && lines[end - 1].trim_start().starts_with('#') {
        end -= 1;
    }
    // The dash may sit on the line before the first key (`-\n  name:`): start at the dash.
    let start = if lines
        .get(start)
        .is_some_and(|l| l.trim_start().starts_with('-'))
    {
        start
    } else {
        start.checked_sub(1)?
    };
    let mut kept: Vec<&str> = lines[..start].to_vec();
    kept.extend_from_slice(&lines[end..]);
    Some(kept.concat())
}

/// Retire workstation `name`: its VPN peer removed and its port shut and reset through the
/// engine (backup and rollback), then its address and DHCP reservation released, its VPN
/// keys dropped from the secrets store and the asset archived in `assets/retired/`.
pub async fn offboard(
    root: &Path,
    name: &str,
    reason: Option<&str>,
    options: &Options,
    events: EventSink,
) -> Result<Report, Diagnostics> {
    let _lock = if options.check {
        None
    } else {
        Some(lock(root)?)
    };
    let before = load(root)?;
    let Some(asset) = before.asset(name) else {
        let names: Vec<&str> = before
            .assets
            .iter()
            .map(|a| a.value.name.as_str())
            .collect();
        let hint = crate::diag::did_you_mean(name, names.iter().copied())
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        return Err(failure(
            "offboard.unknown",
            format!("no asset `{name}` in the inventory{hint}"),
        ));
    };
    if asset.value.is_retired() {
        return Err(failure(
            "offboard.retired",
            format!("`{name}` is already retired"),
        ));
    }
    if asset.value.platform.is_some() {
        return Err(failure(
            "offboard.not-end-device",
            format!(
                "`{name}` is a configured device ({}): offboarding retires workstations and other end devices",
                asset.value.kind
            ),
        ));
    }
    let retired = retire(&asset.value, reason);
    let archive = archive_text(&retired).map_err(|e| failure("offboard.archive", e))?;
    let mut after = before.clone();
    if let Some(slot) = after.assets.iter_mut().find(|a| a.value.name == name) {
        slot.value = retired.clone();
    }
    let port = asset
        .value
        .connected_to
        .as_ref()
        .map(|l| (l.switch.clone(), l.port.clone()));
    let vpn = asset
        .value
        .vpn_client
        .as_ref()
        .map(|c| (c.gateway.clone(), c.address));
    let mut report = Report {
        name: name.to_string(),
        outcome: if options.check {
            Outcome::Checked
        } else {
            Outcome::Done
        },
        reason: None,
        address: asset.value.address,
        vpn: vpn.clone(),
        port: port.clone(),
        asset_file: Some(retired_path(root, name)),
        files: Vec::new(),
        proofs: Vec::new(),
        run: None,
        run_report: None,
        qr_terminal: None,
    };
    let mut devices: Vec<String> = Vec::new();
    if let Some((switch, _)) = &port {
        devices.push(switch.clone());
    }
    let mut gateway_check = None;
    let resolver = crate::check::open_resolver(&before);
    // An OpenVPN client's certificate is revoked: the new CRL, signed before any change.
    let mut new_crl: Option<(PathBuf, String)> = None;
    if let Some(client) = &asset.value.vpn_client {
        let gateway = before.asset(&client.gateway);
        let service = gateway.and_then(|g| g.value.vpn.as_ref());
        let interface = service.map_or("wg0", |v| v.interface.as_str());
        devices.push(client.gateway.clone());
        let openvpn =
            service.is_some_and(|v| v.vpn_type == crate::inventory::model::VpnType::Openvpn);
        match (gateway, openvpn) {
            (Some(gateway), true) => {
                let Some(certificate) = &client.certificate else {
                    return Err(failure(
                        "offboard.no-certificate",
                        format!(
                            "`{name}` is a client of OpenVPN gateway `{}` but its vpn_client has no certificate to revoke",
                            client.gateway
                        ),
                    ));
                };
                let ca = openvpn_ca(&before, gateway, &resolver)?;
                new_crl = Some(revoke(&ca, &client.gateway, &certificate.serial)?);
                gateway_check = Some(GatewayCheck::openvpn(
                    interface,
                    &ccd_file(&client.gateway, name),
                    None,
                ));
            }
            _ => {
                let key = client.public_key.as_deref().unwrap_or_default();
                if !is_wireguard_key(key) {
                    return Err(failure(
                        "offboard.bad-key",
                        format!("`{name}`'s vpn_client.public_key is not a WireGuard key"),
                    ));
                }
                gateway_check = Some(GatewayCheck::wireguard(interface, key, false));
            }
        }
    }
    let mut undo = Undo::default();
    if let Some((path, text)) = &new_crl
        && !options.check
        && let Err(reason) = write_crl(path, text, &mut undo)
    {
        let mut errors = Vec::new();
        undo.run(root, &before, None, &mut errors).await;
        return Err(failure("offboard.write", with_undo_errors(reason, &errors)));
    }
    let mut access = None;
    if !devices.is_empty() {
        let names: Vec<&str> = devices.iter().map(String::as_str).collect();
        let opened = match open_access(&after, &resolver, &names, options).await {
            Ok(opened) => opened,
            Err(found) => {
                // The new CRL, if written, goes back.
                let mut errors = Vec::new();
                undo.run(root, &before, None, &mut errors).await;
                return Err(found);
            }
        };
        let playbook = device_playbook(
            &format!("Offboard {name}"),
            asset.value.user.as_deref().unwrap_or("IT"),
            None,
            reason,
            &format!("workstation {name} leaves the network"),
            &devices,
            gateway_check.as_ref(),
        );
        let run = run_devices(
            &after,
            &resolver,
            &opened,
            &format!("offboard-{name}"),
            &playbook,
            options,
            events,
        )
        .await;
        match run {
            Ok(run) => {
                if !options.check {
                    undo.devices = changed_devices(&run);
                    report.run_report = run.save(&before.root).ok();
                }
                let failed = run_failure(&run);
                report.run = Some(run);
                if let Some(reason) = failed {
                    if options.check {
                        report.reason = Some(reason);
                    } else {
                        rollback(root, &before, &opened, undo, &mut report, reason).await;
                    }
                    opened.close().await;
                    return Ok(report);
                }
            }
            Err(found) => {
                opened.close().await;
                return Err(found);
            }
        }
        access = Some(opened);
    }
    if options.check {
        if let Some(access) = access {
            access.close().await;
        }
        return Ok(report);
    }
    let result = archive_files(root, &after, asset, &archive, &mut undo, &mut report);
    if let Err(reason) = result {
        match &access {
            Some(opened) => rollback(root, &before, opened, undo, &mut report, reason).await,
            None => {
                let mut errors = Vec::new();
                undo.run(root, &before, None, &mut errors).await;
                report.outcome = Outcome::RolledBack;
                report.reason = Some(with_undo_errors(reason, &errors));
            }
        }
    } else {
        let store = crate::state::StateStore::open(root);
        let _ = store.update(
            name,
            "offboarding",
            serde_json::json!({"date": today(), "released": report.address, "port": report.port.as_ref().map(|(s, p)| format!("{s} {p}")), "vpn": report.vpn.as_ref().map(|(g, a)| format!("{g} {a}"))}),
        );
    }
    if let Some(access) = access {
        access.close().await;
    }
    Ok(report)
}

/// The CRL of `gateway` with `serial` added (revoked today), signed by its CA: the path
/// and the file's text. A serial already listed stays as it was.
fn revoke(ca: &OpenVpnCa, gateway: &str, serial: &str) -> Result<(PathBuf, String), Diagnostics> {
    let today = crate::inventory::date::Date::today();
    let bad_crl = |problem: String| {
        failure(
            "offboard.crl",
            format!(
                "the CRL {} of `{gateway}`: {problem}",
                ca.crl_path.display()
            ),
        )
    };
    let (number, mut revoked) = match &ca.crl_pem {
        Some(pem) => {
            let info = crate::pki::read_crl(pem, &ca.cert_pem).map_err(bad_crl)?;
            (info.number, info.revoked)
        }
        None => (0, Vec::new()),
    };
    let serial = serial.to_ascii_uppercase();
    if !revoked.iter().any(|r| r.serial == serial) {
        revoked.push(crate::pki::Revoked {
            serial,
            date: today,
        });
    }
    let pem = crate::pki::sign_crl(&ca.cert_pem, &ca.key, &revoked, number + 1, today)
        .map_err(bad_crl)?;
    Ok((ca.crl_path.clone(), crl_text(gateway, &pem)))
}

/// The archive written, the asset's old entry removed, DHCP re-rendered, VPN keys dropped.
fn archive_files(
    root: &Path,
    after: &Inventory,
    asset: &Located<Asset>,
    archive: &str,
    undo: &mut Undo,
    report: &mut Report,
) -> Result<(), String> {
    let name = &asset.value.name;
    let target = retired_path(root, name);
    if target.exists() {
        return Err(format!("{} already exists", target.display()));
    }
    let source = asset.origin.file.path.clone();
    let source = if source.is_absolute() {
        source
    } else {
        source.to_path_buf()
    };
    // Remove the asset from where it was written: its own file, or its item of a list.
    let remaining = match asset.origin.path.as_slice() {
        [] => None,
        [crate::yaml::PathSegment::Index(index)] => {
            let count = after
                .assets
                .iter()
                .filter(|a| Arc::ptr_eq(&a.origin.file, &asset.origin.file))
                .count();
            let text = without_item(&asset.origin.file, *index, count)
                .ok_or_else(|| format!("cannot find `{name}` in {}", source.display()))?;
            // Safety net: the file must still hold every other asset, unchanged.
            let vocabulary = crate::inventory::model::vocabulary();
            let (parsed, _) = crate::yaml::parse::<Vec<Asset>>(&text, &source, &vocabulary)
                .map_err(|_| {
                    format!("removing `{name}` from {} would break it", source.display())
                })?;
            let names: Vec<&str> = parsed.value.iter().map(|a| a.name.as_str()).collect();
            if names.len() + 1 != count || names.contains(&name.as_str()) {
                return Err(format!(
                    "removing `{name}` from {} would change other assets: edit it by hand",
                    source.display()
                ));
            }
            Some(text)
        }
        _ => return Err(format!("`{name}` is not where netparc can archive it from")),
    };
    std::fs::create_dir_all(target.parent().unwrap_or(root))
        .map_err(|e| format!("cannot create the archive folder: {e}"))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&target)
        .map_err(|e| format!("cannot create {}: {e}", target.display()))?;
    undo.asset_file = Some(target.clone());
    use std::io::Write;
    file.write_all(archive.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    undo.remember(&source);
    match remaining {
        None => std::fs::remove_file(&source),
        Some(text) => crate::fsutil::write_file(&source, text.as_bytes(), 0o644),
    }
    .map_err(|e| format!("cannot update {}: {e}", source.display()))?;
    let site = &asset.value.site;
    if let Ok(dir) = super::dhcp::site_dir(root, site) {
        undo.remember(&dir.join(super::dhcp::KEA_FILE));
        undo.remember(&dir.join(super::dhcp::DNSMASQ_FILE));
    }
    report
        .files
        .extend(super::dhcp::write_site(after, site).map_err(|e| e.to_string())?);
    if asset.value.vpn_client.is_some() {
        let mut store = open_vault(root)?;
        let (private, shared) = vault_names(name);
        for entry in [&private, &shared] {
            if store.contains(entry) {
                store.remove(entry).map_err(|e| e.to_string())?;
            }
        }
        store.save().map_err(|e| e.to_string())?;
    }
    Ok(())
}
