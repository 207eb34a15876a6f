//! End devices (workstations, printers, phones): no CLI, one network interface. They matter
//! to the lab for reachability: a workstation answers once its switch port lets it in.

use super::device::{DeviceFacts, DeviceSpec, InterfaceFacts, PlatformState};

/// The state of an end device.
#[derive(Debug, Clone, Default)]
pub struct HostState {
    /// Whether its switch port currently lets it in (set by the lab from the switch twin).
    pub link_up: bool,
}

impl PlatformState for HostState {
    fn facts(&self, spec: &DeviceSpec) -> DeviceFacts {
        DeviceFacts {
            descr: format!("{} ({})", spec.model, spec.kind),
            object_id: String::from("1.3.6.1.4.1.8072.3.2.10"),
            name: spec.name.clone(),
            contact: spec.contact.clone(),
            location: spec.location.clone(),
            serial: spec.serial.clone(),
            interfaces: vec![InterfaceFacts {
                index: 1,
                name: String::from("eth0"),
                alias: String::new(),
                admin_up: true,
                oper_up: self.link_up,
                speed_mbps: 1000,
                if_type: 6,
                in_octets: 0,
                out_octets: 0,
            }],
        }
    }

    fn reboot(&mut self, _: &DeviceSpec) {}

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}
