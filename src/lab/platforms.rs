//! The registry of simulated platforms: which state a twin starts with and which CLI its
//! SSH sessions get. A new platform is one file implementing `PlatformState` and
//! `CliSession`, plus one arm in each function here.

use super::device::{DeviceSpec, Platform, PlatformState};
use super::host::HostState;
use super::ssh::SessionFactory;

/// The initial (factory) state of a twin.
pub fn state_for(spec: &DeviceSpec) -> Box<dyn PlatformState> {
    match spec.platform {
        Platform::Ios | Platform::Linux | Platform::Host => Box::new(HostState::default()),
    }
}

/// The CLI sessions of a platform, None for platforms without SSH (end devices).
pub fn sessions_for(platform: Platform) -> Option<SessionFactory> {
    match platform {
        Platform::Ios | Platform::Linux | Platform::Host => None,
    }
}
