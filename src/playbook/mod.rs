//! Playbooks: the model (what a technician writes) and its schema validation, and the engine
//! that runs one on its targets.
//!
//! - [`model`]: the schema, `parse_duration`, `validate_playbook`.
//! - [`prepare`]: from a playbook and an inventory to ready targets (rendered intents,
//!   logins, `when` evaluated), before any device is contacted.
//! - [`launch`]: a whole run as one call (load, validate, prepare, run).
//! - [`engine`]: batches, forks, steps, commit-confirmed rollback, Ctrl-C.
//! - [`rollout`]: batch sizes and the failure threshold.
//! - [`report`]: the per-asset outcomes and the run report saved under the inventory.

pub mod engine;
pub mod launch;
pub mod model;
pub mod prepare;
pub mod report;
pub mod rollout;

pub use model::{Playbook, load_playbook, validate_playbook};
