//! Benchmark settings read from the environment, the same way in every bench: a count may
//! be written with underscores (`10_000`) and surrounding spaces.

// Each bench includes this file and uses the part it needs.
#![allow(dead_code)]

/// `name` as a count; None when unset or not a number.
pub fn count(name: &str) -> Option<usize> {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse().ok())
}

/// `name` as a positive count; `default` when unset, zero or not a number.
pub fn positive(name: &str, default: usize) -> usize {
    count(name).filter(|n| *n > 0).unwrap_or(default)
}
