//! Keyword trees: the declarative grammar of an IOS-style mode, shared by every IOS-like
//! platform. A mode is a table of [`Kw`]; each keyword says what may follow it ([`Next`]) and
//! may carry a platform action (enter a sub-mode, create a VLAN…). [`walk`] matches a line
//! against a table, expanding abbreviations and failing with the error IOS would print.
//!
//! Commands the twin does not model in depth are still checked down to their first keywords,
//! then stored with their arguments as typed: `interfce` is refused, `storm-control broadcast
//! level 10.00` is kept.

use super::parse::{Cursor, Match, ParseError, match_keyword};

/// A validator for arguments too specific for [`Next`]: consumes the rest of the line from the
/// cursor (pushing canonical words), or fails where IOS would.
pub type Validator = fn(&mut Cursor<'_>) -> Result<(), ParseError>;

/// What may follow a keyword.
#[derive(Clone, Copy)]
pub enum Next<A: 'static> {
    /// Nothing: the keyword ends the line (`shutdown`).
    Flag,
    /// Free text, required, kept exactly as typed (`description`).
    Text,
    /// Any arguments, possibly none, stored as typed.
    Opt,
    /// At least one argument, stored as typed.
    Args,
    /// One of these keywords is required.
    Sub(&'static [Kw<A>]),
    /// One of these keywords, or the end of the line.
    SubOpt(&'static [Kw<A>]),
    /// A custom validator takes over.
    Custom(Validator),
}

/// One keyword of a mode's grammar.
#[derive(Clone, Copy)]
pub struct Kw<A: 'static> {
    /// The keyword, in full.
    pub name: &'static str,
    /// What may follow it.
    pub next: Next<A>,
    /// The platform action a line through this keyword triggers (the deepest one wins).
    pub action: Option<A>,
}

impl<A: Copy> Kw<A> {
    /// A keyword without an action.
    pub const fn new(name: &'static str, next: Next<A>) -> Kw<A> {
        Kw {
            name,
            next,
            action: None,
        }
    }

    /// A keyword with an action.
    pub const fn act(name: &'static str, next: Next<A>, action: A) -> Kw<A> {
        Kw {
            name,
            next,
            action: Some(action),
        }
    }
}

/// Shorthand constructors, so grammar tables read like the CLI they describe.
pub mod k {
    use super::{Kw, Next, Validator};

    /// A keyword that ends the line.
    pub const fn flag<A: Copy>(name: &'static str) -> Kw<A> {
        Kw::new(name, Next::Flag)
    }
    /// A keyword followed by required free text.
    pub const fn text<A: Copy>(name: &'static str) -> Kw<A> {
        Kw::new(name, Next::Text)
    }
    /// A keyword followed by optional arguments.
    pub const fn opt<A: Copy>(name: &'static str) -> Kw<A> {
        Kw::new(name, Next::Opt)
    }
    /// A keyword followed by required arguments.
    pub const fn args<A: Copy>(name: &'static str) -> Kw<A> {
        Kw::new(name, Next::Args)
    }
    /// A keyword followed by one of `table`.
    pub const fn sub<A: Copy>(name: &'static str, table: &'static [Kw<A>]) -> Kw<A> {
        Kw::new(name, Next::Sub(table))
    }
    /// A keyword optionally followed by one of `table`.
    pub const fn sub_opt<A: Copy>(name: &'static str, table: &'static [Kw<A>]) -> Kw<A> {
        Kw::new(name, Next::SubOpt(table))
    }
    /// A keyword whose arguments a validator checks.
    pub const fn custom<A: Copy>(name: &'static str, validator: Validator) -> Kw<A> {
        Kw::new(name, Next::Custom(validator))
    }
}

/// Match the line under `cursor` against `table`. On success the cursor holds the canonical
/// words and the result is the action of the deepest keyword that has one.
pub fn walk<A: Copy>(
    table: &'static [Kw<A>],
    cursor: &mut Cursor<'_>,
) -> Result<Option<A>, ParseError> {
    let mut table = table;
    let mut action = None;
    loop {
        let token = cursor.peek().ok_or(ParseError::Incomplete)?;
        let kw = match match_keyword(token.text, table.iter().map(|k| (k.name, k))) {
            Match::One(kw) => kw,
            Match::Ambiguous => return Err(ParseError::Ambiguous { col: token.col }),
            Match::None => return Err(ParseError::Invalid { col: token.col }),
        };
        cursor.advance();
        cursor.words.push(kw.name.to_string());
        if kw.action.is_some() {
            action = kw.action;
        }
        match kw.next {
            Next::Flag => {
                cursor.finish()?;
                return Ok(action);
            }
            Next::Text => {
                if cursor.rest_raw().is_none() && !cursor.neg {
                    return Err(ParseError::Incomplete);
                }
                return Ok(action);
            }
            Next::Opt => {
                cursor.rest_words();
                return Ok(action);
            }
            Next::Args => {
                if cursor.at_end() && !cursor.neg {
                    return Err(ParseError::Incomplete);
                }
                cursor.rest_words();
                return Ok(action);
            }
            Next::Sub(next) => {
                if cursor.at_end() {
                    return Err(ParseError::Incomplete);
                }
                table = next;
            }
            Next::SubOpt(next) => {
                if cursor.at_end() {
                    return Ok(action);
                }
                table = next;
            }
            Next::Custom(validator) => {
                validator(cursor)?;
                cursor.finish()?;
                return Ok(action);
            }
        }
    }
}

/// What may come at the end of a partial line, for `?` help.
enum Expect<A: 'static> {
    Keywords(&'static [Kw<A>], bool),
    Argument(&'static str, bool),
    End,
}

/// IOS context help for `line`, which ends with `?`: the keywords that complete the last word
/// (`sh?` → `show`), or the keywords, argument or `<cr>` that may follow (`show ?`).
/// `prefixes` are words accepted before a command that keep the same table (`no`,
/// `default`); `extra` are first words handled outside the table (`end`, `exit`).
pub fn help<A: Copy>(
    table: &'static [Kw<A>],
    prefixes: &[&'static str],
    extra: &[&'static str],
    line: &str,
) -> String {
    let body = line.trim_end().strip_suffix('?').unwrap_or(line);
    let partial = !body.is_empty() && !body.ends_with(char::is_whitespace);
    let tokens = super::parse::tokenize(body);
    let (complete, last) = match (partial, tokens.split_last()) {
        (true, Some((last, rest))) => (rest, Some(last.text)),
        _ => (&tokens[..], None),
    };
    const UNRECOGNIZED: &str = "% Unrecognized command\n";
    let mut expect = Expect::Keywords(table, false);
    let mut first = true;
    for token in complete {
        if first && prefixes.iter().any(|p| p.eq_ignore_ascii_case(token.text)) {
            continue;
        }
        first = false;
        let Expect::Keywords(current, _) = expect else {
            // An argument was given: what follows it is not listed.
            expect = Expect::End;
            continue;
        };
        let kw = match match_keyword(token.text, current.iter().map(|k| (k.name, k))) {
            Match::One(kw) => kw,
            _ => return UNRECOGNIZED.to_string(),
        };
        expect = match kw.next {
            Next::Flag => Expect::End,
            Next::Sub(next) => Expect::Keywords(next, false),
            Next::SubOpt(next) => Expect::Keywords(next, true),
            Next::Text => Expect::Argument("LINE", false),
            Next::Opt => Expect::Argument("LINE", true),
            Next::Args | Next::Custom(_) => Expect::Argument("WORD", false),
        };
    }
    let at_start = complete.is_empty() || complete.iter().all(|t| prefixes.contains(&t.text));
    let mut names: Vec<&str> = match &expect {
        Expect::Keywords(table, _) => table.iter().map(|k| k.name).collect(),
        _ => Vec::new(),
    };
    if at_start {
        names.extend(prefixes.iter().chain(extra));
    }
    names.sort_unstable();
    names.dedup();
    if let Some(last) = last {
        let lower = last.to_ascii_lowercase();
        let found: Vec<&str> = names
            .into_iter()
            .filter(|n| n.to_ascii_lowercase().starts_with(&lower))
            .collect();
        if found.is_empty() {
            return UNRECOGNIZED.to_string();
        }
        return format!("{}\n\n", found.join("  "));
    }
    let mut out = String::new();
    for name in names {
        out.push_str(&format!("  {name}\n"));
    }
    match expect {
        Expect::Keywords(_, true) | Expect::Argument(_, true) | Expect::End => {
            if let Expect::Argument(kind, _) = expect {
                out.push_str(&format!("  {kind}\n"));
            }
            out.push_str("  <cr>\n");
        }
        Expect::Argument(kind, false) => out.push_str(&format!("  {kind}\n")),
        Expect::Keywords(_, false) => {}
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::k::*;
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Act {
        Enter,
    }

    static IP: &[Kw<Act>] = &[args("address"), flag("proxy-arp"), args("access-group")];
    static TABLE: &[Kw<Act>] = &[
        text("description"),
        flag("shutdown"),
        sub("ip", IP),
        Kw::act("archive", Next::Flag, Act::Enter),
        sub_opt("spanning-tree", &[flag("portfast"), flag("bpduguard")]),
    ];

    fn run(line: &str) -> Result<(Vec<String>, Option<Act>), ParseError> {
        let mut cursor = Cursor::new(line, &[]);
        let action = walk(TABLE, &mut cursor)?;
        Ok((cursor.words, action))
    }

    #[test]
    fn walks_and_expands() {
        assert_eq!(
            run("ip addr 10.0.0.1 255.0.0.0").unwrap().0,
            vec!["ip", "address", "10.0.0.1", "255.0.0.0"]
        );
        assert_eq!(
            run("desc  two  spaces kept ").unwrap().0,
            vec!["description", "two  spaces kept"]
        );
        assert_eq!(run("arch").unwrap().1, Some(Act::Enter));
        assert_eq!(run("spanning-tree").unwrap().0, vec!["spanning-tree"]);
    }

    #[test]
    fn context_help() {
        assert_eq!(
            help(TABLE, &["no"], &["exit"], "s?"),
            "shutdown  spanning-tree\n\n"
        );
        assert_eq!(help(TABLE, &["no"], &["exit"], "e?"), "exit\n\n");
        assert_eq!(
            help(TABLE, &["no"], &[], "ip ?"),
            "  access-group\n  address\n  proxy-arp\n\n"
        );
        assert_eq!(
            help(TABLE, &["no"], &[], "no ip a?"),
            "access-group  address\n\n"
        );
        assert_eq!(
            help(TABLE, &[], &[], "spanning-tree ?"),
            "  bpduguard\n  portfast\n  <cr>\n\n"
        );
        assert_eq!(help(TABLE, &[], &[], "desc ?"), "  LINE\n\n");
        assert_eq!(help(TABLE, &[], &[], "shutdown ?"), "  <cr>\n\n");
        assert_eq!(help(TABLE, &[], &[], "x?"), "% Unrecognized command\n");
        assert_eq!(help(TABLE, &[], &[], "x ?"), "% Unrecognized command\n");
    }

    #[test]
    fn errors() {
        assert_eq!(run("shut now").unwrap_err(), ParseError::Invalid { col: 5 });
        assert_eq!(run("ip").unwrap_err(), ParseError::Incomplete);
        assert_eq!(run("ip a").unwrap_err(), ParseError::Ambiguous { col: 3 });
        assert_eq!(run("ip x").unwrap_err(), ParseError::Invalid { col: 3 });
        assert_eq!(run("description").unwrap_err(), ParseError::Incomplete);
        assert_eq!(
            run("spanning-tree x").unwrap_err(),
            ParseError::Invalid { col: 14 }
        );
    }
}
