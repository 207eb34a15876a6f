//! The twins' SSH server (russh): one listener per device on its loopback address; password
//! and public-key authentication against the device's credentials; PTY + shell sessions with
//! echo, line editing and `--More--` paging around the platform's `CliSession`; exec
//! channels with stdout, stderr and exit status. Faults (down, refused, hung, authentication
//! failure, slow CLI, dropped connection, reload, legacy algorithms) are applied here, at
//! the protocol edge.
//! After each command the device stores what it saved, if that changed
//! ([`Device::sync_saved`]), before the client gets its answer.

use super::device::{CliSession, Device, Platform};
use russh::keys::{PrivateKey, PublicKey};
use russh::server::{Auth, Msg, Session};
use russh::{Channel, ChannelId, Disconnect};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

/// Creates a fresh CLI session for the device's platform.
pub type SessionFactory = Arc<dyn Fn() -> Box<dyn CliSession> + Send + Sync>;

/// The SSH side of one twin.
pub struct SshTwin {
    /// The device.
    pub device: Arc<Device>,
    /// Its host key (persisted by the lab so known_hosts works from run to run); behind a
    /// lock so the `host-key-changed` fault can replace it for the next connections.
    pub host_key: Arc<std::sync::Mutex<PrivateKey>>,
    /// How to start a CLI session on it.
    pub sessions: SessionFactory,
}

/// Server settings shared by every twin: Nagle off (CRATE-NOTES: 27–32 ms per round trip
/// otherwise), quick rejections (a twin has no brute-force to slow down), and the algorithms
/// its platform offers.
fn config(host_key: PrivateKey, offered: russh::Preferred) -> russh::server::Config {
    russh::server::Config {
        server_id: russh::SshId::Standard(String::from("SSH-2.0-Cisco-1.25").into()),
        keys: vec![host_key],
        preferred: offered,
        nodelay: true,
        auth_rejection_time: Duration::from_millis(20),
        auth_rejection_time_initial: Some(Duration::ZERO),
        inactivity_timeout: Some(Duration::from_secs(3600)),
        ..Default::default()
    }
}

/// The algorithms a twin offers in the handshake, as its real counterpart does:
/// - IOS: what `show ip ssh` lists on IOS XE 17.16 (curve25519, NIST-curve ECDH and SHA-2
///   Diffie-Hellman key exchanges, no post-quantum one; ChaCha20, AES-GCM and AES-CTR; SHA-2
///   ETM MACs). A client meets the same negotiation as against the real switch.
/// - Linux: russh's defaults, close to OpenSSH 10's (post-quantum key exchange first).
/// - With the `legacy-ssh` fault, any platform offers only what IOS 15 offers: SHA-1
///   Diffie-Hellman, AES-CTR and AES-CBC, HMAC-SHA1.
///
/// The host key type stays the twin's own (Ed25519).
fn offered_algorithms(platform: Platform, legacy: bool) -> russh::Preferred {
    use russh::{cipher, kex, mac};
    use std::borrow::Cow;
    const MARKERS: [kex::Name; 2] = [
        kex::EXTENSION_SUPPORT_AS_SERVER,
        kex::EXTENSION_OPENSSH_STRICT_KEX_AS_SERVER,
    ];
    let defaults = russh::Preferred::default();
    if legacy {
        return russh::Preferred {
            kex: Cow::Owned([&[kex::DH_G14_SHA1, kex::DH_G1_SHA1][..], &MARKERS].concat()),
            cipher: Cow::Borrowed(&[
                cipher::AES_128_CTR,
                cipher::AES_192_CTR,
                cipher::AES_256_CTR,
                cipher::AES_128_CBC,
                cipher::AES_192_CBC,
                cipher::AES_256_CBC,
            ]),
            mac: Cow::Borrowed(&[mac::HMAC_SHA1]),
            ..defaults
        };
    }
    match platform {
        Platform::Ios => russh::Preferred {
            kex: Cow::Owned(
                [
                    &[
                        kex::CURVE25519,
                        kex::CURVE25519_PRE_RFC_8731,
                        kex::ECDH_SHA2_NISTP256,
                        kex::ECDH_SHA2_NISTP384,
                        kex::ECDH_SHA2_NISTP521,
                        kex::DH_G14_SHA256,
                        kex::DH_G16_SHA512,
                    ][..],
                    &MARKERS,
                ]
                .concat(),
            ),
            cipher: Cow::Borrowed(&[
                cipher::CHACHA20_POLY1305,
                cipher::AES_128_GCM,
                cipher::AES_256_GCM,
                cipher::AES_128_CTR,
                cipher::AES_192_CTR,
                cipher::AES_256_CTR,
            ]),
            mac: Cow::Borrowed(&[mac::HMAC_SHA256_ETM, mac::HMAC_SHA512_ETM]),
            ..defaults
        },
        Platform::Linux | Platform::Host => defaults,
    }
}

/// Bind the twin's SSH port; the returned future serves until `shutdown` resolves. Binding
/// happens before this returns, so a caller can connect as soon as it has the address.
pub async fn bind(
    twin: SshTwin,
    address: SocketAddr,
) -> std::io::Result<(SocketAddr, impl Future<Output = ()> + Send)> {
    let listener = TcpListener::bind(address).await?;
    let local = listener.local_addr()?;
    let twin = Arc::new(twin);
    let serve = async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let faults = twin.device.faults();
            if faults.down || faults.ssh_refused {
                // Linger 0 turns the close into a reset: the client sees a refusal, as with
                // a closed port, rather than a protocol error.
                let _ = stream.set_zero_linger();
                drop(stream);
                continue;
            }
            if faults.ssh_hang {
                // A stuck SSH daemon, or a firewall that accepts and drops: the connection
                // opens and nothing ever answers. Held until the client gives up.
                tokio::spawn(async move {
                    let mut stream = stream;
                    let mut sink = [0u8; 1024];
                    while let Ok(read) = stream.read(&mut sink).await {
                        if read == 0 {
                            break;
                        }
                    }
                });
                continue;
            }
            let _ = stream.set_nodelay(true);
            let key = match twin.host_key.lock() {
                Ok(key) => key.clone(),
                Err(poisoned) => poisoned.into_inner().clone(),
            };
            let offered = offered_algorithms(twin.device.spec.platform, faults.legacy_ssh);
            let config = Arc::new(config(key, offered));
            let handler = Connection {
                twin: twin.clone(),
                channels: HashMap::new(),
            };
            tokio::spawn(async move {
                if let Ok(session) = russh::server::run_stream(config, stream, handler).await {
                    let _ = session.await;
                }
            });
        }
    };
    Ok((local, serve))
}

/// Per-channel terminal state.
struct Terminal {
    cli: Box<dyn CliSession>,
    /// The line being typed.
    line: Vec<u8>,
    /// The previous byte was `\r` (so a following `\n` is not a second Enter).
    after_cr: bool,
    /// Lines still to show after a `--More--`.
    pending_pages: Vec<String>,
    /// Configuration lines executed so far (for the dropped-connection fault).
    config_lines: u32,
}

struct Connection {
    twin: Arc<SshTwin>,
    channels: HashMap<ChannelId, Terminal>,
}

impl Connection {
    fn device(&self) -> &Device {
        &self.twin.device
    }
}

/// `\n` → `\r\n`, as a terminal expects.
fn crlf(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 16);
    let mut previous = 0u8;
    for &byte in text.as_bytes() {
        if byte == b'\n' && previous != b'\r' {
            out.push(b'\r');
        }
        out.push(byte);
        previous = byte;
    }
    out
}

const MORE: &str = " --More-- ";

impl russh::server::Handler for Connection {
    type Error = russh::Error;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        let spec = &self.device().spec;
        let faults = self.device().faults();
        if !faults.auth_failure && user == spec.username && password == spec.password {
            Ok(Auth::Accept)
        } else {
            Ok(Auth::reject())
        }
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: russh::server::VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        let spec = &self.device().spec;
        if self.device().faults().auth_failure || user != spec.username {
            return Ok(Auth::reject());
        }
        let offered = key.public_key.key_data();
        let known = spec.authorized_keys.iter().any(|line| {
            line.parse::<PublicKey>()
                .is_ok_and(|k| k.key_data() == offered)
        });
        Ok(if known { Auth::Accept } else { Auth::reject() })
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.channels.insert(
            channel.id(),
            Terminal {
                cli: (self.twin.sessions)(),
                line: Vec::new(),
                after_cr: false,
                pending_pages: Vec::new(),
                config_lines: 0,
            },
        );
        reply.accept().await;
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        let twin = self.twin.clone();
        let Some(terminal) = self.channels.get_mut(&channel) else {
            return Ok(());
        };
        let greeting = terminal.cli.greeting(&twin.device);
        let prompt = terminal.cli.prompt(&twin.device);
        let mut out = crlf(&greeting);
        out.extend_from_slice(prompt.as_bytes());
        session.data(channel, out)?;
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        let twin = self.twin.clone();
        let Some(terminal) = self.channels.get_mut(&channel) else {
            return Ok(());
        };
        if let Some(delay) = twin.device.faults().slow_cli {
            tokio::time::sleep(delay).await;
        }
        let command = String::from_utf8_lossy(data);
        let output = terminal.cli.exec(&twin.device, &command);
        twin.device.notify_changed();
        // Before the client hears back: what it saw succeed is on disk.
        twin.device.sync_saved().await;
        if !output.stdout.is_empty() {
            session.data(channel, output.stdout)?;
        }
        if !output.stderr.is_empty() {
            session.extended_data(channel, 1, output.stderr)?;
        }
        session.exit_status_request(channel, output.status)?;
        session.eof(channel)?;
        session.close(channel)?;
        Ok(())
    }

    async fn data(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let twin = self.twin.clone();
        let device = &twin.device;
        let Some(terminal) = self.channels.get_mut(&channel) else {
            return Ok(());
        };
        let mut out: Vec<u8> = Vec::new();
        for &byte in data {
            if !terminal.pending_pages.is_empty() {
                // At a --More--: space shows a page, Enter a line, anything else stops.
                out.extend_from_slice(b"\r          \r");
                match byte {
                    b' ' => show_page(terminal, &mut out),
                    b'\r' | b'\n' => show_lines(terminal, 1, &mut out),
                    _ => terminal.pending_pages.clear(),
                }
                if terminal.pending_pages.is_empty() {
                    out.extend_from_slice(terminal.cli.prompt(device).as_bytes());
                }
                continue;
            }
            match byte {
                b'\n' if terminal.after_cr => {
                    terminal.after_cr = false;
                }
                b'\r' | b'\n' => {
                    terminal.after_cr = byte == b'\r';
                    let line = String::from_utf8_lossy(&terminal.line).into_owned();
                    terminal.line.clear();
                    out.extend_from_slice(b"\r\n");
                    session.data(channel, std::mem::take(&mut out))?;
                    let faults = device.faults();
                    if faults.down {
                        return Err(russh::Error::Disconnect);
                    }
                    if let Some(delay) = faults.slow_cli {
                        tokio::time::sleep(delay).await;
                    }
                    let in_config = terminal.cli.prompt(device).contains("(config");
                    let output = terminal.cli.execute(device, &line);
                    device.notify_changed();
                    // Before the prompt comes back: a `write memory` the client saw succeed
                    // is on disk, even if the lab process is killed next.
                    device.sync_saved().await;
                    if in_config && !line.trim().is_empty() {
                        terminal.config_lines += 1;
                        if faults
                            .drop_after_config_lines
                            .is_some_and(|limit| terminal.config_lines >= limit)
                        {
                            // The line is applied, then the link drops: the worst moment.
                            session.disconnect(
                                Disconnect::ConnectionLost,
                                "connection lost",
                                "",
                            )?;
                            return Err(russh::Error::Disconnect);
                        }
                    }
                    let lines: Vec<String> = output
                        .text
                        .split_inclusive('\n')
                        .map(str::to_string)
                        .collect();
                    let page = terminal.cli.page_length();
                    if page > 0 && lines.len() > page {
                        terminal.pending_pages = lines;
                        show_lines(terminal, page.saturating_sub(1).max(1), &mut out);
                    } else {
                        out.extend(crlf(&output.text));
                    }
                    if output.reload {
                        session.data(channel, std::mem::take(&mut out))?;
                        device.reboot();
                        session.disconnect(Disconnect::ByApplication, "reload", "")?;
                        return Err(russh::Error::Disconnect);
                    }
                    if output.close {
                        session.data(channel, std::mem::take(&mut out))?;
                        session.eof(channel)?;
                        session.close(channel)?;
                        return Ok(());
                    }
                    if terminal.pending_pages.is_empty() {
                        out.extend_from_slice(terminal.cli.prompt(device).as_bytes());
                    }
                }
                // Backspace and delete erase the last character.
                0x08 | 0x7f => {
                    terminal.after_cr = false;
                    if terminal.line.pop().is_some() && !terminal.cli.hides_input() {
                        out.extend_from_slice(b"\x08 \x08");
                    }
                }
                // Ctrl-C abandons the line.
                0x03 => {
                    terminal.after_cr = false;
                    terminal.line.clear();
                    out.extend_from_slice(b"^C\r\n");
                    out.extend_from_slice(terminal.cli.prompt(device).as_bytes());
                }
                // Ctrl-Z ends configuration mode, like `end`.
                0x1a => {
                    terminal.after_cr = false;
                    terminal.line.clear();
                    let output = terminal.cli.execute(device, "end");
                    out.extend_from_slice(b"^Z\r\n");
                    out.extend(crlf(&output.text));
                    out.extend_from_slice(terminal.cli.prompt(device).as_bytes());
                }
                _ => {
                    terminal.after_cr = false;
                    terminal.line.push(byte);
                    if !terminal.cli.hides_input() {
                        out.push(byte);
                    }
                }
            }
        }
        if !out.is_empty() {
            session.data(channel, out)?;
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.channels.remove(&channel);
        session.close(channel)?;
        Ok(())
    }
}

fn show_lines(terminal: &mut Terminal, count: usize, out: &mut Vec<u8>) {
    let count = count.min(terminal.pending_pages.len());
    let shown: String = terminal.pending_pages.drain(..count).collect();
    out.extend(crlf(&shown));
    if !terminal.pending_pages.is_empty() {
        out.extend_from_slice(MORE.as_bytes());
    }
}

fn show_page(terminal: &mut Terminal, out: &mut Vec<u8>) {
    let page = terminal.cli.page_length().saturating_sub(1).max(1);
    show_lines(terminal, page, out);
}
