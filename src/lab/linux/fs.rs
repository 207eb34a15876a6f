//! The twin's disk: an in-memory tree of files and directories with Unix modes. Owns path
//! normalisation and the POSIX-like operations the shell builtins need (atomic rename,
//! create-with-umask, recursive removal), with size caps so no command line can exhaust
//! the host's memory. No real file is ever touched.

use std::collections::BTreeMap;

/// Largest file the twin stores: far above any device configuration, low enough that a
/// runaway loop hits "No space left on device" instead of the host's memory.
pub const MAX_FILE_BYTES: usize = 4 << 20;
/// Largest total size of all files.
pub const MAX_TOTAL_BYTES: usize = 64 << 20;

/// One entry of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A regular file: its bytes and permission bits (`0o600`…).
    File {
        /// Contents.
        data: Vec<u8>,
        /// Permission bits (including setuid/sticky when set with chmod).
        mode: u32,
    },
    /// A directory and its permission bits.
    Dir {
        /// Permission bits.
        mode: u32,
    },
}

impl Node {
    /// Permission bits.
    pub fn mode(&self) -> u32 {
        match self {
            Node::File { mode, .. } | Node::Dir { mode } => *mode,
        }
    }

    /// True for a directory.
    pub fn is_dir(&self) -> bool {
        matches!(self, Node::Dir { .. })
    }

    /// Size in bytes (4096 for a directory, as `ls -l` shows on ext4).
    pub fn size(&self) -> usize {
        match self {
            Node::File { data, .. } => data.len(),
            Node::Dir { .. } => 4096,
        }
    }
}

/// Why a file-system operation failed; `message()` is the `strerror` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsError {
    /// ENOENT.
    NotFound,
    /// EISDIR.
    IsDir,
    /// ENOTDIR.
    NotDir,
    /// EEXIST.
    Exists,
    /// ENOTEMPTY.
    NotEmpty,
    /// ENOSPC (the twin's size caps).
    NoSpace,
    /// EINVAL (moving a directory into itself).
    Invalid,
    /// EBUSY (removing or renaming `/`).
    Busy,
}

impl FsError {
    /// The C library's message for this error.
    pub fn message(self) -> &'static str {
        match self {
            FsError::NotFound => "No such file or directory",
            FsError::IsDir => "Is a directory",
            FsError::NotDir => "Not a directory",
            FsError::Exists => "File exists",
            FsError::NotEmpty => "Directory not empty",
            FsError::NoSpace => "No space left on device",
            FsError::Invalid => "Invalid argument",
            FsError::Busy => "Device or resource busy",
        }
    }
}

/// The in-memory file system. Paths are absolute and normalised (see [`normalize`]);
/// every directory is an explicit entry, and `/` always exists.
#[derive(Debug, Clone)]
pub struct Fs {
    nodes: BTreeMap<String, Node>,
    total: usize,
}

impl Default for Fs {
    fn default() -> Self {
        let mut nodes = BTreeMap::new();
        nodes.insert("/".to_string(), Node::Dir { mode: 0o755 });
        Fs { nodes, total: 0 }
    }
}

/// Resolve `path` against `cwd` lexically: `.`, `..` and repeated slashes are folded
/// (the twin has no symbolic links, so lexical resolution is exact).
pub fn normalize(cwd: &str, path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let joined;
    let full = if path.starts_with('/') {
        path
    } else {
        joined = format!("{cwd}/{path}");
        &joined
    };
    for part in full.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        "/".to_string()
    } else {
        let mut out = String::new();
        for part in parts {
            out.push('/');
            out.push_str(part);
        }
        out
    }
}

/// The parent of a normalised path (`/` is its own parent).
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// The last component of a path (`/` for the root), ignoring trailing slashes.
pub fn basename(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return if path.is_empty() { "" } else { "/" };
    }
    match trimmed.rfind('/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    }
}

fn child_prefix(dir: &str) -> String {
    if dir == "/" {
        "/".to_string()
    } else {
        format!("{dir}/")
    }
}

impl Fs {
    /// The entry at a normalised path.
    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    /// True if a directory exists at `path`.
    pub fn is_dir(&self, path: &str) -> bool {
        self.get(path).is_some_and(Node::is_dir)
    }

    /// True if a regular file exists at `path`.
    pub fn is_file(&self, path: &str) -> bool {
        matches!(self.get(path), Some(Node::File { .. }))
    }

    /// Every path, sorted (directories included).
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.nodes.keys().map(String::as_str)
    }

    /// The ancestors of `path` must be directories: ENOENT when one is missing, ENOTDIR when
    /// one is a file.
    fn check_parent(&self, path: &str) -> Result<(), FsError> {
        if path == "/" {
            return Ok(());
        }
        match self.get(parent(path)) {
            Some(Node::Dir { .. }) => Ok(()),
            Some(Node::File { .. }) => Err(FsError::NotDir),
            None => {
                // A file higher up makes this ENOTDIR rather than ENOENT, as on Linux.
                let mut p = parent(path);
                while p != "/" {
                    if let Some(Node::File { .. }) = self.get(p) {
                        return Err(FsError::NotDir);
                    }
                    p = parent(p);
                }
                Err(FsError::NotFound)
            }
        }
    }

    /// Lookup error for a missing entry (ENOTDIR when an ancestor is a file).
    fn missing(&self, path: &str) -> FsError {
        match self.check_parent(path) {
            Err(e) => e,
            Ok(()) => FsError::NotFound,
        }
    }

    /// The entry at `path`, or the error a `stat` would give.
    pub fn stat(&self, path: &str) -> Result<&Node, FsError> {
        self.get(path).ok_or_else(|| self.missing(path))
    }

    /// Read a regular file.
    pub fn read(&self, path: &str) -> Result<&[u8], FsError> {
        match self.get(path) {
            Some(Node::File { data, .. }) => Ok(data),
            Some(Node::Dir { .. }) => Err(FsError::IsDir),
            None => Err(self.missing(path)),
        }
    }

    /// Write (or append to) a regular file, creating it with `create_mode` when missing; an
    /// existing file keeps its mode, as `open(O_CREAT)` does.
    pub fn write(
        &mut self,
        path: &str,
        data: &[u8],
        append: bool,
        create_mode: u32,
    ) -> Result<(), FsError> {
        let old_len = match self.get(path) {
            Some(Node::Dir { .. }) => return Err(FsError::IsDir),
            Some(Node::File { data, .. }) => data.len(),
            None => {
                self.check_parent(path)?;
                0
            }
        };
        let new_len = if append {
            old_len.saturating_add(data.len())
        } else {
            data.len()
        };
        if new_len > MAX_FILE_BYTES || self.total - old_len + new_len > MAX_TOTAL_BYTES {
            return Err(FsError::NoSpace);
        }
        self.total = self.total - old_len + new_len;
        match self.nodes.get_mut(path) {
            Some(Node::File { data: existing, .. }) => {
                if !append {
                    existing.clear();
                }
                existing.extend_from_slice(data);
            }
            _ => {
                self.nodes.insert(
                    path.to_string(),
                    Node::File {
                        data: data.to_vec(),
                        mode: create_mode & 0o7777,
                    },
                );
            }
        }
        Ok(())
    }

    /// Change the permission bits of an entry.
    pub fn set_mode(&mut self, path: &str, new_mode: u32) -> Result<(), FsError> {
        let missing = self.missing(path);
        match self.nodes.get_mut(path) {
            Some(Node::File { mode, .. }) | Some(Node::Dir { mode }) => {
                *mode = new_mode & 0o7777;
                Ok(())
            }
            None => Err(missing),
        }
    }

    /// Create one directory; its parent must exist.
    pub fn mkdir(&mut self, path: &str, mode: u32) -> Result<(), FsError> {
        if self.get(path).is_some() {
            return Err(FsError::Exists);
        }
        self.check_parent(path)?;
        self.nodes.insert(
            path.to_string(),
            Node::Dir {
                mode: mode & 0o7777,
            },
        );
        Ok(())
    }

    /// Create a directory and its missing ancestors (`mkdir -p`).
    pub fn mkdir_all(&mut self, path: &str, mode: u32) -> Result<(), FsError> {
        match self.get(path) {
            Some(Node::Dir { .. }) => return Ok(()),
            Some(Node::File { .. }) => return Err(FsError::Exists),
            None => {}
        }
        if path != "/" {
            let up = parent(path).to_string();
            // Intermediate directories get u+wx, as `mkdir -p` guarantees.
            self.mkdir_all(&up, mode | 0o300)?;
        }
        self.mkdir(path, mode)
    }

    /// Remove a regular file.
    pub fn remove_file(&mut self, path: &str) -> Result<(), FsError> {
        match self.get(path) {
            Some(Node::File { data, .. }) => {
                self.total -= data.len();
                self.nodes.remove(path);
                Ok(())
            }
            Some(Node::Dir { .. }) => Err(FsError::IsDir),
            None => Err(self.missing(path)),
        }
    }

    /// Remove an empty directory.
    pub fn remove_dir(&mut self, path: &str) -> Result<(), FsError> {
        match self.get(path) {
            Some(Node::Dir { .. }) => {
                if path == "/" {
                    return Err(FsError::Busy);
                }
                if !self.children(path).is_empty() {
                    return Err(FsError::NotEmpty);
                }
                self.nodes.remove(path);
                Ok(())
            }
            Some(Node::File { .. }) => Err(FsError::NotDir),
            None => Err(self.missing(path)),
        }
    }

    /// Remove an entry and everything under it.
    pub fn remove_tree(&mut self, path: &str) -> Result<(), FsError> {
        if self.get(path).is_none() {
            return Err(self.missing(path));
        }
        if path == "/" {
            return Err(FsError::Busy);
        }
        self.clear_dir(path);
        let node = self.nodes.remove(path);
        if let Some(Node::File { data, .. }) = node {
            self.total -= data.len();
        }
        Ok(())
    }

    /// Remove everything under a directory, keeping the directory (`/tmp` at boot).
    pub fn clear_dir(&mut self, dir: &str) {
        let prefix = child_prefix(dir);
        let doomed: Vec<String> = self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .filter(|k| k != dir)
            .collect();
        for key in doomed {
            if let Some(Node::File { data, .. }) = self.nodes.remove(&key) {
                self.total -= data.len();
            }
        }
    }

    /// rename(2): atomic replacement of `dst` by `src`. A file may replace a file; a
    /// directory may replace an empty directory or take a free name.
    pub fn rename(&mut self, src: &str, dst: &str) -> Result<(), FsError> {
        let src_node = self.get(src).ok_or_else(|| self.missing(src))?.clone();
        if src == dst {
            return Ok(());
        }
        if src == "/" || dst == "/" {
            return Err(FsError::Busy);
        }
        self.check_parent(dst)?;
        match (&src_node, self.get(dst)) {
            (Node::File { .. }, Some(Node::Dir { .. })) => return Err(FsError::IsDir),
            (Node::Dir { .. }, Some(Node::File { .. })) => return Err(FsError::NotDir),
            (Node::Dir { .. }, Some(Node::Dir { .. })) if !self.children(dst).is_empty() => {
                return Err(FsError::NotEmpty);
            }
            _ => {}
        }
        if src_node.is_dir() && dst.starts_with(&child_prefix(src)) {
            return Err(FsError::Invalid);
        }
        if let Some(Node::File { data, .. }) = self.nodes.remove(dst) {
            self.total -= data.len();
        }
        self.nodes.remove(src);
        if src_node.is_dir() {
            let prefix = child_prefix(src);
            let moved: Vec<(String, Node)> = self
                .nodes
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            for (key, node) in moved {
                self.nodes.remove(&key);
                let new_key = format!("{}/{}", dst, &key[prefix.len()..]);
                self.nodes.insert(new_key, node);
            }
        }
        self.nodes.insert(dst.to_string(), src_node);
        Ok(())
    }

    /// The direct children of a directory: (name, node), sorted by name.
    pub fn children(&self, dir: &str) -> Vec<(&str, &Node)> {
        let prefix = child_prefix(dir);
        self.nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| k.as_str() != dir)
            .filter_map(|(k, v)| {
                let rest = &k[prefix.len()..];
                (!rest.is_empty() && !rest.contains('/')).then_some((rest, v))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_folds_dots_and_slashes() {
        for (cwd, path, want) in [
            ("/root", "x", "/root/x"),
            ("/root", "../etc//hostname", "/etc/hostname"),
            ("/", "..", "/"),
            ("/a", "/b/./c/", "/b/c"),
            ("/a", ".", "/a"),
        ] {
            assert_eq!(normalize(cwd, path), want, "{cwd} {path}");
        }
    }

    #[test]
    fn write_needs_a_parent_and_keeps_the_mode() {
        let mut fs = Fs::default();
        assert_eq!(
            fs.write("/etc/x", b"1", false, 0o644),
            Err(FsError::NotFound)
        );
        fs.mkdir("/etc", 0o755).unwrap();
        fs.write("/etc/x", b"1", false, 0o600).unwrap();
        fs.write("/etc/x", b"2", true, 0o644).unwrap();
        assert_eq!(fs.read("/etc/x").unwrap(), b"12");
        assert_eq!(fs.get("/etc/x").unwrap().mode(), 0o600);
        assert_eq!(
            fs.write("/etc/x/y", b"", false, 0o644),
            Err(FsError::NotDir)
        );
    }

    #[test]
    fn rename_moves_trees_and_replaces_files() {
        let mut fs = Fs::default();
        fs.mkdir_all("/a/b", 0o755).unwrap();
        fs.write("/a/b/f", b"x", false, 0o644).unwrap();
        fs.rename("/a", "/c").unwrap();
        assert_eq!(fs.read("/c/b/f").unwrap(), b"x");
        assert!(fs.get("/a").is_none());
        fs.write("/g", b"old", false, 0o644).unwrap();
        fs.rename("/c/b/f", "/g").unwrap();
        assert_eq!(fs.read("/g").unwrap(), b"x");
        assert_eq!(fs.rename("/c", "/c/b/z"), Err(FsError::Invalid));
    }

    #[test]
    fn size_caps_hold() {
        let mut fs = Fs::default();
        let big = vec![0u8; MAX_FILE_BYTES];
        fs.write("/f", &big, false, 0o644).unwrap();
        assert_eq!(fs.write("/f", b"x", true, 0o644), Err(FsError::NoSpace));
        fs.remove_file("/f").unwrap();
        assert_eq!(fs.total, 0);
    }
}
