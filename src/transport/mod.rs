//! Transports: how netparc reaches a device. [`ssh`] is the only module that knows russh's
//! client; drivers speak to devices through it.

pub mod ssh;
