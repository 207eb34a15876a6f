//! Onboarding and offboarding a workstation: validate the request against the inventory,
//! allocate its address, record it as a new asset file, configure its switch port and VPN
//! peer through the playbook engine, issue its Wi-Fi and VPN profiles, verify, record and
//! hand over; offboarding undoes it all.

pub mod dhcp;
pub mod handover;
pub mod qr;
pub mod request;
pub mod wgkeys;
pub mod wifi;
pub mod workflow;
