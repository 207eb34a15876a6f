//! The twin lab: simulated devices on loopback, one per asset, speaking SSH (an IOS-style
//! CLI or a Linux shell) and SNMP from their live state. The ground for every test and the
//! safe preview behind `--lab`.
//!
//! - [`device`]: a twin's spec, state, faults, and the platform traits.
//! - [`platforms`]: the registry: which state and CLI each platform gets (one line each).
//! - [`ios`]: the IOS-style twin of switches and access points.
//! - [`linux`]: the Linux twin of VPN gateways and Linux access points.
//! - [`host`]: end devices (workstations, printers).
//! - [`address`]: stable loopback addresses per asset; the lab-mode destination guard.
//! - [`build`]: twin specs from the inventory (secrets resolved).
//! - [`ssh`]: the twins' SSH server.
//! - [`snmp`]: the twins' SNMP agents (v2c, v3 USM), answering from live state.
//! - [`control`]: faults by name, and the control socket of a running lab.
//! - [`netns`]: the isolated network where only present twins answer (ping included).
//! - [`persist`]: what twins saved, kept from run to run under the state folder.
//!
//! Twins remember what a device keeps across a power cut: a twin boots from what it saved
//! on an earlier run (its platform decides what that is: see
//! [`device::PlatformState::persisted`]), stores it again right after each command that
//! changed it and at [`Lab::stop`], and loses the rest, as a device does.

pub mod address;
pub mod build;
pub mod control;
pub mod device;
pub mod host;
pub mod ios;
pub mod linux;
pub mod netns;
pub mod persist;
pub mod platforms;
pub mod snmp;
pub mod ssh;

use crate::diag::{Diagnostic, Diagnostics};
use crate::inventory::{Inventory, Selector};
use crate::secrets::SecretResolver;
use device::{Device, Platform};
use russh::keys::{Algorithm, HashAlg, PrivateKey};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// How to start a lab.
#[derive(Debug, Clone)]
pub struct LabOptions {
    /// SSH port every twin listens on (0: any free port, as tests use).
    pub ssh_port: u16,
    /// SNMP port every twin listens on (0: any free port).
    pub snmp_port: u16,
    /// Where host keys persist between runs (so known_hosts checks pass from run to run), and
    /// what the twins saved (`devices/`, see [`persist`]).
    pub state_dir: PathBuf,
    /// Salt for the address derivation: empty for `netparc lab`, unique per test so parallel
    /// labs never collide.
    pub salt: String,
    /// Which assets get a twin.
    pub selector: Selector,
    /// The calling thread is in a private network namespace
    /// ([`netns::enter_private_namespace`]): the lab puts a twin's address on `lo` only while
    /// it should answer, so a device that is down stops answering ping and a workstation
    /// answers once its switch port is configured for it.
    pub isolated: bool,
}

impl LabOptions {
    /// Standard ports when running as root (22, 161), high ones otherwise (10022, 10161),
    /// host keys under the inventory's `state/lab/`.
    pub fn for_inventory(inventory: &Inventory) -> LabOptions {
        let root = running_as_root();
        LabOptions {
            ssh_port: if root { 22 } else { 10022 },
            snmp_port: if root { 161 } else { 10161 },
            state_dir: inventory.root.join("state").join("lab"),
            salt: String::new(),
            selector: Selector::all(),
            isolated: false,
        }
    }
}

/// True for uid 0 (binding ports under 1024 needs it); read from /proc, no libc needed.
pub fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("Uid:"))
                .map(|line| line.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// One running twin.
#[derive(Clone)]
pub struct Twin {
    /// The device and its live state.
    pub device: Arc<Device>,
    /// Where its SSH server listens (None for end devices).
    pub ssh: Option<SocketAddr>,
    /// Where its SNMP agent listens (None without an SNMP profile).
    pub snmp: Option<SocketAddr>,
    /// Its current host key fingerprint (SHA256).
    pub host_key_fingerprint: Option<String>,
    /// It booted from what it saved on an earlier run (not from factory).
    pub from_saved: bool,
}

/// A running lab. Dropping it stops nothing: call [`Lab::stop`] (which also stores what the
/// twins saved).
pub struct Lab {
    twins: Vec<Twin>,
    shutdown: watch::Sender<bool>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    host_keys: Mutex<HostKeys>,
    /// Where each end device plugs in: (switch, full port name, VLAN id).
    links: std::collections::HashMap<String, (String, String, Option<u32>)>,
    /// Isolated mode: the twin addresses currently on `lo`.
    present: Option<Mutex<std::collections::HashSet<IpAddr>>>,
    /// Woken by any twin's change.
    changes: Arc<tokio::sync::Notify>,
    /// Saved state that could not be used at start (each twin concerned started from
    /// factory), for the commands to show.
    warnings: Diagnostics,
}

struct HostKeys {
    dir: PathBuf,
    /// Shared with each twin's SSH server, which reads the current key per connection.
    keys: std::collections::HashMap<String, Arc<Mutex<PrivateKey>>>,
}

/// Why a lab could not start.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// The inventory gives an asset nothing a twin can use (credentials, secrets).
    #[error("the lab cannot be built from this inventory")]
    Inventory(Diagnostics),
    /// A socket could not be bound.
    #[error("cannot listen on {address} for {asset}: {reason}")]
    Bind {
        /// The asset.
        asset: String,
        /// The address.
        address: SocketAddr,
        /// The system's reason, with a hint.
        reason: String,
    },
    /// The isolated network could not be changed.
    #[error("isolated lab network: {0}")]
    Network(String),
    /// Host keys could not be read or written.
    #[error("host key for {asset} at {path}: {reason}")]
    HostKey {
        /// The asset.
        asset: String,
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

fn load_or_create_host_key(dir: &Path, asset: &str) -> Result<PrivateKey, LabError> {
    let path = dir.join(format!("{asset}.key"));
    let fail = |reason: String| LabError::HostKey {
        asset: asset.to_string(),
        path: path.clone(),
        reason,
    };
    if path.is_file() {
        let text = std::fs::read_to_string(&path).map_err(|e| fail(e.to_string()))?;
        return PrivateKey::from_openssh(&text).map_err(|e| fail(e.to_string()));
    }
    let key = PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519)
        .map_err(|e| fail(e.to_string()))?;
    save_host_key(dir, asset, &key)?;
    Ok(key)
}

fn save_host_key(dir: &Path, asset: &str, key: &PrivateKey) -> Result<(), LabError> {
    let path = dir.join(format!("{asset}.key"));
    let fail = |reason: String| LabError::HostKey {
        asset: asset.to_string(),
        path: path.clone(),
        reason,
    };
    crate::fsutil::create_private_dir(dir).map_err(|e| fail(e.to_string()))?;
    let text = key
        .to_openssh(russh::keys::ssh_key::LineEnding::LF)
        .map_err(|e| fail(e.to_string()))?;
    crate::fsutil::write_file(&path, text.as_bytes(), 0o600).map_err(|e| fail(e.to_string()))
}

impl Lab {
    /// Start one twin per selected asset. Every twin is listening when this returns.
    pub async fn start(
        inventory: &Inventory,
        resolver: &SecretResolver,
        options: &LabOptions,
    ) -> Result<Lab, LabError> {
        raise_open_files_limit();
        let selected: Vec<_> = inventory
            .assets
            .iter()
            .filter(|a| options.selector.matches(&a.value))
            .collect();
        let addresses =
            address::assign(&options.salt, selected.iter().map(|a| a.value.name.clone()));
        let mut problems = Diagnostics::new();
        let mut warnings = Diagnostics::new();
        let saved = Arc::new(persist::SavedStates::new(&options.state_dir));
        let mut devices = Vec::new();
        for asset in &selected {
            let Some(address) = addresses.get(&asset.value.name) else {
                continue;
            };
            match build::spec_for(inventory, asset, resolver, *address) {
                Ok(spec) => {
                    let (state, stored, from_saved) = boot(&spec, &saved, &mut warnings);
                    let device = Arc::new(Device::new(spec, state));
                    device.save_to(saved.clone(), stored);
                    // A twin that kept its saved state (or never saved anything) also kept
                    // running: its uptime goes on. One whose saved file was unusable starts
                    // from factory: it booted now.
                    let recorded = if from_saved || saved.files_of(&device.spec.name).is_empty() {
                        saved.load_boot(&device.spec.name)
                    } else {
                        None
                    };
                    device.resume_boot(recorded);
                    devices.push((device, from_saved));
                }
                Err(found) => problems.extend(found),
            }
        }
        if !problems.is_empty() {
            problems.merge_repeats();
            return Err(LabError::Inventory(problems));
        }
        let mut links = std::collections::HashMap::new();
        for asset in &selected {
            let a = &asset.value;
            if let Some(link) = &a.connected_to {
                let vlan = inventory.site(&a.site).and_then(|site| {
                    let address = a.address?;
                    crate::plan::place(site, a.vlan.as_deref(), address).map(|p| p.vlan.id)
                });
                links.insert(
                    a.name.clone(),
                    (
                        link.switch.clone(),
                        ios::ifname::canonical(&link.port),
                        vlan,
                    ),
                );
            }
        }
        let key_dir = options.state_dir.join("host-keys");
        let (shutdown, _) = watch::channel(false);
        let mut lab = Lab {
            twins: Vec::new(),
            shutdown,
            tasks: Mutex::new(Vec::new()),
            host_keys: Mutex::new(HostKeys {
                dir: key_dir.clone(),
                keys: std::collections::HashMap::new(),
            }),
            links,
            present: options
                .isolated
                .then(|| Mutex::new(std::collections::HashSet::new())),
            changes: Arc::new(tokio::sync::Notify::new()),
            warnings,
        };
        if options.isolated {
            // Listeners can only bind addresses that exist: every twin starts present, and
            // the first reconcile below removes those that should not answer (their sockets
            // stay bound and work again when the address comes back).
            for (device, _) in &devices {
                lab.set_present(device.spec.address, true)?;
            }
        }
        for (device, from_saved) in devices {
            let mut twin = Twin {
                device: device.clone(),
                ssh: None,
                snmp: None,
                host_key_fingerprint: None,
                from_saved,
            };
            if let Some(sessions) = platforms::sessions_for(device.spec.platform) {
                let key = load_or_create_host_key(&key_dir, &device.spec.name)?;
                twin.host_key_fingerprint =
                    Some(key.public_key().fingerprint(HashAlg::Sha256).to_string());
                let shared = Arc::new(Mutex::new(key));
                let bind_at = SocketAddr::new(device.spec.address, options.ssh_port);
                let ssh_twin = ssh::SshTwin {
                    device: device.clone(),
                    host_key: shared.clone(),
                    sessions,
                };
                let (local, serve) = ssh::bind(ssh_twin, bind_at)
                    .await
                    .map_err(|e| bind_error(&device, bind_at, &e))?;
                twin.ssh = Some(local);
                lab.spawn_until_shutdown(serve);
                if let Ok(mut keys) = lab.host_keys.lock() {
                    keys.keys.insert(device.spec.name.clone(), shared);
                }
            }
            if device.spec.snmp.is_some() {
                let bind_at = SocketAddr::new(device.spec.address, options.snmp_port);
                let agent = snmp::SnmpAgent::bind(device.clone(), bind_at)
                    .await
                    .map_err(|e| LabError::Bind {
                        asset: device.spec.name.clone(),
                        address: bind_at,
                        reason: e.to_string(),
                    })?;
                twin.snmp = Some(agent.local_addr());
                let mut watcher = lab.shutdown.subscribe();
                let task = tokio::spawn(async move {
                    let _ = agent
                        .run(async move {
                            let _ = watcher.wait_for(|stop| *stop).await;
                        })
                        .await;
                });
                if let Ok(mut tasks) = lab.tasks.lock() {
                    tasks.push(task);
                }
            }
            device.watch_changes(lab.changes.clone());
            lab.twins.push(twin);
        }
        lab.reconcile()?;
        Ok(lab)
    }

    fn spawn_until_shutdown(&self, serve: impl Future<Output = ()> + Send + 'static) {
        let mut watcher = self.shutdown.subscribe();
        let task = tokio::spawn(async move {
            tokio::select! {
                () = serve => {}
                _ = watcher.wait_for(|stop| *stop) => {}
            }
        });
        if let Ok(mut tasks) = self.tasks.lock() {
            tasks.push(task);
        }
    }

    fn set_present(&self, address: IpAddr, present: bool) -> Result<(), LabError> {
        let Some(set) = &self.present else {
            return Ok(());
        };
        let mut set = set.lock().unwrap_or_else(|p| p.into_inner());
        if set.contains(&address) == present {
            return Ok(());
        }
        let result = if present {
            netns::add_address(address)
        } else {
            netns::remove_address(address)
        };
        result.map_err(|error| LabError::Network(error.to_string()))?;
        if present {
            set.insert(address);
        } else {
            set.remove(&address);
        }
        Ok(())
    }

    /// Whether a twin should answer now: not down, and for an end device, its switch port is
    /// up, forwards (access or dynamic) and carries the device's VLAN.
    fn should_answer(&self, twin: &Twin) -> bool {
        if twin.device.faults().down {
            return false;
        }
        if twin.device.spec.platform != Platform::Host {
            return true;
        }
        let Some((switch, port, vlan)) = self.links.get(&twin.device.spec.name) else {
            return false;
        };
        let Some(switch) = self.twin(switch) else {
            return false;
        };
        if switch.device.faults().down {
            return false;
        }
        let state = switch.device.state();
        let Some(ios) = state.platform.as_any().downcast_ref::<ios::IosState>() else {
            return false;
        };
        let view = ios.interface_view(port);
        let forwards = matches!(view.mode, ios::PortMode::Access | ios::PortMode::Dynamic);
        !view.shutdown && forwards && vlan.is_none_or(|id| u32::from(view.access_vlan) == id)
    }

    /// Bring every twin's reachability in line with its state now (end devices' links, the
    /// `down` fault). Runs by itself after every change in isolated mode; callers may run it
    /// to know it is done.
    pub fn reconcile(&self) -> Result<(), LabError> {
        for twin in &self.twins {
            let answer = self.should_answer(twin);
            if twin.device.spec.platform == Platform::Host {
                let mut state = twin.device.state();
                if let Some(host) = state
                    .platform
                    .as_any_mut()
                    .downcast_mut::<host::HostState>()
                {
                    host.link_up = answer;
                }
            }
            self.set_present(twin.device.spec.address, answer)?;
        }
        Ok(())
    }

    /// In isolated mode, keep reachability in line by itself: re-run [`Lab::reconcile`]
    /// after every change a twin reports (a CLI line, a fault, a reboot).
    pub fn run_reconciler(self: &Arc<Self>) {
        if self.present.is_none() {
            return;
        }
        let lab = Arc::downgrade(self);
        let changes = self.changes.clone();
        self.spawn_until_shutdown(async move {
            loop {
                changes.notified().await;
                let Some(lab) = lab.upgrade() else { return };
                if let Err(error) = lab.reconcile() {
                    tracing::warn!("lab reachability: {error}");
                }
            }
        });
    }

    /// Every twin, in asset-name order.
    pub fn twins(&self) -> &[Twin] {
        &self.twins
    }

    /// The twin of an asset.
    pub fn twin(&self, asset: &str) -> Option<&Twin> {
        self.twins.iter().find(|t| t.device.spec.name == asset)
    }

    /// Saved state found at start that could not be used (warnings: each twin concerned
    /// started from factory). Also logged; the commands print them.
    pub fn warnings(&self) -> &Diagnostics {
        &self.warnings
    }

    /// Stop every listener, agent and the control socket, then store what each twin saved
    /// (as a device keeps its startup configuration through a power cut). Twins whose saved
    /// state did not change since it was last stored write nothing.
    pub async fn stop(&self) {
        let _ = self.shutdown.send(true);
        let tasks: Vec<_> = match self.tasks.lock() {
            Ok(mut tasks) => tasks.drain(..).collect(),
            Err(_) => Vec::new(),
        };
        for task in tasks {
            let _ = task.await;
        }
        for twin in &self.twins {
            twin.device.sync_saved().await;
        }
    }

    /// Serve fault requests on a Unix socket at `path` (replacing a stale one), for
    /// `netparc lab fault` from another process.
    pub fn serve_control(self: &Arc<Self>, path: &Path) -> std::io::Result<()> {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        if let Some(parent) = path.parent() {
            crate::fsutil::create_private_dir(parent)?;
        }
        let _ = std::fs::remove_file(path);
        let listener = tokio::net::UnixListener::bind(path)?;
        let lab = Arc::downgrade(self);
        let serve = async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let Some(lab) = lab.upgrade() else { return };
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let reply = match serde_json::from_str::<control::FaultRequest>(&line) {
                            Ok(request) => match lab.fault(&request) {
                                Ok(message) => control::FaultReply { ok: true, message },
                                Err(message) => control::FaultReply { ok: false, message },
                            },
                            Err(error) => control::FaultReply {
                                ok: false,
                                message: format!("bad request: {error}"),
                            },
                        };
                        let mut text = serde_json::to_string(&reply).unwrap_or_default();
                        text.push('\n');
                        if write.write_all(text.as_bytes()).await.is_err() {
                            break;
                        }
                    }
                });
            }
        };
        self.spawn_until_shutdown(serve);
        Ok(())
    }

    /// Apply a fault by name (see [`control::FAULTS`]).
    pub fn fault(&self, request: &control::FaultRequest) -> Result<String, String> {
        let twin = self.twin(&request.asset).ok_or_else(|| {
            let names = self.twins.iter().map(|t| t.device.spec.name.as_str());
            let hint = crate::diag::did_you_mean(&request.asset, names)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            format!("no twin named `{}`{hint}", request.asset)
        })?;
        let message = control::apply(&twin.device, request, self)?;
        // Reachability follows at once (the `down` fault, a rebooted switch's ports).
        self.reconcile().map_err(|e| e.to_string())?;
        Ok(message)
    }
}

impl control::FaultHost for Lab {
    fn change_host_key(&self, asset: &str) -> Result<String, String> {
        let keys = self
            .host_keys
            .lock()
            .map_err(|_| String::from("host keys unavailable"))?;
        let shared = keys
            .keys
            .get(asset)
            .ok_or_else(|| format!("`{asset}` has no SSH server"))?;
        let key =
            PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519).map_err(|e| e.to_string())?;
        save_host_key(&keys.dir, asset, &key).map_err(|e| e.to_string())?;
        let fingerprint = key.public_key().fingerprint(HashAlg::Sha256).to_string();
        if let Ok(mut current) = shared.lock() {
            *current = key;
        }
        Ok(fingerprint)
    }
}

/// A twin's platform state: booted from what it saved on an earlier run when that is
/// usable, from factory otherwise (with a warning, never a failed start: a lab that does not
/// start is worse than a twin that forgot). Also returns what its own saved file holds in
/// usable form, the baseline a later command must change before anything is written: what
/// the state persists now, or None when its file is unusable, so the first command (or the
/// stop) replaces that file with the twin's real state. And whether it booted from its file.
fn boot(
    spec: &device::DeviceSpec,
    saved: &persist::SavedStates,
    warnings: &mut Diagnostics,
) -> (Box<dyn device::PlatformState>, Option<Vec<u8>>, bool) {
    let mut state = platforms::state_for(spec);
    let mut unusable = Vec::new();
    let own = saved.file(&spec.name, spec.platform);
    let mut own_usable = true;
    let mut from_saved = false;
    match saved.load(spec, &mut unusable) {
        Some(bytes) => {
            from_saved = true;
            if let Err(reason) = state.boot_from(&bytes, spec) {
                from_saved = false;
                own_usable = false;
                if let Some(path) = own {
                    unusable.push(persist::Unusable { path, reason });
                }
                // boot_from leaves the state as it was on error; a fresh one makes sure.
                state = platforms::state_for(spec);
            }
        }
        None => own_usable = !unusable.iter().any(|u| Some(&u.path) == own.as_ref()),
    }
    for file in unusable {
        tracing::warn!(
            twin = %spec.name,
            file = %file.path.display(),
            reason = %file.reason,
            "saved state ignored; the twin starts from factory"
        );
        warnings.push(
            Diagnostic::warning(
                "lab.saved-state-ignored",
                format!(
                    "`{}` starts from factory: its saved state {} is ignored ({})",
                    spec.name,
                    file.path.display(),
                    file.reason
                ),
            )
            .asset(&spec.name)
            .hint(format!(
                "`netparc lab -i INVENTORY reset {}` removes it; the next change saved on the twin replaces it",
                spec.name
            )),
        );
    }
    let baseline = if own_usable { state.persisted() } else { None };
    (state, baseline, from_saved)
}

/// Each twin holds a few sockets: a large lab needs more than the usual soft limit of 1,024
/// open files. Raise the soft limit to the hard one (allowed without privilege).
fn raise_open_files_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read and write the struct we pass, nothing else.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

fn bind_error(device: &Device, address: SocketAddr, error: &std::io::Error) -> LabError {
    if error.raw_os_error() == Some(libc::EMFILE) {
        return LabError::Bind {
            asset: device.spec.name.clone(),
            address,
            reason: format!(
                "{error} (each twin holds about 3 files: raise `ulimit -n` or start fewer twins with --limit)"
            ),
        };
    }
    let hint = match error.kind() {
        std::io::ErrorKind::PermissionDenied => " (ports under 1024 need root: pass a higher port)",
        std::io::ErrorKind::AddrInUse => {
            " (another lab, or another program, already listens there)"
        }
        std::io::ErrorKind::AddrNotAvailable => {
            " (this address is not configured on this machine: is the loopback interface limited to 127.0.0.1?)"
        }
        _ => "",
    };
    LabError::Bind {
        asset: device.spec.name.clone(),
        address,
        reason: format!("{error}{hint}"),
    }
}

impl LabError {
    /// The problems as diagnostics, for the CLI.
    pub fn diagnostics(&self) -> Diagnostics {
        match self {
            LabError::Inventory(found) => found.clone(),
            other => Diagnostic::error("lab.start", other.to_string()).into(),
        }
    }
}

/// True when `address` is a twin's (loopback).
pub fn is_twin_address(address: IpAddr) -> bool {
    address.is_loopback()
}

/// Whether a platform runs an SSH server in the lab.
pub fn has_cli(platform: Platform) -> bool {
    platform != Platform::Host
}
