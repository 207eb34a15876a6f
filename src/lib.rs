//! netparc: network provisioning and verification.
//!
//! # Layout
//! - [`diag`]: the one shape of every problem found (file:line:column, expected, hint).
//! - [`yaml`]: YAML loading with positions, unknown keys, the scalar index the guard uses.
//! - [`inventory`]: the model people write, loading, precedence, selectors, reference checks.
//! - [`plan`]: the addressing plan, pure: validation, utilisation, next free address.
//! - [`secrets`]: secret references, the encrypted store, redaction, ANSSI strength.

pub mod diag;
pub mod inventory;
pub mod plan;
pub mod secrets;
pub mod yaml;
