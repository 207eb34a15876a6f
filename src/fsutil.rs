//! File helpers nobody should reinvent: atomic replacement (a failed write never leaves a
//! half-written file: stores, rendered configurations, later the verified state) and reading
//! a file that must be private to its owner, and the cross-process file lock.

use secrecy::zeroize::Zeroizing;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::Path;

/// Largest secret file read: secrets are keys and passwords, not data; a larger file is a
/// wrong path, and reading it whole would be slow and pointless.
pub(crate) const MAX_SECRET_FILE: u64 = 1024 * 1024;

/// Write `path` atomically: `write` fills a tempfile in the same folder (same file system, so
/// the rename is atomic), which is given `mode`, fsynced, renamed over `path` (or, when
/// `replace` is false, linked only if `path` does not exist yet), and the folder is fsynced
/// so the rename survives a crash. On any error the tempfile is removed and `path` keeps its
/// old content.
pub fn write_atomic(
    path: &Path,
    mode: u32,
    replace: bool,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Dot-prefixed so editors, globs and `git status` skip it if a crash ever leaves one.
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    write(tmp.as_file_mut())?;
    tmp.as_file_mut().flush()?;
    set_mode(tmp.as_file(), mode)?;
    tmp.as_file().sync_all()?;
    if replace {
        tmp.persist(path).map_err(|e| e.error)?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| e.error)?;
    }
    sync_dir(dir)
}

#[cfg(unix)]
fn set_mode(file: &File, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &File, _: u32) -> io::Result<()> {
    Ok(())
}

/// Make a new name or a rename in `dir` durable: fsync the folder holding the entry.
#[cfg(unix)]
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
pub fn sync_dir(_: &Path) -> io::Result<()> {
    Ok(())
}

/// Create `dir` and its missing parents with mode 0700 (folders holding identities).
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Why a private file could not be read.
#[derive(Debug)]
pub(crate) enum PrivateReadError {
    /// No such file.
    Missing,
    /// Group or others have access; holds the permission bits found.
    Loose(u32),
    /// Anything else, as a message free of content.
    Other(String),
}

/// Read a file that holds a secret, refusing it when group or others may read or write it
/// (like ssh does for private keys). The mode is checked on the opened file, so the file
/// checked is the file read.
pub(crate) fn read_private(path: &Path) -> Result<Zeroizing<Vec<u8>>, PrivateReadError> {
    read_secret_file(path, true)
}

/// [`read_private`], with the permission check optional: a demo identity committed inside an
/// inventory is shared by construction, so its file mode protects nothing (git does not even
/// keep it) and the audit reports the arrangement instead.
pub(crate) fn read_secret_file(
    path: &Path,
    require_private: bool,
) -> Result<Zeroizing<Vec<u8>>, PrivateReadError> {
    // Check the type before opening: opening a FIFO would block.
    let metadata = fs::metadata(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => PrivateReadError::Missing,
        _ => PrivateReadError::Other(e.to_string()),
    })?;
    if !metadata.is_file() {
        return Err(PrivateReadError::Other(String::from("not a regular file")));
    }
    let file = File::open(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => PrivateReadError::Missing,
        _ => PrivateReadError::Other(e.to_string()),
    })?;
    let metadata = file
        .metadata()
        .map_err(|e| PrivateReadError::Other(e.to_string()))?;
    if let Some(mode) = loose_mode(&metadata).filter(|_| require_private) {
        return Err(PrivateReadError::Loose(mode));
    }
    if metadata.len() > MAX_SECRET_FILE {
        return Err(PrivateReadError::Other(format!(
            "larger than {} KiB; secret files hold one key or password",
            MAX_SECRET_FILE / 1024
        )));
    }
    let mut content = Zeroizing::new(Vec::new());
    file.take(MAX_SECRET_FILE + 1)
        .read_to_end(&mut content)
        .map_err(|e| PrivateReadError::Other(e.to_string()))?;
    if content.len() as u64 > MAX_SECRET_FILE {
        return Err(PrivateReadError::Other(String::from(
            "grew while being read",
        )));
    }
    Ok(content)
}

/// The permission bits when group or others have any access (`mode & 0o077 != 0`).
#[cfg(unix)]
pub(crate) fn loose_mode(metadata: &fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o7777;
    (mode & 0o077 != 0).then_some(mode)
}

#[cfg(not(unix))]
pub(crate) fn loose_mode(_: &fs::Metadata) -> Option<u32> {
    None
}

/// Replace `path` with `bytes` (mode `mode`) through a tempfile and a rename, so a reader
/// never sees half a file, but without fsync: for files that help people (session
/// transcripts) and are not worth two disk flushes each on the hot path of a run.
pub fn write_file_quick(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".netparc-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    set_mode(tmp.as_file(), mode)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Write `bytes` to `path` atomically with the given mode, replacing any previous file.
pub fn write_file(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    write_atomic(path, mode, true, |file| file.write_all(bytes))
}

/// An exclusive `flock` on a file (created 0600 if missing), released when dropped. Serialises
/// writers across processes: a daemon and a technician's run, two runs at once.
pub struct FileLock {
    _file: File,
}

impl FileLock {
    /// Take the lock, waiting at most `timeout` (then an error of kind `TimedOut`). The wait
    /// itself is a blocking `flock` in a helper thread, so the kernel hands the lock over in
    /// turn (a polling loop could starve behind a process that re-locks at once); on timeout
    /// the helper is left to take and drop the lock later.
    pub fn acquire(path: &Path, timeout: std::time::Duration) -> io::Result<FileLock> {
        let file = open_lock_file(path)?;
        if flock(&file, libc::LOCK_EX | libc::LOCK_NB).is_ok() {
            return Ok(FileLock { _file: file });
        }
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let result = flock(&file, libc::LOCK_EX).map(|()| file);
            let _ = send.send(result);
        });
        match receive.recv_timeout(timeout) {
            Ok(Ok(file)) => Ok(FileLock { _file: file }),
            Ok(Err(error)) => Err(error),
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "{} is held by another netparc process for more than {} s",
                    path.display(),
                    timeout.as_secs()
                ),
            )),
        }
    }
}

fn open_lock_file(path: &Path) -> io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

fn flock(file: &File, operation: libc::c_int) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    loop {
        // SAFETY: flock on a descriptor we own for the duration of the call.
        if unsafe { libc::flock(file.as_raw_fd(), operation) } == 0 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Names in `dir` that look like our tempfiles; tests assert there are none left.
    pub(crate) fn leftover_tempfiles(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with('.') && n.ends_with(".tmp"))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn atomic_write_replaces_and_sets_mode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f.txt");
        write_atomic(&path, 0o600, true, |f| f.write_all(b"one")).expect("write");
        write_atomic(&path, 0o640, true, |f| f.write_all(b"two")).expect("write");
        assert_eq!(fs::read(&path).expect("read"), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o640);
        }
        assert!(leftover_tempfiles(dir.path()).is_empty());
    }

    #[test]
    fn failed_write_keeps_old_content_and_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("store");
        fs::write(&path, b"old").expect("seed");
        let result = write_atomic(&path, 0o600, true, |f| {
            f.write_all(b"half of the new cont")?;
            Err(io::Error::other("disk full"))
        });
        assert!(result.is_err());
        assert_eq!(fs::read(&path).expect("read"), b"old");
        assert!(leftover_tempfiles(dir.path()).is_empty());
    }

    #[test]
    fn no_clobber_refuses_existing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("identity.txt");
        fs::write(&path, b"mine").expect("seed");
        assert!(write_atomic(&path, 0o600, false, |f| f.write_all(b"other")).is_err());
        assert_eq!(fs::read(&path).expect("read"), b"mine");
        assert!(leftover_tempfiles(dir.path()).is_empty());
    }
}
