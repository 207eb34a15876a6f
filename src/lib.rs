//! netparc: network provisioning and verification.
//!
//! # Layout
//! - [`diag`]: the one shape of every problem found (file:line:column, expected, hint).
//! - [`yaml`]: YAML loading with positions, unknown keys, the scalar index the guard uses.

pub mod diag;
pub mod yaml;
