//! One integration-test binary: topic files pulled in as modules, sharing `util`.

mod util;

mod cache;
mod check_cli;
mod daemon;
mod dhcp;
mod docs;
mod driver;
mod examples;
mod fleet;
mod inventory;
mod lab;
mod lab_isolated;
mod lab_persist;
mod lab_ssh;
mod netmiko;
mod onboard;
mod onboard_openvpn;
mod plan;
mod playbook;
mod probe;
mod secrets;
mod snmpd;
mod sshd;
mod state;
mod verify;
