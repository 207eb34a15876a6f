//! Faults at run time: their names as a technician types them (`netparc lab fault sw1 down
//! on`), and the lab's control socket that applies them to a running lab from another
//! process. One JSON request per line, one JSON reply per line.

use super::device::Device;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The faults `netparc lab fault` knows, for help and "did you mean".
pub const FAULTS: [&str; 14] = [
    "down",
    "ssh-refused",
    "ssh-hang",
    "auth-failure",
    "slow-cli",
    "drop-config",
    "host-key-changed",
    "snmp-timeout",
    "wrong-sysname",
    "interface-down",
    "no-write-memory",
    "legacy-ssh",
    "reboot",
    "clear",
];

/// One fault switch, as sent over the control socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRequest {
    /// The asset.
    pub asset: String,
    /// The fault name (one of [`FAULTS`]), optionally `name=value` (`slow-cli=500`,
    /// `drop-config=3`, `wrong-sysname=core`, `interface-down=GigabitEthernet1/0/1`).
    pub fault: String,
    /// On or off.
    pub on: bool,
}

/// The lab's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultReply {
    /// Applied or not.
    pub ok: bool,
    /// What happened, or why not.
    pub message: String,
}

/// What applying a fault needs from the lab beyond the device (host keys live there).
pub trait FaultHost {
    /// Replace the asset's host key (the `host-key-changed` fault).
    fn change_host_key(&self, asset: &str) -> Result<String, String>;
}

/// Apply a fault to a device. Returns a line saying what changed.
pub fn apply(
    device: &Device,
    request: &FaultRequest,
    host: &dyn FaultHost,
) -> Result<String, String> {
    let (name, value) = match request.fault.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (request.fault.as_str(), None),
    };
    let on = request.on;
    let number = |default: u64| -> Result<u64, String> {
        match value {
            None => Ok(default),
            Some(text) => text
                .parse()
                .map_err(|_| format!("`{text}` is not a number for fault `{name}`")),
        }
    };
    match name {
        "down" => device.set_faults(|f| f.down = on),
        "ssh-refused" => device.set_faults(|f| f.ssh_refused = on),
        "ssh-hang" => device.set_faults(|f| f.ssh_hang = on),
        "auth-failure" => device.set_faults(|f| f.auth_failure = on),
        "snmp-timeout" => device.set_faults(|f| f.snmp_timeout = on),
        "no-write-memory" => device.set_faults(|f| f.no_write_memory = on),
        "legacy-ssh" => device.set_faults(|f| f.legacy_ssh = on),
        "slow-cli" => {
            let millis = number(500)?;
            device.set_faults(|f| f.slow_cli = on.then(|| Duration::from_millis(millis)));
        }
        "drop-config" => {
            let lines = number(1)? as u32;
            device.set_faults(|f| f.drop_after_config_lines = on.then_some(lines));
        }
        "wrong-sysname" => {
            let wrong = value.unwrap_or("wrong-name").to_string();
            device.set_faults(|f| f.wrong_sysname = on.then_some(wrong));
        }
        "interface-down" => {
            let Some(interface) = value else {
                return Err(String::from(
                    "interface-down needs the interface: interface-down=GigabitEthernet1/0/1",
                ));
            };
            device.set_faults(|f| {
                f.interfaces_down.retain(|i| i != interface);
                if on {
                    f.interfaces_down.push(interface.to_string());
                }
            });
        }
        "reboot" => {
            device.reboot();
            return Ok(format!(
                "{} rebooted: uptime reset, unsaved configuration lost",
                device.spec.name
            ));
        }
        "host-key-changed" => {
            let fingerprint = host.change_host_key(&device.spec.name)?;
            return Ok(format!(
                "{} now offers host key {fingerprint}",
                device.spec.name
            ));
        }
        "clear" => device.set_faults(|f| *f = Default::default()),
        other => {
            let hint = crate::diag::did_you_mean(other, FAULTS)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(format!(
                "unknown fault `{other}`{hint}; known faults: {}",
                FAULTS.join(", ")
            ));
        }
    }
    Ok(format!(
        "{}: {} {}",
        device.spec.name,
        request.fault,
        if on { "on" } else { "off" }
    ))
}

/// Send one fault request to a running lab's control socket and return its reply.
pub async fn send(socket: &std::path::Path, request: &FaultRequest) -> std::io::Result<FaultReply> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let stream = tokio::net::UnixStream::connect(socket).await?;
    let (read, mut write) = stream.into_split();
    let mut text = serde_json::to_string(request).map_err(std::io::Error::other)?;
    text.push('\n');
    write.write_all(text.as_bytes()).await?;
    let mut lines = BufReader::new(read).lines();
    match lines.next_line().await? {
        Some(line) => serde_json::from_str(&line).map_err(std::io::Error::other),
        None => Err(std::io::Error::other(
            "the lab closed the control socket without a reply",
        )),
    }
}
