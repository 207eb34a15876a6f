//! Intended versus running, for IOS-style configurations (indented blocks: interfaces,
//! VLANs, lines, router sections, ACLs): the remediation that turns the running
//! configuration into the intended one, and a unified diff for people. Pure: no I/O.
//!
//! Layout:
//! - [`tree`]: text → tree of lines (comments, `end`, show headers skipped; banners whole).
//! - [`normalize`]: what IOS does to lines (names, VLAN lists, secrets, hidden defaults), so
//!   both sides compare as IOS would; the IOS tables of settings replaced in place.
//! - [`remediate`]: the comparison and the ordered commands (strategy documented there:
//!   management path last, ACLs never cutting what both versions permit).
//! - [`diff`]: the unified diff, through the `similar` crate.
//!
//! Secrets: `enable secret …`, `username NAME … secret …` (and line passwords, WLAN PSKs,
//! key strings) compare equal when everything but the secret matches: the device keeps a
//! salted hash, so the value cannot be compared, and the diff shows `<secret>` instead.
//!
//! Known limitations:
//! - Rotating a secret alone is not detected (same reason); push it as a command.
//! - `snmp-server user` lines are never shown by IOS: they are sent with their group (when
//!   the running configuration lacks `snmp-server group G`, or the intent changes it), so a
//!   new password for an existing user is not detected either.
//! - Numbered ACLs (`access-list 10 …` top-level lines) are compared as plain lines, not as
//!   an ordered list; use named lists (the templates do).
//! - IPv6 and MAC access lists are edited with the same sequence scheme but without a
//!   `resequence` first, so their entries must be numbered 10, 20, 30… on the device.
//! - The IOS knowledge (hidden defaults, single-valued settings) covers the lines our
//!   templates produce and common ones; an unknown single-valued setting changed in replace
//!   mode gets a harmless but unnecessary `no` of its old value after the new one… except
//!   that for such a setting the `no` of the old value may clear the new one: add it to
//!   [`normalize`]'s table when a template starts using it.

pub mod diff;
pub mod normalize;
pub mod remediate;
pub mod tree;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod twin_tests;

use crate::driver::Mode;

/// The configuration lines that turn `running` into `intended`, in a safe order (see
/// [`remediate`]), as typed after `configure terminal` (the driver sends `end`). Empty when
/// nothing needs to change. `Merge` adds and changes and leaves unmentioned configuration
/// alone; `Replace` also removes what the intent does not mention. The management VLAN is
/// found from the configurations (see [`remediation_with`] to name it).
pub fn remediation(running: &str, intended: &str, mode: Mode) -> Vec<String> {
    remediation_with(running, intended, mode, None)
}

/// [`remediation`] with the management VLAN named: its `vlan N` block and `interface VlanN`
/// come last. Without the hint it is the SVI named by `ip ssh source-interface`, else the
/// only SVI with an address.
pub fn remediation_with(
    running: &str,
    intended: &str,
    mode: Mode,
    management_vlan: Option<u16>,
) -> Vec<String> {
    let running = normalize::normalize(&tree::parse(running));
    let intended = normalize::normalize(&tree::parse(intended));
    remediate::remediate(&running, &intended, mode, management_vlan)
}

/// A unified diff from the running to the intended configuration, both normalised (secrets
/// show as `<secret>`), labelled `running (asset)` and `intended (asset)`; `""` when they are
/// the same configuration. Lines IOS never shows (`snmp-server user`) are left out.
pub fn unified_diff(running: &str, intended: &str, asset: &str) -> String {
    let running = normalize::normalize(&tree::parse(running));
    let intended = normalize::normalize(&tree::parse(intended));
    diff::unified(&running, &intended, asset)
}
