//! netparc: network provisioning and verification.
//!
//! # Layout
//! - [`diag`]: the one shape of every problem found (file:line:column, expected, hint).
//! - [`yaml`]: YAML loading with positions, unknown keys, the scalar index the guard uses.
//! - [`secrets`]: secret references, their resolution, the age-encrypted store, ANSSI strength.

pub mod diag;
pub mod secrets;
pub mod yaml;
