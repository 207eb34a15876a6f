//! The SSH client (russh): connect and authenticate with timeouts, verify the host key
//! against a known_hosts file (unknown keys refused unless accept-new, which records them;
//! a changed key always refused, with both fingerprints), run exec commands, and drive an
//! interactive shell by reading until a prompt pattern. In lab mode any destination outside
//! loopback is refused before a packet leaves. Authentication by password, private key, or
//! an SSH agent (`SSH_AUTH_SOCK`). With a [`Transcript`] attached, everything sent and
//! received on shell and exec channels is recorded, secrets redacted first.

use super::transcript::{Direction, Transcript};
use crate::secrets::Secret;
use regex::Regex;
use russh::client::{self, Handle};
use russh::keys::{HashAlg, PrivateKey, PublicKey};
use russh::{ChannelMsg, Disconnect};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How to prove who we are.
#[derive(Clone)]
pub enum Credential {
    /// Password authentication.
    Password(Secret),
    /// Public-key authentication with this private key.
    Key(Arc<PrivateKey>),
    /// Public-key authentication by an SSH agent: each identity it holds is offered in turn
    /// until one is accepted. `None` is the agent of `SSH_AUTH_SOCK`; a path names another
    /// agent socket (tests, or a dedicated agent for automation).
    Agent(Option<PathBuf>),
}

impl std::fmt::Debug for Credential {
    // Which kind only: a key or password never reaches a log through Debug.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Password(_) => f.write_str("Password(<redacted>)"),
            Credential::Key(_) => f.write_str("Key(<redacted>)"),
            Credential::Agent(socket) => write!(f, "Agent({socket:?})"),
        }
    }
}

/// How host keys are checked.
#[derive(Debug, Clone)]
pub struct HostKeyPolicy {
    /// The known_hosts file (the user's, or one kept in the inventory).
    pub known_hosts: PathBuf,
    /// Record an unknown key on first contact instead of refusing it.
    pub accept_new: bool,
}

/// Which SSH algorithms netparc offers a device.
///
/// `modern` is russh's safe set plus the NIST-curve key exchanges (ecdh-sha2-nistp256/384/521)
/// that IOS XE 16 offers beside SHA-1 Diffie-Hellman only, and without the SHA-1 `ssh-rsa`
/// host-key signature. `legacy` adds, after all of those, what old firmware still needs:
/// SHA-1 Diffie-Hellman (group14, group-exchange, group1), `ssh-rsa` signatures, CBC ciphers
/// and HMAC-SHA1. Stronger algorithms always come first, so `legacy` on a modern device still
/// negotiates a modern set; the audit flags every asset allowed to fall back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SshAlgorithms {
    /// Only algorithms without known weaknesses (the default).
    #[default]
    Modern,
    /// The modern set, then SHA-1 and CBC algorithms for old firmware.
    Legacy,
}

impl SshAlgorithms {
    /// What the client proposes, strongest first.
    pub fn preferred(self) -> russh::Preferred {
        use russh::keys::Algorithm;
        use russh::{cipher, kex, mac};
        use std::borrow::Cow;
        const MODERN_KEX: &[kex::Name] = &[
            kex::MLKEM768X25519_SHA256,
            kex::CURVE25519,
            kex::CURVE25519_PRE_RFC_8731,
            kex::ECDH_SHA2_NISTP256,
            kex::ECDH_SHA2_NISTP384,
            kex::ECDH_SHA2_NISTP521,
            kex::DH_GEX_SHA256,
            kex::DH_G18_SHA512,
            kex::DH_G17_SHA512,
            kex::DH_G16_SHA512,
            kex::DH_G15_SHA512,
            kex::DH_G14_SHA256,
        ];
        // Markers, not algorithms: they go last.
        const KEX_EXTENSIONS: &[kex::Name] = &[
            kex::EXTENSION_SUPPORT_AS_CLIENT,
            kex::EXTENSION_OPENSSH_STRICT_KEX_AS_CLIENT,
        ];
        const LEGACY_KEX: &[kex::Name] = &[kex::DH_G14_SHA1, kex::DH_GEX_SHA1, kex::DH_G1_SHA1];
        const LEGACY_CIPHERS: &[cipher::Name] = &[
            cipher::AES_256_CBC,
            cipher::AES_192_CBC,
            cipher::AES_128_CBC,
        ];
        const LEGACY_MACS: &[mac::Name] = &[mac::HMAC_SHA1_ETM, mac::HMAC_SHA1];
        let defaults = russh::Preferred::default();
        let mut kex = MODERN_KEX.to_vec();
        let mut key: Vec<Algorithm> = defaults
            .key
            .iter()
            .filter(|algorithm| **algorithm != Algorithm::Rsa { hash: None })
            .cloned()
            .collect();
        let mut cipher = defaults.cipher.to_vec();
        let mut mac = defaults.mac.to_vec();
        if self == SshAlgorithms::Legacy {
            kex.extend_from_slice(LEGACY_KEX);
            key.push(Algorithm::Rsa { hash: None });
            cipher.extend_from_slice(LEGACY_CIPHERS);
            mac.extend_from_slice(LEGACY_MACS);
        }
        kex.extend_from_slice(KEX_EXTENSIONS);
        russh::Preferred {
            kex: Cow::Owned(kex),
            key: Cow::Owned(key),
            cipher: Cow::Owned(cipher),
            mac: Cow::Owned(mac),
            ..defaults
        }
    }
}

/// Everything a connection needs.
#[derive(Clone)]
pub struct SshOptions {
    /// Login name.
    pub username: String,
    /// Password or key.
    pub credential: Credential,
    /// Host key checking.
    pub host_keys: HostKeyPolicy,
    /// Time allowed for TCP connect and the SSH handshake.
    pub connect_timeout: Duration,
    /// Time allowed for authentication.
    pub auth_timeout: Duration,
    /// Keepalive interval (None: no keepalives).
    pub keepalive: Option<Duration>,
    /// Refuse any destination outside loopback (the twin lab).
    pub lab_mode: bool,
    /// The algorithms offered.
    pub algorithms: SshAlgorithms,
}

/// Why a transport operation failed. Messages never contain secrets.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TransportError {
    /// Lab mode and a non-loopback destination.
    #[error("{0}")]
    LabDestination(String),
    /// TCP connection refused or reset.
    #[error("{target}: connection refused ({reason})")]
    Refused {
        /// Device name and address.
        target: String,
        /// What the system said.
        reason: String,
    },
    /// A stage took too long.
    #[error("{target}: timed out after {seconds:.1} s while {stage}")]
    Timeout {
        /// Device name and address.
        target: String,
        /// What was going on.
        stage: &'static str,
        /// The limit.
        seconds: f64,
    },
    /// The host key is not in known_hosts and accept-new is off.
    #[error(
        "{target}: unknown host key {fingerprint}; not in {known_hosts}; run again with --accept-new to record it after checking it"
    )]
    HostKeyUnknown {
        /// Device name and address.
        target: String,
        /// The offered key's SHA256 fingerprint.
        fingerprint: String,
        /// The known_hosts file consulted.
        known_hosts: String,
    },
    /// The host key differs from the recorded one: never accepted.
    #[error(
        "{target}: HOST KEY CHANGED: known_hosts {known_hosts} line {line} records {expected}, the device offered {offered}; refusing to connect (a replaced device, or someone in the middle): check, then remove the old line"
    )]
    HostKeyChanged {
        /// Device name and address.
        target: String,
        /// Recorded fingerprint.
        expected: String,
        /// Offered fingerprint.
        offered: String,
        /// known_hosts line of the recorded key.
        line: usize,
        /// The known_hosts file.
        known_hosts: String,
    },
    /// Authentication was rejected.
    #[error("{target}: authentication failed for user `{user}`")]
    AuthFailed {
        /// Device name and address.
        target: String,
        /// The login name.
        user: String,
    },
    /// The connection dropped.
    #[error("{target}: connection lost{detail}")]
    Disconnected {
        /// Device name and address.
        target: String,
        /// More words, when known.
        detail: String,
    },
    /// The SSH agent could not be reached or holds no usable key.
    #[error("{target}: SSH agent: {reason}")]
    Agent {
        /// Device name and address.
        target: String,
        /// What went wrong with the agent.
        reason: String,
    },
    /// The device and netparc share no algorithm of one kind.
    #[error("{target}: no common {kind} algorithm: the device offers {offered}{hint}")]
    NoCommonAlgorithm {
        /// Device name and address.
        target: String,
        /// Which negotiation (key exchange, host key, cipher, MAC, compression).
        kind: &'static str,
        /// What the device offered, comma-separated.
        offered: String,
        /// What to do about it, when netparc knows.
        hint: String,
    },
    /// Anything else the SSH layer reported.
    #[error("{target}: SSH error: {reason}")]
    Protocol {
        /// Device name and address.
        target: String,
        /// russh's message.
        reason: String,
    },
}

/// What the host key check decided (the russh handler cannot return rich errors).
#[derive(Debug, Clone)]
enum Verdict {
    Unknown(String),
    Changed {
        expected: String,
        offered: String,
        line: usize,
    },
    Failed(String),
}

struct Checker {
    host: String,
    port: u16,
    policy: HostKeyPolicy,
    verdict: Arc<Mutex<Option<Verdict>>>,
}

fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

impl client::Handler for Checker {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        offered: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let key = &offered.public_key();
        let path = &self.policy.known_hosts;
        let verdict = match russh::keys::check_known_hosts_path(&self.host, self.port, key, path) {
            Ok(true) => return Ok(true),
            Ok(false) if self.policy.accept_new => {
                match russh::keys::known_hosts::learn_known_hosts_path(
                    &self.host, self.port, key, path,
                ) {
                    Ok(()) => return Ok(true),
                    Err(error) => Verdict::Failed(format!(
                        "cannot record the host key in {}: {error}",
                        path.display()
                    )),
                }
            }
            Ok(false) => Verdict::Unknown(fingerprint(key)),
            Err(russh::keys::Error::KeyChanged { line }) => {
                let expected =
                    russh::keys::known_hosts::known_host_keys_path(&self.host, self.port, path)
                        .ok()
                        .and_then(|keys| keys.into_iter().find(|(l, _)| *l == line))
                        .map(|(_, k)| fingerprint(&k))
                        .unwrap_or_else(|| String::from("another key"));
                Verdict::Changed {
                    expected,
                    offered: fingerprint(key),
                    line,
                }
            }
            Err(error) => Verdict::Failed(format!("cannot read {}: {error}", path.display())),
        };
        if let Ok(mut slot) = self.verdict.lock() {
            *slot = Some(verdict);
        }
        Ok(false)
    }
}

/// An authenticated SSH connection to one device.
pub struct SshSession {
    handle: Handle<Checker>,
    target: String,
    /// The login password, kept only to register it with a transcript attached later (a
    /// device may echo it back, e.g. in a banner or an error).
    password: Option<Secret>,
    /// Where channels record what they send and receive, when the caller wants it.
    transcript: Option<Transcript>,
}

/// The output of a command run over an exec channel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecResult {
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error.
    pub stderr: Vec<u8>,
    /// Exit status (None when the device sent none).
    pub status: Option<u32>,
}

impl SshSession {
    /// Connect to `address` (the device `name`, for messages) and authenticate.
    pub async fn connect(
        name: &str,
        address: SocketAddr,
        options: &SshOptions,
    ) -> Result<SshSession, TransportError> {
        let target = format!("{name} ({address})");
        if options.lab_mode {
            crate::lab::address::guard_lab_destination(address.ip())
                .map_err(TransportError::LabDestination)?;
        }
        let config = Arc::new(client::Config {
            preferred: options.algorithms.preferred(),
            nodelay: true,
            inactivity_timeout: None,
            keepalive_interval: options.keepalive,
            keepalive_max: 3,
            ..Default::default()
        });
        let verdict = Arc::new(Mutex::new(None));
        let checker = Checker {
            host: address.ip().to_string(),
            port: address.port(),
            policy: options.host_keys.clone(),
            verdict: verdict.clone(),
        };
        let connect = client::connect(config, address, checker);
        let mut handle = match tokio::time::timeout(options.connect_timeout, connect).await {
            Err(_) => {
                return Err(TransportError::Timeout {
                    target,
                    stage: "connecting",
                    seconds: options.connect_timeout.as_secs_f64(),
                });
            }
            Ok(Ok(handle)) => handle,
            Ok(Err(error)) => {
                let verdict = verdict.lock().ok().and_then(|mut v| v.take());
                return Err(match verdict {
                    Some(Verdict::Unknown(fingerprint)) => TransportError::HostKeyUnknown {
                        target,
                        fingerprint,
                        known_hosts: options.host_keys.known_hosts.display().to_string(),
                    },
                    Some(Verdict::Changed {
                        expected,
                        offered,
                        line,
                    }) => TransportError::HostKeyChanged {
                        target,
                        expected,
                        offered,
                        line,
                        known_hosts: options.host_keys.known_hosts.display().to_string(),
                    },
                    Some(Verdict::Failed(reason)) => TransportError::Protocol { target, reason },
                    None => match no_common_algorithm(&target, &error, options.algorithms) {
                        Some(refusal) => refusal,
                        None => classify(target, &error),
                    },
                });
            }
        };
        let user = options.username.clone();
        let authenticate = async {
            match &options.credential {
                Credential::Password(secret) => handle
                    .authenticate_password(user.clone(), secret.expose())
                    .await
                    .map_err(|e| classify(target.clone(), &e)),
                Credential::Key(key) => {
                    let hash = handle
                        .best_supported_rsa_hash()
                        .await
                        .ok()
                        .flatten()
                        .flatten();
                    handle
                        .authenticate_publickey(
                            user.clone(),
                            russh::keys::PrivateKeyWithHashAlg::new(key.clone(), hash),
                        )
                        .await
                        .map_err(|e| classify(target.clone(), &e))
                }
                Credential::Agent(socket) => {
                    authenticate_with_agent(&mut handle, &user, socket.as_deref(), &target).await
                }
            }
        };
        let password = match &options.credential {
            Credential::Password(secret) => Some(secret.clone()),
            _ => None,
        };
        match tokio::time::timeout(options.auth_timeout, authenticate).await {
            Err(_) => Err(TransportError::Timeout {
                target,
                stage: "authenticating",
                seconds: options.auth_timeout.as_secs_f64(),
            }),
            Ok(Err(error)) => Err(error),
            Ok(Ok(result)) if result.success() => Ok(SshSession {
                handle,
                target,
                password,
                transcript: None,
            }),
            Ok(Ok(_)) => Err(TransportError::AuthFailed { target, user }),
        }
    }

    /// Record everything sent and received on this session's channels (opened from now on)
    /// in `transcript`. The login password, if any, is registered as a secret.
    pub fn set_transcript(&mut self, transcript: Transcript) {
        if let Some(password) = &self.password {
            transcript.redact(password.expose());
        }
        transcript.record(
            "ssh",
            Direction::Note,
            &format!("connected to {}\n", self.target),
        );
        self.transcript = Some(transcript);
    }

    /// The device name and address, as messages show it.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Run a command over an exec channel and collect its output, within `timeout`.
    pub async fn exec(
        &self,
        command: &str,
        timeout: Duration,
    ) -> Result<ExecResult, TransportError> {
        self.exec_as(command, command, timeout).await
    }

    /// [`exec`](Self::exec), recording `shown` in the transcript instead of `command`: for a
    /// command that carries data in an encoding redaction cannot see into (a file as base64).
    pub async fn exec_as(
        &self,
        command: &str,
        shown: &str,
        timeout: Duration,
    ) -> Result<ExecResult, TransportError> {
        let channel_name = self
            .transcript
            .as_ref()
            .map(|t| {
                let name = t.channel("exec");
                t.record(&name, Direction::Sent, &format!("{shown}\n"));
                name
            })
            .unwrap_or_default();
        let run = async {
            let mut channel = self
                .handle
                .channel_open_session()
                .await
                .map_err(|e| classify(self.target.clone(), &e))?;
            channel
                .exec(true, command)
                .await
                .map_err(|e| classify(self.target.clone(), &e))?;
            let mut result = ExecResult::default();
            while let Some(message) = channel.wait().await {
                match message {
                    ChannelMsg::Data { data } => result.stdout.extend_from_slice(&data),
                    ChannelMsg::ExtendedData { data, ext: 1 } => {
                        result.stderr.extend_from_slice(&data)
                    }
                    ChannelMsg::ExitStatus { exit_status } => result.status = Some(exit_status),
                    _ => {}
                }
            }
            Ok(result)
        };
        let outcome = tokio::time::timeout(timeout, run)
            .await
            .unwrap_or_else(|_| {
                Err(TransportError::Timeout {
                    target: self.target.clone(),
                    stage: "running a command",
                    seconds: timeout.as_secs_f64(),
                })
            });
        if let Some(transcript) = &self.transcript {
            match &outcome {
                Ok(result) => {
                    let stdout = String::from_utf8_lossy(&result.stdout);
                    transcript.record(&channel_name, Direction::Received, &stdout);
                    let stderr = String::from_utf8_lossy(&result.stderr);
                    transcript.record(&channel_name, Direction::Stderr, &stderr);
                    let status = result
                        .status
                        .map_or_else(|| String::from("none"), |s| s.to_string());
                    transcript.record(
                        &channel_name,
                        Direction::Note,
                        &format!("exit status {status}\n"),
                    );
                }
                Err(error) => {
                    transcript.record(&channel_name, Direction::Note, &format!("{error}\n"))
                }
            }
        }
        outcome
    }

    /// Open an interactive shell with a PTY (what network CLIs expect).
    pub async fn shell(&self) -> Result<Shell, TransportError> {
        let channel = self
            .handle
            .channel_open_session()
            .await
            .map_err(|e| classify(self.target.clone(), &e))?;
        channel
            .request_pty(true, "vt100", 511, 24, 0, 0, &[])
            .await
            .map_err(|e| classify(self.target.clone(), &e))?;
        channel
            .request_shell(true)
            .await
            .map_err(|e| classify(self.target.clone(), &e))?;
        let transcript = self
            .transcript
            .as_ref()
            .map(|t| (t.clone(), t.channel("shell")));
        Ok(Shell {
            channel,
            buffer: Vec::new(),
            target: self.target.clone(),
            closed: false,
            transcript,
            unlogged: Vec::new(),
        })
    }

    /// Close the connection politely.
    pub async fn close(self) {
        let _ = self
            .handle
            .disconnect(Disconnect::ByApplication, "bye", "")
            .await;
    }
}

/// Offer each identity the agent holds until the device accepts one. The agent signs; the
/// private keys never leave it.
async fn authenticate_with_agent(
    handle: &mut Handle<Checker>,
    user: &str,
    socket: Option<&std::path::Path>,
    target: &str,
) -> Result<client::AuthResult, TransportError> {
    use russh::keys::agent::AgentIdentity;
    use russh::keys::agent::client::AgentClient;
    let agent_error = |reason: String| TransportError::Agent {
        target: target.to_string(),
        reason,
    };
    let mut agent = match socket {
        Some(path) => AgentClient::connect_uds(path).await.map_err(|e| {
            agent_error(format!("cannot reach the agent at {}: {e}", path.display()))
        })?,
        None => AgentClient::connect_env()
            .await
            .map_err(|e| agent_error(format!("cannot reach the agent of SSH_AUTH_SOCK: {e}")))?,
    };
    let identities = agent
        .request_identities()
        .await
        .map_err(|e| agent_error(format!("cannot list its keys: {e}")))?;
    let keys: Vec<PublicKey> = identities
        .into_iter()
        .filter_map(|identity| match identity {
            AgentIdentity::PublicKey { key, .. } => Some(key),
            // Certificates need the server to trust a CA: not part of the device policy.
            AgentIdentity::Certificate { .. } => None,
        })
        .collect();
    if keys.is_empty() {
        return Err(agent_error(String::from(
            "the agent holds no key (add one with ssh-add)",
        )));
    }
    let hash = handle
        .best_supported_rsa_hash()
        .await
        .ok()
        .flatten()
        .flatten();
    let mut last = None;
    for key in keys {
        let hash = matches!(key.algorithm(), russh::keys::Algorithm::Rsa { .. })
            .then_some(hash)
            .flatten();
        match handle
            .authenticate_publickey_with(user, key, hash, &mut agent)
            .await
        {
            Ok(result) if result.success() => return Ok(result),
            Ok(result) => last = Some(result),
            // The agent refused to sign with this key (confirm-only, locked): try the next.
            Err(russh::AgentAuthError::Key(_)) => {}
            Err(russh::AgentAuthError::Send(_)) => {
                return Err(TransportError::Disconnected {
                    target: target.to_string(),
                    detail: String::from(" during agent authentication"),
                });
            }
        }
    }
    last.ok_or_else(|| agent_error(String::from("the agent signed with none of its keys")))
}

/// A failed negotiation in words a technician can act on: what the device offered, and
/// whether `legacy` algorithms would have met it.
fn no_common_algorithm(
    target: &str,
    error: &russh::Error,
    algorithms: SshAlgorithms,
) -> Option<TransportError> {
    let russh::Error::NoCommonAlgo { kind, theirs, .. } = error else {
        return None;
    };
    let legacy = SshAlgorithms::Legacy.preferred();
    fn names<N: AsRef<str>>(list: &[N]) -> Vec<String> {
        list.iter().map(|name| name.as_ref().to_owned()).collect()
    }
    let (kind, legacy_names) = match kind {
        russh::AlgorithmKind::Kex => ("key exchange", names(&legacy.kex)),
        russh::AlgorithmKind::Key => (
            "host key",
            legacy.key.iter().map(|key| key.to_string()).collect(),
        ),
        russh::AlgorithmKind::Cipher => ("cipher", names(&legacy.cipher)),
        russh::AlgorithmKind::Mac => ("MAC", names(&legacy.mac)),
        russh::AlgorithmKind::Compression => ("compression", names(&legacy.compression)),
    };
    let legacy_would_do = theirs.iter().any(|name| legacy_names.contains(name));
    let hint = if algorithms == SshAlgorithms::Modern && legacy_would_do {
        String::from(
            " (SHA-1 or CBC only); netparc offers modern algorithms unless told otherwise: set `ssh: { algorithms: legacy }` on this asset or its group to allow them, and plan the firmware upgrade",
        )
    } else {
        String::new()
    };
    // The extension markers of a key exchange list are not algorithms anyone can choose.
    let offered: Vec<&str> = theirs
        .iter()
        .map(String::as_str)
        .filter(|name| !name.starts_with("ext-info-") && !name.starts_with("kex-strict-"))
        .collect();
    Some(TransportError::NoCommonAlgorithm {
        target: target.to_owned(),
        kind,
        offered: offered.join(", "),
        hint,
    })
}

fn classify(target: String, error: &russh::Error) -> TransportError {
    match error {
        russh::Error::IO(io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::ConnectionReset
            ) =>
        {
            TransportError::Refused {
                target,
                reason: io.to_string(),
            }
        }
        russh::Error::IO(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            TransportError::Refused {
                target,
                reason: String::from("closed before the SSH handshake"),
            }
        }
        russh::Error::Disconnect | russh::Error::HUP => TransportError::Disconnected {
            target,
            detail: String::new(),
        },
        other => TransportError::Protocol {
            target,
            reason: other.to_string(),
        },
    }
}

/// An interactive shell: send text, read until a pattern.
pub struct Shell {
    channel: russh::Channel<client::Msg>,
    buffer: Vec<u8>,
    target: String,
    closed: bool,
    /// The transcript and this channel's label in it.
    transcript: Option<(Transcript, String)>,
    /// Received bytes not yet recorded: whole lines are recorded as they arrive, the rest
    /// when a read ends, so a secret is never split across two entries (where redaction
    /// could not see it whole).
    unlogged: Vec<u8>,
}

/// Remove terminal escape sequences (bracketed paste, colours) before matching prompts.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                // CSI: parameters and intermediates until a final byte in @..~
                for next in chars.by_ref() {
                    if ('@'..='~').contains(&next) {
                        break;
                    }
                }
            } else {
                chars.next();
            }
            continue;
        }
        if c != '\r' {
            out.push(c);
        }
    }
    out
}

impl Shell {
    /// Send raw text (add `\n` yourself for a line).
    pub async fn send(&mut self, text: &str) -> Result<(), TransportError> {
        if let Some((transcript, name)) = &self.transcript {
            transcript.record(name, Direction::Sent, text);
        }
        self.channel
            .data_bytes(text.as_bytes().to_vec())
            .await
            .map_err(|e| classify(self.target.clone(), &e))
    }

    /// Read until the text received (ANSI and `\r` stripped) matches `pattern`; returns that
    /// text and consumes it. A closed channel or the timeout is an error naming the stage.
    pub async fn read_until(
        &mut self,
        pattern: &Regex,
        timeout: Duration,
    ) -> Result<String, TransportError> {
        self.read_until_match(pattern, |text| pattern.find(text).map(|m| m.end()), timeout)
            .await
    }

    /// Read until `end_of` finds, in the text received (ANSI and `\r` stripped), where what
    /// is awaited ends; returns the text up to there and consumes it. `awaited` names it in
    /// the transcript when the channel closes or the timeout passes first.
    pub async fn read_until_match(
        &mut self,
        awaited: &(dyn std::fmt::Display + Sync),
        end_of: impl Fn(&str) -> Option<usize> + Send,
        timeout: Duration,
    ) -> Result<String, TransportError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let text = strip_ansi(&String::from_utf8_lossy(&self.buffer));
            if let Some(end) = end_of(&text) {
                let consumed = text[..end].to_string();
                let rest = text[end..].to_string();
                self.buffer = rest.into_bytes();
                self.log_received(true);
                return Ok(consumed);
            }
            if self.closed {
                self.log_received(true);
                // The pattern goes to the transcript (for whoever debugs the driver); the
                // message says it in a technician's words.
                self.note(&format!(
                    "channel closed by the device while waiting for {awaited}"
                ));
                return Err(TransportError::Disconnected {
                    target: self.target.clone(),
                    detail: String::from(" while waiting for the device's prompt"),
                });
            }
            match tokio::time::timeout_at(deadline, self.channel.wait()).await {
                Err(_) => {
                    self.log_received(true);
                    self.note(&format!(
                        "timed out after {:.1} s waiting for {awaited}",
                        timeout.as_secs_f64()
                    ));
                    return Err(TransportError::Timeout {
                        target: self.target.clone(),
                        stage: "waiting for the device's prompt",
                        seconds: timeout.as_secs_f64(),
                    });
                }
                Ok(None) | Ok(Some(ChannelMsg::Close | ChannelMsg::Eof)) => self.closed = true,
                Ok(Some(ChannelMsg::Data { data })) => {
                    self.buffer.extend_from_slice(&data);
                    if self.transcript.is_some() {
                        self.unlogged.extend_from_slice(&data);
                        self.log_received(false);
                    }
                }
                Ok(Some(_)) => {}
            }
        }
    }

    /// Record received text: whole lines, or everything when `all` (a read ended).
    fn log_received(&mut self, all: bool) {
        let Some((transcript, name)) = &self.transcript else {
            return;
        };
        let end = if all {
            self.unlogged.len()
        } else {
            match self.unlogged.iter().rposition(|&b| b == b'\n') {
                Some(at) => at + 1,
                None => return,
            }
        };
        let chunk: Vec<u8> = self.unlogged.drain(..end).collect();
        transcript.record(
            name,
            Direction::Received,
            &strip_ansi(&String::from_utf8_lossy(&chunk)),
        );
    }

    fn note(&self, text: &str) {
        if let Some((transcript, name)) = &self.transcript {
            transcript.record(name, Direction::Note, &format!("{text}\n"));
        }
    }
}

impl Credential {
    /// A key credential from an OpenSSH private key's text (what `ssh-keygen` writes).
    pub fn from_openssh_key(text: &str) -> Result<Credential, String> {
        PrivateKey::from_openssh(text)
            .map(|key| Credential::Key(Arc::new(key)))
            .map_err(|e| format!("not an OpenSSH private key: {e}"))
    }
}
