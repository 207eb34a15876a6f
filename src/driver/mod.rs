//! Drivers: how netparc configures one platform, behind one trait. A driver reads the running
//! configuration, plans the change from running to intended (IOS-style remediation commands,
//! or whole files for Linux), applies it, saves it, restores a backup and runs operational
//! commands. The playbook engine only speaks [`Driver`]; a new platform is one file here and
//! one line in [`connect`].
//!
//! Drivers reach devices only through [`crate::transport`].

use crate::transport::ssh::{SshOptions, TransportError};
use std::net::SocketAddr;
use std::time::Duration;

/// Why a driver operation failed. Messages never contain secrets.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DriverError {
    /// The connection could not be made, or broke.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The device refused a configuration line (`% Invalid input`…).
    #[error("{asset}: the device rejected `{line}`: {message}")]
    Rejected {
        /// The device.
        asset: String,
        /// The offending line, as sent.
        line: String,
        /// What the device printed.
        message: String,
    },
    /// Anything else (a command's exit status, a read-back mismatch, an unknown platform).
    #[error("{asset}: {message}")]
    Failed {
        /// The device.
        asset: String,
        /// What went wrong.
        message: String,
    },
}

impl DriverError {
    /// True when the device may have been left half-changed and did not answer: the
    /// connection dropped or timed out (as opposed to a clean refusal).
    pub fn connection_lost(&self) -> bool {
        matches!(
            self,
            DriverError::Transport(
                TransportError::Disconnected { .. } | TransportError::Timeout { .. }
            )
        )
    }
}

/// A file a Linux-style driver installs.
#[derive(Clone, PartialEq, Eq)]
pub struct FileWrite {
    /// Absolute path on the device.
    pub path: String,
    /// Permission bits (`0o600`).
    pub mode: u32,
    /// The whole new content.
    pub content: String,
}

impl std::fmt::Debug for FileWrite {
    // The content may hold keys: show its size only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "FileWrite({}, {:o}, {} bytes)",
            self.path,
            self.mode,
            self.content.len()
        )
    }
}

/// What turns the running configuration into the intended one. Empty when in sync.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// A unified diff, running → intended, for people (`--diff`). Secrets are shown as the
    /// device shows them, or redacted by the driver.
    pub diff: String,
    /// Configuration lines to send, in order (IOS-style remediation).
    pub commands: Vec<String>,
    /// Files to install (Linux-style), then `reload`.
    pub files: Vec<FileWrite>,
    /// The command that makes the device take the files into use.
    pub reload: Option<String>,
}

impl Plan {
    /// True when nothing needs to change.
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty() && self.files.is_empty()
    }
}

/// How a push treats configuration the intent does not mention.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    /// Add and change; leave the rest alone.
    #[default]
    Merge,
    /// Make running equal to intended: remove what the intent does not mention.
    Replace,
}

/// How long a driver waits.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Per configuration line or command (slow devices: raise it).
    pub command: Duration,
    /// Reading the whole running configuration.
    pub read: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            command: Duration::from_secs(10),
            read: Duration::from_secs(30),
        }
    }
}

/// The output of an operational command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandOutput {
    /// What it printed (prompt and echo removed).
    pub text: String,
    /// Exit status where the platform has one (Linux); None on CLIs.
    pub status: Option<u32>,
}

/// One platform's way of configuring a device over an open connection.
#[async_trait::async_trait]
pub trait Driver: Send {
    /// The device's name (for messages).
    fn asset(&self) -> &str;
    /// The running configuration, in the form intended configurations are compared with
    /// (banners such as `Building configuration...` removed).
    async fn running_config(&mut self) -> Result<String, DriverError>;
    /// The change from `running` to `intended`. Pure; no device contact.
    fn plan(&self, intended: &str, running: &str, mode: Mode) -> Result<Plan, DriverError>;
    /// Apply a plan. Fails naming the offending line when the device refuses one.
    async fn apply(&mut self, plan: &Plan) -> Result<(), DriverError>;
    /// Make the running configuration survive a reboot.
    async fn save(&mut self) -> Result<(), DriverError>;
    /// Put a backup (a running configuration read earlier) back in place, and save it.
    async fn restore(&mut self, backup: &str) -> Result<(), DriverError>;
    /// Run an operational command and capture its output.
    async fn command(&mut self, line: &str) -> Result<CommandOutput, DriverError>;
    /// Run configuration lines as typed (a playbook's `command: {config: true}`).
    async fn configure(&mut self, lines: &[String]) -> Result<(), DriverError>;
    /// Close the connection politely.
    async fn close(self: Box<Self>);
}

/// Open a driver for `platform` on the device `asset` at `address`.
pub async fn connect(
    platform: &str,
    asset: &str,
    address: SocketAddr,
    options: &SshOptions,
    timeouts: Timeouts,
) -> Result<Box<dyn Driver>, DriverError> {
    let _ = (address, options, timeouts);
    Err(DriverError::Failed {
        asset: asset.to_string(),
        message: format!("no driver for platform `{platform}` yet"),
    })
}
