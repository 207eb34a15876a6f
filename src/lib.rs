//! netparc: network provisioning and verification.
//!
//! # Layout
//! - [`access`]: logins, addresses and the in-process lab: how a command reaches devices.
//! - [`diag`]: the one shape of every problem found (file:line:column, expected, hint).
//! - [`yaml`]: YAML loading with positions, unknown keys, the scalar index the guard uses.
//! - [`inventory`]: the model people write, loading, precedence, selectors, reference checks.
//! - [`plan`]: the addressing plan, pure: validation, utilisation, next free address.
//! - [`pki`]: an OpenVPN gateway's CA: client certificates issued, CRLs signed and read.
//! - [`secrets`]: secret references, the encrypted store, redaction, ANSSI strength.
//! - [`render`]: the Tera environment: strict templates, network filters, located errors.
//! - [`intent`]: per-asset template choice and context; rendering a selection of assets.
//! - [`config`]: intended vs running for IOS-style configurations: remediation, diff.
//! - [`audit`]: the policy audit (ANSSI passwords, SNMP, Wi-Fi, management access).
//! - [`playbook`]: the playbook schema and its validation.
//! - [`check`]: `netparc check` as a library call.
//! - [`state`]: the verified state written back per asset (`state/assets/`), atomic and locked.
//! - [`fleet`]: assets merged with their verified state and lifecycle (inventory, docs).
//! - [`fsutil`]: atomic file replacement.
//! - [`backup`]: configuration backups in a git repository under the inventory.
//! - [`config`]: configuration comparison: remediation lines and unified diffs (pure).
//! - [`docs`]: the network documentation (plan, equipment, port maps) in Markdown and HTML.
//! - [`driver`]: one driver per platform (IOS CLI, Linux files) behind one trait.
//! - [`probe`]: ICMP, SNMP and TCP probes behind one trait; the verdict from their measurements.
//! - [`verify`]: verification of a selection of assets (`netparc verify`, the playbook's step).
//! - [`transport`]: SSH (the only module that knows russh) and session transcripts.
//! - [`lab`]: the twin lab: simulated devices on loopback (SSH, SNMP, faults), keeping what
//!   was saved on them from run to run.
//! - [`daemon`]: continuous checks, incidents with GTI/GTR (SQLite), status page, API, metrics.
//! - [`restore`]: a backed-up configuration put back on a device.
//! - [`cli`]: the command line, one file per subcommand.

// `Diagnostic` is the error type of user-facing checks: rich on purpose (location, hint,
// expected), produced off the hot path, so boxing it would only add noise.
#![allow(clippy::result_large_err)]

pub mod access;
pub mod audit;
pub mod backup;
pub mod check;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod diag;
pub mod docs;
pub mod driver;
pub mod fleet;
pub mod fsutil;
pub mod intent;
pub mod inventory;
pub mod lab;
pub mod onboard;
pub mod pki;
pub mod plan;
pub mod playbook;
pub mod probe;
pub mod render;
pub mod restore;
pub mod secrets;
pub mod state;
pub mod transport;
pub mod verify;
pub mod yaml;
