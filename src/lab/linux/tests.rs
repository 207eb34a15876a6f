//! End-to-end tests of the Linux twin through its public surface (sessions on a Device).
