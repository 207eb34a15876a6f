//! The lexical layer of an IOS-style command line, shared by every IOS-like platform: tokens
//! with their columns, keyword matching with abbreviations (any unambiguous prefix), the three
//! error shapes IOS prints, and a [`Cursor`] that walks a line token by token while building
//! its canonical form (`sh ip int br` → `show ip interface brief`).
//!
//! Columns are counted in characters of the line as typed, so the caret of an error lands under
//! the offending character once the SSH layer has echoed the prompt and the line.

use std::net::Ipv4Addr;

/// One whitespace-separated word of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'l> {
    /// The word.
    pub text: &'l str,
    /// Character column of its first character in the line.
    pub col: usize,
    /// Byte offset of its first character in the line.
    pub byte: usize,
}

/// Split a line into tokens (spaces and tabs separate them; IOS has no quoting).
pub fn tokenize(line: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut start: Option<(usize, usize)> = None;
    for (col, (byte, ch)) in line.char_indices().enumerate() {
        if ch.is_whitespace() {
            if let Some((b, c)) = start.take() {
                tokens.push(Token {
                    text: &line[b..byte],
                    col: c,
                    byte: b,
                });
            }
        } else if start.is_none() {
            start = Some((byte, col));
        }
    }
    if let Some((b, c)) = start {
        tokens.push(Token {
            text: &line[b..],
            col: c,
            byte: b,
        });
    }
    tokens
}

/// Why a line was refused, in the shapes IOS prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// `% Invalid input detected at '^' marker.` with the caret at this character column.
    Invalid {
        /// Column (in the line as typed) the caret points at.
        col: usize,
    },
    /// `% Incomplete command.`: the line stopped where an argument or keyword was required.
    Incomplete,
    /// `% Ambiguous command:  "<line>"`: a word is a prefix of several keywords.
    Ambiguous {
        /// Column of the ambiguous word (used to rank errors, not printed).
        col: usize,
    },
}

impl ParseError {
    /// How far the parser got before failing: when a line is tried in several modes (a
    /// sub-mode, then its parents), the error that got furthest is the one reported.
    pub fn progress(&self) -> usize {
        match self {
            ParseError::Invalid { col } | ParseError::Ambiguous { col } => *col,
            ParseError::Incomplete => usize::MAX,
        }
    }

    /// The text IOS prints for this error. `prompt_width` is the length of the prompt the line
    /// was typed after (0 over an exec channel); `line` is the line as typed.
    pub fn render(&self, prompt_width: usize, line: &str) -> String {
        match self {
            ParseError::Invalid { col } => format!(
                "{}^\n{INVALID_INPUT}\n\n",
                " ".repeat(prompt_width.saturating_add(*col).min(4096))
            ),
            ParseError::Incomplete => format!("{INCOMPLETE}\n\n"),
            ParseError::Ambiguous { .. } => {
                format!("% Ambiguous command:  \"{}\"\n", line.trim())
            }
        }
    }
}

/// The invalid-input message, as drivers (Netmiko's included) look for it.
pub const INVALID_INPUT: &str = "% Invalid input detected at '^' marker.";
/// The incomplete-command message.
pub const INCOMPLETE: &str = "% Incomplete command.";
/// The start of the ambiguous-command message.
pub const AMBIGUOUS: &str = "% Ambiguous command:";

/// The result of matching a word against keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match<T> {
    /// Exactly one keyword fits (or the word is one keyword in full).
    One(T),
    /// The word is a prefix of several keywords.
    Ambiguous,
    /// No keyword starts with the word.
    None,
}

/// Match `word` against `candidates` the IOS way: case-insensitive, a keyword typed in full
/// wins, otherwise the word must be a prefix of exactly one keyword.
pub fn match_keyword<T: Copy>(
    word: &str,
    candidates: impl IntoIterator<Item = (&'static str, T)>,
) -> Match<T> {
    let word = word.to_ascii_lowercase();
    let mut found: Option<T> = None;
    let mut count = 0;
    for (name, value) in candidates {
        let name_lower = name.to_ascii_lowercase();
        if name_lower == word {
            return Match::One(value);
        }
        if name_lower.starts_with(&word) {
            count += 1;
            found = Some(value);
        }
    }
    match (count, found) {
        (1, Some(value)) => Match::One(value),
        (0, _) | (_, None) => Match::None,
        _ => Match::Ambiguous,
    }
}

/// Walks the tokens of one line, recording the canonical words as they are recognised.
/// Validators call its methods in the order the syntax requires; each method fails with the
/// error IOS would print at that point.
#[derive(Debug, Clone)]
pub struct Cursor<'l> {
    line: &'l str,
    tokens: Vec<Token<'l>>,
    pos: usize,
    /// The canonical words recognised so far (keywords in full, arguments as typed).
    pub words: Vec<String>,
    /// Values a validator extracted for the platform to act on (interface names, VLAN ids…).
    pub items: Vec<String>,
    /// The line is the argument of `no`: trailing arguments may be omitted.
    pub neg: bool,
    /// Full names of the hardware interfaces, for validators that check a port exists.
    pub interfaces: &'l [String],
}

impl<'l> Cursor<'l> {
    /// A cursor at the first token of `line`.
    pub fn new(line: &'l str, interfaces: &'l [String]) -> Cursor<'l> {
        Cursor {
            line,
            tokens: tokenize(line),
            pos: 0,
            words: Vec::new(),
            items: Vec::new(),
            neg: false,
            interfaces,
        }
    }

    /// A cursor over the tokens of `line` before `end_token` (the part before a `|` filter).
    pub fn truncate(&mut self, end_token: usize) {
        self.tokens.truncate(end_token);
    }

    /// The whole line.
    pub fn line(&self) -> &'l str {
        self.line
    }

    /// All tokens of the line.
    pub fn tokens(&self) -> &[Token<'l>] {
        &self.tokens
    }

    /// Index of the next token.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The next token, if any.
    pub fn peek(&self) -> Option<Token<'l>> {
        self.tokens.get(self.pos).copied()
    }

    /// True when every token has been consumed.
    pub fn at_end(&self) -> bool {
        self.pos >= self.tokens.len()
    }

    /// True when this is a `no` line and it stops here: the negation names the setting
    /// without its value (`no switchport access vlan`).
    pub fn neg_stop(&self) -> bool {
        self.neg && self.at_end()
    }

    /// Take the next token without interpreting it.
    pub fn advance(&mut self) -> Option<Token<'l>> {
        let token = self.peek()?;
        self.pos += 1;
        Some(token)
    }

    /// An `Invalid` error at the next token, or just past the line when there is none.
    pub fn invalid_here(&self) -> ParseError {
        match self.peek() {
            Some(token) => ParseError::Invalid { col: token.col },
            None => ParseError::Invalid {
                col: self.line.trim_end().chars().count(),
            },
        }
    }

    /// An `Invalid` error at the token just consumed.
    pub fn invalid_prev(&self) -> ParseError {
        match self.pos.checked_sub(1).and_then(|p| self.tokens.get(p)) {
            Some(token) => ParseError::Invalid { col: token.col },
            None => ParseError::Invalid { col: 0 },
        }
    }

    /// Require the line to end here.
    pub fn finish(&self) -> Result<(), ParseError> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.invalid_here())
        }
    }

    /// The next token must be one of `choices` (abbreviations allowed); pushes its full name.
    pub fn keyword(&mut self, choices: &[&'static str]) -> Result<&'static str, ParseError> {
        let token = self.peek().ok_or(ParseError::Incomplete)?;
        match match_keyword(token.text, choices.iter().map(|c| (*c, *c))) {
            Match::One(name) => {
                self.pos += 1;
                self.words.push(name.to_string());
                Ok(name)
            }
            Match::Ambiguous => Err(ParseError::Ambiguous { col: token.col }),
            Match::None => Err(ParseError::Invalid { col: token.col }),
        }
    }

    /// Like [`Cursor::keyword`], but the end of the line is acceptable (`None`).
    pub fn opt_keyword(
        &mut self,
        choices: &[&'static str],
    ) -> Result<Option<&'static str>, ParseError> {
        if self.at_end() {
            return Ok(None);
        }
        self.keyword(choices).map(Some)
    }

    /// The next token if it is one of `choices`; otherwise nothing is consumed.
    pub fn try_keyword(&mut self, choices: &[&'static str]) -> Option<&'static str> {
        let token = self.peek()?;
        match match_keyword(token.text, choices.iter().map(|c| (*c, *c))) {
            Match::One(name) => {
                self.pos += 1;
                self.words.push(name.to_string());
                Some(name)
            }
            _ => None,
        }
    }

    /// A decimal number in `min..=max`; pushes it.
    pub fn number(&mut self, min: u64, max: u64) -> Result<u64, ParseError> {
        let token = self.peek().ok_or(ParseError::Incomplete)?;
        match token.text.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) && token.text.chars().all(|c| c.is_ascii_digit()) => {
                self.pos += 1;
                self.words.push(n.to_string());
                Ok(n)
            }
            _ => Err(ParseError::Invalid { col: token.col }),
        }
    }

    /// Any word; pushes it as typed.
    pub fn word(&mut self) -> Result<&'l str, ParseError> {
        let token = self.peek().ok_or(ParseError::Incomplete)?;
        self.pos += 1;
        self.words.push(token.text.to_string());
        Ok(token.text)
    }

    /// An IPv4 address in dotted form; pushes it.
    pub fn ipv4(&mut self) -> Result<Ipv4Addr, ParseError> {
        let token = self.peek().ok_or(ParseError::Incomplete)?;
        match parse_ipv4(token.text) {
            Some(address) => {
                self.pos += 1;
                self.words.push(address.to_string());
                Ok(address)
            }
            None => Err(ParseError::Invalid { col: token.col }),
        }
    }

    /// The rest of the line from the next token, exactly as typed (inner spacing kept, end
    /// trimmed), pushed as one word. `None` at the end of the line.
    pub fn rest_raw(&mut self) -> Option<String> {
        let token = self.peek()?;
        let text = self.line[token.byte..].trim_end().to_string();
        self.pos = self.tokens.len();
        self.words.push(text.clone());
        Some(text)
    }

    /// The remaining tokens, each pushed as a word.
    pub fn rest_words(&mut self) -> Vec<&'l str> {
        let rest: Vec<&'l str> = self.tokens[self.pos.min(self.tokens.len())..]
            .iter()
            .map(|t| t.text)
            .collect();
        self.pos = self.tokens.len();
        self.words.extend(rest.iter().map(|w| w.to_string()));
        rest
    }
}

/// Strict dotted-quad IPv4 (no leading `+`, no empty parts).
pub fn parse_ipv4(text: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut octets = [0u8; 4];
    for (slot, part) in octets.iter_mut().zip(&parts) {
        if part.is_empty() || part.len() > 3 || !part.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        *slot = part.parse().ok()?;
    }
    Some(Ipv4Addr::from(octets))
}

/// Prefix length of a contiguous netmask (`255.255.255.0` → 24); `None` when the mask has
/// holes, which IOS refuses with `Bad mask`.
pub fn mask_length(mask: Ipv4Addr) -> Option<u8> {
    let bits = u32::from(mask);
    let ones = bits.leading_ones();
    if ones == 32 || bits << ones == 0 {
        Some(ones as u8)
    } else {
        None
    }
}

/// The netmask of a prefix length (`24` → `255.255.255.0`).
pub fn mask_of(len: u8) -> Ipv4Addr {
    let len = u32::from(len.min(32));
    if len == 0 {
        Ipv4Addr::UNSPECIFIED
    } else {
        Ipv4Addr::from(u32::MAX << (32 - len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_character_columns() {
        let tokens = tokenize("  int  gi1/0/1 é x");
        let cols: Vec<(usize, &str)> = tokens.iter().map(|t| (t.col, t.text)).collect();
        assert_eq!(cols, vec![(2, "int"), (7, "gi1/0/1"), (15, "é"), (17, "x")]);
    }

    #[test]
    fn keyword_matching_is_prefix_and_case_insensitive() {
        let words = [("configure", 1), ("copy", 2), ("connect", 3)];
        assert_eq!(match_keyword("conf", words), Match::One(1));
        assert_eq!(match_keyword("CO", words), Match::Ambiguous);
        assert_eq!(match_keyword("cop", words), Match::One(2));
        assert_eq!(match_keyword("x", words), Match::None);
        // A keyword typed in full wins even when it prefixes another one.
        assert_eq!(match_keyword("ip", [("ip", 1), ("ipv6", 2)]), Match::One(1));
    }

    #[test]
    fn masks() {
        assert_eq!(mask_length(Ipv4Addr::new(255, 255, 255, 0)), Some(24));
        assert_eq!(mask_length(Ipv4Addr::new(0, 0, 0, 0)), Some(0));
        assert_eq!(mask_length(Ipv4Addr::new(255, 255, 255, 255)), Some(32));
        assert_eq!(mask_length(Ipv4Addr::new(255, 0, 255, 0)), None);
        assert_eq!(mask_of(22), Ipv4Addr::new(255, 255, 252, 0));
        assert_eq!(parse_ipv4("10.0.0.256"), None);
        assert_eq!(parse_ipv4("10.0.0"), None);
    }

    #[test]
    fn error_shapes() {
        let e = ParseError::Invalid { col: 0 };
        assert_eq!(
            e.render(12, "interfce gi1/0/1"),
            "            ^\n% Invalid input detected at '^' marker.\n\n"
        );
        assert_eq!(
            ParseError::Incomplete.render(3, "x"),
            "% Incomplete command.\n\n"
        );
        assert_eq!(
            ParseError::Ambiguous { col: 0 }.render(3, " co "),
            "% Ambiguous command:  \"co\"\n"
        );
    }
}
