//! Text tools of the twin: `grep`, `sed`, `awk` (print programs), `cut`, `tr`, `sort`,
//! `uniq`, `head`, `tail`, `wc`, `cmp`, `diff`, plus the arithmetic evaluator behind
//! `$(( ))`. POSIX basic regular expressions are translated to the regex crate's syntax;
//! every regex is built with a size limit so no pattern can exhaust memory.

use super::commands::getopt;
use super::fs::FsError;
use super::shell::{Flow, Io, Shell};
use std::fmt::Write as _;

/// Run a text command; `None` when `name` is not one of them.
pub(crate) fn run(
    sh: &mut Shell,
    name: &str,
    args: &[String],
    io: &Io,
) -> Result<Option<u32>, Flow> {
    let status = match name {
        "grep" | "egrep" | "fgrep" => grep(sh, name, args, io),
        "sed" => sed(sh, args, io),
        "awk" | "mawk" | "gawk" => awk(sh, args, io),
        "cut" => cut(sh, args, io),
        "tr" => tr(sh, args, io),
        "sort" => sort(sh, args, io),
        "uniq" => uniq(sh, args, io),
        "head" | "tail" => head_tail(sh, name, args, io),
        "wc" => wc(sh, args, io),
        "cmp" => cmp(sh, args, io),
        "diff" => diff(sh, args, io),
        _ => return Ok(None),
    };
    Ok(Some(status))
}

/// Split into lines without their newlines (a final newline ends the last line).
fn lines_of(data: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(data);
    let mut lines: Vec<String> = text.split('\n').map(String::from).collect();
    if lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

/// Translate a POSIX regular expression (basic unless `extended`) to the regex crate.
pub(crate) fn posix_to_rust(pattern: &str, extended: bool) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '[' => {
                // Copy a bracket expression, escaping what the regex crate would read
                // as syntax (backslash, nested '[' that is not a class).
                out.push('[');
                i += 1;
                if i < chars.len() && chars[i] == '^' {
                    out.push('^');
                    i += 1;
                }
                if i < chars.len() && chars[i] == ']' {
                    out.push_str("\\]");
                    i += 1;
                }
                while i < chars.len() && chars[i] != ']' {
                    let d = chars[i];
                    if d == '[' && i + 1 < chars.len() && matches!(chars[i + 1], ':' | '.' | '=') {
                        let close = chars[i + 1];
                        let mut j = i + 2;
                        while j + 1 < chars.len() && !(chars[j] == close && chars[j + 1] == ']') {
                            j += 1;
                        }
                        let end = (j + 2).min(chars.len());
                        out.extend(&chars[i..end]);
                        i = end;
                        continue;
                    }
                    if matches!(d, '\\' | '[' | '&' | '~') {
                        out.push('\\');
                    }
                    out.push(d);
                    i += 1;
                }
                if i < chars.len() {
                    out.push(']');
                    i += 1;
                }
                continue;
            }
            '\\' if i + 1 < chars.len() => {
                let n = chars[i + 1];
                i += 2;
                if !extended && matches!(n, '(' | ')' | '{' | '}' | '|' | '+' | '?') {
                    out.push(n);
                } else if matches!(n, '<' | '>') {
                    out.push_str("\\b");
                } else if n.is_ascii_digit() {
                    // Back-references are not supported by the regex crate: match the
                    // digit literally rather than fail.
                    out.push(n);
                } else if n.is_ascii_alphanumeric() && !"wWsSbBdD".contains(n) {
                    out.push(n);
                } else {
                    out.push('\\');
                    out.push(n);
                }
                continue;
            }
            '(' | ')' | '{' | '}' | '|' | '+' | '?' if !extended => {
                out.push('\\');
                out.push(c);
            }
            '*' if !extended && (out.is_empty() || out.ends_with('^') || out.ends_with('(')) => {
                out.push_str("\\*");
            }
            '{' if extended && !valid_interval(&chars[i + 1..]) => {
                out.push_str("\\{");
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// True when `rest` (after a `{`) is an interval like `2}`, `1,3}` or `2,}`.
fn valid_interval(rest: &[char]) -> bool {
    match rest.iter().position(|c| *c == '}') {
        Some(end) if end > 0 => {
            let body = &rest[..end];
            body[0].is_ascii_digit() && body.iter().all(|c| c.is_ascii_digit() || *c == ',')
        }
        _ => false,
    }
}

fn build_regex(pattern: &str, insensitive: bool) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(pattern)
        .case_insensitive(insensitive)
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 20)
        .build()
        .map_err(|_| "Invalid regular expression".to_string())
}

fn grep(sh: &mut Shell, name: &str, args: &[String], io: &Io) -> u32 {
    let opts = match getopt(
        "grep",
        args,
        "qEFvicnlLxwshHroPaIzZT",
        "emABC",
        &[
            ("quiet", 'q'),
            ("silent", 'q'),
            ("extended-regexp", 'E'),
            ("fixed-strings", 'F'),
            ("invert-match", 'v'),
            ("ignore-case", 'i'),
            ("count", 'c'),
            ("line-number", 'n'),
            ("files-with-matches", 'l'),
            ("files-without-match", 'L'),
            ("line-regexp", 'x'),
            ("word-regexp", 'w'),
            ("no-messages", 's'),
            ("regexp", 'e'),
            ("max-count", 'm'),
            ("recursive", 'r'),
            ("only-matching", 'o'),
            ("with-filename", 'H'),
            ("no-filename", 'h'),
        ],
    ) {
        Ok(o) => o,
        Err(e) => {
            sh.errln(
                io,
                &e.replace(
                    "Try 'grep --help'",
                    "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help'",
                ),
            );
            return 2;
        }
    };
    let mut operands = opts.operands.clone();
    let mut patterns = opts.values('e');
    if patterns.is_empty() {
        if operands.is_empty() {
            sh.errln(io, "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.");
            return 2;
        }
        patterns = operands.remove(0).split('\n').map(String::from).collect();
    }
    let fixed = opts.has('F') || name == "fgrep";
    let extended = opts.has('E') || opts.has('P') || name == "egrep";
    let alternatives: Vec<String> = patterns
        .iter()
        .map(|p| {
            if fixed {
                regex::escape(p)
            } else {
                posix_to_rust(p, extended)
            }
        })
        .map(|p| format!("(?:{p})"))
        .collect();
    let mut pattern = alternatives.join("|");
    if opts.has('x') {
        pattern = format!("^(?:{pattern})$");
    } else if opts.has('w') {
        pattern = format!("\\b(?:{pattern})\\b");
    }
    let re = match build_regex(&pattern, opts.has('i')) {
        Ok(r) => r,
        Err(e) => {
            sh.errln(io, &format!("grep: {e}"));
            return 2;
        }
    };
    let recursive = opts.has('r');
    if operands.is_empty() {
        operands.push(if recursive { ".".into() } else { "-".into() });
    }
    // Expand directories for -r.
    let mut files = Vec::new();
    for op in operands {
        let p = sh.abs(&op);
        if recursive && sh.st.fs.is_dir(&p) {
            let prefix = format!("{}/", p.trim_end_matches('/'));
            let base = op.trim_end_matches('/').to_string();
            let found: Vec<String> = sh
                .st
                .fs
                .paths()
                .filter(|k| k.starts_with(&prefix) && sh.st.fs.is_file(k))
                .map(|k| format!("{base}/{}", &k[prefix.len()..]))
                .collect();
            files.extend(found);
        } else {
            files.push(op);
        }
    }
    let show_names = (files.len() > 1 || recursive) && !opts.has('h') || opts.has('H');
    let max: Option<usize> = opts.value('m').and_then(|m| m.parse().ok());
    let mut matched_any = false;
    let mut error = false;
    let mut out = String::new();
    for f in &files {
        let data = match sh.read_input(io, f) {
            Ok(d) => d,
            Err(e) => {
                if !opts.has('s') {
                    sh.errln(io, &format!("grep: {f}: {}", e.message()));
                }
                error = true;
                continue;
            }
        };
        let mut count = 0usize;
        for (n, line) in lines_of(&data).iter().enumerate() {
            if max.is_some_and(|m| count >= m) {
                break;
            }
            let hit = re.is_match(line) != opts.has('v');
            if !hit {
                continue;
            }
            count += 1;
            matched_any = true;
            if opts.has('q') {
                return 0;
            }
            if opts.has('l') || opts.has('L') || opts.has('c') {
                continue;
            }
            let prefix = format!(
                "{}{}",
                if show_names {
                    format!("{f}:")
                } else {
                    String::new()
                },
                if opts.has('n') {
                    format!("{}:", n + 1)
                } else {
                    String::new()
                }
            );
            if opts.has('o') && !opts.has('v') {
                for m in re.find_iter(line) {
                    let _ = writeln!(out, "{prefix}{}", m.as_str());
                }
            } else {
                let _ = writeln!(out, "{prefix}{line}");
            }
        }
        if opts.has('c') {
            if show_names {
                let _ = writeln!(out, "{f}:{count}");
            } else {
                let _ = writeln!(out, "{count}");
            }
        }
        if opts.has('l') && count > 0 {
            let _ = writeln!(out, "{f}");
        }
        if opts.has('L') && count == 0 {
            let _ = writeln!(out, "{f}");
        }
        if out.len() > 4 << 20 {
            break;
        }
    }
    sh.out(io, out);
    if error && !(opts.has('q') && matched_any) {
        2
    } else if matched_any {
        0
    } else {
        1
    }
}

#[derive(Debug, Clone)]
enum Addr {
    Line(usize),
    Last,
    Re(regex::Regex),
}

#[derive(Debug, Clone)]
enum SedCmd {
    Subst {
        re: regex::Regex,
        replacement: String,
        global: bool,
        nth: usize,
        print: bool,
    },
    Delete,
    Print,
    Append(String),
    Insert(String),
    Change(String),
    Quit,
    LineNumber,
    Translate(Vec<char>, Vec<char>),
}

#[derive(Debug, Clone)]
struct SedLine {
    a1: Option<Addr>,
    a2: Option<Addr>,
    negate: bool,
    cmd: SedCmd,
}

fn sed_parse(script: &str, extended: bool) -> Result<Vec<SedLine>, String> {
    let chars: Vec<char> = script.chars().collect();
    let mut i = 0;
    let mut cmds = Vec::new();
    let err = |i: usize, msg: &str| format!("sed: -e expression #1, char {}: {msg}", i + 1);
    let read_delimited = |i: &mut usize, delim: char| -> Option<String> {
        let mut s = String::new();
        while *i < chars.len() {
            let c = chars[*i];
            if c == '\\' && *i + 1 < chars.len() {
                let n = chars[*i + 1];
                if n == delim {
                    s.push(n);
                } else if n == 'n' {
                    s.push('\n');
                } else {
                    s.push('\\');
                    s.push(n);
                }
                *i += 2;
                continue;
            }
            if c == delim {
                *i += 1;
                return Some(s);
            }
            s.push(c);
            *i += 1;
        }
        None
    };
    let parse_addr = |i: &mut usize| -> Result<Option<Addr>, String> {
        if *i >= chars.len() {
            return Ok(None);
        }
        let c = chars[*i];
        if c.is_ascii_digit() {
            let mut n = 0usize;
            while *i < chars.len() && chars[*i].is_ascii_digit() {
                n = n
                    .saturating_mul(10)
                    .saturating_add(chars[*i].to_digit(10).unwrap_or(0) as usize);
                *i += 1;
            }
            return Ok(Some(Addr::Line(n)));
        }
        if c == '$' {
            *i += 1;
            return Ok(Some(Addr::Last));
        }
        if c == '/' || c == '\\' {
            let delim = if c == '\\' {
                *i += 1;
                chars.get(*i).copied().unwrap_or('/')
            } else {
                '/'
            };
            *i += 1;
            let Some(pat) = read_delimited(i, delim) else {
                return Err(err(*i, "unterminated address regex"));
            };
            let re = build_regex(&posix_to_rust(&pat, extended), false)
                .map_err(|e| format!("sed: -e expression #1, char {}: {e}", *i))?;
            return Ok(Some(Addr::Re(re)));
        }
        Ok(None)
    };
    loop {
        while i < chars.len() && (chars[i].is_whitespace() || chars[i] == ';') {
            i += 1;
        }
        if i >= chars.len() {
            break;
        }
        let a1 = parse_addr(&mut i)?;
        let mut a2 = None;
        if a1.is_some() && i < chars.len() && chars[i] == ',' {
            i += 1;
            a2 = parse_addr(&mut i)?;
            if a2.is_none() {
                return Err(err(i, "unexpected `,'"));
            }
        }
        while i < chars.len() && chars[i] == ' ' {
            i += 1;
        }
        let mut negate = false;
        if i < chars.len() && chars[i] == '!' {
            negate = true;
            i += 1;
        }
        let Some(&c) = chars.get(i) else {
            return Err(err(i, "missing command"));
        };
        i += 1;
        let text_arg = |i: &mut usize| -> String {
            if *i < chars.len() && chars[*i] == '\\' {
                *i += 1;
                if *i < chars.len() && chars[*i] == '\n' {
                    *i += 1;
                }
            }
            while *i < chars.len() && chars[*i] == ' ' {
                *i += 1;
            }
            let mut t = String::new();
            while *i < chars.len() && chars[*i] != '\n' {
                t.push(chars[*i]);
                *i += 1;
            }
            t
        };
        let cmd = match c {
            's' => {
                let Some(&delim) = chars.get(i) else {
                    return Err(err(i, "unterminated `s' command"));
                };
                i += 1;
                let Some(pat) = read_delimited(&mut i, delim) else {
                    return Err(err(i, "unterminated `s' command"));
                };
                let Some(replacement) = read_delimited(&mut i, delim) else {
                    return Err(err(i, "unterminated `s' command"));
                };
                let (mut global, mut print, mut nth, mut insensitive) =
                    (false, false, 1usize, false);
                while i < chars.len() && !matches!(chars[i], ';' | '\n' | '}' | ' ') {
                    match chars[i] {
                        'g' => global = true,
                        'p' => print = true,
                        'i' | 'I' => insensitive = true,
                        d if d.is_ascii_digit() => {
                            nth = d.to_digit(10).unwrap_or(1).max(1) as usize
                        }
                        _ => return Err(err(i, "unknown option to `s'")),
                    }
                    i += 1;
                }
                let re = build_regex(&posix_to_rust(&pat, extended), insensitive)
                    .map_err(|e| format!("sed: -e expression #1, char {i}: {e}"))?;
                SedCmd::Subst {
                    re,
                    replacement,
                    global,
                    nth,
                    print,
                }
            }
            'y' => {
                let Some(&delim) = chars.get(i) else {
                    return Err(err(i, "unterminated `y' command"));
                };
                i += 1;
                let (Some(from), Some(to)) =
                    (read_delimited(&mut i, delim), read_delimited(&mut i, delim))
                else {
                    return Err(err(i, "unterminated `y' command"));
                };
                let (from, to): (Vec<char>, Vec<char>) =
                    (from.chars().collect(), to.chars().collect());
                if from.len() != to.len() {
                    return Err(err(i, "strings for `y' command are different lengths"));
                }
                SedCmd::Translate(from, to)
            }
            'd' => SedCmd::Delete,
            'p' => SedCmd::Print,
            'q' => SedCmd::Quit,
            '=' => SedCmd::LineNumber,
            'a' => SedCmd::Append(text_arg(&mut i)),
            'i' => SedCmd::Insert(text_arg(&mut i)),
            'c' => SedCmd::Change(text_arg(&mut i)),
            other => return Err(err(i - 1, &format!("unknown command: `{other}'"))),
        };
        cmds.push(SedLine {
            a1,
            a2,
            negate,
            cmd,
        });
    }
    Ok(cmds)
}

fn expand_replacement(rep: &str, caps: &regex::Captures) -> String {
    let mut out = String::new();
    let chars: Vec<char> = rep.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '&' {
            out.push_str(caps.get(0).map_or("", |m| m.as_str()));
        } else if c == '\\' && i + 1 < chars.len() {
            i += 1;
            let n = chars[i];
            match n {
                d if d.is_ascii_digit() => {
                    let idx = d.to_digit(10).unwrap_or(0) as usize;
                    out.push_str(caps.get(idx).map_or("", |m| m.as_str()));
                }
                'n' => out.push('\n'),
                't' => out.push('\t'),
                other => out.push(other),
            }
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}

fn sed_run(cmds: &[SedLine], lines: &[String], quiet: bool) -> String {
    let mut out = String::new();
    let mut in_range = vec![false; cmds.len()];
    let last = lines.len();
    'lines: for (idx, line) in lines.iter().enumerate() {
        let n = idx + 1;
        let mut space = line.clone();
        let mut append = Vec::new();
        let mut deleted = false;
        let mut quit = false;
        let matches = |a: &Addr, text: &str| match a {
            Addr::Line(l) => *l == n,
            Addr::Last => n == last,
            Addr::Re(re) => re.is_match(text),
        };
        for (ci, c) in cmds.iter().enumerate() {
            let selected = match (&c.a1, &c.a2) {
                (None, _) => true,
                (Some(a1), None) => matches(a1, &space),
                (Some(a1), Some(a2)) => {
                    if in_range[ci] {
                        if matches(a2, &space) || matches!(a2, Addr::Line(l) if *l <= n) {
                            in_range[ci] = false;
                        }
                        true
                    } else if matches(a1, &space) {
                        in_range[ci] = !matches!(a2, Addr::Line(l) if *l <= n);
                        true
                    } else {
                        false
                    }
                }
            };
            if selected == c.negate {
                continue;
            }
            match &c.cmd {
                SedCmd::Subst {
                    re,
                    replacement,
                    global,
                    nth,
                    print,
                } => {
                    let mut result = String::new();
                    let mut last_end = 0;
                    let mut count = 0;
                    let mut did = false;
                    for caps in re.captures_iter(&space) {
                        let Some(m) = caps.get(0) else { continue };
                        count += 1;
                        if count < *nth {
                            continue;
                        }
                        result.push_str(&space[last_end..m.start()]);
                        result.push_str(&expand_replacement(replacement, &caps));
                        last_end = m.end();
                        did = true;
                        if !global {
                            break;
                        }
                    }
                    if did {
                        result.push_str(&space[last_end..]);
                        space = result;
                        if *print {
                            let _ = writeln!(out, "{space}");
                        }
                    }
                }
                SedCmd::Delete => {
                    deleted = true;
                    break;
                }
                SedCmd::Print => {
                    let _ = writeln!(out, "{space}");
                }
                SedCmd::Append(t) => append.push(t.clone()),
                SedCmd::Insert(t) => {
                    let _ = writeln!(out, "{t}");
                }
                SedCmd::Change(t) => {
                    let _ = writeln!(out, "{t}");
                    deleted = true;
                    break;
                }
                SedCmd::Quit => {
                    quit = true;
                    break;
                }
                SedCmd::LineNumber => {
                    let _ = writeln!(out, "{n}");
                }
                SedCmd::Translate(from, to) => {
                    space = space
                        .chars()
                        .map(|ch| from.iter().position(|f| *f == ch).map_or(ch, |p| to[p]))
                        .collect();
                }
            }
        }
        if !deleted && !quiet {
            let _ = writeln!(out, "{space}");
        }
        for t in append {
            let _ = writeln!(out, "{t}");
        }
        if quit || out.len() > 4 << 20 {
            break 'lines;
        }
    }
    out
}

fn sed(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    // -i takes an optional attached suffix, which getopt cannot express.
    let mut in_place = false;
    let mut rest = Vec::new();
    for a in args {
        if a == "-i"
            || a == "--in-place"
            || (a.starts_with("-i") && !a.starts_with("-i-"))
            || a.starts_with("--in-place=")
        {
            in_place = true;
        } else if a.starts_with('-')
            && a.len() > 2
            && !a.starts_with("--")
            && a[1..].contains('i')
            && a[1..].chars().all(|c| "nEri".contains(c))
        {
            in_place = true;
            rest.push(a.replace('i', ""));
        } else {
            rest.push(a.clone());
        }
    }
    let opts = match getopt(
        "sed",
        &rest,
        "nErsuz",
        "ef",
        &[
            ("quiet", 'n'),
            ("silent", 'n'),
            ("regexp-extended", 'E'),
            ("expression", 'e'),
            ("file", 'f'),
        ],
    ) {
        Ok(o) => o,
        Err(e) => {
            sh.errln(
                io,
                &e.replace(
                    "Try 'sed --help' for more information.",
                    "Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...",
                ),
            );
            return 1;
        }
    };
    let mut operands = opts.operands.clone();
    let mut scripts = opts.values('e');
    for f in opts.values('f') {
        match sh.read_input(io, &f) {
            Ok(d) => scripts.push(String::from_utf8_lossy(&d).into_owned()),
            Err(e) => {
                sh.errln(io, &format!("sed: couldn't open file {f}: {}", e.message()));
                return 1;
            }
        }
    }
    if scripts.is_empty() {
        if operands.is_empty() {
            sh.errln(
                io,
                "Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...",
            );
            return 1;
        }
        scripts.push(operands.remove(0));
    }
    let extended = opts.has('E') || opts.has('r');
    let cmds = match sed_parse(&scripts.join("\n"), extended) {
        Ok(c) => c,
        Err(e) => {
            sh.errln(io, &e);
            return 1;
        }
    };
    let quiet = opts.has('n');
    if in_place {
        if operands.is_empty() {
            sh.errln(io, "sed: no input files");
            return 1;
        }
        let mut status = 0;
        for f in &operands {
            let p = sh.abs(f);
            let data = match sh.st.fs.read(&p) {
                Ok(d) => d.to_vec(),
                Err(FsError::IsDir) => {
                    sh.errln(io, &format!("sed: couldn't edit {f}: not a regular file"));
                    status = 4;
                    continue;
                }
                Err(e) => {
                    sh.errln(io, &format!("sed: can't read {f}: {}", e.message()));
                    status = 2;
                    continue;
                }
            };
            let result = sed_run(&cmds, &lines_of(&data), quiet);
            if let Err(e) = sh.st.fs.write(&p, result.as_bytes(), false, 0o644) {
                sh.errln(io, &format!("sed: couldn't write {f}: {}", e.message()));
                status = 4;
            }
        }
        return status;
    }
    if operands.is_empty() {
        operands.push("-".into());
    }
    let mut lines = Vec::new();
    let mut status = 0;
    for f in &operands {
        match sh.read_input(io, f) {
            Ok(d) => lines.extend(lines_of(&d)),
            Err(e) => {
                sh.errln(io, &format!("sed: can't read {f}: {}", e.message()));
                status = 2;
            }
        }
    }
    let out = sed_run(&cmds, &lines, quiet);
    sh.out(io, out);
    status
}

/// Fields of a line: whitespace-separated, or split on a separator (`-F`).
fn awk_fields(line: &str, sep: Option<&str>) -> Vec<String> {
    match sep {
        None | Some(" ") => line.split_whitespace().map(String::from).collect(),
        Some("\\t") | Some("\t") => line.split('\t').map(String::from).collect(),
        Some(s) => line.split(s).map(String::from).collect(),
    }
}

fn awk(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let mut sep: Option<String> = None;
    let mut rest = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "-F" {
            sep = args.get(i + 1).cloned();
            i += 2;
            continue;
        }
        if let Some(s) = a.strip_prefix("-F") {
            sep = Some(s.to_string());
        } else {
            rest.push(a.clone());
        }
        i += 1;
    }
    let Some(program) = rest.first().cloned() else {
        sh.errln(
            io,
            "usage: awk [-F fs][-v var=value][prog | -f progfile][file ...]",
        );
        return 2;
    };
    // The twin's awk runs print programs: `[/re/ | NR==N] { print EXPR, … }`.
    let unsupported = |sh: &mut Shell| {
        sh.errln(io, &format!("awk: netparc twin runs only print programs ([/re/|NR==N] {{ print $N, … }}): {program}"));
        2
    };
    let prog = program.trim();
    let (pattern, action) = match prog.find('{') {
        Some(open) if prog.ends_with('}') => {
            (prog[..open].trim(), prog[open + 1..prog.len() - 1].trim())
        }
        None => (prog, "print"),
        Some(_) => return unsupported(sh),
    };
    let action = action.trim_end_matches(';').trim();
    let exprs: Vec<String> = if action == "print" {
        vec!["$0".into()]
    } else if let Some(list) = action.strip_prefix("print ") {
        list.split(',').map(|s| s.trim().to_string()).collect()
    } else {
        return unsupported(sh);
    };
    enum Pat {
        All,
        Re(regex::Regex),
        Nr(usize),
    }
    let pat = if pattern.is_empty() {
        Pat::All
    } else if let Some(re) = pattern.strip_prefix('/').and_then(|p| p.strip_suffix('/')) {
        match build_regex(&posix_to_rust(re, true), false) {
            Ok(r) => Pat::Re(r),
            Err(_) => return unsupported(sh),
        }
    } else if let Some(n) = pattern
        .strip_prefix("NR==")
        .and_then(|n| n.trim().parse().ok())
    {
        Pat::Nr(n)
    } else {
        return unsupported(sh);
    };
    let files: Vec<String> = if rest.len() > 1 {
        rest[1..].to_vec()
    } else {
        vec!["-".into()]
    };
    let mut out = String::new();
    let mut nr = 0usize;
    let mut status = 0;
    for f in files {
        let data = match sh.read_input(io, &f) {
            Ok(d) => d,
            Err(e) => {
                sh.errln(io, &format!("awk: cannot open \"{f}\" ({})", e.message()));
                status = 2;
                continue;
            }
        };
        for line in lines_of(&data) {
            nr += 1;
            let selected = match &pat {
                Pat::All => true,
                Pat::Re(re) => re.is_match(&line),
                Pat::Nr(n) => *n == nr,
            };
            if !selected {
                continue;
            }
            let fields = awk_fields(&line, sep.as_deref());
            let mut values = Vec::new();
            for e in &exprs {
                let v = if e == "$0" {
                    line.clone()
                } else if e == "$NF" {
                    fields.last().cloned().unwrap_or_default()
                } else if e == "NF" {
                    fields.len().to_string()
                } else if e == "NR" {
                    nr.to_string()
                } else if let Some(n) = e.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) {
                    if n == 0 {
                        line.clone()
                    } else {
                        fields.get(n - 1).cloned().unwrap_or_default()
                    }
                } else if e.len() >= 2 && e.starts_with('"') && e.ends_with('"') {
                    e[1..e.len() - 1].to_string()
                } else {
                    return unsupported(sh);
                };
                values.push(v);
            }
            let _ = writeln!(out, "{}", values.join(" "));
        }
    }
    sh.out(io, out);
    status
}

/// A cut list (`1,3-5,7-`) as inclusive 1-based ranges.
fn parse_list(list: &str) -> Option<Vec<(usize, usize)>> {
    let mut ranges = Vec::new();
    for part in list.split(',') {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (
                if a.is_empty() { 1 } else { a.parse().ok()? },
                if b.is_empty() {
                    usize::MAX
                } else {
                    b.parse().ok()?
                },
            ),
            None => {
                let n = part.parse().ok()?;
                (n, n)
            }
        };
        if a == 0 || a > b {
            return None;
        }
        ranges.push((a, b));
    }
    Some(ranges)
}

fn cut(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let opts = match getopt(
        "cut",
        args,
        "sn",
        "dfcb",
        &[
            ("delimiter", 'd'),
            ("fields", 'f'),
            ("characters", 'c'),
            ("bytes", 'b'),
            ("only-delimited", 's'),
        ],
    ) {
        Ok(o) => o,
        Err(e) => {
            return {
                sh.errln(io, &e);
                1
            };
        }
    };
    let (list, by_field) = match (opts.value('f'), opts.value('c').or(opts.value('b'))) {
        (Some(f), _) => (f.to_string(), true),
        (None, Some(c)) => (c.to_string(), false),
        _ => {
            sh.errln(io, "cut: you must specify a list of bytes, characters, or fields\nTry 'cut --help' for more information.");
            return 1;
        }
    };
    let Some(ranges) = parse_list(&list) else {
        sh.errln(
            io,
            &format!("cut: invalid field value '{list}'\nTry 'cut --help' for more information."),
        );
        return 1;
    };
    let delim = opts.value('d').unwrap_or("\t").to_string();
    if by_field && delim.chars().count() != 1 {
        sh.errln(
            io,
            "cut: the delimiter must be a single character\nTry 'cut --help' for more information.",
        );
        return 1;
    }
    let files = if opts.operands.is_empty() {
        vec!["-".to_string()]
    } else {
        opts.operands.clone()
    };
    let selected = |i: usize| ranges.iter().any(|(a, b)| *a <= i && i <= *b);
    let mut out = String::new();
    let mut status = 0;
    for f in files {
        let data = match sh.read_input(io, &f) {
            Ok(d) => d,
            Err(e) => {
                sh.errln(io, &format!("cut: {f}: {}", e.message()));
                status = 1;
                continue;
            }
        };
        for line in lines_of(&data) {
            if by_field {
                if !line.contains(delim.as_str()) {
                    if !opts.has('s') {
                        let _ = writeln!(out, "{line}");
                    }
                    continue;
                }
                let parts: Vec<&str> = line
                    .split(delim.as_str())
                    .enumerate()
                    .filter(|(i, _)| selected(i + 1))
                    .map(|(_, p)| p)
                    .collect();
                let _ = writeln!(out, "{}", parts.join(&delim));
            } else {
                let s: String = line
                    .chars()
                    .enumerate()
                    .filter(|(i, _)| selected(i + 1))
                    .map(|(_, c)| c)
                    .collect();
                let _ = writeln!(out, "{s}");
            }
        }
    }
    sh.out(io, out);
    status
}

/// Expand a tr set: ranges, escapes, classes.
fn tr_set(spec: &str) -> Vec<char> {
    let (text, _) = super::commands::unescape_c(spec);
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '[' && chars.get(i + 1) == Some(&':') {
            let rest: String = chars[i..].iter().collect();
            type Class = (&'static str, fn(char) -> bool);
            let classes: [Class; 8] = [
                ("[:upper:]", |c| c.is_ascii_uppercase()),
                ("[:lower:]", |c| c.is_ascii_lowercase()),
                ("[:digit:]", |c| c.is_ascii_digit()),
                ("[:alpha:]", |c| c.is_ascii_alphabetic()),
                ("[:alnum:]", |c| c.is_ascii_alphanumeric()),
                ("[:space:]", |c| c.is_ascii_whitespace()),
                ("[:blank:]", |c| c == ' ' || c == '\t'),
                ("[:punct:]", |c| c.is_ascii_punctuation()),
            ];
            if let Some((name, f)) = classes.iter().find(|(n, _)| rest.starts_with(n)) {
                out.extend((0u8..128).map(char::from).filter(|c| f(*c)));
                i += name.len();
                continue;
            }
        }
        if i + 2 < chars.len() && chars[i + 1] == '-' && chars[i] <= chars[i + 2] {
            let (a, b) = (u32::from(chars[i]), u32::from(chars[i + 2]));
            out.extend((a..=b.min(a + 0x10000)).filter_map(char::from_u32));
            i += 3;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

fn tr(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let opts = match getopt(
        "tr",
        args,
        "dscC",
        "",
        &[
            ("delete", 'd'),
            ("squeeze-repeats", 's'),
            ("complement", 'c'),
        ],
    ) {
        Ok(o) => o,
        Err(e) => {
            return {
                sh.errln(io, &e);
                1
            };
        }
    };
    let Some(set1) = opts.operands.first() else {
        sh.errln(
            io,
            "tr: missing operand\nTry 'tr --help' for more information.",
        );
        return 1;
    };
    let set1 = tr_set(set1);
    let set2 = opts.operands.get(1).map(|s| tr_set(s)).unwrap_or_default();
    let complement = opts.has('c') || opts.has('C');
    let in1 = |c: char| set1.contains(&c) != complement;
    if !opts.has('d') && !opts.has('s') && set2.is_empty() {
        sh.errln(
            io,
            &format!(
                "tr: missing operand after '{}'\nTry 'tr --help' for more information.",
                opts.operands[0]
            ),
        );
        return 1;
    }
    let input = String::from_utf8_lossy(&io.stdin.read_all()).into_owned();
    let mut out = String::new();
    let mut last: Option<char> = None;
    for c in input.chars() {
        if opts.has('d') && in1(c) {
            continue;
        }
        let mapped = if !opts.has('d') && !set2.is_empty() && in1(c) {
            let pos = set1
                .iter()
                .position(|x| *x == c)
                .unwrap_or(set1.len().saturating_sub(1));
            set2.get(pos).or(set2.last()).copied().unwrap_or(c)
        } else {
            c
        };
        let squeeze_set = if opts.has('d') || !set2.is_empty() {
            &set2
        } else {
            &set1
        };
        if opts.has('s') && last == Some(mapped) && squeeze_set.contains(&mapped) {
            continue;
        }
        out.push(mapped);
        last = Some(mapped);
    }
    sh.out(io, out);
    0
}

fn read_all_inputs(sh: &mut Shell, cmd: &str, operands: &[String], io: &Io) -> (Vec<String>, u32) {
    let files = if operands.is_empty() {
        vec!["-".to_string()]
    } else {
        operands.to_vec()
    };
    let mut lines = Vec::new();
    let mut status = 0;
    for f in files {
        match sh.read_input(io, &f) {
            Ok(d) => lines.extend(lines_of(&d)),
            Err(e) => {
                sh.errln(io, &format!("{cmd}: {f}: {}", e.message()));
                status = 2;
            }
        }
    }
    (lines, status)
}

fn sort(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let opts = match getopt(
        "sort",
        args,
        "runfbV",
        "kto",
        &[("reverse", 'r'), ("unique", 'u'), ("numeric-sort", 'n')],
    ) {
        Ok(o) => o,
        Err(e) => {
            return {
                sh.errln(io, &e);
                2
            };
        }
    };
    let (mut lines, status) = read_all_inputs(sh, "sort", &opts.operands, io);
    if opts.has('n') {
        let key = |s: &str| -> f64 {
            let t: String = s
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '-' || *c == '.')
                .collect();
            t.parse().unwrap_or(0.0)
        };
        lines.sort_by(|a, b| {
            key(a)
                .partial_cmp(&key(b))
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.cmp(b))
        });
    } else if opts.has('f') {
        lines.sort_by_key(|a| a.to_lowercase());
    } else {
        lines.sort();
    }
    if opts.has('r') {
        lines.reverse();
    }
    if opts.has('u') {
        lines.dedup();
    }
    let out: String = lines.iter().map(|l| format!("{l}\n")).collect();
    sh.out(io, out);
    status
}

fn uniq(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let opts = match getopt(
        "uniq",
        args,
        "cdui",
        "",
        &[("count", 'c'), ("repeated", 'd'), ("unique", 'u')],
    ) {
        Ok(o) => o,
        Err(e) => {
            return {
                sh.errln(io, &e);
                1
            };
        }
    };
    let (lines, status) =
        read_all_inputs(sh, "uniq", &opts.operands[..opts.operands.len().min(1)], io);
    let mut groups: Vec<(String, usize)> = Vec::new();
    for l in lines {
        match groups.last_mut() {
            Some((last, n)) if *last == l => *n += 1,
            _ => groups.push((l, 1)),
        }
    }
    let mut out = String::new();
    for (l, n) in groups {
        if (opts.has('d') && n < 2) || (opts.has('u') && n > 1) {
            continue;
        }
        if opts.has('c') {
            let _ = writeln!(out, "{n:7} {l}");
        } else {
            let _ = writeln!(out, "{l}");
        }
    }
    sh.out(io, out);
    status
}

fn head_tail(sh: &mut Shell, cmd: &str, args: &[String], io: &Io) -> u32 {
    // `-5` is `-n 5`; `-n +3` (tail) starts at line 3.
    let mut count: Option<String> = None;
    let mut bytes: Option<String> = None;
    let mut quiet = false;
    let mut files = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "-n" || a == "--lines" {
            count = args.get(i + 1).cloned();
            i += 2;
            continue;
        }
        if a == "-c" || a == "--bytes" {
            bytes = args.get(i + 1).cloned();
            i += 2;
            continue;
        }
        if let Some(v) = a.strip_prefix("--lines=") {
            count = Some(v.into());
        } else if let Some(v) = a.strip_prefix("-n").filter(|v| !v.is_empty()) {
            count = Some(v.into());
        } else if let Some(v) = a.strip_prefix("-c").filter(|v| !v.is_empty()) {
            bytes = Some(v.into());
        } else if a == "-q" || a == "-s" {
            quiet = true;
        } else if a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| c.is_ascii_digit()) {
            count = Some(a[1..].into());
        } else if a == "-f" || a == "-F" {
            // Following is not modelled: the content so far is shown.
        } else if a.starts_with('-') && a != "-" {
            sh.errln(
                io,
                &format!(
                    "{cmd}: invalid option -- '{}'\nTry '{cmd} --help' for more information.",
                    a.trim_start_matches('-')
                ),
            );
            return 1;
        } else {
            files.push(a.clone());
        }
        i += 1;
    }
    let spec = bytes.clone().or(count).unwrap_or_else(|| "10".into());
    let from_start = spec.starts_with('+');
    let negative = spec.starts_with('-');
    let Ok(n) = spec.trim_start_matches(['+', '-']).parse::<usize>() else {
        let what = if bytes.is_some() { "bytes" } else { "lines" };
        sh.errln(io, &format!("{cmd}: invalid number of {what}: '{spec}'"));
        return 1;
    };
    if files.is_empty() {
        files.push("-".into());
    }
    let multiple = files.len() > 1 && !quiet;
    let mut status = 0;
    let mut out: Vec<u8> = Vec::new();
    for (fi, f) in files.iter().enumerate() {
        let data = match sh.read_input(io, f) {
            Ok(d) => d,
            Err(e) => {
                sh.errln(
                    io,
                    &format!("{cmd}: cannot open '{f}' for reading: {}", e.message()),
                );
                status = 1;
                continue;
            }
        };
        if multiple {
            if fi > 0 {
                out.push(b'\n');
            }
            let name = if f == "-" { "standard input" } else { f };
            out.extend_from_slice(format!("==> {name} <==\n").as_bytes());
        }
        if bytes.is_some() {
            let len = data.len();
            let slice = match (cmd, from_start, negative) {
                ("head", _, true) => &data[..len.saturating_sub(n)],
                ("head", _, false) => &data[..n.min(len)],
                (_, true, _) => &data[n.saturating_sub(1).min(len)..],
                _ => &data[len.saturating_sub(n)..],
            };
            out.extend_from_slice(slice);
            continue;
        }
        let pieces: Vec<&[u8]> = data.split_inclusive(|b| *b == b'\n').collect();
        let len = pieces.len();
        let selected: &[&[u8]] = match (cmd, from_start, negative) {
            ("head", _, true) => &pieces[..len.saturating_sub(n)],
            ("head", _, false) => &pieces[..n.min(len)],
            (_, true, _) => &pieces[n.saturating_sub(1).min(len)..],
            _ => &pieces[len.saturating_sub(n)..],
        };
        for p in selected {
            out.extend_from_slice(p);
        }
    }
    sh.out(io, out);
    status
}

fn wc(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let opts = match getopt(
        "wc",
        args,
        "lwcmL",
        "",
        &[
            ("lines", 'l'),
            ("words", 'w'),
            ("bytes", 'c'),
            ("chars", 'm'),
        ],
    ) {
        Ok(o) => o,
        Err(e) => {
            return {
                sh.errln(io, &e);
                1
            };
        }
    };
    let mut which: Vec<char> = ['l', 'w', 'm', 'c']
        .into_iter()
        .filter(|c| opts.has(*c))
        .collect();
    if which.is_empty() {
        which = vec!['l', 'w', 'c'];
    }
    let files = if opts.operands.is_empty() {
        vec!["-".to_string()]
    } else {
        opts.operands.clone()
    };
    let mut rows: Vec<(Vec<usize>, Option<String>)> = Vec::new();
    let mut totals = vec![0usize; which.len()];
    let mut status = 0;
    for f in &files {
        let data = match sh.read_input(io, f) {
            Ok(d) => d,
            Err(e) => {
                sh.errln(io, &format!("wc: {f}: {}", e.message()));
                status = 1;
                continue;
            }
        };
        let text = String::from_utf8_lossy(&data);
        let counts: Vec<usize> = which
            .iter()
            .map(|c| match c {
                'l' => data.iter().filter(|b| **b == b'\n').count(),
                'w' => text.split_whitespace().count(),
                'm' => text.chars().count(),
                _ => data.len(),
            })
            .collect();
        for (t, c) in totals.iter_mut().zip(&counts) {
            *t += c;
        }
        rows.push((counts, (f != "-").then(|| f.clone())));
    }
    if files.len() > 1 {
        rows.push((totals, Some("total".into())));
    }
    let stdin_only = opts.operands.is_empty();
    let width = if which.len() == 1 && rows.len() == 1 {
        1
    } else if stdin_only {
        7
    } else {
        rows.iter()
            .flat_map(|(c, _)| c.iter())
            .map(|n| n.to_string().len())
            .max()
            .unwrap_or(1)
    };
    let mut out = String::new();
    for (counts, name) in rows {
        let cols: Vec<String> = counts.iter().map(|n| format!("{n:>width$}")).collect();
        match name {
            Some(n) => {
                let _ = writeln!(out, "{} {n}", cols.join(" "));
            }
            None => {
                let _ = writeln!(out, "{}", cols.join(" "));
            }
        }
    }
    sh.out(io, out);
    status
}

fn cmp(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let opts = match getopt(
        "cmp",
        args,
        "slb",
        "in",
        &[("silent", 's'), ("quiet", 's'), ("verbose", 'l')],
    ) {
        Ok(o) => o,
        Err(e) => {
            return {
                sh.errln(io, &e);
                2
            };
        }
    };
    let a = opts.operands.first().cloned();
    let b = opts.operands.get(1).cloned().unwrap_or_else(|| "-".into());
    let Some(a) = a else {
        sh.errln(
            io,
            "cmp: missing operand after 'cmp'\ncmp: Try 'cmp --help' for more information.",
        );
        return 2;
    };
    let read = |sh: &mut Shell, f: &str| match sh.read_input(io, f) {
        Ok(d) => Ok(d),
        Err(e) => {
            sh.errln(io, &format!("cmp: {f}: {}", e.message()));
            Err(())
        }
    };
    let (Ok(da), Ok(db)) = (read(sh, &a), read(sh, &b)) else {
        return 2;
    };
    let silent = opts.has('s');
    let common = da.len().min(db.len());
    if let Some(i) = (0..common).find(|&i| da[i] != db[i]) {
        if !silent {
            let line = da[..i].iter().filter(|c| **c == b'\n').count() + 1;
            sh.out(io, format!("{a} {b} differ: byte {}, line {line}\n", i + 1));
        }
        return 1;
    }
    if da.len() != db.len() {
        if !silent {
            let (short, data) = if da.len() < db.len() {
                (&a, &da)
            } else {
                (&b, &db)
            };
            if data.is_empty() {
                sh.errln(io, &format!("cmp: EOF on {short} which is empty"));
            } else {
                let lines = data.iter().filter(|c| **c == b'\n').count();
                let line_info = if data.last() == Some(&b'\n') {
                    format!("line {lines}")
                } else {
                    format!("in line {}", lines + 1)
                };
                sh.errln(
                    io,
                    &format!("cmp: EOF on {short} after byte {}, {line_info}", data.len()),
                );
            }
        }
        return 1;
    }
    0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    Same(usize, usize),
    Del(usize),
    Ins(usize),
}

/// The edit script between two line lists (LCS; whole replacement beyond a size cap).
fn edit_script(a: &[String], b: &[String]) -> Vec<Edit> {
    let (n, m) = (a.len(), b.len());
    if n.saturating_mul(m) > 4_000_000 {
        let mut e: Vec<Edit> = (0..n).map(Edit::Del).collect();
        e.extend((0..m).map(Edit::Ins));
        return e;
    }
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push(Edit::Same(i, j));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(Edit::Del(i));
            i += 1;
        } else {
            out.push(Edit::Ins(j));
            j += 1;
        }
    }
    out
}

fn range(start: usize, count: usize) -> String {
    match count {
        0 => format!("{},0", start.saturating_sub(1)),
        1 => start.to_string(),
        _ => format!("{start},{count}"),
    }
}

fn unified(a: &[String], b: &[String], script: &[Edit], na: &str, nb: &str) -> String {
    let mut out = format!("--- {na}\n+++ {nb}\n");
    let changes: Vec<usize> = script
        .iter()
        .enumerate()
        .filter(|(_, e)| !matches!(e, Edit::Same(..)))
        .map(|(i, _)| i)
        .collect();
    let mut k = 0;
    while k < changes.len() {
        let start = changes[k].saturating_sub(3);
        let mut end = (changes[k] + 4).min(script.len());
        while k + 1 < changes.len() && changes[k + 1] < end + 3 {
            k += 1;
            end = (changes[k] + 4).min(script.len());
        }
        k += 1;
        let hunk = &script[start..end];
        let a_start = script[..start]
            .iter()
            .filter(|e| !matches!(e, Edit::Ins(_)))
            .count()
            + 1;
        let b_start = script[..start]
            .iter()
            .filter(|e| !matches!(e, Edit::Del(_)))
            .count()
            + 1;
        let a_count = hunk.iter().filter(|e| !matches!(e, Edit::Ins(_))).count();
        let b_count = hunk.iter().filter(|e| !matches!(e, Edit::Del(_))).count();
        let _ = writeln!(
            out,
            "@@ -{} +{} @@",
            range(a_start, a_count),
            range(b_start, b_count)
        );
        for e in hunk {
            match e {
                Edit::Same(i, _) => {
                    let _ = writeln!(out, " {}", a[*i]);
                }
                Edit::Del(i) => {
                    let _ = writeln!(out, "-{}", a[*i]);
                }
                Edit::Ins(j) => {
                    let _ = writeln!(out, "+{}", b[*j]);
                }
            }
        }
    }
    out
}

fn normal(a: &[String], b: &[String], script: &[Edit]) -> String {
    let mut out = String::new();
    let (mut ai, mut bi) = (0usize, 0usize);
    let mut k = 0;
    let span = |s: usize, e: usize| {
        if e > s + 1 {
            format!("{},{}", s + 1, e)
        } else {
            format!("{}", s + 1)
        }
    };
    while k < script.len() {
        match script[k] {
            Edit::Same(..) => {
                ai += 1;
                bi += 1;
                k += 1;
            }
            _ => {
                let (a0, b0) = (ai, bi);
                while k < script.len() && !matches!(script[k], Edit::Same(..)) {
                    match script[k] {
                        Edit::Del(_) => ai += 1,
                        _ => bi += 1,
                    }
                    k += 1;
                }
                let header = match (ai > a0, bi > b0) {
                    (true, true) => format!("{}c{}", span(a0, ai), span(b0, bi)),
                    (true, false) => format!("{}d{}", span(a0, ai), b0),
                    _ => format!("{}a{}", a0, span(b0, bi)),
                };
                let _ = writeln!(out, "{header}");
                for line in &a[a0..ai] {
                    let _ = writeln!(out, "< {line}");
                }
                if ai > a0 && bi > b0 {
                    out.push_str("---\n");
                }
                for line in &b[b0..bi] {
                    let _ = writeln!(out, "> {line}");
                }
            }
        }
    }
    out
}

fn diff(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let opts = match getopt(
        "diff",
        args,
        "uqNabBwiEsr",
        "UC",
        &[("unified", 'u'), ("brief", 'q'), ("new-file", 'N')],
    ) {
        Ok(o) => o,
        Err(e) => {
            return {
                sh.errln(io, &e);
                2
            };
        }
    };
    if opts.operands.len() != 2 {
        let msg = match opts.operands.len() {
            0 => "diff: missing operand after 'diff'".to_string(),
            1 => format!("diff: missing operand after '{}'", opts.operands[0]),
            _ => format!("diff: extra operand '{}'", opts.operands[2]),
        };
        sh.errln(
            io,
            &format!("{msg}\ndiff: Try 'diff --help' for more information."),
        );
        return 2;
    }
    let (na, nb) = (&opts.operands[0], &opts.operands[1]);
    let read = |sh: &mut Shell, f: &str| match sh.read_input(io, f) {
        Ok(d) => Ok(d),
        Err(FsError::NotFound) if opts.has('N') => Ok(Vec::new()),
        Err(e) => {
            sh.errln(io, &format!("diff: {f}: {}", e.message()));
            Err(())
        }
    };
    let (Ok(da), Ok(db)) = (read(sh, na), read(sh, nb)) else {
        return 2;
    };
    if da == db {
        return 0;
    }
    if opts.has('q') {
        sh.out(io, format!("Files {na} and {nb} differ\n"));
        return 1;
    }
    let (la, lb) = (lines_of(&da), lines_of(&db));
    let script = edit_script(&la, &lb);
    let text = if opts.has('u') || opts.has('U') {
        unified(&la, &lb, &script, na, nb)
    } else {
        normal(&la, &lb, &script)
    };
    sh.out(io, text);
    1
}

/// Evaluate a bash arithmetic expression (variables already substituted where written
/// as `$x`; bare names are looked up). Wrapping 64-bit arithmetic, as bash's.
pub(crate) fn eval_arith(expr: &str, lookup: &mut dyn FnMut(&str) -> i64) -> Result<i64, String> {
    #[derive(Debug, Clone, PartialEq)]
    enum T {
        Num(i64),
        Op(&'static str),
    }
    let chars: Vec<char> = expr.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    let ops: [&'static str; 22] = [
        "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+", "-", "*", "/", "%", "(", ")", "<",
        ">", "!", "~", "&", "|", "^",
    ];
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let v = if let Some(h) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
                i64::from_str_radix(h, 16)
            } else if text.len() > 1 && text.starts_with('0') {
                i64::from_str_radix(&text[1..], 8)
            } else {
                text.parse()
            }
            .map_err(|_| format!("{expr}: value too great for base (error token is \"{text}\")"))?;
            toks.push(T::Num(v));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let name: String = chars[start..i].iter().collect();
            toks.push(T::Num(lookup(&name)));
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            match ops.iter().find(|op| rest.starts_with(**op)) {
                Some(op) => {
                    toks.push(T::Op(op));
                    i += op.len();
                }
                None => {
                    return Err(format!(
                        "{expr}: syntax error: invalid arithmetic operator (error token is \"{}\")",
                        chars[i..].iter().collect::<String>()
                    ));
                }
            }
        }
    }
    fn prec(op: &str) -> Option<u8> {
        Some(match op {
            "||" => 1,
            "&&" => 2,
            "|" => 3,
            "^" => 4,
            "&" => 5,
            "==" | "!=" => 6,
            "<" | ">" | "<=" | ">=" => 7,
            "<<" | ">>" => 8,
            "+" | "-" => 9,
            "*" | "/" | "%" => 10,
            _ => return None,
        })
    }
    struct P<'t> {
        toks: &'t [T],
        pos: usize,
        expr: &'t str,
    }
    impl P<'_> {
        fn err(&self) -> String {
            format!("{}: syntax error: operand expected", self.expr)
        }
        fn unary(&mut self, depth: usize) -> Result<i64, String> {
            if depth > 128 {
                return Err(format!(
                    "{}: expression recursion level exceeded",
                    self.expr
                ));
            }
            match self.toks.get(self.pos).cloned() {
                Some(T::Num(n)) => {
                    self.pos += 1;
                    Ok(n)
                }
                Some(T::Op("(")) => {
                    self.pos += 1;
                    let v = self.binary(0, depth + 1)?;
                    if self.toks.get(self.pos) != Some(&T::Op(")")) {
                        return Err(format!("{}: missing `)'", self.expr));
                    }
                    self.pos += 1;
                    Ok(v)
                }
                Some(T::Op("-")) => {
                    self.pos += 1;
                    Ok(self.unary(depth + 1)?.wrapping_neg())
                }
                Some(T::Op("+")) => {
                    self.pos += 1;
                    self.unary(depth + 1)
                }
                Some(T::Op("!")) => {
                    self.pos += 1;
                    Ok(i64::from(self.unary(depth + 1)? == 0))
                }
                Some(T::Op("~")) => {
                    self.pos += 1;
                    Ok(!self.unary(depth + 1)?)
                }
                _ => Err(self.err()),
            }
        }
        fn binary(&mut self, min: u8, depth: usize) -> Result<i64, String> {
            let mut lhs = self.unary(depth)?;
            while let Some(T::Op(op)) = self.toks.get(self.pos).cloned() {
                let Some(p) = prec(op) else { break };
                if p < min {
                    break;
                }
                self.pos += 1;
                let rhs = self.binary(p + 1, depth + 1)?;
                lhs = match op {
                    "||" => i64::from(lhs != 0 || rhs != 0),
                    "&&" => i64::from(lhs != 0 && rhs != 0),
                    "|" => lhs | rhs,
                    "^" => lhs ^ rhs,
                    "&" => lhs & rhs,
                    "==" => i64::from(lhs == rhs),
                    "!=" => i64::from(lhs != rhs),
                    "<" => i64::from(lhs < rhs),
                    ">" => i64::from(lhs > rhs),
                    "<=" => i64::from(lhs <= rhs),
                    ">=" => i64::from(lhs >= rhs),
                    "<<" => lhs.wrapping_shl((rhs & 63) as u32),
                    ">>" => lhs.wrapping_shr((rhs & 63) as u32),
                    "+" => lhs.wrapping_add(rhs),
                    "-" => lhs.wrapping_sub(rhs),
                    "*" => lhs.wrapping_mul(rhs),
                    "/" | "%" => {
                        if rhs == 0 {
                            return Err(format!(
                                "{}: division by 0 (error token is \"{rhs}\")",
                                self.expr
                            ));
                        }
                        if op == "/" {
                            lhs.wrapping_div(rhs)
                        } else {
                            lhs.wrapping_rem(rhs)
                        }
                    }
                    _ => lhs,
                };
            }
            Ok(lhs)
        }
    }
    if toks.is_empty() {
        return Ok(0);
    }
    let mut p = P {
        toks: &toks,
        pos: 0,
        expr,
    };
    let v = p.binary(0, 0)?;
    if p.pos < toks.len() {
        return Err(format!("{expr}: syntax error in expression"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bre_translation() {
        for (bre, text, want) in [
            ("^ssid=", "ssid=Guest", true),
            ("a\\(b\\)*c", "abbc", true),
            ("a(b)", "a(b)", true),
            ("x\\{2\\}", "xx", true),
            ("1+1", "1+1", true),
            ("[[:digit:]]\\+", "42", true),
            ("*star", "*star", true),
            ("[a\\]", "\\", true),
        ] {
            let re = build_regex(&posix_to_rust(bre, false), false).unwrap();
            assert_eq!(re.is_match(text), want, "{bre} {text}");
        }
    }

    #[test]
    fn arithmetic() {
        let mut vars = |n: &str| if n == "x" { 5 } else { 0 };
        for (e, want) in [
            ("1+2*3", 7),
            ("(1+2)*3", 9),
            ("x*2", 10),
            ("-x", -5),
            ("7%3", 1),
            ("1<2 && 2<3", 1),
            ("0x10", 16),
            ("010", 8),
        ] {
            assert_eq!(eval_arith(e, &mut vars), Ok(want), "{e}");
        }
        assert!(eval_arith("1/0", &mut vars).is_err());
        assert!(eval_arith("1+", &mut vars).is_err());
        assert_eq!(eval_arith("9223372036854775807+1", &mut vars), Ok(i64::MIN));
    }

    #[test]
    fn diffs() {
        let a: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let b: Vec<String> = ["a", "x", "c", "d"].iter().map(|s| s.to_string()).collect();
        let s = edit_script(&a, &b);
        assert_eq!(normal(&a, &b, &s), "2c2\n< b\n---\n> x\n3a4\n> d\n");
        assert_eq!(
            unified(&a, &b, &s, "old", "new"),
            "--- old\n+++ new\n@@ -1,3 +1,4 @@\n a\n-b\n+x\n c\n+d\n"
        );
    }
}
