//! The registry of simulated platforms: which state a twin starts with and which CLI its
//! SSH sessions get, and under which file name the lab keeps what it saved. A new platform
//! is one file (or folder) implementing `PlatformState` and `CliSession`, plus one arm in
//! each function here.

use super::device::{DeviceSpec, Platform, PlatformState};
use super::host::HostState;
use super::ssh::SessionFactory;
use std::sync::Arc;

/// The initial (factory) state of a twin.
pub fn state_for(spec: &DeviceSpec) -> Box<dyn PlatformState> {
    match spec.platform {
        Platform::Ios => Box::new(super::ios::new_state(spec)),
        Platform::Linux => Box::new(super::linux::new_state(spec)),
        Platform::Host => Box::new(HostState::default()),
    }
}

/// The CLI sessions of a platform, None for platforms without SSH (end devices).
pub fn sessions_for(platform: Platform) -> Option<SessionFactory> {
    match platform {
        Platform::Ios => Some(Arc::new(|| Box::new(super::ios::new_session()))),
        Platform::Linux => Some(Arc::new(|| Box::new(super::linux::new_session()))),
        Platform::Host => None,
    }
}

/// Every platform, for the lab to recognise a saved file that belongs to another one.
pub const ALL: [Platform; 3] = [Platform::Ios, Platform::Linux, Platform::Host];

/// What follows the asset name in the file that keeps a twin's saved state
/// (`sw1.ios.cfg`), None for platforms that keep nothing. The platform is in the name so a
/// file left by an asset that changed platform is recognised, not fed to the wrong parser.
pub fn saved_suffix(platform: Platform) -> Option<&'static str> {
    match platform {
        Platform::Ios => Some(".ios.cfg"),
        Platform::Linux => Some(".linux.json"),
        Platform::Host => None,
    }
}
