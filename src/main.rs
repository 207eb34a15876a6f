//! The `netparc` binary: parse the command line, run, map the outcome to an exit code.

use std::process::ExitCode;

// A check allocates and frees millions of small strings and maps; glibc's malloc spent
// about 30 % of a warm 10,000-asset check's CPU time in them.
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    netparc::cli::main()
}
