//! The parse cache: the typed documents of an inventory's human-owned YAML files, kept in
//! netparc-owned `state/cache/parsed.jsonl`, so a run over files that did not change skips
//! YAML entirely. Reading 10,000 assets back from JSON costs a tenth of parsing their YAML,
//! and technicians and the daemon re-run `check` on an inventory where one file changed.
//!
//! The file is JSON Lines, one compact JSON value per line, so each line can be found and
//! decoded on its own, on any core:
//!
//! ```text
//! {"netparc":"0.1.0","schema":1,"multiline_fields":["banner","motd"]}
//! {"path":"assets/hq/sw1.yml","hash":1234,"len":987,"size":2301}<TAB>{"document":{"Asset":{…}},"diagnostics":[…]}
//! ```
//!
//! Each entry is keyed by the file's path relative to the inventory, the length of its text
//! and a 64-bit hash of that text ([`content_hash`]); the text is read on every run anyway
//! (the position index is built from it when a message needs a line and column). Compact
//! JSON escapes tabs inside strings, so the first tab of a line ends its key; the key gives
//! the size of the entry after it, so opening the cache reads the keys and skips the entries
//! (50 MB for 10,000 switch-heavy assets) without scanning them; an entry is decoded, and its
//! UTF-8 checked, only by the thread that needs it. The header invalidates everything at once when the
//! netparc version, the cache schema or `multiline_fields` (which decides what the injection
//! guard reports) changes.
//!
//! An entry holds what parsing the file produced: the typed document and its diagnostics
//! (unknown fields, injection guard findings), so a run served from the cache reports
//! exactly what a run that parsed reports. Files that do not parse are never stored.
//!
//! The cache is never a source of truth: a missing, unreadable, oversized, corrupt or
//! outdated cache, or a line that does not decode, only means parsing the YAML again, and
//! failing to write it is silent. It holds what the YAML holds (secrets are references
//! there, never values), with mode 0600, in a folder that tells git to ignore it.

use crate::diag::{Diagnostic, Diagnostics, Severity, SourceLocation};
use crate::inventory::model::{Asset, GroupVars, Site};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Version of the cache's layout and of the typed documents in it. Bump it when the meaning
/// of a stored value changes without the netparc version changing (it does between
/// releases): the header then invalidates every entry.
pub const SCHEMA_VERSION: u32 = 3;

/// Where the cache lives inside an inventory.
pub fn cache_file(root: &Path) -> PathBuf {
    root.join("state").join("cache").join("parsed.jsonl")
}

/// Largest cache file read or written for `yaml_bytes` of YAML. JSON of the typed values is
/// two to three times the YAML (every absent optional field is written as `null`); a cache
/// far larger than that is not ours, or grew by a bug, and reading it whole could exhaust
/// memory. Aliases can make a document larger than its text, hence the generous factor.
pub fn max_cache_len(yaml_bytes: u64) -> u64 {
    yaml_bytes.saturating_mul(16).saturating_add(1 << 20)
}

/// The diagnostic codes parsing a file can produce besides a failure, the only ones an
/// entry may hold: a stored code is mapped back to its `&'static str` by matching against
/// this list, and a file whose diagnostics use another code is simply not cached.
const CACHEABLE_CODES: [&str; 2] = ["yaml.unknown-field", "inventory.injection"];

/// Which typed document a human-owned file holds, decided by where it lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `plan/*.yml`: one site.
    Site,
    /// `groups.yml`, `groups/*.yml`: groups by name.
    Groups,
    /// `defaults.yml`.
    Defaults,
    /// `assets/**/*.yml`: one asset or a list.
    Assets,
}

/// A parsed file's typed document.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Document {
    /// A site of the addressing plan.
    Site(Box<Site>),
    /// Groups by name.
    Groups(BTreeMap<String, GroupVars>),
    /// The defaults.
    Defaults(Box<GroupVars>),
    /// A file holding one asset (a mapping).
    Asset(Box<Asset>),
    /// A file holding several assets (a sequence).
    Assets(Vec<Asset>),
}

impl Document {
    fn kind(&self) -> Kind {
        match self {
            Document::Site(_) => Kind::Site,
            Document::Groups(_) => Kind::Groups,
            Document::Defaults(_) => Kind::Defaults,
            Document::Asset(_) | Document::Assets(_) => Kind::Assets,
        }
    }
}

/// The first line: what every entry depends on besides its file's text.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Header {
    netparc: String,
    schema: u32,
    multiline_fields: Vec<String>,
}

impl Header {
    fn current(multiline: &[String]) -> Header {
        Header {
            netparc: String::from(env!("CARGO_PKG_VERSION")),
            schema: SCHEMA_VERSION,
            multiline_fields: multiline.to_vec(),
        }
    }
}

/// The part of a line before the tab: which file text the entry was made from, and the
/// size in bytes of the entry after the tab.
#[derive(Debug, Serialize, Deserialize)]
struct Key<'a> {
    #[serde(borrow)]
    path: Cow<'a, str>,
    hash: u64,
    len: u64,
    size: u64,
}

/// A diagnostic as stored: `Diagnostic::code` is `&'static str`, and the location's file is
/// the entry's own file, so only line and column are kept (messages then name the file
/// under whatever path the inventory is opened with this time).
#[derive(Debug, Serialize, Deserialize)]
struct StoredDiagnostic {
    severity: String,
    code: String,
    message: String,
    /// None: no location; `(0, 0)`: the file without a position.
    position: Option<(u32, u32)>,
    asset: Option<String>,
    field: Option<String>,
    expected: Option<String>,
    hint: Option<String>,
}

impl StoredDiagnostic {
    /// None when the diagnostic cannot be restored exactly (a code outside
    /// [`CACHEABLE_CODES`], or a location in another file).
    fn of(diagnostic: &Diagnostic, file: &Path) -> Option<StoredDiagnostic> {
        cacheable_code(diagnostic.code)?;
        let position = match &diagnostic.location {
            None => None,
            Some(location) if location.file == file => Some((location.line, location.column)),
            Some(_) => return None,
        };
        Some(StoredDiagnostic {
            severity: diagnostic.severity.to_string(),
            code: diagnostic.code.to_string(),
            message: diagnostic.message.clone(),
            position,
            asset: diagnostic.asset.clone(),
            field: diagnostic.field.clone(),
            expected: diagnostic.expected.clone(),
            hint: diagnostic.hint.clone(),
        })
    }

    fn restore(self, file: &Path) -> Option<Diagnostic> {
        let code = cacheable_code(&self.code)?;
        let severity: Severity = self.severity.parse().ok()?;
        let mut diagnostic = Diagnostic::new(severity, code, self.message);
        diagnostic.location = self
            .position
            .map(|(line, column)| SourceLocation::new(file, line, column));
        diagnostic.asset = self.asset;
        diagnostic.field = self.field;
        diagnostic.expected = self.expected;
        diagnostic.hint = self.hint;
        Some(diagnostic)
    }
}

/// The static code equal to `code`, if an entry may hold it (no leak: the `&'static str`
/// comes from the list, not from the stored text).
fn cacheable_code(code: &str) -> Option<&'static str> {
    CACHEABLE_CODES.iter().copied().find(|known| *known == code)
}

#[derive(Serialize)]
struct EntryOut<'a> {
    document: &'a Document,
    diagnostics: Vec<StoredDiagnostic>,
}

#[derive(Deserialize)]
struct EntryIn {
    document: Document,
    diagnostics: Vec<StoredDiagnostic>,
}

/// Where one entry sits in the cache text.
#[derive(Debug)]
struct Slot {
    hash: u64,
    len: u64,
    /// The whole line, without its newline (written back as is when the file is unchanged).
    line: Range<usize>,
    /// The entry's JSON, after the tab.
    value: Range<usize>,
}

/// A cache file as read: its bytes, and where each file's entry is in them. Entries are
/// decoded only when asked for, by the thread that needs them.
#[derive(Debug)]
pub(crate) struct Cache {
    bytes: Vec<u8>,
    slots: HashMap<String, Slot>,
}

/// An entry found for an unchanged file.
pub(crate) struct Hit<'a> {
    /// The entry's JSON (decode it with [`decode`]).
    pub(crate) value: &'a [u8],
    /// The whole line without its newline, to write back unchanged.
    pub(crate) line: &'a [u8],
}

impl Cache {
    /// Read the cache at `path` if it exists, is at most `max_len` bytes and its header
    /// matches this netparc and `multiline` fields; None otherwise. Reading stops at the
    /// first line whose key is unreadable or whose size does not end at a newline (the
    /// entries before it stay usable).
    pub(crate) fn open(path: &Path, multiline: &[String], max_len: u64) -> Option<Cache> {
        let file = std::fs::File::open(path).ok()?;
        let size = file.metadata().ok()?.len();
        if size > max_len {
            return None;
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).ok()?);
        // Bounded even if the file grows while being read.
        file.take(max_len.saturating_add(1))
            .read_to_end(&mut bytes)
            .ok()?;
        if bytes.len() as u64 > max_len {
            return None;
        }
        let header_end = position(&bytes, b'\n')?;
        let header: Header = serde_json::from_slice(&bytes[..header_end]).ok()?;
        if header != Header::current(multiline) {
            return None;
        }
        let mut slots = HashMap::new();
        let mut start = header_end + 1;
        while start < bytes.len() {
            let Some(slot) = slot_at(&bytes, start, &mut slots) else {
                break;
            };
            start = slot + 1;
        }
        Some(Cache { bytes, slots })
    }

    /// The entry for the file at `relative` when it was made from a text of this length and
    /// hash.
    pub(crate) fn get(&self, relative: &str, hash: u64, len: u64) -> Option<Hit<'_>> {
        let slot = self.slots.get(relative)?;
        if slot.hash != hash || slot.len != len {
            return None;
        }
        Some(Hit {
            value: self.bytes.get(slot.value.clone())?,
            line: self.bytes.get(slot.line.clone())?,
        })
    }

    /// How many entries the file holds (to tell whether some became stale).
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }
}

/// Read the key of the line starting at `start`, record its slot, and return where the line
/// ends (its newline, or the end of the file); None when the line is not a well-formed entry.
fn slot_at(bytes: &[u8], start: usize, slots: &mut HashMap<String, Slot>) -> Option<usize> {
    let rest = bytes.get(start..)?;
    let tab = start + position(rest, b'\t')?;
    let key: Key<'_> = serde_json::from_slice(&bytes[start..tab]).ok()?;
    let end = (tab + 1).checked_add(usize::try_from(key.size).ok()?)?;
    match bytes.get(end) {
        Some(b'\n') => {}
        None if end == bytes.len() => {}
        _ => return None,
    }
    slots.insert(
        key.path.into_owned(),
        Slot {
            hash: key.hash,
            len: key.len,
            line: start..end,
            value: tab + 1..end,
        },
    );
    Some(end)
}

/// The first `byte` in `bytes`. Only short stretches are searched (a header, a key), so a
/// plain loop does.
fn position(bytes: &[u8], byte: u8) -> Option<usize> {
    bytes.iter().position(|b| *b == byte)
}

/// Decode an entry's JSON for the file at `file` (used for messages' locations), expecting a
/// document of `kind`. None when it does not decode: the caller parses the YAML instead.
pub(crate) fn decode(value: &[u8], kind: Kind, file: &Path) -> Option<(Document, Diagnostics)> {
    // `from_slice` checks the UTF-8 of every string it reads.
    let entry: EntryIn = serde_json::from_slice(value).ok()?;
    if entry.document.kind() != kind {
        return None;
    }
    let mut diagnostics = Diagnostics::new();
    for stored in entry.diagnostics {
        diagnostics.push(stored.restore(file)?);
    }
    Some((entry.document, diagnostics))
}

/// The cache line (without its newline) for a file just parsed, or None when its
/// diagnostics cannot be stored exactly (the file is then parsed on every run, which is
/// only slower).
pub(crate) fn encode(
    relative: &str,
    text: &str,
    hash: u64,
    document: &Document,
    diagnostics: &Diagnostics,
    file: &Path,
) -> Option<Vec<u8>> {
    let diagnostics = diagnostics
        .iter()
        .map(|d| StoredDiagnostic::of(d, file))
        .collect::<Option<Vec<_>>>()?;
    let value = serde_json::to_vec(&EntryOut {
        document,
        diagnostics,
    })
    .ok()?;
    let key = Key {
        path: Cow::Borrowed(relative),
        hash,
        len: text.len() as u64,
        size: value.len() as u64,
    };
    let mut line = serde_json::to_vec(&key).ok()?;
    line.reserve(value.len() + 1);
    line.push(b'\t');
    line.extend_from_slice(&value);
    Some(line)
}

/// Replace the cache at `path` with the header and `lines`, atomically (a reader sees the
/// old file or the new one, never half of one). False when it was not written: too large,
/// or the folder or file could not be created; the caller carries on either way.
pub(crate) fn write(path: &Path, multiline: &[String], lines: &[&[u8]], max_len: u64) -> bool {
    let Ok(header) = serde_json::to_vec(&Header::current(multiline)) else {
        return false;
    };
    let size = header.len() + 1 + lines.iter().map(|l| l.len() + 1).sum::<usize>();
    if size as u64 > max_len {
        return false;
    }
    let Some(dir) = path.parent() else {
        return false;
    };
    if !dir.is_dir() && crate::fsutil::create_private_dir(dir).is_err() {
        return false;
    }
    // Inventories live in git: the cache must never end up in a commit.
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        let _ = crate::fsutil::write_file(
            &ignore,
            b"# netparc's parse cache: rebuilt on demand, never committed.\n*\n",
            0o644,
        );
    }
    // Streamed line by line (through a buffer) rather than assembled: the cache is tens of
    // megabytes for a large inventory.
    crate::fsutil::write_atomic(path, 0o600, true, |file| {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        out.write_all(&header)?;
        out.write_all(b"\n")?;
        for line in lines {
            out.write_all(line)?;
            out.write_all(b"\n")?;
        }
        out.flush()
    })
    .is_ok()
}

/// A 64-bit hash of `bytes`, fast enough to run over every file on every run (a few
/// milliseconds for 25 MB) and fixed across runs and machines, unlike std's seeded hasher.
///
/// Four lanes take the 8-byte words in turn (so the CPU overlaps their multiplications);
/// each step `lane = rotl((lane ^ word) * odd, 31)` is a bijection of the word for a given
/// lane and of the lane for a given word, and the final fold is a bijection of each lane, so
/// an edit confined to one 8-byte word always changes the hash; other edits collide with
/// probability about 2^-64. Not meant to resist someone crafting collisions: the cache
/// only ever holds what its own files parsed to, and the length is checked too.
pub fn content_hash(bytes: &[u8]) -> u64 {
    const MULTIPLIERS: [u64; 4] = [
        0x9e37_79b9_7f4a_7c15,
        0xc2b2_ae3d_27d4_eb4f,
        0x1656_67b1_9e37_79f9,
        0xd6e8_feb8_6659_fd93,
    ];
    fn step(lane: u64, word: u64, multiplier: u64) -> u64 {
        (lane ^ word).wrapping_mul(multiplier).rotate_left(31)
    }
    let mut lanes: [u64; 4] = [
        0x243f_6a88_85a3_08d3,
        0x1319_8a2e_0370_7344,
        0xa409_3822_299f_31d0,
        0x082e_fa98_ec4e_6c89,
    ];
    let (words, tail) = bytes.as_chunks::<8>();
    let mut groups = words.chunks_exact(4);
    for group in &mut groups {
        for ((lane, word), multiplier) in lanes.iter_mut().zip(group).zip(MULTIPLIERS) {
            *lane = step(*lane, u64::from_le_bytes(*word), multiplier);
        }
    }
    for ((lane, word), multiplier) in lanes.iter_mut().zip(groups.remainder()).zip(MULTIPLIERS) {
        *lane = step(*lane, u64::from_le_bytes(*word), multiplier);
    }
    if !tail.is_empty() {
        let mut last = [0u8; 8];
        last[..tail.len()].copy_from_slice(tail);
        lanes[3] = step(lanes[3], u64::from_le_bytes(last), MULTIPLIERS[3]);
    }
    let mut hash = bytes.len() as u64;
    for lane in lanes {
        hash = (hash ^ lane).wrapping_mul(MULTIPLIERS[0]);
        hash ^= hash >> 29;
    }
    // splitmix64's finaliser: every input bit reaches every output bit.
    hash = (hash ^ (hash >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash = (hash ^ (hash >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^ (hash >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_fixed_and_sees_every_byte() {
        let text = b"name: sw1\nkind: switch\ninterfaces:\n  - name: Gi1/0/1\n    vlan: users\n";
        let reference = content_hash(text);
        assert_eq!(reference, content_hash(text.to_vec().as_slice()));
        // Any one byte changed, at any offset (full words, the remainder and the tail).
        for i in 0..text.len() {
            let mut edited = text.to_vec();
            edited[i] ^= 0x20;
            assert_ne!(content_hash(&edited), reference, "byte {i}");
        }
        // A byte appended or removed, including zeros the tail's padding would hide.
        let mut longer = text.to_vec();
        longer.push(0);
        assert_ne!(content_hash(&longer), reference);
        assert_ne!(content_hash(&text[..text.len() - 1]), reference);
        assert_ne!(content_hash(b""), content_hash(b"\0"));
    }

    #[test]
    fn only_codes_parsing_produces_are_stored() {
        let file = Path::new("a.yml");
        let unknown = Diagnostic::error("yaml.unknown-field", "unknown field `x`")
            .at(SourceLocation::new(file, 3, 5))
            .field("x")
            .hint("remove it");
        let stored = StoredDiagnostic::of(&unknown, file).expect("storable");
        assert_eq!(stored.restore(file), Some(unknown.clone()));
        // Another code, or a location in another file, cannot be restored exactly.
        let other = Diagnostic::error("plan.overlap", "x").at(SourceLocation::new(file, 1, 1));
        assert!(StoredDiagnostic::of(&other, file).is_none());
        let elsewhere = unknown.at(SourceLocation::new("b.yml", 1, 1));
        assert!(StoredDiagnostic::of(&elsewhere, file).is_none());
    }
}
