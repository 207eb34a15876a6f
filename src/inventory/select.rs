//! Selectors: which assets a command acts on, shared by every command's `--limit` and by
//! playbook targets. Grammar, like Ansible's patterns: comma-separated terms; a term is a
//! name glob or `field:glob` with field one of kind, site, group, platform, role, name;
//! `!term` excludes, `&term` is required of every selected asset.
//!
//! `site:hq,&kind:switch,!sw-hq-03` = assets of site hq that are switches, except sw-hq-03.

use super::model::{Asset, AssetKind};
use crate::diag::did_you_mean;
use globset::{Glob, GlobMatcher};
use std::fmt;

/// What a term looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    Kind,
    Site,
    Group,
    Platform,
    Role,
}

const FIELDS: [(&str, Field); 6] = [
    ("name", Field::Name),
    ("kind", Field::Kind),
    ("site", Field::Site),
    ("group", Field::Group),
    ("platform", Field::Platform),
    ("role", Field::Role),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Include,
    Require,
    Exclude,
}

#[derive(Debug, Clone)]
struct Term {
    mode: Mode,
    field: Field,
    matcher: GlobMatcher,
}

impl Term {
    fn matches(&self, asset: &Asset) -> bool {
        match self.field {
            Field::Name => self.matcher.is_match(&asset.name),
            Field::Kind => self.matcher.is_match(asset.kind.as_str()),
            Field::Site => self.matcher.is_match(&asset.site),
            Field::Group => asset.groups.iter().any(|g| self.matcher.is_match(g)),
            Field::Platform => asset
                .platform
                .as_deref()
                .is_some_and(|p| self.matcher.is_match(p)),
            Field::Role => asset
                .role
                .as_deref()
                .is_some_and(|r| self.matcher.is_match(r)),
        }
    }
}

/// A parsed selector. The empty selector selects everything.
#[derive(Debug, Clone, Default)]
pub struct Selector {
    source: String,
    /// Every part must select the asset; `and` concatenates parts.
    parts: Vec<Vec<Term>>,
}

impl Selector {
    /// Everything.
    pub fn all() -> Selector {
        Selector::default()
    }

    /// Parse a selector; the error says which term is wrong and what would be accepted.
    pub fn parse(text: &str) -> Result<Selector, String> {
        let mut terms = Vec::new();
        for raw in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            terms.push(parse_term(raw)?);
        }
        Ok(Selector {
            source: text.trim().to_string(),
            parts: if terms.is_empty() {
                Vec::new()
            } else {
                vec![terms]
            },
        })
    }

    /// True when the asset is selected.
    ///
    /// Retired (offboarded) assets match nothing: no command configures, probes or
    /// monitors them. [`Selector::matches_record`] includes them (fleet history).
    pub fn matches(&self, asset: &Asset) -> bool {
        !asset.is_retired() && self.matches_record(asset)
    }

    /// Whether `asset` is selected, retired assets included.
    pub fn matches_record(&self, asset: &Asset) -> bool {
        self.parts.iter().all(|terms| part_matches(terms, asset))
    }

    /// Both selectors at once (a playbook's targets narrowed by `--limit`).
    pub fn and(&self, other: &Selector) -> Selector {
        let source = match (self.is_all(), other.is_all()) {
            (true, _) => other.source.clone(),
            (_, true) => self.source.clone(),
            _ => format!("({}) & ({})", self.source, other.source),
        };
        Selector {
            source,
            parts: self.parts.iter().chain(&other.parts).cloned().collect(),
        }
    }

    /// True when nothing narrows the selection.
    pub fn is_all(&self) -> bool {
        self.parts.is_empty()
    }
}

fn part_matches(terms: &[Term], asset: &Asset) -> bool {
    let mut includes = terms.iter().filter(|t| t.mode == Mode::Include).peekable();
    let included = includes.peek().is_none() || includes.any(|t| t.matches(asset));
    included
        && terms
            .iter()
            .filter(|t| t.mode == Mode::Require)
            .all(|t| t.matches(asset))
        && !terms
            .iter()
            .filter(|t| t.mode == Mode::Exclude)
            .any(|t| t.matches(asset))
}

fn parse_term(raw: &str) -> Result<Term, String> {
    let (mode, rest) = if let Some(rest) = raw.strip_prefix('!') {
        (Mode::Exclude, rest)
    } else if let Some(rest) = raw.strip_prefix('&') {
        (Mode::Require, rest)
    } else {
        (Mode::Include, raw)
    };
    let (field, pattern) = match rest.split_once(':') {
        Some((field_name, pattern)) => {
            let field = FIELDS
                .iter()
                .find(|(name, _)| *name == field_name)
                .map(|(_, field)| *field)
                .ok_or_else(|| {
                    let names = FIELDS.map(|(name, _)| name);
                    let hint = did_you_mean(field_name, names)
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_default();
                    format!(
                        "selector term `{raw}`: unknown field `{field_name}`{hint}; expected one of {}",
                        names.join(", ")
                    )
                })?;
            (field, pattern)
        }
        None => (Field::Name, rest),
    };
    if pattern.is_empty() {
        return Err(format!("selector term `{raw}` has nothing to match"));
    }
    if field == Field::Kind && !pattern.contains(['*', '?', '[']) {
        let kinds = AssetKind::ALL.map(|(name, _)| name);
        if !kinds.contains(&pattern) {
            let hint = did_you_mean(pattern, kinds)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(format!(
                "selector term `{raw}`: unknown kind `{pattern}`{hint}; expected one of {}",
                kinds.join(", ")
            ));
        }
    }
    let matcher = Glob::new(pattern)
        .map_err(|error| format!("selector term `{raw}`: {error}"))?
        .compile_matcher();
    Ok(Term {
        mode,
        field,
        matcher,
    })
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.source.is_empty() {
            f.write_str("all")
        } else {
            f.write_str(&self.source)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(name: &str, kind: AssetKind, site: &str, groups: &[&str]) -> Asset {
        let yaml = format!(
            "name: {name}\nkind: {}\nsite: {site}\ngroups: [{}]\nplatform: ios\n",
            kind.as_str(),
            groups.join(", ")
        );
        serde_saphyr::from_str(&yaml).unwrap()
    }

    fn names(selector: &str, assets: &[Asset]) -> Vec<String> {
        let selector = Selector::parse(selector).unwrap();
        assets
            .iter()
            .filter(|a| selector.matches(a))
            .map(|a| a.name.clone())
            .collect()
    }

    #[test]
    fn union_intersection_exclusion() {
        let assets = [
            asset("sw-hq-01", AssetKind::Switch, "hq", &["core"]),
            asset("sw-hq-02", AssetKind::Switch, "hq", &[]),
            asset("ap-hq-01", AssetKind::AccessPoint, "hq", &[]),
            asset("sw-br-01", AssetKind::Switch, "branch", &[]),
        ];
        assert_eq!(names("", &assets).len(), 4);
        assert_eq!(names("sw-*", &assets), ["sw-hq-01", "sw-hq-02", "sw-br-01"]);
        assert_eq!(
            names("site:hq,&kind:switch", &assets),
            ["sw-hq-01", "sw-hq-02"]
        );
        assert_eq!(
            names("kind:switch,!group:core", &assets),
            ["sw-hq-02", "sw-br-01"]
        );
        assert_eq!(names("!site:hq", &assets), ["sw-br-01"]);
        assert_eq!(
            names("ap-hq-01,sw-br-01", &assets),
            ["ap-hq-01", "sw-br-01"]
        );
    }

    #[test]
    fn and_narrows_a_playbook_target() {
        let assets = [
            asset("sw-hq-01", AssetKind::Switch, "hq", &[]),
            asset("sw-br-01", AssetKind::Switch, "branch", &[]),
            asset("ap-hq-01", AssetKind::AccessPoint, "hq", &[]),
        ];
        let target = Selector::parse("kind:switch").unwrap();
        let limit = Selector::parse("site:hq").unwrap();
        let both = target.and(&limit);
        let selected: Vec<_> = assets
            .iter()
            .filter(|a| both.matches(a))
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(selected, ["sw-hq-01"]);
        let limit = Selector::parse("sw-br-01,ap-hq-01").unwrap();
        let both = target.and(&limit);
        let selected: Vec<_> = assets
            .iter()
            .filter(|a| both.matches(a))
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(selected, ["sw-br-01"]);
    }

    #[test]
    fn bad_selectors_say_what_is_expected() {
        let error = Selector::parse("kidn:switch").unwrap_err();
        assert!(
            error.contains("unknown field `kidn` (did you mean `kind`?)"),
            "{error}"
        );
        let error = Selector::parse("kind:swtich").unwrap_err();
        assert!(
            error.contains("unknown kind `swtich` (did you mean `switch`?)"),
            "{error}"
        );
        assert!(Selector::parse("site:").is_err());
    }
}
