//! The only place that runs `git`: an isolated environment for every command (no inherited
//! `GIT_*` variables, no system or global configuration, C locale, literal pathspecs), the
//! object hashing netparc does itself to detect unchanged configurations without a process,
//! and the parsers of plumbing output.

use super::error::BackupError;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The object format of a repository, which decides how blob ids are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ObjectFormat {
    Sha1,
    Sha256,
}

impl ObjectFormat {
    /// The all-zero id that `update-ref` reads as "this ref must not exist yet".
    pub(super) fn zero_id(self) -> String {
        match self {
            ObjectFormat::Sha1 => "0".repeat(40),
            ObjectFormat::Sha256 => "0".repeat(64),
        }
    }

    /// The id git gives a blob holding `content`, so "unchanged" costs no process.
    pub(super) fn blob_id(self, content: &[u8]) -> String {
        self.object_id("blob", &[content])
    }

    /// The id git gives the commit `git fast-import` writes for `commit` onto `parent` with
    /// `tree`: the same bytes in the same order (fast-import.c, `parse_new_commit`), so a
    /// backup's revision is known before git has run. Checked against fast-import's own
    /// marks on every batch.
    pub(super) fn commit_id(
        self,
        tree: &str,
        parent: Option<&str>,
        identity: &str,
        time: u64,
        message: &str,
    ) -> String {
        let mut body = format!("tree {tree}\n");
        if let Some(parent) = parent {
            body.push_str(&format!("parent {parent}\n"));
        }
        body.push_str(&format!(
            "author {identity} {time} +0000\ncommitter {identity} {time} +0000\n\n{message}"
        ));
        self.object_id("commit", &[body.as_bytes()])
    }

    /// `<kind> <length>\0<content>`, hashed with the repository's algorithm.
    fn object_id(self, kind: &str, parts: &[&[u8]]) -> String {
        let length: usize = parts.iter().map(|part| part.len()).sum();
        let header = format!("{kind} {length}\0");
        match self {
            ObjectFormat::Sha1 => {
                use sha1::Digest;
                let mut hasher = sha1::Sha1::new();
                hasher.update(header.as_bytes());
                for part in parts {
                    hasher.update(part);
                }
                hex(&hasher.finalize())
            }
            ObjectFormat::Sha256 => {
                use sha2::Digest;
                let mut hasher = sha2::Sha256::new();
                hasher.update(header.as_bytes());
                for part in parts {
                    hasher.update(part);
                }
                hex(&hasher.finalize())
            }
        }
    }
}

/// The top level of a commit's tree, as git orders it, so its id can be computed here: the
/// backups' `<asset>.cfg` files and whatever else someone put there (folders, links, other
/// files), kept with their modes and ids as `git ls-tree` shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Tree {
    /// By git's sort key: the name's bytes, with `/` appended for a folder
    /// (`base_name_compare`).
    entries: std::collections::BTreeMap<Vec<u8>, TreeEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct TreeEntry {
    /// As written in tree objects: octal without leading zero (`100644`, `40000`).
    mode: String,
    /// Hexadecimal object id.
    id: String,
    /// The entry as the tree object holds it, `<mode> <name>\0<raw id>`, encoded once: a
    /// batch of N backups hashes N trees of up to N entries.
    encoded: Vec<u8>,
}

impl TreeEntry {
    fn new(name: &str, mode: String, id: String) -> TreeEntry {
        let mut encoded = Vec::with_capacity(mode.len() + name.len() + 2 + id.len() / 2);
        encoded.extend_from_slice(mode.as_bytes());
        encoded.push(b' ');
        encoded.extend_from_slice(name.as_bytes());
        encoded.push(0);
        encoded.extend(unhex(&id));
        TreeEntry { mode, id, encoded }
    }
}

/// The mode fast-import gives a backup file.
const FILE_MODE: &str = "100644";

impl Tree {
    /// Parse `git ls-tree -z` of one tree (not recursive).
    pub(super) fn parse_ls_tree(bytes: &[u8]) -> Tree {
        let mut tree = Tree::default();
        for record in bytes.split(|&b| b == 0) {
            let Ok(record) = std::str::from_utf8(record) else {
                continue;
            };
            let Some((meta, name)) = record.split_once('\t') else {
                continue;
            };
            let mut fields = meta.split(' ');
            if let (Some(mode), Some(_kind), Some(id)) =
                (fields.next(), fields.next(), fields.next())
            {
                let mode = mode.trim_start_matches('0').to_string();
                let key = sort_key(name, &mode);
                tree.entries
                    .insert(key, TreeEntry::new(name, mode, id.to_string()));
            }
        }
        tree
    }

    /// The blob id of `name` when it is a plain file (what a backup is).
    pub(super) fn file(&self, name: &str) -> Option<&str> {
        self.entries
            .get(name.as_bytes())
            .filter(|entry| entry.mode == FILE_MODE)
            .map(|entry| entry.id.as_str())
    }

    /// Make `name` a plain file holding blob `id`, replacing whatever had that name, as
    /// fast-import's `M 100644` does.
    pub(super) fn set_file(&mut self, name: &str, id: &str) {
        self.entries.remove(&sort_key(name, "40000"));
        self.entries.insert(
            name.as_bytes().to_vec(),
            TreeEntry::new(name, FILE_MODE.to_string(), id.to_string()),
        );
    }

    /// The tree object's id: `<mode> <name>\0<raw id>` per entry, in order.
    pub(super) fn id(&self, format: ObjectFormat) -> String {
        let parts: Vec<&[u8]> = self
            .entries
            .values()
            .map(|entry| entry.encoded.as_slice())
            .collect();
        format.object_id("tree", &parts)
    }
}

/// git's order of tree entries: by name, a folder's name compared as if it ended in `/`.
fn sort_key(name: &str, mode: &str) -> Vec<u8> {
    let mut key = name.as_bytes().to_vec();
    if mode == "40000" {
        key.push(b'/');
    }
    key
}

/// Raw bytes of a hexadecimal id (git's output: always valid, lowercase).
fn unhex(id: &str) -> impl Iterator<Item = u8> + '_ {
    id.as_bytes().chunks(2).map(|pair| {
        let digit = |c: u8| match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => 0,
        };
        digit(pair[0]) << 4 | pair.get(1).map_or(0, |&c| digit(c))
    })
}

pub(super) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// How to run git against one repository.
#[derive(Debug, Clone)]
pub(super) struct Git {
    /// The backup folder (the work tree netparc mirrors files into); named in errors.
    pub(super) dir: PathBuf,
    /// `<dir>/.git`, passed explicitly so no discovery or `GIT_DIR` can redirect us.
    pub(super) git_dir: PathBuf,
    /// Inherited `GIT_*` variables to remove: `GIT_DIR`, `GIT_INDEX_FILE`, `GIT_AUTHOR_*`,
    /// `GIT_EXTERNAL_DIFF`… set by a hook or a shell would otherwise change what we do.
    scrub: Vec<OsString>,
}

impl Git {
    pub(super) fn new(dir: &Path) -> Git {
        let scrub = std::env::vars_os()
            .map(|(name, _)| name)
            .filter(|name| name.as_encoded_bytes().starts_with(b"GIT_"))
            .collect();
        Git {
            dir: dir.to_path_buf(),
            git_dir: dir.join(".git"),
            scrub,
        }
    }

    /// A `git` command with the user's system and global configuration ignored: backups must
    /// behave the same on every machine (no `diff.external`, no `color.ui=always`, no
    /// `init.defaultObjectFormat`), and must not depend on that configuration existing.
    pub(super) fn command(&self) -> Command {
        let mut command = self.bare_command();
        command
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .arg("--git-dir")
            .arg(&self.git_dir)
            // Asset names may hold `*` or `[`: a path is a path, never a pattern.
            .arg("--literal-pathspecs")
            .args(["-c", "core.quotePath=false"]);
        command
    }

    /// A `git` command that still reads the user's configuration (only for the identity).
    pub(super) fn bare_command(&self) -> Command {
        let mut command = Command::new("git");
        for name in &self.scrub {
            command.env_remove(name);
        }
        command
            .env("LC_ALL", "C")
            .env("GIT_TERMINAL_PROMPT", "0")
            // Replace refs would let a stray ref substitute a backup's content.
            .env("GIT_NO_REPLACE_OBJECTS", "1")
            .stdin(Stdio::null());
        command
    }

    /// Run `command` (built from [`Git::command`]), feeding `input` on stdin from a thread
    /// so a large input and a large output never deadlock on full pipes.
    pub(super) fn output(
        &self,
        mut command: Command,
        input: Option<Vec<u8>>,
    ) -> Result<Output, BackupError> {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        if input.is_some() {
            command.stdin(Stdio::piped());
        }
        let mut child = command.spawn().map_err(|e| self.spawn_error(e))?;
        let feeder = match (input, child.stdin.take()) {
            (Some(bytes), Some(mut stdin)) => Some(std::thread::spawn(move || {
                // A write error means git exited early; its status and stderr say why.
                let _ = stdin.write_all(&bytes);
            })),
            _ => None,
        };
        let output = child
            .wait_with_output()
            .map_err(|e| BackupError::io(&self.dir, e))?;
        if let Some(feeder) = feeder {
            let _ = feeder.join();
        }
        Ok(output)
    }

    /// Run a git subcommand that must succeed; its stdout.
    pub(super) fn run(
        &self,
        args: &[&OsStr],
        input: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, BackupError> {
        let mut command = self.command();
        command.args(args);
        let output = self.output(command, input)?;
        if output.status.success() {
            Ok(output.stdout)
        } else {
            Err(self.failed(args, &output))
        }
    }

    pub(super) fn spawn_error(&self, error: std::io::Error) -> BackupError {
        if error.kind() == std::io::ErrorKind::NotFound {
            BackupError::GitMissing
        } else {
            BackupError::io(&self.dir, error)
        }
    }

    /// The error for a failed command: git's stderr, trimmed (plumbing stderr never holds
    /// file content, so it is safe to show).
    pub(super) fn failed(&self, args: &[&OsStr], output: &Output) -> BackupError {
        // The subcommand: the first argument that is neither an option nor a `-c` value.
        let mut command = String::new();
        let mut skip = false;
        for arg in args {
            let arg = arg.to_string_lossy();
            if skip {
                skip = false;
            } else if arg == "-c" {
                skip = true;
            } else if !arg.starts_with('-') {
                command = arg.into_owned();
                break;
            }
        }
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
        BackupError::Git {
            path: self.dir.clone(),
            command,
            stderr: if stderr.is_empty() {
                format!("exit status {}", output.status)
            } else {
                stderr
            },
        }
    }
}

/// C-style quoting of a path for `git fast-import` (mandatory for names starting with `"`;
/// always used so any valid asset name round-trips).
pub(super) fn quote_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 2);
    out.push('"');
    for c in path.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}
