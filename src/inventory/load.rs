//! Reading an inventory folder: finds the human-owned files, parses each with positions,
//! runs the injection guard over every scalar, and keeps where everything came from so later
//! checks can point at the exact line.

use super::model::{Asset, GroupVars, Settings, Site, vocabulary};
use crate::diag::{Diagnostic, Diagnostics, SourceLocation};
use crate::yaml::{self, PathSegment, YamlPath, path_to_string};
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

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
}

fn vocabulary_words() -> &'static [&'static str] {
    static WORDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    WORDS.get_or_init(vocabulary)
}

impl Inventory {
    /// Read the inventory at `root`. Every file is read even when an earlier one fails, so
    /// one run reports every problem.
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
            };
        }
        if !settings_path.is_file() {
            diagnostics.push(missing_settings(root));
            return LoadOutcome {
                inventory: None,
                diagnostics,
            };
        }
        let settings = read_document::<Settings>(&settings_path, &mut diagnostics);
        let multiline: Vec<String> = settings
            .as_ref()
            .map(|s| s.value.multiline_fields.clone())
            .unwrap_or_else(|| vec![String::from("banner"), String::from("motd")]);

        let mut sites = Vec::new();
        for file in yaml_files(&root.join("plan")) {
            match read_document::<Site>(&file, &mut diagnostics) {
                Some(site) => {
                    guard_scalars(&site.origin.file, &multiline, &mut diagnostics);
                    sites.push(site);
                }
                None => failed = true,
            }
        }

        let mut groups = BTreeMap::new();
        let mut group_files = Vec::new();
        if root.join("groups.yml").is_file() {
            group_files.push(root.join("groups.yml"));
        }
        group_files.extend(yaml_files(&root.join("groups")));
        for file in group_files {
            match read_document::<BTreeMap<String, GroupVars>>(&file, &mut diagnostics) {
                Some(located) => {
                    guard_scalars(&located.origin.file, &multiline, &mut diagnostics);
                    for (name, group) in located.value {
                        let origin = Origin {
                            file: located.origin.file.clone(),
                            path: vec![PathSegment::Key(name.clone())],
                        };
                        if let Some(previous) = groups.get(&name) {
                            let previous: &Located<GroupVars> = previous;
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
                None => failed = true,
            }
        }

        let defaults_path = root.join("defaults.yml");
        let defaults = if defaults_path.is_file() {
            match read_document::<GroupVars>(&defaults_path, &mut diagnostics) {
                Some(defaults) => {
                    guard_scalars(&defaults.origin.file, &multiline, &mut diagnostics);
                    defaults
                }
                None => {
                    failed = true;
                    Located {
                        value: GroupVars::default(),
                        origin: Origin::none(),
                    }
                }
            }
        } else {
            Located {
                value: GroupVars::default(),
                origin: Origin::none(),
            }
        };

        let mut assets = Vec::new();
        for (found, problems) in read_asset_files(&yaml_files(&root.join("assets")), &multiline) {
            diagnostics.extend(problems);
            match found {
                Some(found) => assets.extend(found),
                None => failed = true,
            }
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
            if path.is_dir() {
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

type AssetFileOutcome = (Option<Vec<Located<Asset>>>, Diagnostics);

/// Read and guard asset files on every core (an inventory of thousands of assets is
/// thousands of files), keeping the results in file order.
fn read_asset_files(files: &[PathBuf], multiline: &[String]) -> Vec<AssetFileOutcome> {
    let one = |file: &PathBuf| -> AssetFileOutcome {
        let mut diagnostics = Diagnostics::new();
        let found = read_assets(file, &mut diagnostics);
        if let Some(first) = found.as_ref().and_then(|f| f.first()) {
            guard_scalars(&first.origin.file, multiline, &mut diagnostics);
        }
        (found, diagnostics)
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads < 2 || files.len() < 32 {
        return files.iter().map(one).collect();
    }
    let chunk = files.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(one).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| {
                handle.join().unwrap_or_else(|_| {
                    vec![(
                        None,
                        Diagnostics::from(Diagnostic::error(
                            "inventory.load",
                            "a loading thread panicked",
                        )),
                    )]
                })
            })
            .collect()
    })
}

/// An asset file holds one asset (a mapping) or several (a sequence).
fn read_assets(file: &Path, diagnostics: &mut Diagnostics) -> Option<Vec<Located<Asset>>> {
    let text = read_text(file, diagnostics)?;
    if yaml::root_is_sequence(&text) {
        let list = parse_document::<Vec<Asset>>(&text, file, diagnostics)?;
        Some(
            list.value
                .into_iter()
                .enumerate()
                .map(|(index, asset)| Located {
                    value: asset,
                    origin: Origin {
                        file: list.origin.file.clone(),
                        path: vec![PathSegment::Index(index)],
                    },
                })
                .collect(),
        )
    } else {
        let one = parse_document::<Asset>(&text, file, diagnostics)?;
        Some(vec![one])
    }
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
