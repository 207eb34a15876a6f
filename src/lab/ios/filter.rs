//! Output filters after `|` on a show command (`| include`, `| exclude`, `| begin`,
//! `| section`, `| count`), as IOS applies them to any command's text output.

use super::parse::{Match, ParseError, Token, match_keyword};
use regex::Regex;

/// One output filter and its regular expression.
#[derive(Debug, Clone)]
pub enum Filter {
    /// Lines matching.
    Include(Regex),
    /// Lines not matching.
    Exclude(Regex),
    /// Everything from the first matching line on.
    Begin(Regex),
    /// Whole sections (a top-level line and the indented lines under it) where a line matches.
    Section(Regex),
    /// The number of matching lines.
    Count(Regex),
}

#[derive(Clone, Copy)]
enum Kind {
    Include,
    Exclude,
    Begin,
    Section,
    Count,
    Unsupported,
}

/// Where the filter starts in a token list: the index of the `|` token, if any.
pub fn pipe_position(tokens: &[Token<'_>]) -> Option<usize> {
    tokens.iter().position(|t| t.text.starts_with('|'))
}

/// Parse the filter starting at the `|` token `tokens[at]`; `line` is the whole line (the
/// regular expression is the rest of it, spaces included, as on IOS).
pub fn parse(line: &str, tokens: &[Token<'_>], at: usize) -> Result<Filter, ParseError> {
    let pipe = tokens.get(at).ok_or(ParseError::Incomplete)?;
    // `|include` glued to the bar is accepted, as IOS does.
    let (word, word_col, word_end) = if pipe.text.len() > 1 {
        (&pipe.text[1..], pipe.col + 1, pipe.byte + pipe.text.len())
    } else {
        let next = tokens.get(at + 1).ok_or(ParseError::Incomplete)?;
        (next.text, next.col, next.byte + next.text.len())
    };
    let kinds = [
        ("append", Kind::Unsupported),
        ("begin", Kind::Begin),
        ("count", Kind::Count),
        ("exclude", Kind::Exclude),
        ("format", Kind::Unsupported),
        ("include", Kind::Include),
        ("redirect", Kind::Unsupported),
        ("section", Kind::Section),
        ("tee", Kind::Unsupported),
    ];
    let kind = match match_keyword(word, kinds) {
        Match::One(Kind::Unsupported) | Match::None => {
            return Err(ParseError::Invalid { col: word_col });
        }
        Match::One(kind) => kind,
        Match::Ambiguous => return Err(ParseError::Ambiguous { col: word_col }),
    };
    let pattern = line.get(word_end..).unwrap_or("").trim();
    if pattern.is_empty() {
        return Err(ParseError::Incomplete);
    }
    // IOS regular expressions are close enough to Rust's for what people type; one that does
    // not compile is matched literally rather than refused.
    let regex = Regex::new(pattern)
        .or_else(|_| Regex::new(&regex::escape(pattern)))
        .map_err(|_| ParseError::Invalid { col: word_col })?;
    Ok(match kind {
        Kind::Include => Filter::Include(regex),
        Kind::Exclude => Filter::Exclude(regex),
        Kind::Begin => Filter::Begin(regex),
        Kind::Section => Filter::Section(regex),
        Kind::Count | Kind::Unsupported => Filter::Count(regex),
    })
}

impl Filter {
    /// Apply the filter to a command's output.
    pub fn apply(&self, text: &str) -> String {
        let mut out = String::new();
        match self {
            Filter::Include(re) => {
                for line in text.lines().filter(|l| re.is_match(l)) {
                    out.push_str(line);
                    out.push('\n');
                }
            }
            Filter::Exclude(re) => {
                for line in text.lines().filter(|l| !re.is_match(l)) {
                    out.push_str(line);
                    out.push('\n');
                }
            }
            Filter::Begin(re) => {
                let mut on = false;
                for line in text.lines() {
                    on = on || re.is_match(line);
                    if on {
                        out.push_str(line);
                        out.push('\n');
                    }
                }
            }
            Filter::Section(re) => {
                let mut sections: Vec<Vec<&str>> = Vec::new();
                for line in text.lines() {
                    match sections.last_mut() {
                        Some(section) if line.starts_with(' ') => section.push(line),
                        _ => sections.push(vec![line]),
                    }
                }
                for section in sections {
                    if section.iter().any(|l| re.is_match(l)) {
                        for line in section {
                            out.push_str(line);
                            out.push('\n');
                        }
                    }
                }
            }
            Filter::Count(re) => {
                let n = text.lines().filter(|l| re.is_match(l)).count();
                out = format!("Number of lines which match regexp = {n}\n");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::tokenize;
    use super::*;

    fn run(line: &str, text: &str) -> Result<String, ParseError> {
        let tokens = tokenize(line);
        let at = pipe_position(&tokens).expect("a pipe");
        Ok(parse(line, &tokens, at)?.apply(text))
    }

    const CONFIG: &str = "hostname sw1\n!\ninterface Gi1\n description up\n shutdown\ninterface Gi2\n description down\n!\nend\n";

    #[test]
    fn filters() {
        assert_eq!(
            run("x | i desc", CONFIG).unwrap(),
            " description up\n description down\n"
        );
        assert_eq!(
            run("x | ex ^ |!", CONFIG).unwrap(),
            "hostname sw1\ninterface Gi1\ninterface Gi2\nend\n"
        );
        assert_eq!(
            run("x | sec shutdown", CONFIG).unwrap(),
            "interface Gi1\n description up\n shutdown\n"
        );
        assert_eq!(
            run("x |b Gi2", CONFIG).unwrap(),
            "interface Gi2\n description down\n!\nend\n"
        );
        assert_eq!(
            run("x | count desc", CONFIG).unwrap(),
            "Number of lines which match regexp = 2\n"
        );
        assert_eq!(run("x | include a b", "a b\nab\n").unwrap(), "a b\n");
    }

    #[test]
    fn errors() {
        assert_eq!(run("x | i", CONFIG).unwrap_err(), ParseError::Incomplete);
        assert_eq!(run("x |", CONFIG).unwrap_err(), ParseError::Incomplete);
        assert_eq!(
            run("x | zz y", CONFIG).unwrap_err(),
            ParseError::Invalid { col: 4 }
        );
        assert_eq!(
            run("x | tee y", CONFIG).unwrap_err(),
            ParseError::Invalid { col: 4 }
        );
        // An expression that does not compile is matched literally.
        assert_eq!(run("x | i (", "a(b\nc\n").unwrap(), "a(b\n");
    }
}
