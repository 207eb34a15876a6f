//! Drivers: how netparc configures one platform, behind one trait. A driver reads the running
//! configuration, plans the change from running to intended (IOS-style remediation commands,
//! or whole files for Linux), applies it, saves it, restores a backup and runs operational
//! commands. The playbook engine only speaks [`Driver`]; a new platform is one file here and
//! one line in `PLATFORMS`, the registry [`connect`] looks platforms up in.
//!
//! Drivers reach devices only through [`crate::transport`].
//!
//! - [`ios`]: IOS-style CLIs over a PTY shell (prompts, modes, `%` errors, save).
//! - [`linux`]: Linux hosts over exec channels (atomic file writes, read-back, reload).
//!
//! Architecture invariant: nothing here knows russh; secrets registered in
//! [`DriverOptions`] never appear in a plan's diff, an error or the transcript.

pub mod ios;
pub mod linux;

use crate::secrets::Secret;
use crate::transport::ssh::{Credential, SshOptions, SshSession, TransportError};
use crate::transport::transcript::{Direction, Redactor, Transcript};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
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
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// A unified diff, running → intended, for people (`--diff`). Secrets are shown as the
    /// device shows them, or redacted by the driver.
    pub diff: String,
    /// Configuration lines to send, in order (IOS-style remediation).
    pub commands: Vec<String>,
    /// Files to install (Linux-style), then `removals`, then `reloads`.
    pub files: Vec<FileWrite>,
    /// Files to delete (Linux-style): files netparc installed in a folder it owns that the
    /// intent no longer has (the client file of an offboarded VPN client).
    pub removals: Vec<String>,
    /// The commands that make the device take the changed files into use, each once, in
    /// order.
    pub reloads: Vec<String>,
}

impl std::fmt::Debug for Plan {
    // Commands carry the intended configuration as sent, secrets in clear (`username …
    // secret …`): count them. The diff is already redacted by the driver.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plan")
            .field("diff", &self.diff)
            .field("commands", &format_args!("{} lines", self.commands.len()))
            .field("files", &self.files)
            .field("removals", &self.removals)
            .field("reloads", &self.reloads)
            .finish()
    }
}

impl Plan {
    /// True when nothing needs to change.
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty() && self.files.is_empty() && self.removals.is_empty()
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

/// What a driver needs beyond the SSH login. `Timeouts` converts into it, so
/// `connect(…, timeouts)` keeps working for callers that need nothing else.
#[derive(Clone, Default)]
pub struct DriverOptions {
    /// How long to wait per line and for a whole configuration read.
    pub timeouts: Timeouts,
    /// The privileged-mode secret (IOS `enable`), typed when a session starts at `>`.
    pub enable: Option<Secret>,
    /// Where to record the session (shared handle: keep a clone to write it out later).
    pub transcript: Option<Transcript>,
    /// Secret values to hide from the transcript, plan diffs and errors (the asset's
    /// resolved secrets: what its intended configuration holds in clear). The login
    /// password and the enable secret are added without being listed here.
    pub secrets: Vec<Secret>,
    /// The asset's rendered intended configuration, when the caller has it before
    /// connecting. File-based drivers (linux) learn from its `# netparc:` header which file
    /// they manage, so `running_config` and `restore` work before any `plan`.
    pub intended: Option<String>,
}

impl std::fmt::Debug for DriverOptions {
    // The intended configuration holds secrets in clear: its size only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DriverOptions")
            .field("timeouts", &self.timeouts)
            .field("enable", &self.enable)
            .field("transcript", &self.transcript)
            .field("secrets", &format_args!("{} values", self.secrets.len()))
            .field(
                "intended",
                &format_args!(
                    "{}",
                    self.intended
                        .as_ref()
                        .map_or_else(|| String::from("None"), |t| format!("{} bytes", t.len()))
                ),
            )
            .finish()
    }
}

impl From<Timeouts> for DriverOptions {
    fn from(timeouts: Timeouts) -> Self {
        DriverOptions {
            timeouts,
            ..Default::default()
        }
    }
}

/// An open session handed to a platform's opener.
pub struct Opening {
    /// The device's name.
    pub asset: String,
    /// The authenticated SSH session (transcript attached when one was asked for).
    pub session: SshSession,
    /// The caller's options.
    pub options: DriverOptions,
    /// Every secret to hide: the options' secrets, the login password, the enable secret.
    pub redactor: Redactor,
}

/// The future a platform's opener returns.
pub type Opened = Pin<Box<dyn Future<Output = Result<Box<dyn Driver>, DriverError>> + Send>>;

/// A platform's opener: prepares the session (prompt, modes) and returns its driver.
pub type Opener = fn(Opening) -> Opened;

/// The registry: platform name (as the inventory writes it) → opener. A new platform is one
/// file and one line here.
const PLATFORMS: &[(&str, Opener)] = &[
    ("ios", |opening| Box::pin(ios::open(opening))),
    ("linux", |opening| Box::pin(linux::open(opening))),
];

/// The platform names a driver exists for.
pub fn platforms() -> impl Iterator<Item = &'static str> {
    PLATFORMS.iter().map(|(name, _)| *name)
}

/// What to hide of a secret: its value, and for a key file of several lines (a PEM key
/// inlined in an OpenVPN configuration) each of its long lines too, since a diff shows a
/// file line by line.
fn redacted_values(secret: &Secret) -> impl Iterator<Item = &str> {
    let value = secret.expose();
    let lines = value.contains('\n').then(|| {
        value
            .lines()
            .map(str::trim)
            .filter(|l| l.len() >= 16 && !l.starts_with("-----") && !l.starts_with('#'))
    });
    std::iter::once(value).chain(lines.into_iter().flatten())
}

/// Open a driver for `platform` on the device `asset` at `address`: look the platform up
/// (an unknown one fails before any connection), connect and authenticate, then let the
/// platform prepare its session (prompt, privileged mode, paging for IOS).
pub async fn connect(
    platform: &str,
    asset: &str,
    address: SocketAddr,
    options: &SshOptions,
    driver: impl Into<DriverOptions>,
) -> Result<Box<dyn Driver>, DriverError> {
    let driver = driver.into();
    let Some((_, open)) = PLATFORMS.iter().find(|(name, _)| *name == platform) else {
        let known: Vec<&str> = platforms().collect();
        let hint = crate::diag::did_you_mean(platform, known.iter().copied())
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        return Err(DriverError::Failed {
            asset: asset.to_string(),
            message: format!(
                "no driver for platform `{platform}`{hint}; known platforms: {}",
                known.join(", ")
            ),
        });
    };
    let mut redactor = Redactor::new();
    for secret in &driver.secrets {
        for value in redacted_values(secret) {
            redactor.add_value(value);
        }
    }
    if let Credential::Password(password) = &options.credential {
        redactor.add_value(password.expose());
    }
    if let Some(enable) = &driver.enable {
        redactor.add_value(enable.expose());
    }
    let mut session = match SshSession::connect(asset, address, options).await {
        Ok(session) => session,
        Err(error) => {
            // The transcript says why it is empty (no secret in transport errors).
            if let Some(transcript) = &driver.transcript {
                transcript.record("ssh", Direction::Note, &format!("{error}\n"));
            }
            return Err(error.into());
        }
    };
    if let Some(transcript) = &driver.transcript {
        for secret in &driver.secrets {
            for value in redacted_values(secret) {
                transcript.redact(value);
            }
        }
        if let Some(enable) = &driver.enable {
            transcript.redact(enable.expose());
        }
        session.set_transcript(transcript.clone());
    }
    open(Opening {
        asset: asset.to_string(),
        session,
        options: driver,
        redactor,
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let plan = Plan {
            diff: String::from("+username a secret <redacted>\n"),
            commands: vec![String::from("username a secret hunter2")],
            files: vec![FileWrite {
                path: String::from("/etc/x"),
                mode: 0o600,
                content: String::from("PrivateKey = hunter2"),
            }],
            ..Default::default()
        };
        let options = DriverOptions {
            enable: Some(Secret::new("hunter2")),
            secrets: vec![Secret::new("hunter2")],
            intended: Some(String::from("username a secret hunter2")),
            ..Default::default()
        };
        for text in [format!("{plan:?}"), format!("{options:?}")] {
            assert!(!text.contains("hunter2"), "{text}");
        }
    }
}
