//! An isolated lab network: a private network namespace where the 127.0.0.0/8 local route is
//! removed, so a twin's address exists (answers ping, accepts connections) only while the lab
//! has put it on `lo`. That is what makes a device that is down stop answering ping, and a
//! workstation answer only once its switch port lets it in. Needs CAP_SYS_ADMIN (root).

use std::net::IpAddr;
use std::process::Command;

/// Why the isolated network could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetnsError {
    /// No privilege to create a namespace.
    #[error(
        "cannot create a private network namespace ({0}): the isolated lab needs root or \
         CAP_SYS_ADMIN; without it, run the lab on plain loopback, where ping always answers \
         (SSH and SNMP faults still work)"
    )]
    Unshare(String),
    /// An `ip` command failed.
    #[error("`ip {command}` failed: {reason}")]
    Ip {
        /// The arguments.
        command: String,
        /// Its stderr, or why it could not run.
        reason: String,
    },
}

fn ip(args: &[&str]) -> Result<(), NetnsError> {
    let output = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| NetnsError::Ip {
            command: args.join(" "),
            reason: format!("{e} (is iproute2 installed?)"),
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(NetnsError::Ip {
            command: args.join(" "),
            reason: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        })
    }
}

/// Move the calling thread into a new, empty network namespace and keep only the loopback
/// addresses the lab adds. Network namespaces belong to threads: sockets and child
/// processes created later by this thread live there (run the lab on a current-thread
/// runtime on this thread, or call this before any other thread starts).
pub fn enter_private_namespace() -> Result<(), NetnsError> {
    // SAFETY: unshare(2) with CLONE_NEWNET only changes the calling thread's namespace; it
    // takes no pointers.
    let result = unsafe { libc::unshare(libc::CLONE_NEWNET) };
    if result != 0 {
        return Err(NetnsError::Unshare(
            std::io::Error::last_os_error().to_string(),
        ));
    }
    ip(&["link", "set", "lo", "up"])?;
    // Without this route every 127/8 address answers; with it gone, only added ones do.
    ip(&[
        "route",
        "del",
        "local",
        "127.0.0.0/8",
        "dev",
        "lo",
        "table",
        "local",
    ])?;
    ip(&["addr", "add", "127.0.0.1/32", "dev", "lo"]).or_else(|error| match &error {
        NetnsError::Ip { reason, .. } if reason.contains("File exists") => Ok(()),
        _ => Err(error),
    })
}

/// Make `address` exist (idempotent).
pub fn add_address(address: IpAddr) -> Result<(), NetnsError> {
    let text = host_prefix(address);
    ip(&["addr", "add", &text, "dev", "lo"]).or_else(|error| match &error {
        NetnsError::Ip { reason, .. } if reason.contains("File exists") => Ok(()),
        _ => Err(error),
    })
}

/// Make `address` disappear (idempotent).
pub fn remove_address(address: IpAddr) -> Result<(), NetnsError> {
    let text = host_prefix(address);
    ip(&["addr", "del", &text, "dev", "lo"]).or_else(|error| match &error {
        NetnsError::Ip { reason, .. } if reason.contains("Cannot assign") => Ok(()),
        _ => Err(error),
    })
}

fn host_prefix(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => format!("{v4}/32"),
        IpAddr::V6(v6) => format!("{v6}/128"),
    }
}
