//! Session transcripts and redaction. A [`Transcript`] records, per device, everything sent
//! and received on shell and exec channels with a timestamp, for troubleshooting a push after
//! the fact. Every secret registered with it (values, and patterns such as WireGuard's
//! `PrivateKey = …` lines) is replaced by `<redacted>` *before* an entry is stored, so a
//! transcript can be written to a file or attached to a report as it is. The [`Redactor`]
//! is the same rule set, usable alone (drivers apply it to diffs and error messages).

use regex::Regex;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

pub use crate::secrets::{REDACTED, Redactor};

/// Which way text went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Sent to the device (typed on a shell, or an exec command line).
    Sent,
    /// Received from the device (shell output, exec standard output).
    Received,
    /// Exec standard error.
    Stderr,
    /// Something netparc noticed (connected, exit status, timeout, channel closed).
    Note,
}

impl Direction {
    fn marker(self) -> &'static str {
        match self {
            Direction::Sent => ">>",
            Direction::Received => "<<",
            Direction::Stderr => "<!",
            Direction::Note => "--",
        }
    }
}

/// One transcript entry, already redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// When it happened.
    pub at: SystemTime,
    /// Which channel (`ssh`, `shell 1`, `exec 2`…), so interleaved channels stay readable.
    pub channel: String,
    /// Which way.
    pub direction: Direction,
    /// The text, secrets replaced.
    pub text: String,
}

#[derive(Default)]
struct Inner {
    redactor: Redactor,
    entries: Vec<Entry>,
    /// Bytes held, to bound a runaway session.
    bytes: usize,
    /// Entries dropped once the bound was reached.
    dropped: usize,
    /// Channel numbers handed out.
    channels: u32,
}

/// Largest transcript kept in memory: a full `show tech` is a few MB; beyond this the rest
/// is counted, not kept, so a looping device cannot exhaust memory.
const MAX_BYTES: usize = 16 * 1024 * 1024;

/// A per-device session transcript. Cheap to clone: clones share the same record, so the
/// caller keeps one handle and gives another to the transport or driver.
#[derive(Clone, Default)]
pub struct Transcript {
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for Transcript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        write!(f, "Transcript({} entries)", inner.entries.len())
    }
}

impl Transcript {
    /// An empty transcript with no secrets registered.
    pub fn new() -> Transcript {
        Transcript::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves entries that are still redacted: keep going.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Register a secret value: hidden in every later entry, and in entries already stored
    /// (a secret learnt late must not survive in earlier lines).
    pub fn redact(&self, value: &str) {
        if value.is_empty() {
            return;
        }
        let mut inner = self.lock();
        inner.redactor.add_value(value);
        let redactor = inner.redactor.clone();
        for entry in &mut inner.entries {
            if entry.text.contains(value) {
                entry.text = redactor.apply(&entry.text);
            }
        }
    }

    /// Register a secret-bearing pattern (see [`Redactor::add_pattern`]), applied to every
    /// later entry and to the entries already stored.
    pub fn redact_pattern(&self, pattern: impl Into<std::sync::Arc<Regex>>) {
        let mut inner = self.lock();
        inner.redactor.add_pattern(pattern);
        let redactor = inner.redactor.clone();
        for entry in &mut inner.entries {
            entry.text = redactor.apply(&entry.text);
        }
    }

    /// A copy of the rules in effect (for redacting what is not a transcript entry).
    pub fn redactor(&self) -> Redactor {
        self.lock().redactor.clone()
    }

    /// A new channel label (`shell 1`, `exec 2`…), numbered per transcript.
    pub fn channel(&self, kind: &str) -> String {
        let mut inner = self.lock();
        inner.channels += 1;
        format!("{kind} {}", inner.channels)
    }

    /// Record `text` (redacted now, before it is stored).
    pub fn record(&self, channel: &str, direction: Direction, text: &str) {
        if text.is_empty() {
            return;
        }
        let mut inner = self.lock();
        if inner.bytes + text.len() > MAX_BYTES {
            inner.dropped += 1;
            return;
        }
        let text = inner.redactor.apply(text);
        inner.bytes += text.len();
        inner.entries.push(Entry {
            at: SystemTime::now(),
            channel: channel.to_string(),
            direction,
            text,
        });
    }

    /// The entries so far.
    pub fn entries(&self) -> Vec<Entry> {
        self.lock().entries.clone()
    }

    /// The transcript as text: one block per entry, `TIMESTAMP CHANNEL >>` (sent), `<<`
    /// (received), `<!` (stderr) or `--` (note), then the text indented by two spaces so
    /// device output can never fake an entry header.
    pub fn render(&self) -> String {
        let inner = self.lock();
        let mut out = String::new();
        for entry in &inner.entries {
            let _ = writeln!(
                out,
                "{} {} {}",
                timestamp(entry.at),
                entry.channel,
                entry.direction.marker()
            );
            for line in entry.text.split_inclusive('\n') {
                out.push_str("  ");
                out.push_str(line);
            }
            if !entry.text.ends_with('\n') {
                out.push('\n');
            }
        }
        if inner.dropped > 0 {
            let _ = writeln!(
                out,
                "-- {} entries not kept: the transcript reached {} MB",
                inner.dropped,
                MAX_BYTES / (1024 * 1024)
            );
        }
        out
    }

    /// Write the rendered transcript to `path`, atomically and private to the owner (0600):
    /// even redacted, a transcript describes the network.
    pub fn write_to(&self, path: &Path) -> std::io::Result<()> {
        // A troubleshooting aid: atomic, private, but not flushed to disk (see fsutil).
        crate::fsutil::write_file_quick(path, self.render().as_bytes(), 0o600)
    }
}

/// `2026-11-25T12:06:27.123Z`: UTC, milliseconds, no date crate needed.
pub fn timestamp(at: SystemTime) -> String {
    let since = at.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let seconds = since.as_secs() as i64;
    let date = crate::inventory::date::Date::from_days_since_epoch(seconds.div_euclid(86_400));
    let of_day = seconds.rem_euclid(86_400);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        date.year,
        date.month,
        date.day,
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60,
        since.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_patterns_are_hidden_before_storing() {
        let transcript = Transcript::new();
        transcript.redact("hunter2");
        transcript.redact_pattern(
            Regex::new(r"(?m)^\s*PrivateKey\s*=\s*(?P<secret>\S+)").expect("valid"),
        );
        transcript.record("shell 1", Direction::Sent, "hunter2\n");
        transcript.record(
            "exec 2",
            Direction::Received,
            "[Interface]\nPrivateKey = abc=\nListenPort = 1\n",
        );
        let text = transcript.render();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains("abc="), "{text}");
        assert!(text.contains("PrivateKey = <redacted>\n"), "{text}");
        assert!(text.contains("shell 1 >>\n  <redacted>\n"), "{text}");
    }

    #[test]
    fn a_secret_registered_late_is_removed_from_earlier_entries() {
        let transcript = Transcript::new();
        transcript.record("exec 1", Direction::Received, "the key is s3cr3t-value\n");
        transcript.redact("s3cr3t-value");
        assert_eq!(transcript.entries()[0].text, "the key is <redacted>\n");
    }

    #[test]
    fn longest_secret_first_and_debug_shows_no_value() {
        let mut redactor = Redactor::new();
        redactor.add_value("abc");
        redactor.add_value("abcdef");
        redactor.add_value("");
        assert_eq!(
            redactor.apply("x abcdef y abc"),
            "x <redacted> y <redacted>"
        );
        assert!(!format!("{redactor:?}").contains("abc"));
    }

    #[test]
    fn timestamps_are_utc() {
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_795_000_000_123);
        assert_eq!(timestamp(at), "2026-11-18T11:06:40.123Z");
    }
}
