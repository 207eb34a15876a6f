//! The IOS twin: a simulated Cisco IOS-XE switch or access point, faithful enough that
//! Netmiko's `cisco_ios` driver (and netparc's own driver) drive it unchanged. Owns the
//! platform's state (running and startup configurations, ports) and its command line (modes,
//! prompts, abbreviations, IOS's error shapes, show commands). Pure: no I/O, no sleeps; the
//! SSH and SNMP layers carry it.
//!
//! Layout, generic first, so another IOS-like platform (NX-OS style) can reuse the parser:
//! - [`parse`]: tokens, abbreviation matching, the three error shapes, the line cursor.
//! - [`grammar`]: declarative keyword trees and the walker.
//! - [`config`]: the configuration tree (blocks, lines, rendering).
//! - [`filter`]: `| include`, `| section`… on command output.
//! - [`ifname`], [`vlans`]: interface names and ranges, VLAN lists.
//!
//! IOS itself:
//! - [`modes`], [`validators`], [`rules`]: the configuration grammar, argument checks, and
//!   how lines are filed (single-valued settings, default-on features, section order).
//! - [`engine`]: configuration mode (mode stack, fallback to parent modes, `no`, banners).
//! - [`exec`]: the EXEC grammar; [`show`]: show command output.
//! - [`state`]: [`IosState`], factory configuration, facts, flash files; [`session`]:
//!   [`IosSession`].
//! - [`secret`]: how secrets appear in the configuration (type 9-like hashes).
//!
//! Entry points: [`new_state`] (the platform state of a twin, from its spec) and
//! [`new_session`] (one CLI session). The SSH layer may also use [`IosState::check_login`]
//! (pushed `username` lines take effect at the next login) and [`IosState::flash_write`]
//! (SCP to `flash:`); tests and the lab can preload a configuration with
//! [`IosState::configure`].

pub mod config;
pub mod engine;
pub mod exec;
pub mod filter;
pub mod grammar;
pub mod ifname;
pub mod modes;
pub mod parse;
pub mod rules;
pub mod secret;
pub mod session;
pub mod show;
pub mod state;
pub mod validators;
pub mod vlans;

#[cfg(test)]
mod tests;

pub use session::{IosSession, new_session};
pub use state::{ConfigError, InterfaceView, IosState, PortMode, new_state};
