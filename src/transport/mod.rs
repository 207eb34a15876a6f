//! Transports: how netparc reaches a device. [`ssh`] is the only module that knows russh's
//! client; drivers speak to devices through it. [`transcript`] records what went over a
//! session, secrets redacted before anything is stored.

pub mod ssh;
pub mod transcript;
