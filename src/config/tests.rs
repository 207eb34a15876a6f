//! Unit and property tests of the comparison and remediation (pure, text in, lines out).

use super::*;
