//! The twin lab: simulated devices on loopback, one per asset, speaking SSH (an IOS-style
//! CLI or a Linux shell) and SNMP from their live state. The ground for every test and the
//! safe preview behind `--lab`.
//!
//! - [`device`]: a twin's spec, state, faults, and the platform traits.
//! - [`linux`]: the Linux twin (WireGuard gateway, hostapd access point) and its shell.

pub mod device;
pub mod linux;
