//! The Linux twin: a simulated Debian-like VPN gateway (WireGuard with wg-quick) or Linux
//! access point (hostapd), reached over SSH as a POSIX-ish shell. It owns the device's
//! disk, systemd units, WireGuard and hostapd runtime state, and the shell that changes
//! them — all in memory, pure and bounded: no sockets, no processes, no host files.
//!
//! - [`state`]: `LinuxState` (hostname, disk, units, loaded peers/SSIDs, journal, facts,
//!   reboot) and the service actions.
//! - `saved`: what the twin keeps across lab runs (its `/etc` as it differs from the
//!   factory), as bytes the lab stores.
//! - [`session`]: `LinuxSession`, the interactive and exec shell the SSH layer drives.
//! - `syntax` / `shell`: the shell language's parser and runtime.
//! - `commands` / `text` / `system`: the builtins (coreutils, text tools, systemctl, wg…).
//! - `fs`, `wireguard`, `hostapd`, `crypto`: the disk, the WireGuard and hostapd models,
//!   and SHA-256/base64/X25519.

mod commands;
mod crypto;
mod fs;
mod hostapd;
mod saved;
pub mod session;
mod shell;
pub mod state;
mod syntax;
mod system;
mod text;
mod wireguard;

#[cfg(test)]
mod tests;

pub use hostapd::{Bss, HostapdConfig};
pub use session::{LinuxSession, new_session};
pub use state::{LinuxState, new_state};
pub use wireguard::PeerInfo;

/// The WireGuard public key of a base64 private key, as `wg pubkey` computes it (for tests
/// and tools that build peers for a twin). `None` when the key is malformed.
pub fn wg_public_key(private_key: &str) -> Option<String> {
    let key = crypto::key_from_base64(private_key.trim())?;
    Some(crypto::key_to_base64(&crypto::public_key(&key)))
}

/// A deterministic WireGuard key pair `(private, public)` for `seed` and `n`: distinct
/// seeds or numbers give distinct keys, the same ones the same keys.
pub fn wg_keypair(seed: &str, n: u64) -> (String, String) {
    let private = crypto::derive_private_key(seed, n);
    (
        crypto::key_to_base64(&private),
        crypto::key_to_base64(&crypto::public_key(&private)),
    )
}
