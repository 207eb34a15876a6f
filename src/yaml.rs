//! YAML loading with positions: every human-owned file goes through here, so every error
//! names file, line and column. It owns three things serde alone does not give: unknown keys
//! reported all at once with "did you mean", a path → position index for the checks that run
//! after parsing, and the injection guard over every scalar of the file. A file is read by
//! the fast path of `fast.rs` when it is plain block YAML, else (and for every error) by
//! serde-saphyr, which reports what is wrong.

use crate::diag::{Diagnostic, Diagnostics, SourceLocation, did_you_mean};
use serde::de::DeserializeOwned;
use serde_saphyr::granit_parser::{Event, Parser};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

mod fast;

/// One step of a path into a YAML document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathSegment {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// A path into a YAML document, root first.
pub type YamlPath = Vec<PathSegment>;

/// Render a path the way technicians read it: `vlans[2].subnets[0].gateway`.
pub fn path_to_string(path: &[PathSegment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            PathSegment::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            PathSegment::Index(index) => {
                out.push_str(&format!("[{index}]"));
            }
        }
    }
    out
}

/// Where each key and scalar of a document sits, plus every scalar's text for the guard.
#[derive(Debug, Default, Clone)]
pub struct PositionIndex {
    /// Position of the node at each path (for a mapping entry, the key's position).
    positions: HashMap<YamlPath, (u32, u32)>,
    /// Position of scalar values, which messages about a value point at.
    values: HashMap<YamlPath, (u32, u32)>,
    /// Every scalar value with its path and position, in document order.
    scalars: Vec<(YamlPath, String, u32, u32)>,
}

impl PositionIndex {
    /// Build the index from YAML text. Malformed YAML yields an empty index: the typed
    /// deserialiser reports the syntax error with its own position.
    pub fn build(text: &str) -> PositionIndex {
        let mut index = PositionIndex::default();
        // One frame per open collection: for a mapping, the pending key (None while a key is
        // expected); for a sequence, the next index.
        enum Frame {
            Mapping(Option<String>),
            Sequence(usize),
        }
        let mut stack: Vec<Frame> = Vec::new();
        let mut path: YamlPath = Vec::new();
        // Called when a node (scalar or collection start) is met: returns the path of that node
        // and whether it is a mapping key.
        fn node_path(stack: &mut [Frame], path: &YamlPath) -> (Option<YamlPath>, bool) {
            match stack.last_mut() {
                None => (Some(path.clone()), false),
                Some(Frame::Mapping(None)) => (None, true),
                Some(Frame::Mapping(Some(_))) => (Some(path.clone()), false),
                Some(Frame::Sequence(next)) => {
                    let mut p = path.clone();
                    p.push(PathSegment::Index(*next));
                    *next += 1;
                    (Some(p), false)
                }
            }
        }
        for item in Parser::new_from_str(text) {
            let Ok((event, span)) = item else {
                return PositionIndex::default();
            };
            let position = (span.start.line() as u32, span.start.col() as u32 + 1);
            match event {
                Event::Scalar(value, ..) => {
                    let (node, is_key) = node_path(&mut stack, &path);
                    if is_key {
                        let mut key_path = path.clone();
                        key_path.push(PathSegment::Key(value.to_string()));
                        index.positions.entry(key_path).or_insert(position);
                        if let Some(Frame::Mapping(pending)) = stack.last_mut() {
                            *pending = Some(value.to_string());
                        }
                        path.push(PathSegment::Key(value.to_string()));
                        continue;
                    }
                    if let Some(node) = node {
                        index.positions.entry(node.clone()).or_insert(position);
                        index.values.insert(node.clone(), position);
                        index
                            .scalars
                            .push((node, value.to_string(), position.0, position.1));
                    }
                    finish_value(&mut stack, &mut path);
                }
                Event::Alias(_) => {
                    let (node, is_key) = node_path(&mut stack, &path);
                    if is_key {
                        // An alias used as a key: keep the structure consistent.
                        if let Some(Frame::Mapping(pending)) = stack.last_mut() {
                            *pending = Some(String::from("*"));
                        }
                        path.push(PathSegment::Key(String::from("*")));
                        continue;
                    }
                    if let Some(node) = node {
                        index.positions.entry(node).or_insert(position);
                    }
                    finish_value(&mut stack, &mut path);
                }
                Event::MappingStart(..) | Event::SequenceStart(..) => {
                    let (node, is_key) = node_path(&mut stack, &path);
                    if is_key {
                        // Complex keys are not used in inventories; track them opaquely.
                        if let Some(Frame::Mapping(pending)) = stack.last_mut() {
                            *pending = Some(String::from("?"));
                        }
                        path.push(PathSegment::Key(String::from("?")));
                    } else if let Some(node) = node {
                        index.positions.entry(node.clone()).or_insert(position);
                        if let Some(PathSegment::Index(i)) = node.last() {
                            path.push(PathSegment::Index(*i));
                        }
                    }
                    stack.push(if matches!(event, Event::MappingStart(..)) {
                        Frame::Mapping(None)
                    } else {
                        Frame::Sequence(0)
                    });
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    stack.pop();
                    finish_value(&mut stack, &mut path);
                }
                _ => {}
            }
        }
        // After a value is complete, leave its path segment and expect the next key / item.
        fn finish_value(stack: &mut [Frame], path: &mut YamlPath) {
            match stack.last_mut() {
                Some(Frame::Mapping(pending @ Some(_))) => {
                    *pending = None;
                    path.pop();
                }
                Some(Frame::Sequence(_)) => {
                    // The index segment was pushed only for collections inside the sequence.
                    if matches!(path.last(), Some(PathSegment::Index(_))) {
                        path.pop();
                    }
                }
                _ => {}
            }
        }
        index
    }

    /// Position of the node at `path` (a scalar's value, else the key introducing it), or
    /// of its nearest ancestor that has one.
    pub fn position(&self, path: &[PathSegment]) -> Option<(u32, u32)> {
        if let Some(position) = self.values.get(path) {
            return Some(*position);
        }
        self.key_position(path)
    }

    /// Position of the key (or sequence item) at `path`, or of its nearest located ancestor.
    pub fn key_position(&self, path: &[PathSegment]) -> Option<(u32, u32)> {
        let mut probe = path.to_vec();
        loop {
            if let Some(position) = self.positions.get(&probe) {
                return Some(*position);
            }
            probe.pop()?;
        }
    }

    /// Every scalar value with its path and 1-based line and column.
    pub fn scalars(&self) -> impl Iterator<Item = (&YamlPath, &str, u32, u32)> {
        self.scalars
            .iter()
            .map(|(path, value, line, column)| (path, value.as_str(), *line, *column))
    }
}

/// A human-owned file as read: its text, and the position index built from it on first
/// use. Most files are never pointed into (no finding), so the index, which costs as much
/// as the parse itself, is only built for the files a message needs.
///
/// A long-lived process (the daemon) releases the texts once loading is over
/// ([`SourceFile::release_text`]): 25 MB for a 10,000-switch inventory. A message that later
/// needs a position reads the file again, and uses it only if its content is still the one
/// parsed; otherwise the location names the file alone.
#[derive(Debug)]
pub struct SourceFile {
    /// Path as shown to the user.
    pub path: PathBuf,
    /// The text, kept to build the index on demand, or what recognises it once released.
    text: std::sync::Mutex<Kept>,
    /// Positions of keys and scalars, built on first use.
    index: std::sync::OnceLock<PositionIndex>,
}

/// A source file's text, or, once released, its `content_hash` (hashed only then: a
/// short-lived process never pays for it).
#[derive(Debug)]
enum Kept {
    Text(String),
    Released { hash: u64 },
}

impl SourceFile {
    /// A file with its text.
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> SourceFile {
        SourceFile {
            path: path.into(),
            text: std::sync::Mutex::new(Kept::Text(text.into())),
            index: std::sync::OnceLock::new(),
        }
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        // The state is replaced whole: a panic elsewhere cannot leave it half-written.
        self.text
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The text as parsed: kept, or read again when released and still unchanged on disk.
    pub fn text(&self) -> Option<String> {
        let hash = match &*self.kept() {
            Kept::Text(text) => return Some(text.clone()),
            Kept::Released { hash } => *hash,
        };
        std::fs::read_to_string(&self.path)
            .ok()
            .filter(|text| crate::inventory::cache::content_hash(text.as_bytes()) == hash)
    }

    /// Drop the kept text (positions are then found by reading the file again).
    pub fn release_text(&self) {
        let mut kept = self.kept();
        if let Kept::Text(text) = &*kept {
            let hash = crate::inventory::cache::content_hash(text.as_bytes());
            *kept = Kept::Released { hash };
        }
    }

    /// The position index (built now if it was not yet; empty when the text was released
    /// and the file changed since).
    pub fn index(&self) -> &PositionIndex {
        self.index.get_or_init(|| {
            if let Kept::Text(text) = &*self.kept() {
                return PositionIndex::build(text);
            }
            PositionIndex::build(&self.text().unwrap_or_default())
        })
    }

    /// Location of the node at `path` (or its nearest located ancestor).
    pub fn locate(&self, path: &[PathSegment]) -> SourceLocation {
        match self.index().position(path) {
            Some((line, column)) => SourceLocation::new(&self.path, line, column),
            None => SourceLocation::file(&self.path),
        }
    }

    /// True when some scalar of the file may hold a control character: only an escape in a
    /// double-quoted scalar, a block scalar (`|`, `>`) or a raw control character in the
    /// text can produce one. A cheap byte scan, so the injection guard indexes only the files
    /// that need a closer look. (True for a released text: it cannot be scanned cheaply.)
    pub fn may_hold_control_characters(&self) -> bool {
        let kept = self.kept();
        let Kept::Text(text) = &*kept else {
            return true;
        };
        let bytes = text.as_bytes();
        bytes.iter().enumerate().any(|(i, &b)| match b {
            b'\\' | b'|' | b'>' | b'\t' => true,
            b'\r' => bytes.get(i + 1) != Some(&b'\n'),
            b'\n' => false,
            other => other < 0x20 || other == 0x7f,
        })
    }
}

/// A parsed human-owned YAML file: the typed value and its source.
#[derive(Debug)]
pub struct Loaded<T> {
    /// The typed document.
    pub value: T,
    /// The file it came from.
    pub source: std::sync::Arc<SourceFile>,
}

impl<T> Loaded<T> {
    /// Location of the node at `path` (or its nearest located ancestor).
    pub fn locate(&self, path: &[PathSegment]) -> SourceLocation {
        self.source.locate(path)
    }
}

/// Build a path (an array; `.to_vec()` for a `YamlPath`) from keys and indices:
/// `ypath!["vlans", 2, "gateway"]`.
#[macro_export]
macro_rules! ypath {
    ($($segment:expr),* $(,)?) => {
        [$($crate::yaml::IntoSegment::into_segment($segment)),*]
    };
}

/// Conversion used by [`ypath!`].
pub trait IntoSegment {
    /// Turn a key or an index into a path segment.
    fn into_segment(self) -> PathSegment;
}
impl IntoSegment for &str {
    fn into_segment(self) -> PathSegment {
        PathSegment::Key(self.to_string())
    }
}
impl IntoSegment for String {
    fn into_segment(self) -> PathSegment {
        PathSegment::Key(self)
    }
}
impl IntoSegment for usize {
    fn into_segment(self) -> PathSegment {
        PathSegment::Index(self)
    }
}

/// Parse `text` (the content of `file`) into `T`. Unknown keys are errors, all reported, each
/// with "did you mean" from `vocabulary` (the field names the schema knows). A type or syntax
/// error stops this file only; the caller goes on with the others.
pub fn parse<T: DeserializeOwned>(
    text: &str,
    file: &Path,
    vocabulary: &[&str],
) -> Result<(Loaded<T>, Diagnostics), Diagnostics> {
    let mut unknown: Vec<YamlPath> = Vec::new();
    let value: T = match fast::parse(text, |path| unknown.push(ignored_path(&path))) {
        Some(value) => value,
        None => {
            unknown.clear();
            let parsed = serde_saphyr::with_deserializer_from_str(text, |deserializer| {
                serde_ignored::deserialize(deserializer, |path| unknown.push(ignored_path(&path)))
            });
            match parsed {
                Ok(value) => value,
                Err(error) => return Err(yaml_error(&error, file).into()),
            }
        }
    };
    let loaded = Loaded {
        value,
        source: std::sync::Arc::new(SourceFile::new(file, text)),
    };
    let mut diagnostics = Diagnostics::new();
    for path in unknown {
        let key = match path.last() {
            Some(PathSegment::Key(key)) => key.clone(),
            _ => continue,
        };
        let location = match loaded.source.index().key_position(&path) {
            Some((line, column)) => SourceLocation::new(file, line, column),
            None => SourceLocation::file(file),
        };
        let mut diagnostic =
            Diagnostic::error("yaml.unknown-field", format!("unknown field `{key}`"))
                .at(location)
                .field(path_to_string(&path));
        diagnostic = match did_you_mean(&key, vocabulary.iter().copied()) {
            Some(suggestion) => diagnostic.hint(format!("did you mean `{suggestion}`?")),
            None => diagnostic.hint("remove it, or check the spelling against the documentation"),
        };
        diagnostics.push(diagnostic);
    }
    Ok((loaded, diagnostics))
}

/// Read and parse a file; unreadable files become a diagnostic too.
pub fn load<T: DeserializeOwned>(
    file: &Path,
    vocabulary: &[&str],
) -> Result<(Loaded<T>, Diagnostics), Diagnostics> {
    let text = std::fs::read_to_string(file).map_err(|error| {
        Diagnostics::from(
            Diagnostic::error(
                "io.read",
                format!("cannot read {}: {error}", file.display()),
            )
            .at(SourceLocation::file(file)),
        )
    })?;
    parse(&text, file, vocabulary)
}

/// Turn a serde-saphyr error into a diagnostic at its position, keeping the message only
/// (our renderer shows the location; the crate's snippet would repeat it).
pub fn yaml_error(error: &serde_saphyr::Error, file: &Path) -> Diagnostic {
    let location = match error.location() {
        Some(location) => {
            SourceLocation::new(file, location.line() as u32, location.column() as u32)
        }
        None => SourceLocation::file(file),
    };
    let message = error.without_snippet().to_string();
    // The crate appends "at line L column C"; the location already says it.
    let message = match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_string(),
        None => message,
    };
    let diagnostic = Diagnostic::error("yaml.invalid", message).at(location);
    let text = diagnostic.message.clone();
    if text.contains("invalid type") {
        diagnostic.hint("check the value's type against the example inventory")
    } else if text.contains("missing field") {
        diagnostic.hint("add the field; it is required")
    } else if text.contains("unknown variant") {
        diagnostic.hint("use one of the listed values")
    } else {
        diagnostic
    }
}

fn ignored_path(path: &serde_ignored::Path<'_>) -> YamlPath {
    let mut segments = Vec::new();
    let mut current = path;
    loop {
        match current {
            serde_ignored::Path::Root => break,
            serde_ignored::Path::Seq { parent, index } => {
                segments.push(PathSegment::Index(*index));
                current = parent;
            }
            serde_ignored::Path::Map { parent, key } => {
                segments.push(PathSegment::Key(key.clone()));
                current = parent;
            }
            serde_ignored::Path::Some { parent }
            | serde_ignored::Path::NewtypeStruct { parent }
            | serde_ignored::Path::NewtypeVariant { parent } => current = parent,
        }
    }
    segments.reverse();
    segments
}

/// The field names a serde-derived struct accepts, read from its `Deserialize` impl (serde
/// hands them to `deserialize_struct`), so the "did you mean" vocabulary never drifts from
/// the schema.
pub fn struct_fields<T: DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::{self, Visitor};
    struct Probe;
    #[derive(Debug)]
    struct Found(&'static [&'static str]);
    impl std::fmt::Display for Found {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("field probe")
        }
    }
    impl std::error::Error for Found {}
    impl de::Error for Found {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Found(&[])
        }
    }
    impl<'de> de::Deserializer<'de> for Probe {
        type Error = Found;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Found> {
            Err(Found(&[]))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Found> {
            Err(Found(fields))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }
    match T::deserialize(Probe) {
        Err(Found(fields)) => fields,
        Ok(_) => &[],
    }
}

/// True when the document's root node is a sequence (an asset file holding several assets).
pub fn root_is_sequence(text: &str) -> bool {
    for item in Parser::new_from_str(text) {
        match item {
            Ok((Event::SequenceStart(..), _)) => return true,
            Ok((Event::MappingStart(..) | Event::Scalar(..) | Event::Alias(..), _)) | Err(_) => {
                return false;
            }
            // Stream and document starts, comments, anchors: keep looking for the root node.
            Ok(_) => continue,
        }
    }
    false
}

/// Write `value` as YAML (netparc-owned files: the verified state). The one place netparc
/// emits YAML, as [`parse`] is the one place it reads it.
pub fn to_string<T: serde::Serialize>(value: &T) -> Result<String, String> {
    serde_saphyr::to_string(value).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn a_released_text_is_read_again_for_positions_while_the_file_is_unchanged() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("sw.yml");
        let text = "name: sw-01\nsite: hq\nvlan: users\n";
        std::fs::write(&path, text).expect("write");
        let kept = SourceFile::new(&path, text);
        kept.release_text();
        let location = kept.locate(&[PathSegment::Key("vlan".into())]);
        assert_eq!((location.line, location.column), (3, 7));
        assert_eq!(kept.text().as_deref(), Some(text));

        // Edited since it was parsed: its positions would point at other values, so the
        // location names the file alone.
        let edited = SourceFile::new(&path, text);
        edited.release_text();
        std::fs::write(&path, "# moved\nname: sw-01\nsite: hq\nvlan: users\n").expect("write");
        let location = edited.locate(&[PathSegment::Key("vlan".into())]);
        assert_eq!((location.line, location.column), (0, 0));
        assert_eq!(location.file, path);
        assert_eq!(edited.text(), None);
        assert!(
            edited.may_hold_control_characters(),
            "a released text cannot be scanned"
        );
    }

    #[derive(Debug, Deserialize)]
    struct Subnet {
        prefix: String,
        #[allow(dead_code)]
        gateway: Option<String>,
    }
    #[derive(Debug, Deserialize)]
    struct Doc {
        #[allow(dead_code)]
        site: String,
        subnets: Vec<Subnet>,
    }

    #[test]
    fn every_unknown_key_is_reported_with_position_and_suggestion() {
        let text = "site: hq\nsubnets:\n  - prefix: 10.0.0.0/24\n    gatway: 10.0.0.1\n  - prefix: 10.0.1.0/24\n    colour: red\n";
        let vocabulary = struct_fields::<Subnet>();
        let (loaded, diags) = parse::<Doc>(text, Path::new("plan.yml"), vocabulary).unwrap();
        assert_eq!(loaded.value.subnets.len(), 2);
        assert_eq!(loaded.value.subnets[1].prefix, "10.0.1.0/24");
        let all: Vec<String> = diags.iter().map(ToString::to_string).collect();
        assert_eq!(all.len(), 2, "{all:?}");
        assert!(all[0].contains("unknown field `gatway`"));
        assert!(all[0].contains("plan.yml:4:5"), "{}", all[0]);
        assert!(all[0].contains("did you mean `gateway`?"));
        assert!(all[1].contains("plan.yml:6:5"), "{}", all[1]);
    }

    #[test]
    fn type_errors_name_line_and_column() {
        let text = "site: hq\nsubnets: 12\n";
        let err = parse::<Doc>(text, Path::new("x.yml"), &[]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("x.yml:2:"), "{text}");
        assert!(text.contains("expected sequence"), "{text}");
    }

    #[test]
    fn index_positions_nested_values() {
        let text = "a:\n  - b: 1\n    c: [x, y]\n  - b: 2\n";
        let index = PositionIndex::build(text);
        assert_eq!(index.key_position(&ypath!["a", 1usize, "b"]), Some((4, 5)));
        assert_eq!(index.position(&ypath!["a", 1usize, "b"]), Some((4, 8)));
        assert_eq!(
            index.position(&ypath!["a", 0usize, "c", 1usize]),
            Some((3, 12))
        );
        let scalars: Vec<_> = index
            .scalars()
            .map(|(p, v, ..)| (path_to_string(p), v.to_string()))
            .collect();
        assert!(scalars.contains(&("a[0].c[1]".to_string(), "y".to_string())));
    }

    #[test]
    fn root_kind_ignores_comments_and_document_markers() {
        assert!(root_is_sequence("# workstations\n---\n- name: a\n"));
        assert!(!root_is_sequence("# one asset\nname: a\n"));
        assert!(!root_is_sequence(""));
    }

    #[test]
    fn struct_fields_reads_serde_schema() {
        assert_eq!(struct_fields::<Subnet>(), &["prefix", "gateway"]);
    }
}
