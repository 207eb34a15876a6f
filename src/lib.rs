//! netparc: network provisioning and verification.
//!
//! # Layout
//! - [`diag`]: the one shape of every problem found (file:line:column, expected, hint).
//! - [`yaml`]: YAML loading with positions, unknown keys, the scalar index the guard uses.
//! - [`render`]: Tera templates to device configs, strict about undefined variables, with the
//!   network filters (netmask, nth_host, mac…).

pub mod diag;
pub mod render;
pub mod yaml;
