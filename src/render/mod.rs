//! Rendering: turns an asset's context into its intended device configuration with Tera
//! templates, strictly (an undefined variable is an error naming the template line and the
//! asset), and the network filters templates use.

pub mod filters;
