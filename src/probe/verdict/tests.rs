//! Tests of the verdict rules.
