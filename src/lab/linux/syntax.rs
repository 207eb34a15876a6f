//! The shell's grammar: a recursive-descent parser for the POSIX-ish subset the twin runs
//! (quoting, parameter/command/arithmetic/process substitution, redirections,
//! here-documents, pipelines, `&&`/`||`/`;`, `if`/`for`/`while`/`until`/`case`, groups,
//! subshells and `[[ ]]`). It tells a complete command from an incomplete one so the
//! interactive shell can ask for more lines (`> `), and bounds nesting so no input can
//! overflow the stack.

use std::cell::RefCell;
use std::rc::Rc;

/// A word before expansion: a sequence of parts.
pub(crate) type Word = Vec<Part>;

/// One piece of a word.
#[derive(Debug, Clone)]
pub(crate) enum Part {
    /// Unquoted literal text (globbing applies).
    Lit(String),
    /// Quoted or escaped literal text.
    Quoted(String),
    /// `$NAME`, `${NAME…}`.
    Param {
        name: String,
        op: ParamOp,
        quoted: bool,
    },
    /// `$(…)` or backticks.
    Subst { list: List, quoted: bool },
    /// `$((…))`, the raw expression.
    Arith { expr: String, quoted: bool },
    /// `<(…)`.
    ProcIn(List),
    /// `~` or `~user` at the start of a word.
    Tilde(String),
}

/// What a `${…}` expansion does beyond substituting.
#[derive(Debug, Clone)]
pub(crate) enum ParamOp {
    Plain,
    Length,
    Default {
        colon: bool,
        word: Word,
    },
    Assign {
        colon: bool,
        word: Word,
    },
    Alt {
        colon: bool,
        word: Word,
    },
    Error {
        colon: bool,
        word: Word,
    },
    TrimPrefix {
        longest: bool,
        word: Word,
    },
    TrimSuffix {
        longest: bool,
        word: Word,
    },
    /// Not a valid expansion: reported as `bad substitution` when run.
    Bad(String),
}

/// Redirection operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RedirOp {
    Out,
    Append,
    In,
    DupOut,
    DupIn,
    HereDoc,
    HereString,
    OutErr,
    AppendErr,
    ReadWrite,
}

/// A here-document body, filled in when the parser reaches the lines after the command.
#[derive(Debug, Clone, Default)]
pub(crate) struct HereDoc {
    pub body: Word,
    pub delimiter: String,
    pub expand: bool,
    pub strip_tabs: bool,
    pub line: usize,
}

/// One redirection.
#[derive(Debug, Clone)]
pub(crate) struct Redir {
    pub fd: Option<u32>,
    pub op: RedirOp,
    pub target: Word,
    pub heredoc: Option<Rc<RefCell<HereDoc>>>,
}

/// A command list (`a; b && c`).
pub(crate) type List = Vec<AndOr>;

/// Pipelines joined by `&&` (true) and `||` (false).
#[derive(Debug, Clone)]
pub(crate) struct AndOr {
    pub first: Pipeline,
    pub rest: Vec<(bool, Pipeline)>,
}

/// Commands joined by `|`; the flag is `|&` (stderr into the pipe too).
#[derive(Debug, Clone)]
pub(crate) struct Pipeline {
    pub negate: bool,
    pub commands: Vec<(Command, bool)>,
}

/// One command.
#[derive(Debug, Clone)]
pub(crate) enum Command {
    Simple {
        assigns: Vec<(String, Word)>,
        words: Vec<Word>,
        redirs: Vec<Redir>,
    },
    Compound {
        body: Compound,
        redirs: Vec<Redir>,
    },
    /// `[[ … ]]`.
    Test {
        words: Vec<Word>,
        redirs: Vec<Redir>,
    },
}

/// Compound commands.
#[derive(Debug, Clone)]
pub(crate) enum Compound {
    Group(List),
    Subshell(List),
    If {
        arms: Vec<(List, List)>,
        otherwise: Option<List>,
    },
    For {
        var: String,
        items: Option<Vec<Word>>,
        body: List,
    },
    While {
        until: bool,
        cond: List,
        body: List,
    },
    Case {
        word: Word,
        arms: Vec<(Vec<Word>, List)>,
    },
}

/// A parsed command line or script.
#[derive(Debug, Clone)]
pub(crate) struct Program {
    pub list: List,
    /// Warnings bash prints but runs anyway (a here-document ended by end of input).
    pub warnings: Vec<String>,
}

/// Why parsing stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// More input could complete it; the message is what bash says if none comes.
    /// `heredoc` is the delimiter (and tab stripping) of the here-document being read,
    /// when that is what is missing: lines other than the delimiter cannot complete it.
    Incomplete {
        message: String,
        line: usize,
        heredoc: Option<(String, bool)>,
    },
    /// A syntax error (`syntax error near unexpected token `)'`).
    Syntax { message: String, line: usize },
}

const MAX_DEPTH: usize = 40;
const RESERVED: &[&str] = &[
    "{", "}", "if", "then", "elif", "else", "fi", "for", "while", "until", "do", "done", "case",
    "esac", "!", "[[",
];

/// Parse `src`. `final_input` is true when no more input will come (exec channel, `sh -c`):
/// an unterminated here-document then ends at end of input with a warning, as in bash.
pub(crate) fn parse(src: &str, final_input: bool) -> Result<Program, ParseError> {
    let mut p = Parser::new(src, final_input);
    let list = p.parse_list(&[])?;
    p.skip_linebreaks()?;
    if !p.at_eof() {
        return Err(p.unexpected());
    }
    p.read_heredocs()?;
    Ok(Program {
        list,
        warnings: p.warnings,
    })
}

struct Parser {
    s: Vec<char>,
    pos: usize,
    pending: Vec<Rc<RefCell<HereDoc>>>,
    final_input: bool,
    depth: usize,
    warnings: Vec<String>,
}

fn is_meta(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\n' | ';' | '&' | '|' | '(' | ')' | '<' | '>'
    )
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn flush(parts: &mut Word, buf: &mut String, quoted: bool) {
    if !buf.is_empty() {
        let text = std::mem::take(buf);
        parts.push(if quoted {
            Part::Quoted(text)
        } else {
            Part::Lit(text)
        });
    }
}

impl Parser {
    fn new(src: &str, final_input: bool) -> Parser {
        Parser {
            s: src.chars().collect(),
            pos: 0,
            pending: Vec::new(),
            final_input,
            depth: 0,
            warnings: Vec::new(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.s.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.s.get(self.pos + n).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn at_eof(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn starts_with(&self, text: &str) -> bool {
        (self.pos..)
            .zip(text.chars())
            .all(|(i, c)| self.s.get(i) == Some(&c))
    }

    fn line(&self) -> usize {
        1 + self.s[..self.pos.min(self.s.len())]
            .iter()
            .filter(|&&c| c == '\n')
            .count()
    }

    fn incomplete(&self, message: &str) -> ParseError {
        ParseError::Incomplete {
            message: message.to_string(),
            line: self.line(),
            heredoc: None,
        }
    }

    fn syntax(&self, message: String) -> ParseError {
        ParseError::Syntax {
            message,
            line: self.line(),
        }
    }

    fn eof_error(&self) -> ParseError {
        self.incomplete("syntax error: unexpected end of file")
    }

    /// The error for whatever token is at the current position.
    fn unexpected(&self) -> ParseError {
        let Some(c) = self.peek() else {
            return self.eof_error();
        };
        let token: String = if c == '\n' {
            "newline".into()
        } else {
            let ops = [
                ";;", "&&", "||", "|&", ">>", "<<", "&>", ">&", "<&", ";", "&", "|", "(", ")", "<",
                ">",
            ];
            match ops.iter().find(|op| self.starts_with(op)) {
                Some(op) => (*op).to_string(),
                None => self.s[self.pos..]
                    .iter()
                    .take_while(|c| !is_meta(**c))
                    .take(64)
                    .collect(),
            }
        };
        self.syntax(format!("syntax error near unexpected token `{token}'"))
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.syntax("syntax error: nesting too deep".into()));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Skip blanks, backslash-newline continuations and a comment.
    fn skip_blanks(&mut self) {
        loop {
            match self.peek() {
                Some(' ' | '\t') => self.pos += 1,
                Some('\\') if self.peek_at(1) == Some('\n') => self.pos += 2,
                Some('#') => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
    }

    /// Skip blanks and newlines (reading any here-documents the newlines end).
    fn skip_linebreaks(&mut self) -> Result<(), ParseError> {
        loop {
            self.skip_blanks();
            if self.peek() == Some('\n') {
                self.newline()?;
            } else {
                return Ok(());
            }
        }
    }

    fn newline(&mut self) -> Result<(), ParseError> {
        self.pos += 1;
        self.read_heredocs()
    }

    /// Read the bodies of the here-documents opened on the line just ended.
    fn read_heredocs(&mut self) -> Result<(), ParseError> {
        let pending = std::mem::take(&mut self.pending);
        for doc in pending {
            let (delimiter, strip, expand, line) = {
                let d = doc.borrow();
                (d.delimiter.clone(), d.strip_tabs, d.expand, d.line)
            };
            let mut body = String::new();
            loop {
                if self.at_eof() {
                    if self.final_input {
                        self.warnings.push(format!(
                            "warning: here-document at line {line} delimited by end-of-file (wanted `{delimiter}')"
                        ));
                        break;
                    }
                    return Err(ParseError::Incomplete {
                        message: "syntax error: unexpected end of file".into(),
                        line: self.line(),
                        heredoc: Some((delimiter, strip)),
                    });
                }
                let start = self.pos;
                while self.peek().is_some_and(|c| c != '\n') {
                    self.pos += 1;
                }
                let text: String = self.s[start..self.pos].iter().collect();
                if !self.at_eof() {
                    self.pos += 1;
                }
                let text = if strip {
                    text.trim_start_matches('\t').to_string()
                } else {
                    text
                };
                if text == delimiter {
                    break;
                }
                body.push_str(&text);
                body.push('\n');
            }
            let parts = if expand {
                self.heredoc_body(&body)?
            } else {
                vec![Part::Quoted(body)]
            };
            doc.borrow_mut().body = parts;
        }
        Ok(())
    }

    /// An unquoted here-document body: `$` expansions and `\$ \` \\` escapes, no quoting.
    fn heredoc_body(&mut self, body: &str) -> Result<Word, ParseError> {
        let mut p = Parser::new(body, true);
        p.depth = self.depth;
        let mut parts = Vec::new();
        let mut buf = String::new();
        let result = (|| {
            while let Some(c) = p.peek() {
                match c {
                    '\\' => {
                        p.pos += 1;
                        match p.peek() {
                            Some(ch @ ('$' | '`' | '\\')) => {
                                p.pos += 1;
                                buf.push(ch);
                            }
                            Some('\n') => p.pos += 1,
                            _ => buf.push('\\'),
                        }
                    }
                    '$' => {
                        flush(&mut parts, &mut buf, true);
                        p.dollar(&mut parts, true)?;
                    }
                    '`' => {
                        flush(&mut parts, &mut buf, true);
                        p.backtick(&mut parts, true)?;
                    }
                    _ => {
                        buf.push(c);
                        p.pos += 1;
                    }
                }
            }
            flush(&mut parts, &mut buf, true);
            Ok(())
        })();
        result.map_err(|e| match e {
            ParseError::Incomplete { message, line, .. } => ParseError::Syntax { message, line },
            other => other,
        })?;
        Ok(parts)
    }

    /// The reserved word at the current position, if the next word is one.
    fn peek_reserved(&self) -> Option<&'static str> {
        let mut i = self.pos;
        while let Some(&c) = self.s.get(i) {
            if is_meta(c) || matches!(c, '\'' | '"' | '\\' | '$' | '`') {
                break;
            }
            i += 1;
        }
        if i == self.pos {
            return None;
        }
        if let Some(&c) = self.s.get(i)
            && !is_meta(c)
        {
            return None;
        }
        let word: String = self.s[self.pos..i].iter().collect();
        RESERVED.iter().find(|r| **r == word).copied()
    }

    fn peek_word_is(&self, word: &str) -> bool {
        let end = self.pos + word.chars().count();
        self.starts_with(word) && self.s.get(end).is_none_or(|c| is_meta(*c))
    }

    fn expect_reserved(&mut self, word: &str) -> Result<(), ParseError> {
        self.skip_linebreaks()?;
        if self.peek_reserved() == Some(word) {
            self.pos += word.chars().count();
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn parse_list(&mut self, stops: &[&str]) -> Result<List, ParseError> {
        self.enter()?;
        let mut list = Vec::new();
        loop {
            self.skip_linebreaks()?;
            if self.at_eof() || self.peek() == Some(')') || self.starts_with(";;") {
                break;
            }
            if let Some(word) = self.peek_reserved()
                && stops.contains(&word)
            {
                break;
            }
            list.push(self.parse_and_or()?);
            self.skip_blanks();
            if self.starts_with(";;") {
                break;
            }
            match self.peek() {
                Some(';') => self.pos += 1,
                Some('&') => self.pos += 1,
                Some('\n') => self.newline()?,
                None | Some(')') => break,
                _ => return Err(self.unexpected()),
            }
        }
        self.leave();
        Ok(list)
    }

    fn nonempty(&self, list: List) -> Result<List, ParseError> {
        if list.is_empty() {
            Err(self.unexpected())
        } else {
            Ok(list)
        }
    }

    fn parse_and_or(&mut self) -> Result<AndOr, ParseError> {
        let first = self.parse_pipeline()?;
        let mut rest = Vec::new();
        loop {
            self.skip_blanks();
            let and = if self.starts_with("&&") {
                true
            } else if self.starts_with("||") {
                false
            } else {
                break;
            };
            self.pos += 2;
            self.skip_linebreaks()?;
            if self.at_eof() {
                return Err(self.eof_error());
            }
            rest.push((and, self.parse_pipeline()?));
        }
        Ok(AndOr { first, rest })
    }

    fn parse_pipeline(&mut self) -> Result<Pipeline, ParseError> {
        self.skip_blanks();
        let mut negate = false;
        while self.peek_reserved() == Some("!") {
            self.pos += 1;
            negate = !negate;
            self.skip_blanks();
        }
        let mut commands = vec![(self.parse_command()?, false)];
        loop {
            self.skip_blanks();
            if self.starts_with("||") {
                break;
            }
            if self.starts_with("|&") {
                self.pos += 2;
                if let Some(last) = commands.last_mut() {
                    last.1 = true;
                }
            } else if self.peek() == Some('|') {
                self.pos += 1;
            } else {
                break;
            }
            self.skip_linebreaks()?;
            if self.at_eof() {
                return Err(self.eof_error());
            }
            commands.push((self.parse_command()?, false));
        }
        Ok(Pipeline { negate, commands })
    }

    fn parse_command(&mut self) -> Result<Command, ParseError> {
        self.skip_blanks();
        match self.peek() {
            None => return Err(self.eof_error()),
            Some('(') => {
                self.pos += 1;
                let list = self.parse_list(&[])?;
                self.skip_linebreaks()?;
                if self.peek() != Some(')') {
                    return Err(self.unexpected());
                }
                let list = self.nonempty(list)?;
                self.pos += 1;
                let redirs = self.trailing_redirs()?;
                return Ok(Command::Compound {
                    body: Compound::Subshell(list),
                    redirs,
                });
            }
            Some(';' | '&' | '|' | ')' | '\n') => return Err(self.unexpected()),
            _ => {}
        }
        let body = match self.peek_reserved() {
            Some("{") => {
                self.pos += 1;
                let list = self.parse_list(&["}"])?;
                let list = self.nonempty(list)?;
                self.expect_reserved("}")?;
                Compound::Group(list)
            }
            Some("if") => self.parse_if()?,
            Some("for") => self.parse_for()?,
            Some(w @ ("while" | "until")) => {
                self.pos += w.len();
                let cond = self.parse_list(&["do"])?;
                let cond = self.nonempty(cond)?;
                self.expect_reserved("do")?;
                let body = self.parse_list(&["done"])?;
                let body = self.nonempty(body)?;
                self.expect_reserved("done")?;
                Compound::While {
                    until: w == "until",
                    cond,
                    body,
                }
            }
            Some("case") => self.parse_case()?,
            Some("[[") => {
                self.pos += 2;
                return self.parse_double_bracket();
            }
            Some("!") => return self.parse_simple(),
            Some(_) => return Err(self.unexpected()),
            None => return self.parse_simple(),
        };
        let redirs = self.trailing_redirs()?;
        Ok(Command::Compound { body, redirs })
    }

    fn trailing_redirs(&mut self) -> Result<Vec<Redir>, ParseError> {
        let mut redirs = Vec::new();
        loop {
            self.skip_blanks();
            match self.try_redir()? {
                Some(r) => redirs.push(r),
                None => return Ok(redirs),
            }
        }
    }

    fn parse_if(&mut self) -> Result<Compound, ParseError> {
        self.pos += 2;
        let mut arms = Vec::new();
        let mut otherwise = None;
        loop {
            let cond = self.parse_list(&["then"])?;
            let cond = self.nonempty(cond)?;
            self.expect_reserved("then")?;
            let body = self.parse_list(&["elif", "else", "fi"])?;
            let body = self.nonempty(body)?;
            arms.push((cond, body));
            self.skip_linebreaks()?;
            match self.peek_reserved() {
                Some("elif") => self.pos += 4,
                Some("else") => {
                    self.pos += 4;
                    let list = self.parse_list(&["fi"])?;
                    otherwise = Some(self.nonempty(list)?);
                    self.expect_reserved("fi")?;
                    break;
                }
                Some("fi") => {
                    self.pos += 2;
                    break;
                }
                _ => return Err(self.unexpected()),
            }
        }
        Ok(Compound::If { arms, otherwise })
    }

    fn read_name(&mut self) -> String {
        let mut name = String::new();
        if self.peek().is_some_and(is_name_start) {
            while let Some(c) = self.peek().filter(|c| is_name_char(*c)) {
                name.push(c);
                self.pos += 1;
            }
        }
        name
    }

    fn parse_for(&mut self) -> Result<Compound, ParseError> {
        self.pos += 3;
        self.skip_blanks();
        let var = self.read_name();
        if var.is_empty() || self.peek().is_some_and(|c| !is_meta(c)) {
            if self.at_eof() {
                return Err(self.eof_error());
            }
            let bad: String = self.s[self.pos..]
                .iter()
                .take_while(|c| !is_meta(**c))
                .collect();
            return Err(self.syntax(format!("`{var}{bad}': not a valid identifier")));
        }
        self.skip_blanks();
        let mut items = None;
        if matches!(self.peek(), Some(';')) {
            self.pos += 1;
        }
        self.skip_linebreaks()?;
        if self.peek_word_is("in") {
            self.pos += 2;
            let mut words = Vec::new();
            loop {
                self.skip_blanks();
                match self.peek() {
                    None => return Err(self.eof_error()),
                    Some(';') => {
                        self.pos += 1;
                        break;
                    }
                    Some('\n') => {
                        self.newline()?;
                        break;
                    }
                    _ => match self.read_word()? {
                        Some(w) => words.push(w),
                        None => return Err(self.unexpected()),
                    },
                }
            }
            items = Some(words);
        }
        self.expect_reserved("do")?;
        let body = self.parse_list(&["done"])?;
        let body = self.nonempty(body)?;
        self.expect_reserved("done")?;
        Ok(Compound::For { var, items, body })
    }

    fn parse_case(&mut self) -> Result<Compound, ParseError> {
        self.pos += 4;
        self.skip_blanks();
        let Some(word) = self.read_word()? else {
            return Err(self.unexpected());
        };
        self.skip_linebreaks()?;
        if !self.peek_word_is("in") {
            return Err(self.unexpected());
        }
        self.pos += 2;
        let mut arms = Vec::new();
        loop {
            self.skip_linebreaks()?;
            if self.peek_reserved() == Some("esac") {
                self.pos += 4;
                break;
            }
            if self.at_eof() {
                return Err(self.eof_error());
            }
            if self.peek() == Some('(') {
                self.pos += 1;
            }
            let mut patterns = Vec::new();
            loop {
                self.skip_blanks();
                match self.read_word()? {
                    Some(w) => patterns.push(w),
                    None => return Err(self.unexpected()),
                }
                self.skip_blanks();
                if self.peek() == Some('|') {
                    self.pos += 1;
                } else {
                    break;
                }
            }
            if self.peek() != Some(')') {
                return Err(self.unexpected());
            }
            self.pos += 1;
            let body = self.parse_list(&["esac"])?;
            arms.push((patterns, body));
            self.skip_linebreaks()?;
            if self.starts_with(";;") {
                self.pos += 2;
            } else if self.peek_reserved() == Some("esac") {
                self.pos += 4;
                break;
            } else {
                return Err(self.unexpected());
            }
        }
        Ok(Compound::Case { word, arms })
    }

    fn parse_double_bracket(&mut self) -> Result<Command, ParseError> {
        let mut words = Vec::new();
        loop {
            self.skip_blanks();
            if self.at_eof() {
                return Err(self.eof_error());
            }
            if self.peek() == Some('\n') {
                return Err(self.unexpected());
            }
            if self.starts_with("&&") || self.starts_with("||") {
                let op: String = self.s[self.pos..self.pos + 2].iter().collect();
                self.pos += 2;
                words.push(vec![Part::Quoted(op)]);
                continue;
            }
            if let Some(c @ ('(' | ')' | '<' | '>')) = self.peek() {
                self.pos += 1;
                words.push(vec![Part::Quoted(c.to_string())]);
                continue;
            }
            if self.peek_word_is("]]") {
                self.pos += 2;
                break;
            }
            match self.read_word()? {
                Some(w) => words.push(w),
                None => return Err(self.unexpected()),
            }
        }
        let redirs = self.trailing_redirs()?;
        Ok(Command::Test { words, redirs })
    }

    fn parse_simple(&mut self) -> Result<Command, ParseError> {
        let mut assigns = Vec::new();
        let mut words: Vec<Word> = Vec::new();
        let mut redirs = Vec::new();
        loop {
            self.skip_blanks();
            match self.peek() {
                None | Some(';' | '|' | ')' | '\n') => break,
                Some('&') if !self.starts_with("&>") => break,
                Some('(') => return Err(self.unexpected()),
                _ => {}
            }
            if let Some(r) = self.try_redir()? {
                redirs.push(r);
                continue;
            }
            if words.is_empty()
                && let Some(name) = self.assignment_name()
            {
                self.pos += name.len() + 1;
                let value = self.read_word()?.unwrap_or_default();
                assigns.push((name, value));
                continue;
            }
            match self.read_word()? {
                Some(w) => words.push(w),
                None => return Err(self.unexpected()),
            }
        }
        if words.is_empty() && assigns.is_empty() && redirs.is_empty() {
            return Err(self.unexpected());
        }
        Ok(Command::Simple {
            assigns,
            words,
            redirs,
        })
    }

    /// `NAME=` at the current position.
    fn assignment_name(&self) -> Option<String> {
        let mut i = self.pos;
        let first = *self.s.get(i)?;
        if !is_name_start(first) {
            return None;
        }
        while self.s.get(i).is_some_and(|c| is_name_char(*c)) {
            i += 1;
        }
        (self.s.get(i) == Some(&'=')).then(|| self.s[self.pos..i].iter().collect())
    }

    fn try_redir(&mut self) -> Result<Option<Redir>, ParseError> {
        let save = self.pos;
        let mut digits = String::new();
        while let Some(c) = self.peek().filter(char::is_ascii_digit) {
            digits.push(c);
            self.pos += 1;
        }
        if !digits.is_empty() && !matches!(self.peek(), Some('<' | '>')) {
            self.pos = save;
            return Ok(None);
        }
        let fd = if digits.is_empty() {
            None
        } else {
            Some(digits.parse::<u32>().unwrap_or(u32::MAX))
        };
        let ops: [(&str, RedirOp); 11] = [
            ("&>>", RedirOp::AppendErr),
            ("&>", RedirOp::OutErr),
            (">>", RedirOp::Append),
            (">&", RedirOp::DupOut),
            (">|", RedirOp::Out),
            (">", RedirOp::Out),
            ("<<<", RedirOp::HereString),
            ("<<", RedirOp::HereDoc),
            ("<&", RedirOp::DupIn),
            ("<>", RedirOp::ReadWrite),
            ("<", RedirOp::In),
        ];
        if fd.is_none() && self.starts_with("<(") {
            return Ok(None);
        }
        let Some((text, op)) = ops
            .iter()
            .find(|(text, op)| {
                self.starts_with(text)
                    && !(fd.is_some() && matches!(op, RedirOp::OutErr | RedirOp::AppendErr))
            })
            .copied()
        else {
            self.pos = save;
            return Ok(None);
        };
        self.pos += text.len();
        let mut strip_tabs = false;
        if op == RedirOp::HereDoc && self.peek() == Some('-') {
            self.pos += 1;
            strip_tabs = true;
        }
        self.skip_blanks_only();
        let start = self.pos;
        let Some(target) = self.read_word()? else {
            if self.at_eof() {
                return Err(self.syntax("syntax error near unexpected token `newline'".into()));
            }
            return Err(self.unexpected());
        };
        let mut heredoc = None;
        if op == RedirOp::HereDoc {
            let raw: String = self.s[start..self.pos].iter().collect();
            let expand = !raw.contains(['\'', '"', '\\']);
            let delimiter = unquote_delimiter(&raw);
            let doc = Rc::new(RefCell::new(HereDoc {
                body: Vec::new(),
                delimiter,
                expand,
                strip_tabs,
                line: self.line(),
            }));
            self.pending.push(Rc::clone(&doc));
            heredoc = Some(doc);
        }
        Ok(Some(Redir {
            fd,
            op,
            target,
            heredoc,
        }))
    }

    fn skip_blanks_only(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.pos += 1;
        }
    }

    /// One word, or `None` when the next character ends words.
    fn read_word(&mut self) -> Result<Option<Word>, ParseError> {
        let mut parts: Word = Vec::new();
        let mut lit = String::new();
        let start = self.pos;
        while let Some(c) = self.peek() {
            match c {
                '<' if self.pos == start && self.peek_at(1) == Some('(') => {
                    self.pos += 2;
                    let list = self.parse_list(&[])?;
                    self.skip_linebreaks()?;
                    if self.peek() != Some(')') {
                        return Err(if self.at_eof() {
                            self.incomplete("unexpected EOF while looking for matching `)'")
                        } else {
                            self.unexpected()
                        });
                    }
                    self.pos += 1;
                    parts.push(Part::ProcIn(list));
                }
                c if is_meta(c) => break,
                '\\' => {
                    self.pos += 1;
                    match self.peek() {
                        None => lit.push('\\'),
                        Some('\n') => self.pos += 1,
                        Some(ch) => {
                            self.pos += 1;
                            flush(&mut parts, &mut lit, false);
                            parts.push(Part::Quoted(ch.to_string()));
                        }
                    }
                }
                '\'' => {
                    self.pos += 1;
                    let mut text = String::new();
                    loop {
                        match self.bump() {
                            None => {
                                return Err(self
                                    .incomplete("unexpected EOF while looking for matching `''"));
                            }
                            Some('\'') => break,
                            Some(ch) => text.push(ch),
                        }
                    }
                    flush(&mut parts, &mut lit, false);
                    parts.push(Part::Quoted(text));
                }
                '"' => {
                    flush(&mut parts, &mut lit, false);
                    self.pos += 1;
                    self.dquote(&mut parts)?;
                }
                '$' => {
                    flush(&mut parts, &mut lit, false);
                    self.dollar(&mut parts, false)?;
                }
                '`' => {
                    flush(&mut parts, &mut lit, false);
                    self.backtick(&mut parts, false)?;
                }
                '~' if self.pos == start => {
                    let mut i = self.pos + 1;
                    let mut user = String::new();
                    while let Some(&ch) = self.s.get(i) {
                        if ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.') {
                            user.push(ch);
                            i += 1;
                        } else {
                            break;
                        }
                    }
                    if self.s.get(i).is_none_or(|ch| *ch == '/' || is_meta(*ch)) {
                        self.pos = i;
                        parts.push(Part::Tilde(user));
                    } else {
                        lit.push('~');
                        self.pos += 1;
                    }
                }
                _ => {
                    lit.push(c);
                    self.pos += 1;
                }
            }
        }
        flush(&mut parts, &mut lit, false);
        Ok((!parts.is_empty()).then_some(parts))
    }

    /// After an opening `"`: up to the closing one.
    fn dquote(&mut self, parts: &mut Word) -> Result<(), ParseError> {
        let mut buf = String::new();
        loop {
            match self.peek() {
                None => {
                    return Err(self.incomplete("unexpected EOF while looking for matching `\"'"));
                }
                Some('"') => {
                    self.pos += 1;
                    break;
                }
                Some('\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(c @ ('$' | '`' | '"' | '\\')) => {
                            self.pos += 1;
                            buf.push(c);
                        }
                        Some('\n') => self.pos += 1,
                        _ => buf.push('\\'),
                    }
                }
                Some('$') => {
                    flush(parts, &mut buf, true);
                    self.dollar(parts, true)?;
                }
                Some('`') => {
                    flush(parts, &mut buf, true);
                    self.backtick(parts, true)?;
                }
                Some(c) => {
                    buf.push(c);
                    self.pos += 1;
                }
            }
        }
        // Always leave a part, so `""` is an (empty) word.
        parts.push(Part::Quoted(buf));
        Ok(())
    }

    /// At a `$`.
    fn dollar(&mut self, parts: &mut Word, quoted: bool) -> Result<(), ParseError> {
        self.pos += 1;
        match self.peek() {
            Some('(') if self.peek_at(1) == Some('(') => {
                self.pos += 2;
                let mut depth = 0usize;
                let mut expr = String::new();
                loop {
                    match self.bump() {
                        None => {
                            return Err(
                                self.incomplete("unexpected EOF while looking for matching `)'")
                            );
                        }
                        Some('(') => {
                            depth += 1;
                            expr.push('(');
                        }
                        Some(')') if depth == 0 => {
                            if self.peek() == Some(')') {
                                self.pos += 1;
                                break;
                            }
                            return Err(self.syntax(format!(
                                "syntax error in expression (error token is \"{expr}\")"
                            )));
                        }
                        Some(')') => {
                            depth -= 1;
                            expr.push(')');
                        }
                        Some(c) => expr.push(c),
                    }
                }
                parts.push(Part::Arith { expr, quoted });
            }
            Some('(') => {
                self.pos += 1;
                let list = self.parse_list(&[])?;
                self.skip_linebreaks()?;
                match self.peek() {
                    Some(')') => self.pos += 1,
                    None => {
                        return Err(
                            self.incomplete("unexpected EOF while looking for matching `)'")
                        );
                    }
                    _ => return Err(self.unexpected()),
                }
                parts.push(Part::Subst { list, quoted });
            }
            Some('{') => {
                self.pos += 1;
                self.enter()?;
                let part = self.brace_param(quoted)?;
                self.leave();
                parts.push(part);
            }
            Some('\'') if !quoted => {
                self.pos += 1;
                let text = self.ansi_c()?;
                parts.push(Part::Quoted(text));
            }
            Some('"') if !quoted => {}
            Some(c) if is_name_start(c) => {
                let name = self.read_name();
                parts.push(Part::Param {
                    name,
                    op: ParamOp::Plain,
                    quoted,
                });
            }
            Some(c)
                if c.is_ascii_digit() || matches!(c, '?' | '$' | '#' | '!' | '@' | '*' | '-') =>
            {
                self.pos += 1;
                parts.push(Part::Param {
                    name: c.to_string(),
                    op: ParamOp::Plain,
                    quoted,
                });
            }
            _ => parts.push(if quoted {
                Part::Quoted("$".into())
            } else {
                Part::Lit("$".into())
            }),
        }
        Ok(())
    }

    /// `$'…'` after the opening quote.
    fn ansi_c(&mut self) -> Result<String, ParseError> {
        let mut out = String::new();
        loop {
            match self.bump() {
                None => {
                    return Err(self.incomplete("unexpected EOF while looking for matching `''"));
                }
                Some('\'') => return Ok(out),
                Some('\\') => match self.bump() {
                    None => {
                        return Err(
                            self.incomplete("unexpected EOF while looking for matching `''")
                        );
                    }
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some('a') => out.push('\x07'),
                    Some('b') => out.push('\x08'),
                    Some('e' | 'E') => out.push('\x1b'),
                    Some('f') => out.push('\x0c'),
                    Some('v') => out.push('\x0b'),
                    Some('0') => out.push('\0'),
                    Some('x') => {
                        let mut hex = String::new();
                        while hex.len() < 2
                            && let Some(c) = self.peek().filter(char::is_ascii_hexdigit)
                        {
                            hex.push(c);
                            self.pos += 1;
                        }
                        match u8::from_str_radix(&hex, 16) {
                            Ok(b) => out.push(char::from(b)),
                            Err(_) => out.push_str("\\x"),
                        }
                    }
                    Some(c) => {
                        if !matches!(c, '\\' | '\'' | '"' | '?') {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                },
                Some(c) => out.push(c),
            }
        }
    }

    /// After `${`.
    fn brace_param(&mut self, quoted: bool) -> Result<Part, ParseError> {
        let start = self.pos;
        let mut length = false;
        if self.peek() == Some('#') && self.peek_at(1).is_some_and(|c| c != '}') {
            length = true;
            self.pos += 1;
        }
        let mut name = self.read_name();
        if name.is_empty()
            && let Some(c) = self.peek().filter(|c| {
                c.is_ascii_digit() || matches!(c, '?' | '$' | '#' | '!' | '@' | '*' | '-')
            })
        {
            name.push(c);
            self.pos += 1;
            if c.is_ascii_digit() {
                while let Some(d) = self.peek().filter(char::is_ascii_digit) {
                    name.push(d);
                    self.pos += 1;
                }
            }
        }
        let bad = |p: &mut Parser| -> Result<Part, ParseError> {
            let mut depth = 0usize;
            loop {
                match p.bump() {
                    None => {
                        return Err(p.incomplete("unexpected EOF while looking for matching `}'"));
                    }
                    Some('{') => depth += 1,
                    Some('}') if depth == 0 => break,
                    Some('}') => depth -= 1,
                    Some(_) => {}
                }
            }
            let text: String = p.s[start..p.pos - 1].iter().collect();
            Ok(Part::Param {
                name: String::new(),
                op: ParamOp::Bad(format!("${{{text}}}")),
                quoted,
            })
        };
        if name.is_empty() {
            return bad(self);
        }
        if self.peek() == Some('}') {
            self.pos += 1;
            return Ok(Part::Param {
                name,
                op: if length {
                    ParamOp::Length
                } else {
                    ParamOp::Plain
                },
                quoted,
            });
        }
        if length {
            return bad(self);
        }
        let colon = self.peek() == Some(':');
        if colon {
            self.pos += 1;
        }
        let Some(op_char) = self.peek() else {
            return Err(self.incomplete("unexpected EOF while looking for matching `}'"));
        };
        let kind = match (op_char, colon) {
            ('-' | '=' | '+' | '?', _) => op_char,
            ('#' | '%', false) => op_char,
            _ => return bad(self),
        };
        self.pos += 1;
        let mut longest = false;
        if matches!(kind, '#' | '%') && self.peek() == Some(kind) {
            longest = true;
            self.pos += 1;
        }
        let word = self.brace_word(quoted)?;
        let op = match kind {
            '-' => ParamOp::Default { colon, word },
            '=' => ParamOp::Assign { colon, word },
            '+' => ParamOp::Alt { colon, word },
            '?' => ParamOp::Error { colon, word },
            '#' => ParamOp::TrimPrefix { longest, word },
            _ => ParamOp::TrimSuffix { longest, word },
        };
        Ok(Part::Param { name, op, quoted })
    }

    /// The word inside `${name OP word}`, up to the closing brace.
    fn brace_word(&mut self, quoted: bool) -> Result<Word, ParseError> {
        let mut parts = Vec::new();
        let mut buf = String::new();
        loop {
            match self.peek() {
                None => {
                    return Err(self.incomplete("unexpected EOF while looking for matching `}'"));
                }
                Some('}') => {
                    self.pos += 1;
                    break;
                }
                Some('\\') => {
                    self.pos += 1;
                    if let Some(c) = self.bump() {
                        flush(&mut parts, &mut buf, quoted);
                        parts.push(Part::Quoted(c.to_string()));
                    }
                }
                Some('\'') if !quoted => {
                    self.pos += 1;
                    let mut text = String::new();
                    loop {
                        match self.bump() {
                            None => {
                                return Err(self
                                    .incomplete("unexpected EOF while looking for matching `''"));
                            }
                            Some('\'') => break,
                            Some(c) => text.push(c),
                        }
                    }
                    flush(&mut parts, &mut buf, quoted);
                    parts.push(Part::Quoted(text));
                }
                Some('"') => {
                    flush(&mut parts, &mut buf, quoted);
                    self.pos += 1;
                    self.dquote(&mut parts)?;
                }
                Some('$') => {
                    flush(&mut parts, &mut buf, quoted);
                    self.dollar(&mut parts, quoted)?;
                }
                Some('`') => {
                    flush(&mut parts, &mut buf, quoted);
                    self.backtick(&mut parts, quoted)?;
                }
                Some(c) => {
                    buf.push(c);
                    self.pos += 1;
                }
            }
        }
        flush(&mut parts, &mut buf, quoted);
        Ok(parts)
    }

    /// At a backtick: the old-style command substitution.
    fn backtick(&mut self, parts: &mut Word, quoted: bool) -> Result<(), ParseError> {
        self.pos += 1;
        let mut inner = String::new();
        loop {
            match self.bump() {
                None => {
                    return Err(self.incomplete("unexpected EOF while looking for matching ``'"));
                }
                Some('`') => break,
                Some('\\') => match self.bump() {
                    Some(c @ ('$' | '`' | '\\')) => inner.push(c),
                    Some(c) => {
                        inner.push('\\');
                        inner.push(c);
                    }
                    None => inner.push('\\'),
                },
                Some(c) => inner.push(c),
            }
        }
        self.enter()?;
        let mut sub = Parser::new(&inner, true);
        sub.depth = self.depth;
        let result = sub.parse_list(&[]).and_then(|list| {
            sub.skip_linebreaks()?;
            if sub.at_eof() {
                sub.read_heredocs()?;
                Ok(list)
            } else {
                Err(sub.unexpected())
            }
        });
        self.leave();
        let list = result.map_err(|e| match e {
            ParseError::Incomplete { message, .. } | ParseError::Syntax { message, .. } => {
                self.syntax(message)
            }
        })?;
        parts.push(Part::Subst { list, quoted });
        Ok(())
    }
}

/// A here-document delimiter as written, without its quotes.
fn unquote_delimiter(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '\\') | (Some('"'), '\\') => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            (_, c) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(src: &str) -> Program {
        parse(src, true).unwrap_or_else(|e| panic!("{src:?}: {e:?}"))
    }

    #[test]
    fn completeness_for_the_interactive_shell() {
        for src in [
            "echo 'abc\n",
            "echo \"abc\n",
            "echo a &&\n",
            "echo a |\n",
            "if true; then\n",
            "cat <<EOF\nline\n",
            "for i in a b; do\n",
            "echo $(\n",
            "{ echo\n",
        ] {
            assert!(
                matches!(parse(src, false), Err(ParseError::Incomplete { .. })),
                "{src:?}"
            );
        }
        for src in [
            "echo a\n",
            "cat <<EOF\nx\nEOF\n",
            "if true; then echo; fi\n",
        ] {
            assert!(parse(src, false).is_ok(), "{src:?}");
        }
    }

    #[test]
    fn syntax_errors_name_the_token() {
        for (src, want) in [
            ("echo a ;; b", "syntax error near unexpected token `;;'"),
            (")", "syntax error near unexpected token `)'"),
            ("echo >", "syntax error near unexpected token `newline'"),
            ("if then fi", "syntax error near unexpected token `then'"),
            ("| a", "syntax error near unexpected token `|'"),
            ("fi", "syntax error near unexpected token `fi'"),
        ] {
            match parse(src, true) {
                Err(ParseError::Syntax { message, .. }) => assert_eq!(message, want, "{src:?}"),
                Err(ParseError::Incomplete { message, .. }) if src == "echo >" => {
                    assert_eq!(message, want)
                }
                other => panic!("{src:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn heredoc_delimiters_and_bodies() {
        let p = ok("cat > f <<'EOF'\n$HOME\nEOF\necho done");
        assert_eq!(p.list.len(), 2);
        let Command::Simple { redirs, .. } = &p.list[0].first.commands[0].0 else {
            panic!()
        };
        let doc = redirs[1].heredoc.as_ref().unwrap().borrow();
        assert!(!doc.expand);
        assert!(matches!(&doc.body[0], Part::Quoted(t) if t == "$HOME\n"));
        let p = ok("cat <<-EOF\n\tx $A\n\tEOF\n");
        let Command::Simple { redirs, .. } = &p.list[0].first.commands[0].0 else {
            panic!()
        };
        let doc = redirs[0].heredoc.as_ref().unwrap().borrow();
        assert!(doc.expand && doc.body.len() == 3);
        let p = ok("cat <<EOF");
        assert_eq!(p.warnings.len(), 1);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let src = "(".repeat(10_000);
        assert!(parse(&src, true).is_err());
        let src = "$(".repeat(10_000);
        assert!(parse(&src, true).is_err());
        let src = "${a:-".repeat(10_000);
        assert!(parse(&src, true).is_err());
        let src = "\"$(".repeat(5_000);
        assert!(parse(&src, true).is_err());
    }
}
