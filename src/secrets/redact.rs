//! Redaction of secret values in text about to leave the process (diffs, command output,
//! run reports, transcripts): every occurrence of any registered secret becomes
//! `<redacted>`. Matching is leftmost-longest, so a secret that contains another is replaced
//! whole.

use super::Secret;
use aho_corasick::{AhoCorasick, MatchKind};

/// What replaces a secret value.
pub const REDACTED: &str = "<redacted>";

/// Replaces known secret values in text.
#[derive(Clone, Default)]
pub struct Redactor {
    matcher: Option<AhoCorasick>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redactor")
    }
}

impl Redactor {
    /// A redactor for these secrets (empty values are ignored).
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Redactor {
        let patterns: Vec<&str> = secrets
            .into_iter()
            .map(Secret::expose)
            .filter(|value| !value.is_empty())
            .collect();
        if patterns.is_empty() {
            return Redactor::default();
        }
        // Building fails only past internal size limits, far above any inventory's secrets;
        // a redactor that cannot be built redacts everything rather than nothing.
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(patterns)
            .ok();
        Redactor {
            matcher: matcher.or_else(|| AhoCorasick::new([""]).ok()),
        }
    }

    /// `text` with every secret replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        match &self.matcher {
            None => text.to_string(),
            Some(matcher) => {
                let mut out = String::with_capacity(text.len());
                matcher.replace_all_with(text, &mut out, |_, _, out| {
                    out.push_str(REDACTED);
                    true
                });
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_occurrence_is_replaced_longest_first() {
        let secrets = [
            Secret::new("hunter2"),
            Secret::new("hunter2-long"),
            Secret::new(""),
        ];
        let redactor = Redactor::new(&secrets);
        assert_eq!(
            redactor.redact("a hunter2 b hunter2-long c"),
            "a <redacted> b <redacted> c"
        );
        assert_eq!(Redactor::new(&[]).redact("hunter2"), "hunter2");
    }
}
