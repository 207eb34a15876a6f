//! Reaching devices: for each asset, the login (user, password or key, enable secret, from
//! the inventory after precedence and with secrets resolved), the address to contact (the
//! device's own on port 22, or its twin's with `--lab`), and the host key policy; plus the
//! twin lab itself when a command runs with `--lab` (started in-process, faults applied).
//! Every command that logs into devices (`exec`, `run`, `backup`, `restore`) comes through
//! here, so `--lab` means the same everywhere.

use crate::diag::{Diagnostic, Diagnostics};
use crate::inventory::{Asset, Inventory, Located, Selector, vars};
use crate::lab::control::FaultRequest;
use crate::lab::{Lab, LabOptions};
use crate::secrets::{Secret, SecretResolver};
use crate::transport::ssh::{Credential, HostKeyPolicy, SshOptions};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How devices are reached for one command.
#[derive(Debug, Clone, Default)]
pub struct AccessOptions {
    /// Contact the twins of a lab started in-process, never the real devices.
    pub lab: bool,
    /// Faults switched on in that lab before anything runs (`ASSET:FAULT`).
    pub faults: Vec<String>,
    /// Record unknown host keys (a changed key is always refused). The commands set it with
    /// `--lab`: the twins' keys are the lab's own, generated on this machine.
    pub accept_new: bool,
}

/// Everything needed to log into one device.
#[derive(Clone)]
pub struct Endpoint {
    /// The asset's name.
    pub asset: String,
    /// Its platform (picks the driver).
    pub platform: String,
    /// Where to connect; None when the asset has no address.
    pub address: Option<SocketAddr>,
    /// Login and host key policy.
    pub ssh: SshOptions,
    /// The privileged-mode secret, when the platform has one.
    pub enable: Option<Secret>,
    /// Every secret value of this asset (login, enable, and those its configuration holds):
    /// what reports and transcripts must never show.
    pub secrets: Vec<Secret>,
}

/// The devices of one command, and the lab standing in for them with `--lab`. Cloning
/// shares the lab.
#[derive(Clone)]
pub struct Access {
    lab: Option<Arc<Lab>>,
    known_hosts: PathBuf,
    accept_new: bool,
}

impl Access {
    /// Prepare access to the `selector`'s assets; with `options.lab`, start their twins and
    /// switch the requested faults on.
    pub async fn open(
        inventory: &Inventory,
        resolver: &SecretResolver,
        selector: &Selector,
        options: &AccessOptions,
    ) -> Result<Access, Diagnostics> {
        if !options.lab {
            if let Some(spec) = options.faults.first() {
                return Err(Diagnostics::from(Diagnostic::error(
                    "access.fault-without-lab",
                    format!("--fault `{spec}` needs --lab: faults exist only on twins"),
                )));
            }
            return Ok(Access {
                lab: None,
                known_hosts: inventory.root.join("state").join("known_hosts"),
                accept_new: options.accept_new,
            });
        }
        let mut lab_options = LabOptions::for_inventory(inventory);
        lab_options.ssh_port = 0;
        lab_options.snmp_port = 0;
        lab_options.selector = selector.clone();
        let lab = Lab::start(inventory, resolver, &lab_options)
            .await
            .map_err(|e| e.diagnostics())?;
        for spec in &options.faults {
            let fault = spec.split_once(':').ok_or_else(|| {
                format!("--fault `{spec}`: expected ASSET:FAULT, e.g. sw-hq-02:down")
            });
            let result = fault.and_then(|(asset, fault)| {
                lab.fault(&FaultRequest {
                    asset: asset.to_string(),
                    fault: fault.to_string(),
                    on: true,
                })
                .map_err(|message| format!("--fault `{spec}`: {message}"))
            });
            if let Err(message) = result {
                lab.stop().await;
                return Err(Diagnostics::from(Diagnostic::error(
                    "access.bad-fault",
                    message,
                )));
            }
        }
        Ok(Access {
            lab: Some(Arc::new(lab)),
            // The twins' host keys are the lab's own: its known_hosts lives beside them.
            known_hosts: lab_options.state_dir.join("known_hosts"),
            accept_new: options.accept_new,
        })
    }

    /// The lab, with `--lab`.
    pub fn lab(&self) -> Option<&Arc<Lab>> {
        self.lab.as_ref()
    }

    /// The lab's warnings at start (saved twin state it could not use), none without `--lab`.
    pub fn lab_warnings(&self) -> Diagnostics {
        self.lab
            .as_ref()
            .map(|lab| lab.warnings().clone())
            .unwrap_or_default()
    }

    /// How to log into `asset`. Fails when it has no platform or no usable credentials.
    pub fn endpoint(
        &self,
        inventory: &Inventory,
        asset: &Located<Asset>,
        resolver: &SecretResolver,
    ) -> Result<Endpoint, Diagnostic> {
        let name = &asset.value.name;
        let platform = asset.value.platform.clone().ok_or_else(|| {
            Diagnostic::error(
                "access.no-platform",
                format!("`{name}` has no platform: netparc cannot log into it"),
            )
            .asset(name)
        })?;
        let (username, credential, enable) = login(inventory, asset, resolver)?;
        let address = match &self.lab {
            Some(lab) => lab.twin(name).and_then(|t| t.ssh),
            None => {
                let port = vars::ssh_port(inventory, asset);
                asset.value.address.map(|ip| SocketAddr::new(ip, port))
            }
        };
        let mut secrets: Vec<Secret> = Vec::new();
        if let Credential::Password(password) = &credential {
            secrets.push(password.clone());
        }
        secrets.extend(enable.iter().cloned());
        let mut cached = crate::intent::CachedResolver::new(resolver);
        cached.prefetch(inventory, asset);
        for field in crate::intent::secret_fields(inventory, asset) {
            if let Ok(secret) = cached.lookup(&field, name) {
                secrets.push(secret);
            }
        }
        let timeout = vars::ssh_timeout(inventory, asset);
        Ok(Endpoint {
            asset: name.clone(),
            platform,
            address,
            ssh: SshOptions {
                username,
                credential,
                host_keys: HostKeyPolicy {
                    known_hosts: self.known_hosts.clone(),
                    accept_new: self.accept_new,
                },
                connect_timeout: timeout,
                auth_timeout: timeout,
                keepalive: Some(Duration::from_secs(15)),
                lab_mode: self.lab.is_some(),
                algorithms: vars::ssh_algorithms(inventory, asset)
                    .map(|sourced| *sourced.value)
                    .unwrap_or_default(),
            },
            enable,
            secrets,
        })
    }

    /// Stop the lab, if any.
    pub async fn close(&self) {
        if let Some(lab) = &self.lab {
            lab.stop().await;
        }
    }
}

/// The login of an asset from its effective credentials: user, password or key, enable.
fn login(
    inventory: &Inventory,
    asset: &Located<Asset>,
    resolver: &SecretResolver,
) -> Result<(String, Credential, Option<Secret>), Diagnostic> {
    let name = &asset.value.name;
    let credentials = vars::credentials(inventory, asset).ok_or_else(|| {
        Diagnostic::error(
            "access.no-credentials",
            format!("`{name}` has no credentials"),
        )
        .asset(name)
        .hint("give it (or a group, or the defaults) `credentials:`")
    })?;
    let username = credentials.value.username.clone();
    let credential = if let Some(reference) = &credentials.value.ssh_key {
        let text = resolver
            .resolve(reference)
            .map_err(|e| e.to_diagnostic().asset(name).field("credentials.ssh_key"))?;
        Credential::from_openssh_key(text.expose()).map_err(|e| {
            Diagnostic::error(
                "access.bad-ssh-key",
                format!("the SSH key of `{name}` is {e}"),
            )
            .asset(name)
        })?
    } else if let Some(reference) = &credentials.value.password {
        Credential::Password(
            resolver
                .resolve(reference)
                .map_err(|e| e.to_diagnostic().asset(name).field("credentials.password"))?,
        )
    } else if std::env::var_os("SSH_AUTH_SOCK").is_some() {
        // Neither secret in the inventory: the user's SSH agent holds the key.
        Credential::Agent(None)
    } else {
        return Err(Diagnostic::error(
            "access.no-credentials",
            format!("`{name}` has neither a password nor an SSH key, and no SSH agent runs"),
        )
        .asset(name)
        .hint("give `credentials.password` or `credentials.ssh_key`, or start ssh-agent (SSH_AUTH_SOCK)"));
    };
    let enable = match &credentials.value.enable {
        Some(reference) => Some(
            resolver
                .resolve(reference)
                .map_err(|e| e.to_diagnostic().asset(name).field("credentials.enable"))?,
        ),
        None => None,
    };
    Ok((username, credential, enable))
}
