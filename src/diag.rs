//! Diagnostics: the one shape every problem netparc finds takes, from a YAML type error to a
//! weak password. Each names where (file, line, column), what is wrong, what was expected and
//! a hint, so a technician can fix every problem of a run in one pass.

use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// How bad a finding is. Errors fail a command; warnings and notes are reported only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Reported for information; never changes the exit code.
    Note,
    /// Worth fixing; does not fail the command.
    Warning,
    /// Fails the command.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "note" | "info" => Ok(Severity::Note),
            "warning" | "warn" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            other => Err(format!(
                "unknown severity `{other}`, expected one of: error, warning, note"
            )),
        }
    }
}

/// A place in a source file, 1-based like editors show it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SourceLocation {
    /// The file, as the user named it (relative paths stay relative so messages stay short).
    pub file: PathBuf,
    /// 1-based line; 0 when only the file is known.
    pub line: u32,
    /// 1-based column; 0 when only the line is known.
    pub column: u32,
}

impl SourceLocation {
    /// A location at `line:column` of `file`.
    pub fn new(file: impl Into<PathBuf>, line: u32, column: u32) -> Self {
        SourceLocation {
            file: file.into(),
            line,
            column,
        }
    }

    /// The whole file, when no finer position is known (e.g. a file that cannot be read).
    pub fn file(file: impl AsRef<Path>) -> Self {
        SourceLocation::new(file.as_ref(), 0, 0)
    }
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.column > 0 {
                write!(f, ":{}", self.column)?;
            }
        }
        Ok(())
    }
}

/// One problem found, with everything needed to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error, warning or note.
    pub severity: Severity,
    /// Stable machine-readable identifier (`plan.gateway-outside-subnet`), for CI filters and
    /// for the policy that changes an audit rule's severity.
    pub code: &'static str,
    /// What is wrong, in one sentence.
    pub message: String,
    /// Where, when the problem comes from a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
    /// The asset concerned, when there is one (render and audit findings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
    /// The field concerned, as a dotted path (`interfaces[3].description`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What would have been accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A new error with the given code and message.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Error, code, message)
    }

    /// A new warning with the given code and message.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Warning, code, message)
    }

    /// A new diagnostic of any severity.
    pub fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            location: None,
            asset: None,
            field: None,
            expected: None,
            hint: None,
        }
    }

    /// Attach where the problem is.
    pub fn at(mut self, location: SourceLocation) -> Self {
        self.location = Some(location);
        self
    }

    /// Attach where the problem is, if known.
    pub fn at_opt(mut self, location: Option<SourceLocation>) -> Self {
        if location.is_some() {
            self.location = location;
        }
        self
    }

    /// Name the asset concerned.
    pub fn asset(mut self, asset: impl Into<String>) -> Self {
        self.asset = Some(asset.into());
        self
    }

    /// Name the field concerned.
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Say what would have been accepted.
    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }

    /// Say how to fix it.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Change the severity (the audit policy does this).
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]: {}", self.severity, self.code, self.message)?;
        if let Some(location) = &self.location {
            write!(f, "\n  --> {location}")?;
        }
        match (&self.asset, &self.field) {
            (Some(asset), Some(field)) => write!(f, "\n  = asset: {asset}, field: {field}")?,
            (Some(asset), None) => write!(f, "\n  = asset: {asset}")?,
            (None, Some(field)) => write!(f, "\n  = field: {field}")?,
            (None, None) => {}
        }
        if let Some(expected) = &self.expected {
            write!(f, "\n  = expected: {expected}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  = hint: {hint}")?;
        }
        Ok(())
    }
}

/// Every problem found in one pass, in the order found (sorted for display by the caller).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// An empty collection.
    pub fn new() -> Self {
        Diagnostics(Vec::new())
    }

    /// Record one problem.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Record many problems.
    pub fn extend(&mut self, diagnostics: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(diagnostics);
    }

    /// True when at least one problem is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }

    /// Number of warnings.
    pub fn warning_count(&self) -> usize {
        self.0
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count()
    }

    /// True when nothing was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterate over the problems.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    /// Merge repeats of one problem: the same finding at the same place for several assets
    /// (a bad value in the defaults is seen by every device), and, for secrets, the same
    /// message anywhere (a store that cannot be opened fails every `vault:` reference).
    /// The first is kept, naming the first asset "and N more" and the other places.
    pub fn merge_repeats(&mut self) {
        let mut kept: Vec<Diagnostic> = Vec::with_capacity(self.0.len());
        let mut extra: Vec<(usize, Vec<String>, Vec<SourceLocation>)> = Vec::new();
        for diagnostic in self.0.drain(..) {
            let same = kept.iter().position(|k| {
                k.code == diagnostic.code
                    && k.message == diagnostic.message
                    && k.severity == diagnostic.severity
                    && (k.location == diagnostic.location
                        || diagnostic.code.starts_with("secrets."))
            });
            match same {
                Some(index) => {
                    let slot = match extra.iter_mut().find(|(i, ..)| *i == index) {
                        Some(slot) => slot,
                        None => {
                            extra.push((index, Vec::new(), Vec::new()));
                            extra.last_mut().expect("just pushed")
                        }
                    };
                    if let Some(asset) = diagnostic.asset
                        && kept[index].asset.as_ref() != Some(&asset)
                        && !slot.1.contains(&asset)
                    {
                        slot.1.push(asset);
                    }
                    if let Some(location) = diagnostic.location
                        && kept[index].location.as_ref() != Some(&location)
                        && !slot.2.contains(&location)
                    {
                        slot.2.push(location);
                    }
                }
                None => kept.push(diagnostic),
            }
        }
        for (index, assets, locations) in extra {
            let diagnostic = &mut kept[index];
            if !assets.is_empty() {
                let first = diagnostic.asset.take().unwrap_or_default();
                diagnostic.asset = Some(format!("{first} and {} more", assets.len()));
            }
            if !locations.is_empty() {
                let places: Vec<String> =
                    locations.iter().take(5).map(ToString::to_string).collect();
                let more = locations.len().saturating_sub(5);
                let also = if more > 0 {
                    format!("also at {} and {more} more places", places.join(", "))
                } else {
                    format!("also at {}", places.join(", "))
                };
                diagnostic.hint = Some(match diagnostic.hint.take() {
                    Some(hint) => format!("{hint} ({also})"),
                    None => also,
                });
            }
        }
        self.0 = kept;
    }

    /// Sort by file, line and column so a long report reads top to bottom like the files.
    pub fn sort(&mut self) {
        self.0
            .sort_by(|a, b| (&a.location, &a.asset, a.code).cmp(&(&b.location, &b.asset, b.code)));
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(diagnostic: Diagnostic) -> Self {
        Diagnostics(vec![diagnostic])
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in &self.0 {
            writeln!(f, "{diagnostic}\n")?;
        }
        Ok(())
    }
}

/// The closest of `candidates` to `word`, for "did you mean …" hints; None when nothing is
/// close enough to be a plausible typo (Jaro-Winkler for long words, edit distance for
/// short ones, where one wrong letter weighs too much for Jaro-Winkler).
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .filter_map(|candidate| {
            let similarity = strsim::jaro_winkler(word, candidate);
            let distance = strsim::levenshtein(word, candidate);
            let allowed = (word.chars().count().max(candidate.chars().count()) / 4).max(1);
            (similarity > 0.8 || distance <= allowed).then_some((similarity, distance, candidate))
        })
        .max_by(|a, b| b.1.cmp(&a.1).then(a.0.total_cmp(&b.0)))
        .map(|(_, _, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_location_expected_and_hint() {
        let d = Diagnostic::error(
            "plan.gateway-outside-subnet",
            "gateway 10.0.2.1 is outside 10.0.1.0/24",
        )
        .at(SourceLocation::new("plan/hq.yml", 12, 18))
        .expected("an address inside 10.0.1.0/24")
        .hint("fix the gateway or the prefix");
        let text = d.to_string();
        assert!(text.starts_with("error[plan.gateway-outside-subnet]: gateway 10.0.2.1"));
        assert!(text.contains("--> plan/hq.yml:12:18"));
        assert!(text.contains("= expected: an address inside 10.0.1.0/24"));
        assert!(text.contains("= hint: fix the gateway"));
    }

    #[test]
    fn repeats_merge_by_place_and_secrets_by_message() {
        let at = |line| SourceLocation::new("defaults.yml", line, 3);
        let mut all = Diagnostics(vec![
            Diagnostic::error("secrets.env-missing", "VAR unset")
                .at(at(3))
                .asset("sw1"),
            Diagnostic::error("secrets.env-missing", "VAR unset")
                .at(at(3))
                .asset("sw2"),
            Diagnostic::error("secrets.undecryptable", "store")
                .at(at(4))
                .asset("sw1"),
            Diagnostic::error("secrets.undecryptable", "store")
                .at(at(5))
                .asset("sw1"),
            Diagnostic::error("yaml.unknown-field", "unknown field `x`").at(at(7)),
            Diagnostic::error("yaml.unknown-field", "unknown field `x`").at(at(9)),
        ]);
        all.merge_repeats();
        assert_eq!(all.0.len(), 4, "{all}");
        assert_eq!(all.0[0].asset.as_deref(), Some("sw1 and 1 more"));
        assert_eq!(all.0[1].hint.as_deref(), Some("also at defaults.yml:5:3"));
        assert_eq!(all.0[2].location, Some(at(7)));
        assert_eq!(all.0[3].location, Some(at(9)));
    }

    #[test]
    fn did_you_mean_finds_typos_only() {
        assert_eq!(
            did_you_mean("gatway", ["gateway", "prefix", "dhcp"]),
            Some("gateway")
        );
        assert_eq!(did_you_mean("zzz", ["gateway", "prefix"]), None);
        assert_eq!(did_you_mean("hg", ["hq", "lyon"]), Some("hq"));
        assert_eq!(did_you_mean("lyn", ["hq", "lyon"]), Some("lyon"));
    }
}
