//! The write-ahead journal of the backup store: `state/backups/.git/netparc-journal`.
//!
//! A save is durable once its record is in the journal and the journal is flushed (one
//! `fdatasync` for a whole batch, no process): the device may be changed from then on. The
//! records reach git behind the callers (`writer.rs`), and the journal is emptied once they
//! all have; a journal found non-empty when the lock is taken (a process died between the two)
//! is committed first, with the revisions its records were announced as.
//!
//! One record per line: the SHA-256 of the JSON, a space, the JSON, a newline. Reading stops
//! at the first line that is incomplete or does not match its checksum: a record torn by a
//! crash was never acknowledged, so it is dropped with whatever follows it.

use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// One save waiting for its git commit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Record {
    pub(super) asset: String,
    /// The configuration text.
    pub(super) config: String,
    /// The whole commit message, `<asset>: <message>\n`.
    pub(super) message: String,
    /// `Name <email>` for author and committer.
    pub(super) identity: String,
    /// Commit time, seconds since the epoch (UTC).
    pub(super) time: u64,
    /// The commit id the save was answered with.
    pub(super) id: String,
}

/// The open journal; only the holder of the store's lock has one.
pub(super) struct Journal {
    path: PathBuf,
    file: File,
    /// Bytes of whole records in the file.
    len: u64,
}

impl Journal {
    /// Open (or create, 0600) the journal at `path`; the records it holds, in order.
    pub(super) fn open(path: &Path) -> std::io::Result<(Journal, Vec<Record>)> {
        let existed = path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .open(path)?;
        if !existed {
            // The file's name must survive a power cut along with the records in it.
            crate::fsutil::sync_dir(path.parent().unwrap_or(Path::new(".")))?;
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let (records, len) = parse(&bytes);
        let mut journal = Journal {
            path: path.to_path_buf(),
            file,
            len: bytes.len() as u64,
        };
        if len < journal.len {
            tracing::warn!(
                journal = %path.display(),
                "the backup journal ended in a torn record (a save interrupted before it was acknowledged); dropped"
            );
            journal.truncate(len)?;
        }
        Ok((journal, records))
    }

    /// Append `records` and flush them to the disk: when this returns Ok they survive a
    /// crash. On failure the journal is cut back to what it held before.
    pub(super) fn append(&mut self, records: &[Record]) -> std::io::Result<()> {
        let mut bytes = Vec::new();
        for record in records {
            let json = serde_json::to_string(record).map_err(std::io::Error::other)?;
            bytes.extend_from_slice(checksum(json.as_bytes()).as_bytes());
            bytes.push(b' ');
            bytes.extend_from_slice(json.as_bytes());
            bytes.push(b'\n');
        }
        let written = self
            .file
            .write_all(&bytes)
            .and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                self.len += bytes.len() as u64;
                Ok(())
            }
            Err(error) => {
                let _ = self.truncate(self.len);
                Err(error)
            }
        }
    }

    /// Empty the journal once every record is in git. Not flushed: a journal that comes back
    /// after a power cut holds records git already has, which are recognised and skipped.
    pub(super) fn clear(&mut self) -> std::io::Result<()> {
        self.truncate(0)
    }

    fn truncate(&mut self, len: u64) -> std::io::Result<()> {
        self.file.set_len(len)?;
        self.len = len;
        Ok(())
    }

    /// Where it is, for errors.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }
}

fn checksum(bytes: &[u8]) -> String {
    use sha2::Digest;
    super::git::hex(&sha2::Sha256::digest(bytes))
}

/// The whole records at the start of `bytes`, and how many bytes they take.
fn parse(bytes: &[u8]) -> (Vec<Record>, u64) {
    let mut records = Vec::new();
    let mut used = 0;
    while let Some(end) = bytes[used..].iter().position(|&b| b == b'\n') {
        let line = &bytes[used..used + end];
        let record = line
            .split_at_checked(64)
            .and_then(|(sum, rest)| Some((sum, rest.strip_prefix(b" ")?)))
            .filter(|(sum, json)| checksum(json).as_bytes() == *sum)
            .and_then(|(_, json)| serde_json::from_slice::<Record>(json).ok());
        let Some(record) = record else {
            break;
        };
        records.push(record);
        used += end + 1;
    }
    (records, used as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(asset: &str) -> Record {
        Record {
            asset: asset.to_string(),
            config: format!("hostname {asset}\nbanner motd ^\"quoted\" line^\n"),
            message: format!("{asset}: before change\n"),
            identity: "netparc <netparc@localhost>".to_string(),
            time: 1_764_000_000,
            id: "0".repeat(40),
        }
    }

    #[test]
    fn records_survive_reopening_and_clear_empties() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("journal");
        let (mut journal, found) = Journal::open(&path).expect("open");
        assert!(found.is_empty());
        journal
            .append(&[record("sw1"), record("sw2")])
            .expect("append");
        journal.append(&[record("sw3")]).expect("append");
        drop(journal);
        let (mut journal, found) = Journal::open(&path).expect("open");
        assert_eq!(found, vec![record("sw1"), record("sw2"), record("sw3")]);
        journal.clear().expect("clear");
        drop(journal);
        assert_eq!(std::fs::metadata(&path).expect("metadata").len(), 0);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_torn_or_damaged_tail_is_dropped_with_what_follows() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("journal");
        let (mut journal, _) = Journal::open(&path).expect("open");
        journal
            .append(&[record("sw1"), record("sw2")])
            .expect("append");
        drop(journal);
        let whole = std::fs::read(&path).expect("read");
        let first_line = whole.iter().position(|&b| b == b'\n').expect("line") + 1;

        // Torn in the middle of the second record.
        std::fs::write(&path, &whole[..whole.len() - 10]).expect("write");
        let (mut journal, found) = Journal::open(&path).expect("open");
        assert_eq!(found, vec![record("sw1")]);
        assert_eq!(
            std::fs::metadata(&path).expect("metadata").len(),
            first_line as u64
        );
        // Appending after a torn tail keeps every record readable.
        journal.append(&[record("sw3")]).expect("append");
        drop(journal);
        let (_, found) = Journal::open(&path).expect("open");
        assert_eq!(found, vec![record("sw1"), record("sw3")]);

        // A byte changed inside the first record: nothing from there on is trusted.
        let mut damaged = whole.clone();
        damaged[70] ^= 0x01;
        std::fs::write(&path, &damaged).expect("write");
        let (_, found) = Journal::open(&path).expect("open");
        assert!(found.is_empty());

        // Zeros where a crash left the file's end unwritten.
        let mut zeros = whole[..first_line].to_vec();
        zeros.extend(std::iter::repeat_n(0u8, 512));
        std::fs::write(&path, &zeros).expect("write");
        let (_, found) = Journal::open(&path).expect("open");
        assert_eq!(found, vec![record("sw1")]);
    }
}
