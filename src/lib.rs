//! netparc: network provisioning and verification.
//!
//! # Layout
//! - [`access`]: logins, addresses and the in-process lab: how a command reaches devices.
//! - [`diag`]: the one shape of every problem found (file:line:column, expected, hint).
//! - [`yaml`]: YAML loading with positions, unknown keys, the scalar index the guard uses.
//! - [`inventory`]: the model people write, loading, precedence, selectors, reference checks.
//! - [`plan`]: the addressing plan, pure: validation, utilisation, next free address.
//! - [`secrets`]: secret references, the encrypted store, redaction, ANSSI strength.
//! - [`render`]: the Tera environment: strict templates, network filters, located errors.
//! - [`intent`]: per-asset template choice and context; rendering a selection of assets.
//! - [`audit`]: the policy audit (ANSSI passwords, SNMP, Wi-Fi, management access).
//! - [`playbook`]: the playbook schema and its validation.
//! - [`check`]: `netparc check` as a library call.
//! - [`state`]: the verified state written back per asset (`state/assets/`), atomic and locked.
//! - [`fsutil`]: atomic file replacement.
//! - [`backup`]: configuration backups in a git repository under the inventory.
//! - [`config`]: configuration comparison: remediation lines and unified diffs (pure).
//! - [`driver`]: one driver per platform (IOS CLI, Linux files) behind one trait.
//! - [`transport`]: SSH (the only module that knows russh) and session transcripts.
//! - [`lab`]: the twin lab: simulated devices on loopback (SSH, SNMP, faults).
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
pub mod diag;
pub mod driver;
pub mod fsutil;
pub mod intent;
pub mod inventory;
pub mod lab;
pub mod plan;
pub mod playbook;
pub mod render;
pub mod secrets;
pub mod state;
pub mod transport;
pub mod yaml;
