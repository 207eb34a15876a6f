//! The fast path for the YAML inventories are made of: block mappings and sequences of
//! one-line scalars, as technicians write them. It reads such a file several times faster
//! than the general parser (a 10,000-asset inventory of switches spends most of a first
//! `netparc check` parsing YAML), and gives up, without a message, on anything outside that
//! subset: anchors, aliases, tags, merge keys, block or multi-line scalars, escapes, flow
//! mappings, tabs, carriage returns, control characters, and every error. The caller then
//! parses the file with serde-saphyr, which stays the reference: what the fast path accepts
//! it must read exactly as serde-saphyr does (tests compare the two on generated documents),
//! and every message about a file comes from serde-saphyr.
//!
//! Scalars are resolved against the type asked for, the way serde-saphyr resolves them with
//! netparc's options; where that resolution has cases (numbers in other radixes, floats,
//! YAML 1.1 booleans into typed fields, nulls where a value is needed) the fast path gives
//! up rather than repeat them.

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Why the fast path stopped: the document is outside its subset (or wrong). Carries
/// nothing, since the full parser reads the document again and says what is wrong.
#[derive(Debug)]
pub struct Unsupported;

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("outside the fast YAML subset")
    }
}

impl std::error::Error for Unsupported {}

impl de::Error for Unsupported {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Unsupported
    }
}

type Result<T> = std::result::Result<T, Unsupported>;

/// One node boundary or scalar of a document, in document order.
#[derive(Debug, PartialEq)]
enum Event<'a> {
    Mapping,
    Sequence,
    End,
    Scalar { text: Cow<'a, str>, plain: bool },
}

const NULL: Event<'static> = Event::Scalar {
    text: Cow::Borrowed(""),
    plain: true,
};

/// Deserialize `text` as `T` if it is inside the fast subset, reporting every field `T` does
/// not know through `unknown` (as serde_ignored paths); `None` sends the caller to the
/// full parser (and any unknown field already reported must then be forgotten).
pub fn parse<T: de::DeserializeOwned>(
    text: &str,
    unknown: impl FnMut(serde_ignored::Path<'_>),
) -> Option<T> {
    let events = events(text).ok()?;
    let mut deserializer = Deserializer {
        events: &events,
        position: 0,
    };
    let value = serde_ignored::deserialize(&mut deserializer, unknown).ok()?;
    (deserializer.position == events.len()).then_some(value)
}

/// The events of one document, or `Unsupported`.
fn events(text: &str) -> Result<Vec<Event<'_>>> {
    if !plain_characters(text.as_bytes()) {
        return Err(Unsupported);
    }
    let mut builder = Builder {
        lines: Lines {
            text,
            position: 0,
            peeked: None,
            marker: false,
        },
        events: Vec::with_capacity(text.len() / 8),
        keys: Vec::new(),
        depth: 0,
    };
    builder.document()?;
    if builder.events.len() > MAX_NODES {
        return Err(Unsupported);
    }
    Ok(builder.events)
}

/// True when the text holds no tab, carriage return, byte-order mark or character YAML
/// treats specially (controls, C1 controls, line and paragraph separators, non-characters):
/// those are left to the full parser, which knows their rules.
fn plain_characters(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x20 {
            if b != b'\n' {
                return false;
            }
        } else if b == 0x7f {
            return false;
        } else if b >= 0x80 {
            let next = bytes.get(i + 1).copied().unwrap_or(0);
            let after = bytes.get(i + 2).copied().unwrap_or(0);
            let special = match b {
                0xC2 => (0x80..=0x9F).contains(&next),
                0xE2 => next == 0x80 && (after == 0xA8 || after == 0xA9),
                0xEF => (next == 0xBB && after == 0xBF) || (next == 0xBF && after >= 0xBE),
                _ => false,
            };
            if special {
                return false;
            }
        }
        i += 1;
    }
    true
}

/// A line that holds something: its indentation and what follows it.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    indent: usize,
    content: &'a str,
}

/// The document's lines, blank and comment-only lines skipped, with one line of look-ahead
/// that a sequence item can replace by the part after its dash.
struct Lines<'a> {
    text: &'a str,
    position: usize,
    peeked: Option<Line<'a>>,
    /// A document marker (`---` or `...` at the start of a line) was read: only a first
    /// `---` is in the subset.
    marker: bool,
}

impl<'a> Lines<'a> {
    fn peek(&mut self) -> Option<Line<'a>> {
        if self.peeked.is_none() {
            self.peeked = self.read();
        }
        self.peeked
    }

    fn read(&mut self) -> Option<Line<'a>> {
        let text = self.text;
        while self.position < text.len() {
            let rest = &text[self.position..];
            let end = rest.find('\n').unwrap_or(rest.len());
            let line = &rest[..end];
            self.position += end + 1;
            let content = line.trim_start_matches(' ');
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            if (line.starts_with("---") || line.starts_with("..."))
                && matches!(line.as_bytes().get(3), None | Some(b' '))
            {
                self.marker = true;
            }
            return Some(Line {
                indent: line.len() - content.len(),
                content,
            });
        }
        None
    }

    fn consume(&mut self) {
        self.peeked = None;
    }

    fn replace(&mut self, line: Line<'a>) {
        self.peeked = Some(line);
    }
}

/// Turns lines into events.
struct Builder<'a> {
    lines: Lines<'a>,
    events: Vec<Event<'a>>,
    /// Keys of the mappings being built, innermost last (to refuse duplicates, as
    /// serde-saphyr does).
    keys: Vec<&'a str>,
    /// Collections open around the current line.
    depth: usize,
}

/// Deepest nesting and most nodes the fast path reads. Below serde-saphyr's own limits (64
/// and 250,000 by default), so a document near them is the full parser's to judge, and the
/// recursion here stays shallow whatever the input.
const MAX_DEPTH: usize = 48;
const MAX_NODES: usize = 200_000;

impl<'a> Builder<'a> {
    fn document(&mut self) -> Result<()> {
        let first = self.lines.peek().ok_or(Unsupported)?;
        if first.content.starts_with('%') {
            return Err(Unsupported);
        }
        if first.indent == 0 && first.content.trim_end_matches(' ') == "---" {
            self.lines.consume();
            self.lines.marker = false;
        }
        let root = self.lines.peek().ok_or(Unsupported)?;
        self.node(root.indent)?;
        match self.lines.peek() {
            Some(_) => Err(Unsupported),
            None if self.lines.marker => Err(Unsupported),
            None => Ok(()),
        }
    }

    /// The node that starts on the next line, which is indented by `indent`.
    fn node(&mut self, indent: usize) -> Result<()> {
        if self.depth >= MAX_DEPTH {
            return Err(Unsupported);
        }
        let line = self.lines.peek().ok_or(Unsupported)?;
        if is_item(line.content) {
            return self.sequence(indent);
        }
        if split_entry(line.content)?.is_some() {
            return self.mapping(indent);
        }
        self.lines.consume();
        self.value(line.content)?;
        self.no_continuation(indent)
    }

    /// A value ends with its line: a more indented line after it would continue a
    /// multi-line scalar.
    fn no_continuation(&mut self, indent: usize) -> Result<()> {
        match self.lines.peek() {
            Some(next) if next.indent > indent => Err(Unsupported),
            _ => Ok(()),
        }
    }

    fn sequence(&mut self, indent: usize) -> Result<()> {
        self.events.push(Event::Sequence);
        self.depth += 1;
        while let Some(line) = self.lines.peek() {
            if line.indent < indent {
                break;
            }
            if line.indent > indent {
                return Err(Unsupported);
            }
            if !is_item(line.content) {
                // A key of the mapping this sequence is the value of, at the same indent.
                break;
            }
            let after_dash = &line.content[1..];
            let rest = after_dash.trim_start_matches(' ');
            if rest.is_empty() || rest.starts_with('#') {
                self.lines.consume();
                match self.lines.peek() {
                    Some(next) if next.indent > indent => self.node(next.indent)?,
                    _ => self.events.push(NULL),
                }
            } else {
                let column = indent + 1 + (after_dash.len() - rest.len());
                self.lines.replace(Line {
                    indent: column,
                    content: rest,
                });
                self.node(column)?;
            }
        }
        self.depth -= 1;
        self.events.push(Event::End);
        Ok(())
    }

    fn mapping(&mut self, indent: usize) -> Result<()> {
        self.events.push(Event::Mapping);
        self.depth += 1;
        let first_key = self.keys.len();
        while let Some(line) = self.lines.peek() {
            if line.indent < indent {
                break;
            }
            if line.indent > indent {
                return Err(Unsupported);
            }
            let (key, rest) = split_entry(line.content)?.ok_or(Unsupported)?;
            if self.keys[first_key..].contains(&key) {
                return Err(Unsupported);
            }
            self.keys.push(key);
            self.events.push(Event::Scalar {
                text: Cow::Borrowed(key),
                plain: true,
            });
            self.lines.consume();
            if rest.is_empty() || rest.starts_with('#') {
                match self.lines.peek() {
                    Some(next) if next.indent > indent => self.node(next.indent)?,
                    Some(next) if next.indent == indent && is_item(next.content) => {
                        self.sequence(indent)?
                    }
                    _ => self.events.push(NULL),
                }
            } else {
                self.value(rest)?;
                self.no_continuation(indent)?;
            }
        }
        self.keys.truncate(first_key);
        self.depth -= 1;
        self.events.push(Event::End);
        Ok(())
    }

    /// A value written on the rest of a line: a scalar, a flow sequence, or `{}`.
    fn value(&mut self, rest: &'a str) -> Result<()> {
        match rest.as_bytes().first() {
            Some(b'\'' | b'"') => {
                let (text, after) = quoted(rest)?;
                end_of_line(after)?;
                self.events.push(Event::Scalar { text, plain: false });
            }
            Some(b'[') => {
                let after = self.flow_sequence(&rest[1..])?;
                end_of_line(after)?;
            }
            Some(b'{') => {
                let after = self.flow_mapping(&rest[1..])?;
                end_of_line(after)?;
            }
            Some(_) => {
                let text = plain(rest)?;
                self.events.push(Event::Scalar {
                    text: Cow::Borrowed(text),
                    plain: true,
                });
            }
            None => return Err(Unsupported),
        }
        Ok(())
    }

    /// `[a, 'b', c]` on one line, after its `[`: scalars only. Returns what follows `]`.
    fn flow_sequence(&mut self, inside: &'a str) -> Result<&'a str> {
        self.events.push(Event::Sequence);
        let mut rest = inside.trim_start_matches(' ');
        if let Some(after) = rest.strip_prefix(']') {
            self.events.push(Event::End);
            return Ok(after);
        }
        loop {
            let (item, after) = flow_scalar(rest)?;
            self.events.push(item);
            match flow_separator(after, b']')? {
                Flow::Next(next) => rest = next,
                Flow::Closed(after) => {
                    self.events.push(Event::End);
                    return Ok(after);
                }
            }
        }
    }

    /// `{key: value, key: [a, b]}` on one line, after its `{`: scalar values, or flow
    /// sequences of scalars. Returns what follows `}`.
    fn flow_mapping(&mut self, inside: &'a str) -> Result<&'a str> {
        self.events.push(Event::Mapping);
        let mut rest = inside.trim_start_matches(' ');
        if let Some(after) = rest.strip_prefix('}') {
            self.events.push(Event::End);
            return Ok(after);
        }
        let mut keys: Vec<&str> = Vec::new();
        loop {
            let bytes = rest.as_bytes();
            let colon = (0..bytes.len())
                .find(|&i| match bytes[i] {
                    b':' => bytes.get(i + 1) == Some(&b' '),
                    b',' | b'}' | b'[' | b']' | b'{' | b'#' => true,
                    _ => false,
                })
                .ok_or(Unsupported)?;
            let key = &rest[..colon];
            if bytes[colon] != b':' || !valid_key(key) || keys.contains(&key) {
                return Err(Unsupported);
            }
            keys.push(key);
            self.events.push(Event::Scalar {
                text: Cow::Borrowed(key),
                plain: true,
            });
            let value = rest[colon + 1..].trim_start_matches(' ');
            let after = match value.strip_prefix('[') {
                Some(inside) => self.flow_sequence(inside)?,
                None => {
                    let (value, after) = flow_scalar(value)?;
                    self.events.push(value);
                    after
                }
            };
            match flow_separator(after, b'}')? {
                Flow::Next(next) => rest = next,
                Flow::Closed(after) => {
                    self.events.push(Event::End);
                    return Ok(after);
                }
            }
        }
    }
}

/// One scalar inside a flow collection (quoted, or plain up to `,`, `]` or `}`), and what
/// follows it.
fn flow_scalar(rest: &str) -> Result<(Event<'_>, &str)> {
    match rest.as_bytes().first() {
        Some(b'\'' | b'"') => {
            let (text, after) = quoted(rest)?;
            Ok((Event::Scalar { text, plain: false }, after))
        }
        Some(_) => {
            let end = rest.find([',', ']', '}']).ok_or(Unsupported)?;
            let item = rest[..end].trim_end_matches(' ');
            if item.is_empty()
                || starts_with_indicator(item)
                || item.contains(['#', '[', '{'])
                || item.contains(": ")
                || item.ends_with(':')
            {
                return Err(Unsupported);
            }
            let item = Event::Scalar {
                text: Cow::Borrowed(item),
                plain: true,
            };
            Ok((item, &rest[end..]))
        }
        None => Err(Unsupported),
    }
}

/// What follows a flow item.
enum Flow<'a> {
    /// A comma, then the next item.
    Next(&'a str),
    /// The closing bracket, then the rest of the line.
    Closed(&'a str),
}

/// After a flow item: `,` and the next item, or the closing bracket. A trailing comma is
/// left to the full parser.
fn flow_separator(after: &str, close: u8) -> Result<Flow<'_>> {
    let after = after.trim_start_matches(' ');
    match after.as_bytes().first() {
        Some(b',') => {
            let next = after[1..].trim_start_matches(' ');
            match next.as_bytes().first() {
                Some(&b) if b == close => Err(Unsupported),
                _ => Ok(Flow::Next(next)),
            }
        }
        Some(&b) if b == close => Ok(Flow::Closed(&after[1..])),
        _ => Err(Unsupported),
    }
}

/// A block sequence item: `-` alone or followed by a space.
fn is_item(content: &str) -> bool {
    content == "-" || content.starts_with("- ")
}

/// Split `key: rest` (rest may be empty or a comment); `None` when the line is a scalar,
/// `Unsupported` for a key the fast path does not read (quoted, `<<`, an indicator, or one
/// that serde-saphyr could read as a null, a boolean or a number).
fn split_entry(content: &str) -> Result<Option<(&str, &str)>> {
    let bytes = content.as_bytes();
    if let Some(b'[' | b'{') = bytes.first() {
        return Ok(None);
    }
    if let Some(b'\'' | b'"') = bytes.first() {
        let (_, after) = quoted(content)?;
        return match after.trim_start_matches(' ').starts_with(':') {
            true => Err(Unsupported),
            false => Ok(None),
        };
    }
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b':' if bytes.get(i + 1).is_none_or(|&next| next == b' ') => {
                let key = &content[..i];
                if !valid_key(key) {
                    return Err(Unsupported);
                }
                let rest = content[i + 1..].trim_start_matches(' ');
                return Ok(Some((key, rest)));
            }
            b'#' if i > 0 && bytes[i - 1] == b' ' => return Ok(None),
            _ => {}
        }
    }
    Ok(None)
}

/// A plain key the fast path reads: not empty, no trailing space, not `<<` (a merge), no
/// indicator first, and nothing serde-saphyr could compare as a null, boolean or number.
fn valid_key(key: &str) -> bool {
    !(key.is_empty()
        || key.ends_with(' ')
        || key == "<<"
        || starts_with_indicator(key)
        || may_resolve_to_non_string(key))
}

/// True when a plain scalar starts with a YAML indicator (`- ` included; a dash glued to
/// text is plain, but left to the full parser anyway).
fn starts_with_indicator(text: &str) -> bool {
    matches!(
        text.as_bytes().first(),
        Some(
            b'-' | b'?'
                | b':'
                | b','
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'#'
                | b'&'
                | b'*'
                | b'!'
                | b'|'
                | b'>'
                | b'\''
                | b'"'
                | b'%'
                | b'@'
                | b'`'
        )
    )
}

/// True when serde-saphyr could read this plain text as something other than a string
/// when no type is asked for: a null, a YAML 1.1 boolean, or anything number-shaped.
fn may_resolve_to_non_string(text: &str) -> bool {
    is_null(text)
        || yaml11_bool(text).is_some()
        || matches!(
            text.as_bytes().first(),
            Some(b'0'..=b'9' | b'+' | b'-' | b'.')
        )
}

/// The plain scalars serde-saphyr reads as null.
fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// YAML 1.1 booleans, which serde-saphyr accepts by default.
fn yaml11_bool(text: &str) -> Option<bool> {
    const TRUE: [&str; 4] = ["true", "yes", "y", "on"];
    const FALSE: [&str; 4] = ["false", "no", "n", "off"];
    if TRUE.iter().any(|t| t.eq_ignore_ascii_case(text)) {
        Some(true)
    } else if FALSE.iter().any(|f| f.eq_ignore_ascii_case(text)) {
        Some(false)
    } else {
        None
    }
}

/// A plain scalar on the rest of a line, its comment and trailing spaces removed.
fn plain(rest: &str) -> Result<&str> {
    // A dash glued to text (`-3`, `-x`) is plain; every other indicator is left to the full
    // parser.
    let glued_dash = rest.len() > 1 && rest.starts_with('-') && !rest[1..].starts_with(' ');
    if starts_with_indicator(rest) && !glued_dash {
        return Err(Unsupported);
    }
    let bytes = rest.as_bytes();
    let end = (1..bytes.len())
        .find(|&i| bytes[i] == b'#' && bytes[i - 1] == b' ')
        .unwrap_or(bytes.len());
    let text = rest[..end].trim_end_matches(' ');
    if text.ends_with(':') || text.contains(": ") {
        return Err(Unsupported);
    }
    Ok(text)
}

/// A quoted scalar at the start of `text` (single quotes with `''`, or double quotes
/// without escapes), and what follows its closing quote. It must close on its line.
fn quoted(text: &str) -> Result<(Cow<'_, str>, &str)> {
    let bytes = text.as_bytes();
    if bytes.first() == Some(&b'"') {
        let close = text[1..].find(['"', '\\']).ok_or(Unsupported)? + 1;
        if bytes[close] == b'\\' {
            return Err(Unsupported);
        }
        return Ok((Cow::Borrowed(&text[1..close]), &text[close + 1..]));
    }
    let mut owned: Option<String> = None;
    let mut segment = 1;
    loop {
        let close = segment + text[segment..].find('\'').ok_or(Unsupported)?;
        if bytes.get(close + 1) == Some(&b'\'') {
            // `''` is one quote.
            owned
                .get_or_insert_with(String::new)
                .push_str(&text[segment..=close]);
            segment = close + 2;
            continue;
        }
        let value = match owned {
            None => Cow::Borrowed(&text[1..close]),
            Some(mut value) => {
                value.push_str(&text[segment..close]);
                Cow::Owned(value)
            }
        };
        return Ok((value, &text[close + 1..]));
    }
}

/// Only spaces, or spaces then a comment, may follow a value.
fn end_of_line(after: &str) -> Result<()> {
    let rest = after.trim_start_matches(' ');
    if rest.is_empty() || (rest.starts_with('#') && rest.len() < after.len()) {
        Ok(())
    } else {
        Err(Unsupported)
    }
}

/// How serde-saphyr reads a number-shaped plain scalar (digit, sign or dot first) when no
/// type is asked for, where the fast path is sure of it.
enum Resolved {
    /// A canonical decimal integer.
    Integer,
    /// Text that no integer or float form matches (`10.0.0.1`, `2001:db8::1`, `30s`).
    Text,
    /// Anything else (floats, radixes, underscores, `.inf`): the full parser decides.
    Unsure,
}

fn number_shaped(text: &str) -> Resolved {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if matches!(
        unsigned,
        ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN"
    ) {
        return Resolved::Unsure;
    }
    if canonical_integer::<i128>(text).is_some() {
        return Resolved::Integer;
    }
    // A float, or an integer too large for 64 bits.
    if text.parse::<f64>().is_ok() {
        return Resolved::Unsure;
    }
    // No integer form has a dot, and the float forms were just tried.
    if text.contains('.') {
        return Resolved::Text;
    }
    // Integer forms: a radix prefix, or decimal digits with underscores.
    let radix = ["0x", "0X", "0o", "0O", "0b", "0B"]
        .iter()
        .any(|prefix| unsigned.starts_with(prefix));
    if radix || unsigned.bytes().all(|b| b.is_ascii_digit() || b == b'_') {
        Resolved::Unsure
    } else {
        Resolved::Text
    }
}

/// Plain text written the one way serde-saphyr reads as that integer: digits without a
/// leading zero, a minus sign for negatives.
fn canonical_integer<T: std::str::FromStr>(text: &str) -> Option<T> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if canonical { text.parse().ok() } else { None }
}

/// A serde deserializer over the events.
struct Deserializer<'e, 'de> {
    events: &'e [Event<'de>],
    position: usize,
}

impl<'e, 'de> Deserializer<'e, 'de> {
    fn peek(&self) -> Result<&'e Event<'de>> {
        self.events.get(self.position).ok_or(Unsupported)
    }

    fn next(&mut self) -> Result<&'e Event<'de>> {
        let event = self.peek()?;
        self.position += 1;
        Ok(event)
    }

    /// The next event as a scalar: its text and whether it is plain.
    fn scalar(&mut self) -> Result<(&'e Cow<'de, str>, bool)> {
        match self.next()? {
            Event::Scalar { text, plain } => Ok((text, *plain)),
            _ => Err(Unsupported),
        }
    }

    /// The next scalar's text, for a type that wants text: not a plain null.
    fn text(&mut self) -> Result<&'e Cow<'de, str>> {
        match self.scalar()? {
            (text, true) if is_null(text) => Err(Unsupported),
            (text, _) => Ok(text),
        }
    }

    /// The next scalar as an integer, when it is written plainly and canonically.
    fn integer<T: std::str::FromStr>(&mut self) -> Result<T> {
        match self.scalar()? {
            (text, true) => canonical_integer(text).ok_or(Unsupported),
            _ => Err(Unsupported),
        }
    }

    /// The next scalar as a finite float, written plainly (serde-saphyr parses floats with
    /// Rust's parser once its `.inf` / `.nan` forms are set apart: those are its to read).
    fn float<T: std::str::FromStr + Into<f64> + Copy>(&mut self) -> Result<T> {
        let (text, plain) = self.scalar()?;
        let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
        if !plain || unsigned.starts_with('.') && unsigned[1..].starts_with(['i', 'I', 'n', 'N']) {
            return Err(Unsupported);
        }
        let value: T = text.parse().map_err(|_| Unsupported)?;
        if value.into().is_finite() {
            Ok(value)
        } else {
            Err(Unsupported)
        }
    }

    /// Skip one node.
    fn skip(&mut self) -> Result<()> {
        let mut depth = 0usize;
        loop {
            match self.next()? {
                Event::Mapping | Event::Sequence => depth += 1,
                Event::End => depth = depth.checked_sub(1).ok_or(Unsupported)?,
                Event::Scalar { .. } => {}
            }
            if depth == 0 {
                return Ok(());
            }
        }
    }

    fn map<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        self.collection(|entries| visitor.visit_map(entries))
    }

    fn seq<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        self.collection(|items| visitor.visit_seq(items))
    }

    /// Visit the mapping or sequence just opened; the visitor must read it to its end.
    fn collection<T>(
        &mut self,
        visit: impl FnOnce(&mut Entries<'_, 'e, 'de>) -> Result<T>,
    ) -> Result<T> {
        let mut entries = Entries {
            deserializer: self,
            finished: false,
        };
        let value = visit(&mut entries)?;
        if entries.finished {
            Ok(value)
        } else {
            Err(Unsupported)
        }
    }
}

fn visit_text<'de, V: Visitor<'de>>(text: &Cow<'de, str>, visitor: V) -> Result<V::Value> {
    match text {
        Cow::Borrowed(text) => visitor.visit_borrowed_str(text),
        Cow::Owned(text) => visitor.visit_str(text),
    }
}

macro_rules! integers {
    ($($method:ident => $visit:ident: $type:ty),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
                visitor.$visit(self.integer::<$type>()?)
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'_, 'de> {
    type Error = Unsupported;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.next()? {
            Event::Mapping => self.map(visitor),
            Event::Sequence => self.seq(visitor),
            Event::End => Err(Unsupported),
            Event::Scalar { text, plain: false } => visit_text(text, visitor),
            Event::Scalar { text, plain: true } => {
                if is_null(text) {
                    return visitor.visit_unit();
                }
                if let Some(value) = yaml11_bool(text) {
                    return visitor.visit_bool(value);
                }
                if may_resolve_to_non_string(text) {
                    return match number_shaped(text) {
                        Resolved::Integer if text.starts_with('-') => {
                            visitor.visit_i64(canonical_integer(text).ok_or(Unsupported)?)
                        }
                        Resolved::Integer => {
                            visitor.visit_u64(canonical_integer(text).ok_or(Unsupported)?)
                        }
                        Resolved::Text => visit_text(text, visitor),
                        Resolved::Unsure => Err(Unsupported),
                    };
                }
                visit_text(text, visitor)
            }
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.scalar()? {
            (text, true) if text == "true" => visitor.visit_bool(true),
            (text, true) if text == "false" => visitor.visit_bool(false),
            _ => Err(Unsupported),
        }
    }

    integers! {
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64,
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_f32(self.float::<f32>()?)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_f64(self.float::<f64>()?)
    }

    fn deserialize_char<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value> {
        Err(Unsupported)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let text = self.text()?;
        visit_text(text, visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value> {
        Err(Unsupported)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value> {
        Err(Unsupported)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.peek()? {
            Event::Scalar { text, plain: true } if is_null(text) => {
                self.position += 1;
                visitor.visit_none()
            }
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.scalar()? {
            (text, true) if is_null(text) => visitor.visit_unit(),
            _ => Err(Unsupported),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.next()? {
            Event::Sequence => self.seq(visitor),
            _ => Err(Unsupported),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.next()? {
            Event::Mapping => self.map(visitor),
            _ => Err(Unsupported),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        // Unit variants only, written as a scalar; a variant with content is a mapping,
        // which the full parser reads.
        match self.text()? {
            Cow::Borrowed(text) => {
                visitor.visit_enum(de::value::BorrowedStrDeserializer::<Unsupported>::new(text))
            }
            Cow::Owned(text) => visitor.visit_enum(
                IntoDeserializer::<Unsupported>::into_deserializer(text.as_str()),
            ),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.skip()?;
        visitor.visit_unit()
    }
}

/// The entries of a mapping or the items of a sequence, up to its end.
struct Entries<'a, 'e, 'de> {
    deserializer: &'a mut Deserializer<'e, 'de>,
    finished: bool,
}

impl Entries<'_, '_, '_> {
    /// True (and the end consumed) when the collection has no more entries.
    fn at_end(&mut self) -> Result<bool> {
        if self.finished {
            return Ok(true);
        }
        if matches!(self.deserializer.peek()?, Event::End) {
            self.deserializer.position += 1;
            self.finished = true;
        }
        Ok(self.finished)
    }
}

impl<'de> MapAccess<'de> for Entries<'_, '_, 'de> {
    type Error = Unsupported;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        if self.at_end()? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.deserializer).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value> {
        seed.deserialize(&mut *self.deserializer)
    }
}

impl<'de> SeqAccess<'de> for Entries<'_, '_, 'de> {
    type Error = Unsupported;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>> {
        if self.at_end()? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.deserializer).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::Asset;
    use proptest::prelude::*;
    use serde::Serialize;
    use serde::de::DeserializeOwned;
    use serde_json::Value;

    /// What serde-saphyr reads, called the way `yaml::parse` calls it: the value and the
    /// unknown fields, or its message.
    fn full<T: DeserializeOwned>(text: &str) -> std::result::Result<(T, Vec<String>), String> {
        let mut unknown = Vec::new();
        serde_saphyr::with_deserializer_from_str(text, |deserializer| {
            serde_ignored::deserialize(deserializer, |path| unknown.push(path.to_string()))
        })
        .map(|value| (value, unknown))
        .map_err(|error| error.to_string())
    }

    fn quick<T: DeserializeOwned>(text: &str) -> Option<(T, Vec<String>)> {
        let mut unknown = Vec::new();
        parse(text, |path| unknown.push(path.to_string())).map(|value| (value, unknown))
    }

    /// Whether the fast path read `text`; when it did, serde-saphyr reads the same value
    /// and the same unknown fields.
    fn agrees<T: DeserializeOwned + Serialize>(text: &str) -> bool {
        let Some((value, unknown)) = quick::<T>(text) else {
            return false;
        };
        let (expected, expected_unknown) = full::<T>(text).unwrap_or_else(|error| {
            panic!("the fast path read what serde-saphyr refuses ({error}):\n{text}")
        });
        let as_json = |value: &T| serde_json::to_value(value).expect("serialisable");
        assert_eq!(
            as_json(&value),
            as_json(&expected),
            "read differently:\n{text}"
        );
        assert_eq!(unknown, expected_unknown, "unknown fields differ:\n{text}");
        true
    }

    const SWITCH: &str = "\
# Access switch, building B
---
name: sw-1
kind: switch
platform: ios
site: hq
address: 10.1.99.11   # management
groups: [switches, 'floor-1']
description: it's on floor 1 #not a comment: kept
lifecycle:
  purchased: '2023-03-14'
  supplier: \"Example Distribution\"
colour: blue
vars:
  uplink: Gi1/0/48
  poe: yes
  budget: 370
  offset: -3
  note: ~
  empty:
  tags: []
  extra: {}
interfaces:
  - name: Gi1/0/1
    description: desk 2-03
    vlan: users
    voice_vlan: voice
  -   name: Gi1/0/2
      description: 'printer ''A'''
      shutdown: true

  - name: Gi1/0/48
    mode: trunk
";

    #[test]
    fn reads_a_switch_file_as_serde_saphyr_does() {
        assert!(agrees::<Asset>(SWITCH));
        assert!(agrees::<Value>(SWITCH));
        let (asset, unknown) = quick::<Asset>(SWITCH).expect("inside the subset");
        assert_eq!(unknown, ["colour"]);
        assert_eq!(asset.interfaces.len(), 3);
        assert_eq!(
            asset.interfaces[1].description.as_deref(),
            Some("printer 'A'")
        );
        assert_eq!(asset.description.as_deref(), Some("it's on floor 1"));
        let (value, _) = quick::<Value>(SWITCH).expect("inside the subset");
        assert_eq!(
            value["vars"],
            serde_json::json!({"uplink": "Gi1/0/48", "poe": true, "budget": 370, "offset": -3,
                "note": null, "empty": null, "tags": [], "extra": {}})
        );
    }

    #[test]
    fn reads_lists_and_same_indent_sequences() {
        let text = "\
- name: ws-1
  kind: workstation
  site: hq
  groups:
  - staff
  - accounting
- name: ws-2
  kind: printer
  site: lyon
  wifi:
    - staff
-
  name: ws-3
  kind: workstation
  site: hq
";
        assert!(agrees::<Vec<Asset>>(text));
        assert!(agrees::<Value>(text));
        assert!(agrees::<Value>("- - a\n  - b\n- c\n"));
        assert!(agrees::<Value>("key:\n  value\nother: x\n"));
    }

    #[test]
    fn untyped_scalars_resolve_as_serde_saphyr_does() {
        for scalar in [
            "yes",
            "No",
            "ON",
            "off",
            "y",
            "N",
            "true",
            "False",
            "~",
            "null",
            "NULL",
            "0",
            "12",
            "-12",
            "18446744073709551615",
            "abc",
            "'007'",
            "\"1.5\"",
            "a:b",
            "fe80::1",
            "aa:bb:cc:dd:ee:ff",
            "http://x/y",
            "x#y",
            "é",
            "inf",
            "nan",
            "Infinity",
            // Number-shaped, but no number form matches: text, read here.
            "10.0.0.1",
            "2001:db8::1",
            "30s",
            "1.2.3",
            ".",
            "-.",
            "1.2e",
            "1inf",
            "-x:y",
            "1d",
            "4h",
            "-12ab",
        ] {
            assert!(agrees::<Value>(&format!("k: {scalar}\n")), "{scalar}");
        }
        // Number-shaped text with cases (radixes, floats, leading zeros, signs, overflow):
        // left to the full parser.
        for scalar in [
            "007",
            "1.5",
            "0x1F",
            "0o17",
            "+1",
            ".inf",
            "-.nan",
            "-.5",
            "1e3",
            "1_000",
            "1.",
            "99999999999999999999999",
            "+inf",
            "-nan",
        ] {
            assert!(
                quick::<Value>(&format!("k: {scalar}\n")).is_none(),
                "{scalar}"
            );
        }
    }

    #[test]
    fn typed_scalars_outside_the_canonical_forms_go_to_the_full_parser() {
        #[derive(serde::Deserialize, Serialize)]
        struct Typed {
            flag: Option<bool>,
            count: Option<u16>,
            text: Option<String>,
            ratio: Option<f64>,
        }
        assert!(agrees::<Typed>(
            "flag: true\ncount: 12\ntext: yes\nratio: 0.5\n"
        ));
        assert!(agrees::<Typed>(
            "flag:\ncount: ~\ntext: 'null'\nratio: -3\n"
        ));
        assert!(agrees::<Typed>("ratio: 1e3\n"));
        for text in [
            "flag: yes\n",
            "count: '12'\n",
            "count: 012\n",
            "count: 70000\n",
            "ratio: .inf\n",
            "ratio: -.NaN\n",
            "ratio: inf\n",
            "ratio: '0.5'\n",
            "ratio: 1e999\n",
        ] {
            assert!(quick::<Typed>(text).is_none(), "{text}");
        }
        // Null where a string is needed: serde-saphyr's message, not a silent empty string.
        assert!(quick::<String>("~\n").is_none());
    }

    #[test]
    fn gives_up_outside_the_subset() {
        for text in [
            "",
            "# only a comment\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "base: &b {x: 1}\n",
            "<<: {x: 1}\n",
            "a: |\n  line\n",
            "a: >\n  folded\n",
            "a: multi\n  line\n",
            "a: 'multi\n  line'\n",
            "a: \"esc\\n\"\n",
            "a: {x: {y: 1}}\n",
            "a: [x, [y]]\n",
            "a: [{x: 1}]\n",
            "a: {x: [y, [z]]}\n",
            "a: {x: 1,}\n",
            "a: {x}\n",
            "a: {'x': 1}\n",
            "a: [[1]]\n",
            "a: [x, ]\n",
            "a: [x,,y]\n",
            "a:\tb\n",
            "a: b\r\n",
            "a: 1\na: 2\n",
            "a: 1\n b: 2\n",
            "a:\n  b: 1\n c: 2\n",
            "a: b: c\n",
            "'a': 1\n",
            "\"a\": 1\n",
            "a: 1\n---\nb: 2\n",
            "%YAML 1.2\n---\na: 1\n",
            "a: 'q'x\n",
            "a: 'q'#c\n",
            "\u{feff}a: 1\n",
            "a: x\u{85}y\n",
            "a: b\n- c\n",
            "a: - b\n",
            "? a\n: b\n",
            "1: a\n",
            "yes: a\n",
            "a: note:\n",
            "a: b\n...\n",
            "...\n",
            "---\n---\n",
            "--- \n...\n",
            "- a\n... \n",
            "a\nb\n",
        ] {
            assert!(quick::<Value>(text).is_none(), "{text:?}");
        }
        let deep: String = (0..100).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        assert!(quick::<Value>(&deep).is_none());
    }

    #[test]
    fn every_yaml_file_shipped_reads_the_same_both_ways() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for folder in ["inventories", "playbooks", "tests"] {
            collect_yaml(&root.join(folder), &mut files);
        }
        assert!(files.len() > 20, "{} files", files.len());
        for file in &files {
            let text = std::fs::read_to_string(file).expect("readable");
            let is_asset = file.components().any(|c| c.as_os_str() == "assets")
                && !file.components().any(|c| c.as_os_str() == "state");
            let typed = match (is_asset, crate::yaml::root_is_sequence(&text)) {
                (true, true) => agrees::<Vec<Asset>>(&text),
                (true, false) => agrees::<Asset>(&text),
                (false, _) => true,
            };
            let untyped = agrees::<Value>(&text);
            // The example content is written the way technicians write: a file leaves the
            // fast path only for a block scalar (a banner), an escape in a double-quoted
            // string (a regular expression), or an untyped float (a measured loss).
            let explained = text.contains(": |")
                || text.contains('\\')
                || text.lines().any(|line| {
                    line.split_once(": ").is_some_and(|(_, value)| {
                        value.contains('.') && value.trim().parse::<f64>().is_ok()
                    })
                });
            assert!(
                (typed && untyped) || explained,
                "{} leaves the fast path for no known reason",
                file.display()
            );
        }
    }

    fn collect_yaml(folder: &std::path::Path, files: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(folder) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                collect_yaml(&path, files);
            } else if path
                .extension()
                .is_some_and(|extension| extension == "yml" || extension == "yaml")
            {
                files.push(path);
            }
        }
    }

    /// A generated document: nested mappings, sequences and scalars in every style.
    #[derive(Debug, Clone)]
    enum Node {
        Scalar(String, Style),
        Flow(Vec<(String, Style)>),
        Map(Vec<(String, Node)>),
        Seq(Vec<Node>),
    }

    #[derive(Debug, Clone, Copy)]
    enum Style {
        Plain,
        Single,
        Double,
    }

    fn scalar_text() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "",
                "~",
                "null",
                "yes",
                "No",
                "on",
                "y",
                "true",
                "FALSE",
                "0",
                "7",
                "-3",
                "007",
                "1.5",
                "0x1F",
                ".inf",
                "+1",
                "1e3",
                "a: b",
                "a #b",
                "a#b",
                "it's",
                "q\"q",
                "[a, b]",
                "{}",
                "-",
                "- x",
                "-x",
                "é",
                "10.0.0.1",
                "2001:db8::1",
                "fe80::",
                "aa:bb:cc:dd:ee:ff",
                "http://x",
                "#c",
                "trail ",
                "&a",
                "*a",
                "!t",
                "|",
                ">",
                "%",
                "@",
                "`",
                "?",
                ":",
                ",x",
                "x,",
                "a\\nb",
                "switch",
                "ios",
                "users",
                "hq",
                "Gi1/0/1",
            ])
            .prop_map(str::to_string),
            "[a-z0-9 :#'\"\\-_./]{0,8}",
        ]
    }

    fn key_text() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "name",
                "kind",
                "site",
                "address",
                "vlan",
                "groups",
                "description",
                "vars",
                "interfaces",
                "platform",
                "lifecycle",
                "mode",
                "yes",
                "1",
                "<<",
                "a b",
                "a:b",
                "x#",
                "~",
                "-k",
                "k ",
                "'q'",
                "é",
            ])
            .prop_map(str::to_string),
            "[a-z_]{1,6}",
        ]
    }

    fn style() -> impl Strategy<Value = Style> {
        prop_oneof![Just(Style::Plain), Just(Style::Single), Just(Style::Double)]
    }

    fn node() -> impl Strategy<Value = Node> {
        let leaf = prop_oneof![
            (scalar_text(), style()).prop_map(|(text, style)| Node::Scalar(text, style)),
            prop::collection::vec((scalar_text(), style()), 0..3).prop_map(Node::Flow),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec((key_text(), inner.clone()), 1..5).prop_map(Node::Map),
                prop::collection::vec(inner, 1..4).prop_map(Node::Seq),
            ]
        })
    }

    /// How a document is laid out: indentation step, sequences under keys at the key's
    /// indentation or deeper, trailing comments.
    #[derive(Debug, Clone, Copy)]
    struct Layout {
        step: usize,
        same_indent_sequences: bool,
        comments: bool,
    }

    fn write_scalar(text: &str, style: Style) -> String {
        match style {
            Style::Plain => text.to_string(),
            Style::Single => format!("'{}'", text.replace('\'', "''")),
            Style::Double => format!("\"{text}\""),
        }
    }

    fn write_inline(node: &Node, layout: Layout) -> Option<String> {
        let comment = if layout.comments { " # c" } else { "" };
        match node {
            Node::Scalar(text, style) => Some(format!("{}{comment}", write_scalar(text, *style))),
            Node::Flow(items) => {
                let items: Vec<String> = items
                    .iter()
                    .map(|(text, style)| write_scalar(text, *style))
                    .collect();
                Some(format!("[{}]{comment}", items.join(", ")))
            }
            Node::Map(_) | Node::Seq(_) => None,
        }
    }

    fn write(node: &Node, indent: usize, layout: Layout, out: &mut String) {
        let pad = " ".repeat(indent);
        match node {
            Node::Map(entries) => {
                for (key, value) in entries {
                    out.push_str(&format!("{pad}{key}:"));
                    match write_inline(value, layout) {
                        Some(inline) => out.push_str(&format!(" {inline}\n")),
                        None => {
                            out.push('\n');
                            let deeper = match (value, layout.same_indent_sequences) {
                                (Node::Seq(_), true) => indent,
                                _ => indent + layout.step,
                            };
                            write(value, deeper, layout, out);
                        }
                    }
                }
            }
            Node::Seq(items) => {
                for item in items {
                    match write_inline(item, layout) {
                        Some(inline) => out.push_str(&format!("{pad}- {inline}\n")),
                        None => {
                            // Compact: the item's first line shares the dash's line.
                            let mut nested = String::new();
                            write(item, indent + 2, layout, &mut nested);
                            out.push_str(&format!("{pad}- {}", &nested[indent + 2..]));
                        }
                    }
                }
            }
            scalar => {
                if let Some(inline) = write_inline(scalar, layout) {
                    out.push_str(&format!("{pad}{inline}\n"));
                }
            }
        }
    }

    fn document() -> impl Strategy<Value = String> {
        (node(), 1..5usize, any::<bool>(), any::<bool>()).prop_map(
            |(node, step, same_indent_sequences, comments)| {
                let mut out = String::new();
                let layout = Layout {
                    step,
                    same_indent_sequences,
                    comments,
                };
                write(&node, 0, layout, &mut out);
                out
            },
        )
    }

    /// An asset file, mostly valid, its values drawn from the tricky ones.
    fn asset_document() -> impl Strategy<Value = String> {
        let interface = (scalar_text(), style(), scalar_text(), style(), any::<bool>()).prop_map(
            |(description, description_style, vlan, vlan_style, shutdown)| {
                format!(
                    "  - name: Gi1/0/1\n    description: {}\n    vlan: {}\n    shutdown: {shutdown}\n",
                    write_scalar(&description, description_style),
                    write_scalar(&vlan, vlan_style)
                )
            },
        );
        (
            prop::sample::select(vec!["switch", "'switch'", "printer", "router", "yes"]),
            (scalar_text(), style()),
            (scalar_text(), style()),
            prop::collection::vec(interface, 0..3),
            prop::collection::vec((key_text(), scalar_text(), style()), 0..3),
        )
            .prop_map(|(kind, site, description, interfaces, vars)| {
                let mut out = format!(
                    "name: sw-1\nkind: {kind}\nsite: {}\ndescription: {}\n",
                    write_scalar(&site.0, site.1),
                    write_scalar(&description.0, description.1)
                );
                if !interfaces.is_empty() {
                    out.push_str("interfaces:\n");
                    out.extend(interfaces);
                }
                if !vars.is_empty() {
                    out.push_str("vars:\n");
                    for (key, value, style) in vars {
                        out.push_str(&format!("  {key}: {}\n", write_scalar(&value, style)));
                    }
                }
                out
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn generated_documents_read_the_same_both_ways(text in document()) {
            agrees::<Value>(&text);
        }

        #[test]
        fn generated_assets_read_the_same_both_ways(text in asset_document()) {
            agrees::<Asset>(&text);
            agrees::<Value>(&text);
        }

        #[test]
        fn damaged_documents_read_the_same_both_ways(
            text in document(),
            at in any::<prop::sample::Index>(),
            inserted in prop::sample::select(vec![
                "\t", " ", "  ", ":", ": ", "-", "- ", "#", " #", "'", "\"", "\n", "&", "*", "[",
                "]", "{", "}", ",", "\r", "x", "!", "|", ">", "---\n", "...", "<<: ", "? ", "%",
                "~", "@", "`", "&a ", "*a", "!!str ", "\u{85}", "\u{feff}", "\u{2028}", "é", "\\",
                "0x", "1.5", "yes", "null", "''", "\"\"", " # c", "\n  ", "\n- ",
            ]),
        ) {
            let mut damaged = text.clone();
            let mut cut = at.index(damaged.len() + 1);
            while !damaged.is_char_boundary(cut) {
                cut -= 1;
            }
            damaged.insert_str(cut, inserted);
            agrees::<Value>(&damaged);
        }
    }
}
