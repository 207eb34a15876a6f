//! Redaction of secret values in text about to leave the process (diffs, command output,
//! error messages, run reports, transcripts): every occurrence of a registered value, and the
//! `secret` group of every registered pattern (values the caller cannot list in advance,
//! such as a key already on a device), becomes `<redacted>`.

use super::Secret;
use regex::Regex;

/// What replaces a secret.
pub const REDACTED: &str = "<redacted>";

/// Secret values and secret-bearing patterns, and the function that hides them.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Literal secret values, longest first (so a secret containing another is hidden whole).
    values: Vec<String>,
    /// Patterns whose `secret` group is hidden (values the caller cannot list in advance,
    /// such as a key already on the device). Shared, not cloned: a cloned `Regex` starts
    /// with an empty cache, and every device's redactor holds its platform's patterns.
    patterns: Vec<std::sync::Arc<Regex>>,
    /// The same patterns as one automaton: a single pass tells whether any applies, so the
    /// usual text (no secret line) costs one scan and no copy instead of one per pattern.
    any_pattern: Option<std::sync::Arc<regex::RegexSet>>,
}

/// Compiled pattern sets by their patterns: every device of a platform registers the same
/// few patterns, and compiling a set costs far more than scanning a transcript chunk.
fn pattern_set(patterns: &[std::sync::Arc<Regex>]) -> Option<std::sync::Arc<regex::RegexSet>> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    static SETS: OnceLock<Mutex<HashMap<Vec<String>, Arc<regex::RegexSet>>>> = OnceLock::new();
    let key: Vec<String> = patterns.iter().map(|p| p.as_str().to_string()).collect();
    let mut sets = SETS
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(set) = sets.get(&key) {
        return Some(set.clone());
    }
    let set = Arc::new(regex::RegexSet::new(&key).ok()?);
    // A bounded cache: the pattern lists in use are a handful.
    if sets.len() >= 64 {
        sets.clear();
    }
    sets.insert(key, set.clone());
    Some(set)
}

impl std::fmt::Debug for Redactor {
    // The values are the secrets themselves: count them, never show them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Redactor({} values, {} patterns)",
            self.values.len(),
            self.patterns.len()
        )
    }
}

impl Redactor {
    /// An empty rule set.
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// A rule set hiding these secrets' values.
    pub fn from_secrets<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Redactor {
        let mut redactor = Redactor::new();
        for secret in secrets {
            redactor.add_value(secret.expose());
        }
        redactor
    }

    /// Hide `value` wherever it appears. Empty values are ignored (they would match
    /// everywhere); anything else, however short, is hidden: a short password is still one.
    pub fn add_value(&mut self, value: &str) {
        if value.is_empty() || self.values.iter().any(|v| v == value) {
            return;
        }
        self.values.push(value.to_string());
        self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }

    /// Hide the `secret` named group of every match of `pattern` (a pattern without that
    /// group hides the whole match).
    pub fn add_pattern(&mut self, pattern: impl Into<std::sync::Arc<Regex>>) {
        let pattern = pattern.into();
        if self.patterns.iter().any(|p| p.as_str() == pattern.as_str()) {
            return;
        }
        self.patterns.push(pattern);
        self.any_pattern = pattern_set(&self.patterns);
    }

    /// True when no rule is registered.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty() && self.patterns.is_empty()
    }

    /// `text` with every secret replaced by [`REDACTED`].
    pub fn apply(&self, text: &str) -> String {
        let mut out = text.to_string();
        for value in &self.values {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), REDACTED);
            }
        }
        let matching: Vec<usize> = match &self.any_pattern {
            Some(set) => set.matches(&out).into_iter().collect(),
            // No set (it failed to build): every pattern, one by one.
            None => (0..self.patterns.len()).collect(),
        };
        for pattern in matching.into_iter().filter_map(|i| self.patterns.get(i)) {
            out = pattern
                .replace_all(&out, |caps: &regex::Captures<'_>| {
                    let whole = caps.get(0).map_or("", |m| m.as_str());
                    match (caps.get(0), caps.name("secret")) {
                        (Some(all), Some(secret)) => {
                            let start = secret.start() - all.start();
                            let end = secret.end() - all.start();
                            format!("{}{REDACTED}{}", &whole[..start], &whole[end..])
                        }
                        _ => REDACTED.to_string(),
                    }
                })
                .into_owned();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_longest_first_and_pattern_groups() {
        let secrets = [
            Secret::new("hunter2"),
            Secret::new("hunter2-long"),
            Secret::new(""),
        ];
        let mut redactor = Redactor::from_secrets(&secrets);
        assert_eq!(
            redactor.apply("a hunter2 b hunter2-long c"),
            "a <redacted> b <redacted> c"
        );
        redactor.add_pattern(Regex::new(r"PrivateKey = (?P<secret>\S+)").unwrap());
        assert_eq!(
            redactor.apply("PrivateKey = abc"),
            "PrivateKey = <redacted>"
        );
        assert_eq!(Redactor::new().apply("hunter2"), "hunter2");
    }

    #[test]
    fn only_the_patterns_that_match_rewrite_and_each_one_does() {
        let mut redactor = Redactor::new();
        for pattern in [
            r"(?m)^PrivateKey = (?P<secret>\S+)",
            r"(?m)^PresharedKey = (?P<secret>\S+)",
            r"(?m)^wpa_passphrase=(?P<secret>.+)$",
        ] {
            redactor.add_pattern(Regex::new(pattern).unwrap());
        }
        let text = "[Peer]\nPresharedKey = abc=\nAllowedIPs = 10.0.0.2/32\nPrivateKey = xyz=\n";
        assert_eq!(
            redactor.apply(text),
            "[Peer]\nPresharedKey = <redacted>\nAllowedIPs = 10.0.0.2/32\nPrivateKey = <redacted>\n"
        );
        assert_eq!(redactor.apply("show vlan brief\n"), "show vlan brief\n");
        assert_eq!(
            redactor.apply("wpa_passphrase=a b c"),
            "wpa_passphrase=<redacted>"
        );
    }
}
