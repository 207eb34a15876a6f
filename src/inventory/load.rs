//! Reading an inventory folder: finds the human-owned files, parses each (on every core),
//! runs the injection guard over every scalar, and keeps where everything came from so later
//! checks can point at the exact line. Files unchanged since the last load are taken from
//! the parse cache instead ([`super::cache`]); positions are then found, as after a parse, from the
//! file's text when a message needs them.

use super::cache::{self, Cache, Document, Kind};
use super::model::{Asset, GroupVars, Settings, Site, vocabulary};
use crate::diag::{Diagnostic, Diagnostics, SourceLocation};
use crate::yaml::{self, PathSegment, YamlPath, path_to_string};
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

pub use crate::yaml::SourceFile;

/// Where a value came from: a file and the path of the value inside it.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The file.
    pub file: Arc<SourceFile>,
    /// Path of the value in the file (empty for the whole document).
    pub path: YamlPath,
}

impl Origin {
    /// The location of `sub` (a path below this value), or of its nearest located ancestor.
    pub fn locate(&self, sub: &[PathSegment]) -> SourceLocation {
        let mut full = self.path.clone();
        full.extend_from_slice(sub);
        self.file.locate(&full)
    }

    /// The location of this value itself.
    pub fn here(&self) -> SourceLocation {
        self.locate(&[])
    }

    /// An origin for a value that has no file (built-in defaults).
    pub fn none() -> Origin {
        Origin {
            file: Arc::new(SourceFile::new(PathBuf::new(), String::new())),
            path: Vec::new(),
        }
    }
}

/// A value with its origin.
#[derive(Debug, Clone)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub origin: Origin,
}

/// An inventory as written by people: settings, plan, groups, defaults and assets.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// The inventory folder.
    pub root: PathBuf,
    /// `netparc.yml`.
    pub settings: Located<Settings>,
    /// The sites of the addressing plan, in file-name order.
    pub sites: Vec<Located<Site>>,
    /// Groups by name.
    pub groups: BTreeMap<String, Located<GroupVars>>,
    /// Values every asset inherits.
    pub defaults: Located<GroupVars>,
    /// Every asset, in file order.
    pub assets: Vec<Located<Asset>>,
}

/// The outcome of loading: the inventory when every file parsed, and every problem found.
pub struct LoadOutcome {
    /// None when a file could not be parsed (its problems are in `diagnostics`).
    pub inventory: Option<Inventory>,
    /// Every problem met while reading.
    pub diagnostics: Diagnostics,
    /// How the parse cache served this load.
    pub cache: CacheUse,
}

/// How the parse cache served one load (for benchmarks, tests and verbose output).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheUse {
    /// Files whose typed document came from the cache.
    pub hits: usize,
    /// Files read as YAML: new, edited, not cacheable, or the cache was unusable. Includes
    /// files that could not be read or parsed.
    pub parsed: usize,
    /// True when this load wrote a new cache file.
    pub written: bool,
}

fn vocabulary_words() -> &'static [&'static str] {
    static WORDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    WORDS.get_or_init(vocabulary)
}

impl Inventory {
    /// Drop the text every file was parsed from (see [`SourceFile::release_text`]): for
    /// processes that keep an inventory loaded for hours. A later message that needs a
    /// position reads its file again.
    pub fn release_texts(&self) {
        self.settings.origin.file.release_text();
        self.defaults.origin.file.release_text();
        for site in &self.sites {
            site.origin.file.release_text();
        }
        for group in self.groups.values() {
            group.origin.file.release_text();
        }
        for asset in &self.assets {
            asset.origin.file.release_text();
        }
    }

    /// Read the inventory at `root`. Every file is read even when an earlier one fails, so
    /// one run reports every problem. Files unchanged since a previous load come from the
    /// parse cache in `state/cache/` (see [`cache`]), which this load then brings up to date
    /// when every file parsed.
    pub fn load(root: &Path) -> LoadOutcome {
        let mut diagnostics = Diagnostics::new();
        let mut failed = false;
        let settings_path = root.join("netparc.yml");
        if !root.is_dir() {
            diagnostics.push(
                Diagnostic::error(
                    "inventory.missing",
                    format!("inventory folder {} does not exist", root.display()),
                )
                .hint("pass the folder holding netparc.yml with -i, e.g. -i inventories/hq"),
            );
            return LoadOutcome {
                inventory: None,
                diagnostics,
                cache: CacheUse::default(),
            };
        }
        if !settings_path.is_file() {
            diagnostics.push(missing_settings(root));
            return LoadOutcome {
                inventory: None,
                diagnostics,
                cache: CacheUse::default(),
            };
        }
        // netparc.yml is always parsed: it is tiny, and it says which fields may hold
        // several lines, which every cached guard finding depends on.
        let settings = read_document::<Settings>(&settings_path, &mut diagnostics);
        let multiline: Vec<String> = settings
            .as_ref()
            .map(|s| s.value.multiline_fields.clone())
            .unwrap_or_else(|| vec![String::from("banner"), String::from("motd")]);

        // Every other human-owned file, in the order the inventory is assembled (and its
        // problems reported): plan, groups, defaults, assets.
        let mut jobs: Vec<(PathBuf, Kind)> = Vec::new();
        jobs.extend(
            yaml_files(&root.join("plan"))
                .into_iter()
                .map(|f| (f, Kind::Site)),
        );
        if root.join("groups.yml").is_file() {
            jobs.push((root.join("groups.yml"), Kind::Groups));
        }
        jobs.extend(
            yaml_files(&root.join("groups"))
                .into_iter()
                .map(|f| (f, Kind::Groups)),
        );
        let defaults_path = root.join("defaults.yml");
        let has_defaults = defaults_path.is_file();
        if has_defaults {
            jobs.push((defaults_path, Kind::Defaults));
        }
        jobs.extend(
            yaml_files(&root.join("assets"))
                .into_iter()
                .map(|f| (f, Kind::Assets)),
        );

        let cache_path = cache::cache_file(root);
        let texts = read_texts(jobs);
        let yaml_bytes: u64 = texts
            .iter()
            .filter_map(|t| t.text.as_ref().ok())
            .map(|(text, _)| text.len() as u64)
            .sum();
        let max_cache = cache::max_cache_len(yaml_bytes);
        let old_cache = Cache::open(&cache_path, &multiline, max_cache);
        let outcomes = parse_files(root, texts, old_cache.as_ref(), &multiline);

        let mut sites = Vec::new();
        let mut groups = BTreeMap::new();
        let mut defaults = None;
        let mut assets = Vec::new();
        let mut lines: Vec<Cow<'_, [u8]>> = Vec::with_capacity(outcomes.len());
        let mut cache_use = CacheUse::default();
        let whole = |file: &Arc<SourceFile>| Origin {
            file: file.clone(),
            path: Vec::new(),
        };
        for outcome in outcomes {
            diagnostics.extend(outcome.diagnostics);
            if outcome.from_cache {
                cache_use.hits += 1;
            } else {
                cache_use.parsed += 1;
            }
            lines.extend(outcome.line);
            let Some((document, file)) = outcome.parsed else {
                failed = true;
                continue;
            };
            match document {
                Document::Site(site) => sites.push(Located {
                    origin: whole(&file),
                    value: *site,
                }),
                Document::Groups(found) => {
                    add_groups(found, &file, &mut groups, &mut diagnostics);
                }
                Document::Defaults(value) => {
                    defaults = Some(Located {
                        origin: whole(&file),
                        value: *value,
                    });
                }
                Document::Asset(asset) => assets.push(Located {
                    origin: whole(&file),
                    value: *asset,
                }),
                Document::Assets(list) => {
                    assets.reserve(list.len());
                    assets.extend(list.into_iter().enumerate().map(|(index, asset)| Located {
                        value: asset,
                        origin: Origin {
                            file: file.clone(),
                            path: vec![PathSegment::Index(index)],
                        },
                    }));
                }
            }
        }
        if has_defaults && defaults.is_none() {
            failed = true;
        }
        let defaults = defaults.unwrap_or_else(|| Located {
            value: GroupVars::default(),
            origin: Origin::none(),
        });

        // Rewrite the cache only after a load where every file parsed (a broken file keeps
        // the previous cache, whose other entries stay valid), and only when it would
        // change: a file parsed (new, edited, or the cache unusable) or a file is gone.
        let stale = old_cache.as_ref().map_or(0, Cache::len) != cache_use.hits;
        let fresh = lines.iter().any(|line| matches!(line, Cow::Owned(_)));
        if settings.is_some() && !failed && (fresh || stale) {
            let lines: Vec<&[u8]> = lines.iter().map(|line| line.as_ref()).collect();
            cache_use.written = cache::write(&cache_path, &multiline, &lines, max_cache);
        }

        let inventory = match settings {
            Some(settings) if !failed => Some(Inventory {
                root: root.to_path_buf(),
                settings,
                sites,
                groups,
                defaults,
                assets,
            }),
            _ => None,
        };
        LoadOutcome {
            inventory,
            diagnostics,
            cache: cache_use,
        }
    }

    /// The templates folder.
    pub fn templates_dir(&self) -> PathBuf {
        self.root.join(&self.settings.value.templates)
    }

    /// The playbooks folder.
    pub fn playbooks_dir(&self) -> PathBuf {
        self.root.join(&self.settings.value.playbooks)
    }

    /// The site named `name`.
    pub fn site(&self, name: &str) -> Option<&Located<Site>> {
        self.sites.iter().find(|site| site.value.site == name)
    }

    /// The asset named `name`.
    pub fn asset(&self, name: &str) -> Option<&Located<Asset>> {
        self.assets.iter().find(|asset| asset.value.name == name)
    }
}

fn missing_settings(root: &Path) -> Diagnostic {
    Diagnostic::error(
        "inventory.missing-settings",
        format!("{} is not an inventory: netparc.yml is missing", root.display()),
    )
    .at(SourceLocation::file(root.join("netparc.yml")))
    .hint("create netparc.yml with at least `name: <inventory name>`, or point -i at the inventory folder")
}

/// Read only `netparc.yml` (commands such as `secrets` need nothing else, and must work
/// while an asset file is broken).
pub fn load_settings(root: &Path) -> Result<Located<Settings>, Diagnostics> {
    let mut diagnostics = Diagnostics::new();
    let path = root.join("netparc.yml");
    if !path.is_file() {
        diagnostics.push(missing_settings(root));
        return Err(diagnostics);
    }
    match read_document::<Settings>(&path, &mut diagnostics) {
        Some(settings) if !diagnostics.has_errors() => Ok(settings),
        _ => Err(diagnostics),
    }
}

/// `*.yml` and `*.yaml` files under `dir`, recursively, sorted so runs are repeatable.
pub fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') {
                continue;
            }
            // The entry's type comes with the listing on most file systems; only a symbolic
            // link (or an unknown type) needs a `stat` to see what it points to. This saves
            // one system call per file, thousands for a large inventory.
            let is_dir = match entry.file_type() {
                Ok(kind) if !kind.is_symlink() => kind.is_dir(),
                _ => path.is_dir(),
            };
            if is_dir {
                pending.push(path);
            } else if name.ends_with(".yml") || name.ends_with(".yaml") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn read_text(file: &Path, diagnostics: &mut Diagnostics) -> Option<String> {
    match std::fs::read_to_string(file) {
        Ok(text) => Some(text),
        Err(error) => {
            diagnostics.push(
                Diagnostic::error(
                    "io.read",
                    format!("cannot read {}: {error}", file.display()),
                )
                .at(SourceLocation::file(file)),
            );
            None
        }
    }
}

fn read_document<T: DeserializeOwned>(
    file: &Path,
    diagnostics: &mut Diagnostics,
) -> Option<Located<T>> {
    let text = read_text(file, diagnostics)?;
    parse_document(&text, file, diagnostics)
}

fn parse_document<T: DeserializeOwned>(
    text: &str,
    file: &Path,
    diagnostics: &mut Diagnostics,
) -> Option<Located<T>> {
    match yaml::parse::<T>(text, file, vocabulary_words()) {
        Ok((loaded, found)) => {
            diagnostics.extend(found);
            Some(Located {
                value: loaded.value,
                origin: Origin {
                    file: loaded.source,
                    path: Vec::new(),
                },
            })
        }
        Err(found) => {
            diagnostics.extend(found);
            None
        }
    }
}

/// Merge the groups of one file into `groups`, reporting a name defined twice.
fn add_groups(
    found: BTreeMap<String, GroupVars>,
    file: &Arc<SourceFile>,
    groups: &mut BTreeMap<String, Located<GroupVars>>,
    diagnostics: &mut Diagnostics,
) {
    for (name, group) in found {
        let origin = Origin {
            file: file.clone(),
            path: vec![PathSegment::Key(name.clone())],
        };
        if let Some(previous) = groups.get(&name) {
            diagnostics.push(
                Diagnostic::error(
                    "inventory.duplicate-group",
                    format!("group `{name}` is defined twice"),
                )
                .at(origin.here())
                .hint(format!(
                    "the first definition is at {}; merge them",
                    previous.origin.here()
                )),
            );
            continue;
        }
        groups.insert(
            name,
            Located {
                value: group,
                origin,
            },
        );
    }
}

/// A file's text and its [`cache::content_hash`], or why it could not be read.
struct Text {
    path: PathBuf,
    kind: Kind,
    text: Result<(String, u64), Diagnostic>,
}

/// Read and hash every file, on every core.
fn read_texts(jobs: Vec<(PathBuf, Kind)>) -> Vec<Text> {
    on_every_core(jobs, |(path, kind)| {
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => {
                let hash = cache::content_hash(text.as_bytes());
                Ok((text, hash))
            }
            Err(error) => Err(Diagnostic::error(
                "io.read",
                format!("cannot read {}: {error}", path.display()),
            )
            .at(SourceLocation::file(&path))),
        };
        Text { path, kind, text }
    })
    .into_iter()
    .map(|text| {
        text.unwrap_or_else(|| Text {
            path: PathBuf::new(),
            kind: Kind::Assets,
            text: Err(Diagnostic::error(
                "inventory.load",
                "a loading thread panicked",
            )),
        })
    })
    .collect()
}

/// One file after parsing (or decoding its cache entry).
struct FileOutcome<'c> {
    /// The document and its source; None when the file could not be read or parsed.
    parsed: Option<(Document, Arc<SourceFile>)>,
    /// What reading and parsing found, in the order a parse reports it.
    diagnostics: Diagnostics,
    /// The file's cache line: the previous one when the file is unchanged, a new one when it
    /// was parsed; None when it cannot be cached.
    line: Option<Cow<'c, [u8]>>,
    /// True when the document came from the cache.
    from_cache: bool,
}

/// Parse every file (or decode its entry when `cache` holds one for this exact text), on
/// every core, keeping the results in file order so reports are repeatable.
fn parse_files<'c>(
    root: &Path,
    texts: Vec<Text>,
    cache: Option<&'c Cache>,
    multiline: &[String],
) -> Vec<FileOutcome<'c>> {
    let count = texts.len();
    let one = |Text { path, kind, text }: Text| -> FileOutcome<'c> {
        let (text, hash) = match text {
            Ok(read) => read,
            Err(diagnostic) => {
                return FileOutcome {
                    parsed: None,
                    diagnostics: diagnostic.into(),
                    line: None,
                    from_cache: false,
                };
            }
        };
        // The key is the path inside the inventory, so the cache survives the inventory
        // being opened under another path (`-i .` vs `-i /srv/inventories/hq`).
        let relative = path.strip_prefix(root).ok().and_then(Path::to_str);
        if let Some(relative) = relative
            && let Some(hit) = cache.and_then(|c| c.get(relative, hash, text.len() as u64))
            && let Some((document, diagnostics)) = cache::decode(hit.value, kind, &path)
        {
            return FileOutcome {
                parsed: Some((document, Arc::new(SourceFile::new(path, text)))),
                diagnostics,
                line: Some(Cow::Borrowed(hit.line)),
                from_cache: true,
            };
        }
        let (parsed, diagnostics) = parse_file(kind, &text, &path, multiline);
        let line = match (&parsed, relative) {
            (Some((document, _)), Some(relative)) => {
                cache::encode(relative, &text, hash, document, &diagnostics, &path).map(Cow::Owned)
            }
            _ => None,
        };
        FileOutcome {
            parsed,
            diagnostics,
            line,
            from_cache: false,
        }
    };
    let outcomes = on_every_core(texts, one);
    debug_assert_eq!(outcomes.len(), count);
    outcomes
        .into_iter()
        .map(|outcome| {
            outcome.unwrap_or_else(|| FileOutcome {
                parsed: None,
                diagnostics: Diagnostic::error("inventory.load", "a loading thread panicked")
                    .into(),
                line: None,
                from_cache: false,
            })
        })
        .collect()
}

/// Parse one file as the document its place in the inventory calls for, then run the
/// injection guard over it.
fn parse_file(
    kind: Kind,
    text: &str,
    file: &Path,
    multiline: &[String],
) -> (Option<(Document, Arc<SourceFile>)>, Diagnostics) {
    let mut diagnostics = Diagnostics::new();
    fn typed<T: DeserializeOwned>(
        text: &str,
        file: &Path,
        diagnostics: &mut Diagnostics,
        wrap: impl FnOnce(T) -> Document,
    ) -> Option<(Document, Arc<SourceFile>)> {
        let located = parse_document::<T>(text, file, diagnostics)?;
        Some((wrap(located.value), located.origin.file))
    }
    let parsed = match kind {
        Kind::Site => typed(text, file, &mut diagnostics, |site| {
            Document::Site(Box::new(site))
        }),
        Kind::Groups => typed(text, file, &mut diagnostics, Document::Groups),
        Kind::Defaults => typed(text, file, &mut diagnostics, |defaults| {
            Document::Defaults(Box::new(defaults))
        }),
        // An asset file holds one asset (a mapping) or several (a sequence).
        Kind::Assets if yaml::root_is_sequence(text) => {
            typed(text, file, &mut diagnostics, Document::Assets)
        }
        Kind::Assets => typed(text, file, &mut diagnostics, |asset| {
            Document::Asset(Box::new(asset))
        }),
    };
    if let Some((_, source)) = &parsed {
        guard_scalars(source, multiline, &mut diagnostics);
    }
    (parsed, diagnostics)
}

/// `work` over every item on every core (files vary a lot in size, so threads take the
/// next item as they finish rather than fixed shares), results in item order. A result is
/// None only if a thread panicked.
fn on_every_core<T: Send, R: Send>(items: Vec<T>, work: impl Fn(T) -> R + Sync) -> Vec<Option<R>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads < 2 || items.len() < 32 {
        return items.into_iter().map(|item| Some(work(item))).collect();
    }
    let count = items.len();
    let slots: Vec<Mutex<Option<T>>> = items.into_iter().map(|i| Mutex::new(Some(i))).collect();
    let next = AtomicUsize::new(0);
    let done: Vec<Vec<(usize, R)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(slot) = slots.get(index) else {
                            break;
                        };
                        // Each slot is taken once, by one thread: the lock is uncontended.
                        let item = slot.lock().ok().and_then(|mut item| item.take());
                        if let Some(item) = item {
                            mine.push((index, work(item)));
                        }
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap_or_default())
            .collect()
    });
    let mut results: Vec<Option<R>> = (0..count).map(|_| None).collect();
    for (index, result) in done.into_iter().flatten() {
        results[index] = Some(result);
    }
    results
}

/// The injection guard: a value that lands in a config line must be one line. A newline in a
/// port description would otherwise end the `description` command and start another one.
fn guard_scalars(file: &SourceFile, multiline: &[String], diagnostics: &mut Diagnostics) {
    if !file.may_hold_control_characters() {
        return;
    }
    for (path, value, line, column) in file.index().scalars() {
        let field = path.iter().rev().find_map(|segment| match segment {
            PathSegment::Key(key) => Some(key.as_str()),
            PathSegment::Index(_) => None,
        });
        let allowed_multiline = field.is_some_and(|f| multiline.iter().any(|m| m == f));
        let bad = value
            .chars()
            .find(|c| c.is_control() && !(allowed_multiline && (*c == '\n' || *c == '\t')));
        if let Some(bad) = bad {
            let what = match bad {
                '\n' => String::from("a newline"),
                '\r' => String::from("a carriage return"),
                '\t' => String::from("a tab"),
                other => format!("the control character U+{:04X}", other as u32),
            };
            diagnostics.push(
                Diagnostic::error(
                    "inventory.injection",
                    format!("`{}` contains {what}", path_to_string(path)),
                )
                .at(SourceLocation::new(&file.path, line, column))
                .field(path_to_string(path))
                .expected("a single line of printable text")
                .hint(
                    "a line break here would smuggle a command into the device configuration; \
                     remove it (or, for a field that really is multi-line, list it in \
                     `multiline_fields` of netparc.yml)",
                ),
            );
        }
    }
}
