//! The inventory: model (what people write), loading with positions, precedence of
//! asset > groups > defaults, selectors shared by every command, and reference checks.

pub mod cache;
pub mod date;
pub mod load;
pub mod model;
pub mod monitoring;
pub mod select;
pub mod validate;
pub mod vars;

pub use load::{Inventory, LoadOutcome, Located, Origin};
pub use model::*;
pub use select::Selector;
