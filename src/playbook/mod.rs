//! Playbooks: the model (what a technician writes) and its schema validation. The engine
//! that runs them arrives with the provisioning work; `netparc check` already validates
//! every playbook against the inventory it targets.

pub mod model;

pub use model::{Playbook, load_playbook, validate_playbook};
