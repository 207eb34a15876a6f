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
//! What the modes mean here: `Merge` adds and changes; `Replace` also removes. In both, an
//! access list or a banner the intent defines is made exactly the intended one (a partial
//! list would match something else), and a default the intent states (`no shutdown`) is
//! restored when the device says otherwise. `Replace` leaves what the device writes for
//! itself (boot markers, licences, its PKI, platform lines) alone, and empties hardware
//! ports and lines (`default interface`, `no …` under the line) rather than deleting them.
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
//! - An entry that only changes place in an ACL is deleted just before it is typed at its
//!   new place (IOS keeps one copy of an entry): for that one command, the traffic it
//!   matched meets the entries after its old place.
//! - The IOS knowledge in [`normalize`] (hidden defaults, settings replaced in place) covers
//!   what the templates produce and the common settings. A single-valued setting missing
//!   from its table costs, inside a block, a `no` of the old value before the new one; at
//!   the top level (where removals come last) that `no` could undo the new value: add the
//!   setting to the table when a template starts using it.
//! - The management VLAN is guessed (`ip ssh source-interface`, else the only SVI with an
//!   address) unless [`remediation_with`] names it; a core switch with several addressed
//!   SVIs and no `ip ssh source-interface` gets no management ordering without the hint.
//!   The management path is kept by ordering only: a change that removes the management
//!   VLAN from the uplink still cuts the session, at the very end.
//! - `Replace` removes any top-level line the intent does not mention and that is not in
//!   the short list of device-owned sections: on a device with hand-made features the
//!   templates do not cover, preview the diff first.
//!
//! Architecture invariant: no I/O; knows nothing of SSH, drivers (but their [`Mode`]) or
//! the twin. The twin is only used by the tests, as the independent model of IOS the
//! remediation is checked against.

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
///
/// Format: a block is entered by its header line; its lines follow indented one space per
/// level (for the people reading the plan: the driver strips leading spaces); `exit` leaves
/// a nested block, and a block before a top-level line. For example, running
/// `interface GigabitEthernet1/0/5` / ` switchport voice vlan 20` against an intent without
/// the voice VLAN, in replace mode:
///
/// ```text
/// interface Gi1/0/5
///  no switchport voice vlan 20
/// ```
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
    let intended = intended_tree(intended);
    remediate::remediate(&running, &intended, mode, management_vlan)
}

/// A unified diff from the running to the intended configuration, both normalised (secrets
/// show as `<secret>`), labelled `running (asset)` and `intended (asset)`; `""` when they are
/// the same configuration. Lines IOS never shows (`snmp-server user`) are left out.
pub fn unified_diff(running: &str, intended: &str, asset: &str) -> String {
    let running = normalize::normalize(&tree::parse(running));
    let intended = intended_tree(intended);
    diff::unified(&running, &intended, asset)
}

/// [`remediation`] and [`unified_diff`] together, each configuration parsed and normalised
/// once (a push needs both; parsing twice was a measurable share of its CPU). The diff is
/// `""` when the remediation is empty.
pub fn remediation_and_diff(
    running: &str,
    intended: &str,
    mode: Mode,
    asset: &str,
) -> (Vec<String>, String) {
    let running = normalize::normalize(&tree::parse(running));
    let intended = intended_tree(intended);
    let commands = remediate::remediate(&running, &intended, mode, None);
    if commands.is_empty() {
        return (commands, String::new());
    }
    let diff = diff::unified(&running, &intended, asset);
    (commands, diff)
}

/// A plain unified diff of two whole files (order and every byte count), running →
/// intended, labelled with `label`; empty when equal. For file-based platforms.
pub fn file_diff(running: &str, intended: &str, label: &str) -> String {
    diff::text(
        running,
        intended,
        &format!("running ({label})"),
        &format!("intended ({label})"),
    )
}

/// The intended configuration as IOS will hold it: normalised, with the VLANs IOS creates by
/// itself for the ports (see [`normalize::imply_vlans`]).
fn intended_tree(text: &str) -> Vec<normalize::Item> {
    let mut items = normalize::normalize(&tree::parse(text));
    normalize::imply_vlans(&mut items);
    items
}
