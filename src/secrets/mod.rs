//! Secrets: how credentials reach netparc without ever being written in clear into an
//! inventory, a log or a report.
//!
//! An inventory holds a [`SecretRef`] where a password would go: `env:VAR`, `file:PATH` or
//! `vault:NAME`. A [`SecretResolver`] turns references into [`Secret`]s when a run needs
//! them; `vault:` names an entry of the inventory's encrypted store ([`SecretStore`]:
//! `secrets.age`, age-encrypted to the keys in `secrets.recipients`). The [`cli`] functions
//! are `netparc secrets init|edit|set|get|list|rm`; [`strength`] rates values per ANSSI.
//!
//! # Layout
//! - `reference.rs`: [`SecretRef`], parsing and serde as the string form.
//! - `secret.rs`: [`Secret`], the redacted, zeroized cleartext.
//! - `redact.rs`: [`Redactor`], secret values replaced in text that leaves the process.
//! - `resolver.rs`: [`SecretResolver`]: env, files (private ones only), the store (lazily).
//! - `store.rs`: [`SecretStore`]: identities, recipients, age, YAML entries, atomic save.
//! - `cli.rs`: the `netparc secrets` subcommands as plain functions.
//! - `strength.rs`: ANSSI strength assessment and known default credentials (pure).
//! - `error.rs`: [`SecretError`] and its diagnostics (`secrets.*` codes).
//! - atomic replace and private-file reading live in `crate::fsutil`.
//!
//! Architecture invariant: no error, `Debug` output or log line of this module contains a
//! secret value; the only way to a value is [`Secret::expose`], and the only command that
//! prints one is `secrets get`.

pub mod cli;
mod error;
mod redact;
mod reference;
mod resolver;
mod secret;
pub mod store;
pub mod strength;

pub use error::SecretError;
pub use redact::{REDACTED, Redactor};
pub use reference::SecretRef;
pub use resolver::{EnvLookup, SecretResolver, StorePaths};
pub use secret::Secret;
pub use store::{IdentityLocation, IdentityOrigin, InitReport, SecretStore};
pub use strength::{Assessment, SecretClass, Strength, assess, is_known_default};
