//! The shell runtime: runs parsed programs against a [`LinuxState`] — expansion (parameters,
//! command/arithmetic/process substitution, field splitting, globbing), redirections,
//! pipelines between builtins, `&&`/`||`/`;`, compound commands, `set -e`/`-u`/`pipefail`,
//! and the shell's own builtins. Every command is a builtin working on the in-memory disk;
//! nothing runs on the host. A command budget and a nesting limit bound any input.

use super::fs::{FsError, Node, normalize};
use super::state::LinuxState;
use super::syntax::{
    self, AndOr, Command, Compound, List, ParamOp, Part, Pipeline, Program, Redir, RedirOp, Word,
};
use super::{commands, system, text};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Commands one exec or one interactive line may run (loops included): enough for any
/// real provisioning script, small enough that `while :; do :; done` ends at once.
pub(crate) const COMMAND_BUDGET: u32 = 20_000;
/// Nested shells (`sh -c`, `eval`, scripts, substitutions) allowed at once.
const MAX_NESTING: u32 = 24;
/// Largest output kept per stream; the rest is dropped.
const MAX_OUTPUT: usize = 8 << 20;
/// Largest single expansion result (a variable doubled in a loop stops here).
const MAX_WORD: usize = 1 << 20;

/// The status the twin returns when it stops a runaway command line.
pub(crate) const ABORT_STATUS: u32 = 124;

/// The shell's variables and options: what `export`, `cd`, `set` change. Kept by an
/// interactive session between lines; fresh for every exec channel.
#[derive(Debug, Clone)]
pub(crate) struct Env {
    pub vars: BTreeMap<String, String>,
    pub cwd: String,
    pub status: u32,
    pub errexit: bool,
    pub nounset: bool,
    pub pipefail: bool,
    pub xtrace: bool,
    pub umask: u32,
    pub positional: Vec<String>,
    pub arg0: String,
    /// The effective user (`sudo` makes it root for one command).
    pub user: String,
    /// The login user (uid 1000 when not root).
    pub login_user: String,
    pub exit_trap: Option<String>,
    pub pid: u32,
}

impl Env {
    /// A login environment for `user`.
    pub fn new(user: &str, hostname: &str, pid: u32) -> Env {
        let user = if user.is_empty() { "root" } else { user };
        let home = home_of(user);
        let mut vars = BTreeMap::new();
        for (k, v) in [
            ("HOME", home.as_str()),
            ("USER", user),
            ("LOGNAME", user),
            (
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ),
            ("HOSTNAME", hostname),
            ("SHELL", "/bin/bash"),
            ("PWD", home.as_str()),
            ("LANG", "C.UTF-8"),
        ] {
            vars.insert(k.to_string(), v.to_string());
        }
        Env {
            vars,
            cwd: home,
            status: 0,
            errexit: false,
            nounset: false,
            pipefail: false,
            xtrace: false,
            umask: 0o022,
            positional: Vec::new(),
            arg0: "bash".into(),
            user: user.to_string(),
            login_user: user.to_string(),
            exit_trap: None,
            pid,
        }
    }

    /// `$HOME`.
    pub fn home(&self) -> String {
        self.vars
            .get("HOME")
            .cloned()
            .unwrap_or_else(|| home_of(&self.login_user))
    }
}

/// A user's home directory.
pub(crate) fn home_of(user: &str) -> String {
    if user == "root" {
        "/root".into()
    } else {
        format!("/home/{user}")
    }
}

/// Where a stream goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sink {
    /// One of the shell's buffers (stdout, stderr, a pipe, a substitution).
    Buf(usize),
    /// A file on the twin's disk (appended to as the command writes).
    File(String),
    /// `/dev/null`.
    Null,
}

/// A command's standard input: shared position, so `read` and `cat` in one loop body
/// consume one stream, as with a real file descriptor.
#[derive(Debug, Clone)]
pub(crate) struct Input {
    data: Rc<Vec<u8>>,
    pos: Rc<Cell<usize>>,
}

impl Input {
    pub fn new(data: Vec<u8>) -> Input {
        Input {
            data: Rc::new(data),
            pos: Rc::new(Cell::new(0)),
        }
    }

    pub fn empty() -> Input {
        Input::new(Vec::new())
    }

    /// Everything not yet read.
    pub fn read_all(&self) -> Vec<u8> {
        let start = self.pos.get().min(self.data.len());
        self.pos.set(self.data.len());
        self.data[start..].to_vec()
    }

    /// The next line (without its newline), `None` at end of input. The flag is true
    /// when the line ended with a newline.
    pub fn read_line(&self) -> Option<(Vec<u8>, bool)> {
        let start = self.pos.get();
        if start >= self.data.len() {
            return None;
        }
        let rest = &self.data[start..];
        match rest.iter().position(|&b| b == b'\n') {
            Some(i) => {
                self.pos.set(start + i + 1);
                Some((rest[..i].to_vec(), true))
            }
            None => {
                self.pos.set(self.data.len());
                Some((rest.to_vec(), false))
            }
        }
    }
}

/// A command's three standard streams.
#[derive(Debug, Clone)]
pub(crate) struct Io {
    pub stdin: Input,
    pub out: Sink,
    pub err: Sink,
}

/// Non-local control flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Flow {
    /// `exit N` (or `set -e` on a failure).
    Exit(u32),
    Break(u32),
    Continue(u32),
    /// The twin stops the whole command line (budget or nesting exhausted).
    Abort(String),
}

/// The result of running something: a status or a control-flow event.
pub(crate) type Run = Result<u32, Flow>;

/// An expansion failure: a message (`x: unbound variable`) or a control-flow event.
pub(crate) enum ExpandError {
    Msg(String),
    Flow(Flow),
}

impl From<Flow> for ExpandError {
    fn from(flow: Flow) -> Self {
        ExpandError::Flow(flow)
    }
}

/// One field being built during expansion.
#[derive(Default, Clone)]
struct Field {
    text: String,
    /// The same text as a glob pattern (quoted characters escaped).
    pattern: String,
    glob: bool,
}

impl Field {
    fn push_unquoted(&mut self, s: &str) {
        self.text.push_str(s);
        self.pattern.push_str(s);
        if s.contains(['*', '?', '[']) {
            self.glob = true;
        }
    }

    fn push_quoted(&mut self, s: &str) {
        self.text.push_str(s);
        self.pattern.push_str(&escape_glob(s));
    }
}

/// Escape glob metacharacters so a pattern matches the text literally.
pub(crate) fn escape_glob(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Field splitting and globbing (command words).
    Split,
    /// One string (assignments, redirection targets, here-documents).
    Single,
    /// One string where unquoted glob characters keep their meaning (case, `${x%pat}`).
    Pattern,
}

/// Everything one command line's execution needs.
pub(crate) struct Shell<'a> {
    pub st: &'a mut LinuxState,
    pub env: Env,
    pub bufs: Vec<Vec<u8>>,
    budget: u32,
    depth: u32,
    cond: u32,
    proc_files: BTreeMap<String, Vec<u8>>,
    proc_created: Vec<String>,
    next_proc_fd: u32,
    subst_status: Option<u32>,
    /// `reboot` was asked for: the session reloads the device after answering.
    pub reboot: bool,
    pub interactive: bool,
}

/// Shell builtins (as `type` reports them).
pub(crate) const BUILTINS: &[&str] = &[
    ":", ".", "[", "break", "cd", "command", "continue", "declare", "echo", "eval", "exec", "exit",
    "export", "false", "local", "printf", "pwd", "read", "readonly", "return", "set", "shift",
    "source", "test", "trap", "true", "type", "typeset", "umask", "unset", "wait",
];

impl<'a> Shell<'a> {
    /// A shell over `st` with `env`; buffers 0 and 1 are the top-level stdout and stderr.
    pub fn new(st: &'a mut LinuxState, env: Env, interactive: bool) -> Shell<'a> {
        Shell {
            st,
            env,
            bufs: vec![Vec::new(), Vec::new()],
            budget: COMMAND_BUDGET,
            depth: 0,
            cond: 0,
            proc_files: BTreeMap::new(),
            proc_created: Vec::new(),
            next_proc_fd: 63,
            subst_status: None,
            reboot: false,
            interactive,
        }
    }

    /// Top-level streams: stdout to buffer 0, stderr to buffer 1 (or 0 when merged).
    pub fn top_io(merged: bool) -> Io {
        Io {
            stdin: Input::empty(),
            out: Sink::Buf(0),
            err: Sink::Buf(if merged { 0 } else { 1 }),
        }
    }

    /// Run a parsed program. Returns the status and whether the shell exited (`exit`,
    /// `set -e`, an abort).
    pub fn run_program(&mut self, program: &Program, io: &Io) -> (u32, bool) {
        for warning in &program.warnings {
            self.errln(io, &format!("bash: {warning}"));
        }
        if program.list.is_empty() {
            // An empty line or a comment leaves `$?` alone.
            return (self.env.status, false);
        }
        match self.run_list(&program.list, io) {
            Ok(status) => {
                self.env.status = status;
                (status, false)
            }
            Err(Flow::Exit(n)) => {
                self.env.status = n;
                (n, true)
            }
            Err(Flow::Break(_) | Flow::Continue(_)) => (self.env.status, false),
            Err(Flow::Abort(msg)) => {
                self.errln(io, &format!("bash: {msg}"));
                self.env.status = ABORT_STATUS;
                // An interactive session survives a stopped command line.
                (ABORT_STATUS, !self.interactive)
            }
        }
    }

    /// Run the EXIT trap, if one is set (at the end of an exec, or at `exit`).
    pub fn run_exit_trap(&mut self, io: &Io) {
        if let Some(trap) = self.env.exit_trap.take() {
            let status = self.env.status;
            if let Ok(program) = syntax::parse(&trap, true) {
                let _ = self.run_list(&program.list, io);
            }
            self.env.status = status;
        }
    }

    // ---- output helpers -------------------------------------------------------------

    pub fn write(&mut self, sink: &Sink, data: &[u8]) {
        match sink {
            Sink::Buf(i) => {
                if let Some(buf) = self.bufs.get_mut(*i) {
                    let room = MAX_OUTPUT.saturating_sub(buf.len());
                    buf.extend_from_slice(&data[..data.len().min(room)]);
                }
            }
            Sink::File(path) => {
                let mode = self.create_mode();
                let _ = self.st.fs.write(path, data, true, mode);
            }
            Sink::Null => {}
        }
    }

    /// Write to a command's stdout.
    pub fn out(&mut self, io: &Io, data: impl AsRef<[u8]>) {
        self.write(&io.out, data.as_ref());
    }

    /// Write a line to a command's stderr.
    pub fn errln(&mut self, io: &Io, text: &str) {
        let mut line = text.to_string();
        if !line.ends_with('\n') {
            line.push('\n');
        }
        self.write(&io.err, line.as_bytes());
    }

    /// Write raw text to stderr.
    pub fn err(&mut self, io: &Io, text: &str) {
        self.write(&io.err, text.as_bytes());
    }

    fn new_buf(&mut self) -> usize {
        self.bufs.push(Vec::new());
        self.bufs.len() - 1
    }

    fn take_buf(&mut self, idx: usize) -> Vec<u8> {
        self.bufs
            .get_mut(idx)
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Mode of a newly created file (`0666 & ~umask`).
    pub fn create_mode(&self) -> u32 {
        0o666 & !self.env.umask
    }

    /// An absolute path for an argument.
    pub fn abs(&self, path: &str) -> String {
        normalize(&self.env.cwd, path)
    }

    /// Read a file argument: `-` and `/dev/stdin` are stdin, `/dev/null` is empty,
    /// `/dev/fd/N` a process substitution.
    pub fn read_input(&mut self, io: &Io, name: &str) -> Result<Vec<u8>, FsError> {
        match name {
            "-" | "/dev/stdin" | "/dev/fd/0" | "/proc/self/fd/0" => Ok(io.stdin.read_all()),
            "/dev/null" => Ok(Vec::new()),
            _ => {
                if let Some(data) = self.proc_files.get(name) {
                    return Ok(data.clone());
                }
                let path = self.abs(name);
                if path == "/dev/null" {
                    return Ok(Vec::new());
                }
                self.st.fs.read(&path).map(<[u8]>::to_vec)
            }
        }
    }

    /// Write a whole file argument (or a device), creating it with the umask.
    pub fn write_path(
        &mut self,
        io: &Io,
        name: &str,
        data: &[u8],
        append: bool,
    ) -> Result<(), FsError> {
        match name {
            "/dev/null" => Ok(()),
            "/dev/stdout" | "/dev/fd/1" => {
                self.out(io, data);
                Ok(())
            }
            "/dev/stderr" | "/dev/fd/2" => {
                self.write(&io.err, data);
                Ok(())
            }
            _ => {
                let path = self.abs(name);
                let mode = self.create_mode();
                self.st.fs.write(&path, data, append, mode)
            }
        }
    }

    /// True for a path the shell treats as existing device node.
    pub fn is_device(&self, name: &str) -> bool {
        matches!(
            self.abs(name).as_str(),
            "/dev/null"
                | "/dev/stdin"
                | "/dev/stdout"
                | "/dev/stderr"
                | "/dev/zero"
                | "/dev/urandom"
        ) || self.proc_files.contains_key(name)
    }

    // ---- running ----------------------------------------------------------------------

    fn tick(&mut self) -> Result<(), Flow> {
        if self.budget == 0 {
            return Err(Flow::Abort(format!(
                "netparc twin: command budget exhausted ({COMMAND_BUDGET} commands); stopped"
            )));
        }
        self.budget -= 1;
        Ok(())
    }

    pub fn run_list(&mut self, list: &List, io: &Io) -> Run {
        let mut status = 0;
        for and_or in list {
            status = self.run_and_or(and_or, io)?;
        }
        Ok(status)
    }

    fn in_cond<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        self.cond += 1;
        let r = f(self);
        self.cond -= 1;
        r
    }

    fn run_and_or(&mut self, and_or: &AndOr, io: &Io) -> Run {
        let has_rest = !and_or.rest.is_empty();
        let mut status = if has_rest {
            self.in_cond(|sh| sh.run_pipeline(&and_or.first, io))?
        } else {
            self.run_pipeline(&and_or.first, io)?
        };
        let count = and_or.rest.len();
        for (i, (and, pipeline)) in and_or.rest.iter().enumerate() {
            if (status == 0) == *and {
                status = if i + 1 < count {
                    self.in_cond(|sh| sh.run_pipeline(pipeline, io))?
                } else {
                    self.run_pipeline(pipeline, io)?
                };
            }
        }
        Ok(status)
    }

    /// Run `f` as a subshell: variable and directory changes do not outlive it, `exit`
    /// ends only it.
    pub fn subshell(&mut self, f: impl FnOnce(&mut Self) -> Run) -> Run {
        let saved = self.env.clone();
        self.depth += 1;
        let r = if self.depth > MAX_NESTING {
            Err(Flow::Abort(
                "netparc twin: nesting limit reached; stopped".into(),
            ))
        } else {
            f(self)
        };
        self.depth -= 1;
        self.env = saved;
        match r {
            Ok(s) | Err(Flow::Exit(s)) => Ok(s),
            Err(Flow::Break(_) | Flow::Continue(_)) => Ok(0),
            Err(abort @ Flow::Abort(_)) => Err(abort),
        }
    }

    fn run_pipeline(&mut self, pipeline: &Pipeline, io: &Io) -> Run {
        let body = |sh: &mut Self| -> Run {
            if pipeline.commands.len() == 1 {
                let (cmd, _) = &pipeline.commands[0];
                return sh.run_command(cmd, io);
            }
            let mut input = io.stdin.clone();
            let mut statuses = Vec::new();
            let count = pipeline.commands.len();
            for (i, (cmd, with_err)) in pipeline.commands.iter().enumerate() {
                let last = i + 1 == count;
                let buf = (!last).then(|| sh.new_buf());
                let out = buf.map_or_else(|| io.out.clone(), Sink::Buf);
                let err = if *with_err && !last {
                    out.clone()
                } else {
                    io.err.clone()
                };
                let cio = Io {
                    stdin: input.clone(),
                    out,
                    err,
                };
                statuses.push(sh.subshell(|s| s.run_command(cmd, &cio))?);
                if let Some(idx) = buf {
                    input = Input::new(sh.take_buf(idx));
                }
            }
            let last = statuses.last().copied().unwrap_or(0);
            Ok(if sh.env.pipefail {
                statuses
                    .iter()
                    .rev()
                    .find(|s| **s != 0)
                    .copied()
                    .unwrap_or(0)
            } else {
                last
            })
        };
        let status = if pipeline.negate {
            let s = self.in_cond(body)?;
            u32::from(s == 0)
        } else {
            body(self)?
        };
        self.env.status = status;
        if status != 0 && !pipeline.negate && self.cond == 0 && self.env.errexit {
            return Err(Flow::Exit(status));
        }
        Ok(status)
    }

    fn run_command(&mut self, cmd: &Command, io: &Io) -> Run {
        let mark = self.proc_created.len();
        let result = match cmd {
            Command::Simple {
                assigns,
                words,
                redirs,
            } => self.run_simple(assigns, words, redirs, io),
            Command::Compound { body, redirs } => match self.redirect(redirs, io) {
                Ok(Ok(cio)) => self.run_compound(body, &cio),
                Ok(Err(msg)) => {
                    self.errln(io, &msg);
                    Ok(1)
                }
                Err(e) => self.expansion_failed(e, io),
            },
            Command::Test { words, redirs } => match self.redirect(redirs, io) {
                Ok(Ok(cio)) => self.run_double_bracket(words, &cio),
                Ok(Err(msg)) => {
                    self.errln(io, &msg);
                    Ok(1)
                }
                Err(e) => self.expansion_failed(e, io),
            },
        };
        for path in self.proc_created.drain(mark..).collect::<Vec<_>>() {
            self.proc_files.remove(&path);
        }
        result
    }

    fn expansion_failed(&mut self, e: ExpandError, io: &Io) -> Run {
        match e {
            ExpandError::Flow(flow) => Err(flow),
            ExpandError::Msg(msg) => {
                self.errln(io, &format!("bash: {msg}"));
                self.env.status = 1;
                if self.interactive {
                    Ok(1)
                } else {
                    // A non-interactive shell exits on an expansion error, as bash does.
                    Err(Flow::Exit(1))
                }
            }
        }
    }

    fn run_compound(&mut self, body: &Compound, io: &Io) -> Run {
        match body {
            Compound::Group(list) => self.run_list(list, io),
            Compound::Subshell(list) => self.subshell(|sh| sh.run_list(list, io)),
            Compound::If { arms, otherwise } => {
                for (cond, then) in arms {
                    if self.in_cond(|sh| sh.run_list(cond, io))? == 0 {
                        return self.run_list(then, io);
                    }
                }
                match otherwise {
                    Some(list) => self.run_list(list, io),
                    None => Ok(0),
                }
            }
            Compound::For { var, items, body } => {
                let values = match items {
                    Some(words) => match self.expand_words(words, io) {
                        Ok(v) => v,
                        Err(e) => return self.expansion_failed(e, io),
                    },
                    None => self.env.positional.clone(),
                };
                let mut status = 0;
                for value in values {
                    self.tick()?;
                    self.env.vars.insert(var.clone(), value);
                    match self.run_list(body, io) {
                        Ok(s) => status = s,
                        Err(Flow::Break(n)) => {
                            if n > 1 {
                                return Err(Flow::Break(n - 1));
                            }
                            break;
                        }
                        Err(Flow::Continue(n)) => {
                            if n > 1 {
                                return Err(Flow::Continue(n - 1));
                            }
                        }
                        Err(other) => return Err(other),
                    }
                }
                Ok(status)
            }
            Compound::While { until, cond, body } => {
                let mut status = 0;
                loop {
                    self.tick()?;
                    let c = self.in_cond(|sh| sh.run_list(cond, io))?;
                    if (c == 0) == *until {
                        break;
                    }
                    match self.run_list(body, io) {
                        Ok(s) => status = s,
                        Err(Flow::Break(n)) => {
                            if n > 1 {
                                return Err(Flow::Break(n - 1));
                            }
                            break;
                        }
                        Err(Flow::Continue(n)) => {
                            if n > 1 {
                                return Err(Flow::Continue(n - 1));
                            }
                        }
                        Err(other) => return Err(other),
                    }
                }
                Ok(status)
            }
            Compound::Case { word, arms } => {
                let subject = match self.expand_single(word, io) {
                    Ok(s) => s,
                    Err(e) => return self.expansion_failed(e, io),
                };
                for (patterns, list) in arms {
                    for pattern in patterns {
                        let p = match self.expand_pattern(pattern, io) {
                            Ok(p) => p,
                            Err(e) => return self.expansion_failed(e, io),
                        };
                        if glob_match(&p, &subject) {
                            return self.run_list(list, io);
                        }
                    }
                }
                Ok(0)
            }
        }
    }

    fn run_double_bracket(&mut self, words: &[Word], io: &Io) -> Run {
        self.tick()?;
        let mut args = Vec::new();
        let mut patterns = Vec::new();
        for w in words {
            match self.expand_single(w, io) {
                Ok(s) => args.push(s),
                Err(e) => return self.expansion_failed(e, io),
            }
            match self.expand_pattern(w, io) {
                Ok(p) => patterns.push(p),
                Err(e) => return self.expansion_failed(e, io),
            }
        }
        match commands::double_bracket(self, &args, &patterns) {
            Ok(b) => Ok(u32::from(!b)),
            Err(msg) => {
                self.errln(io, &format!("bash: {msg}"));
                Ok(2)
            }
        }
    }

    fn run_simple(
        &mut self,
        assigns: &[(String, Word)],
        words: &[Word],
        redirs: &[Redir],
        io: &Io,
    ) -> Run {
        self.tick()?;
        self.subst_status = None;
        let argv = match self.expand_words(words, io) {
            Ok(v) => v,
            Err(e) => return self.expansion_failed(e, io),
        };
        let mut values = Vec::new();
        for (name, word) in assigns {
            match self.expand_single(word, io) {
                Ok(v) => values.push((name.clone(), v)),
                Err(e) => return self.expansion_failed(e, io),
            }
        }
        let cio = match self.redirect(redirs, io) {
            Ok(Ok(cio)) => cio,
            Ok(Err(msg)) => {
                self.errln(io, &msg);
                return Ok(1);
            }
            Err(e) => return self.expansion_failed(e, io),
        };
        if argv.is_empty() {
            for (name, value) in values {
                self.set_var(&name, value);
            }
            return Ok(self.subst_status.unwrap_or(0));
        }
        let saved: Vec<(String, Option<String>)> = values
            .iter()
            .map(|(n, _)| (n.clone(), self.env.vars.get(n).cloned()))
            .collect();
        for (name, value) in values {
            self.set_var(&name, value);
        }
        if self.env.xtrace {
            self.errln(io, &format!("+ {}", argv.join(" ")));
        }
        let result = self.dispatch(&argv, &cio);
        for (name, old) in saved {
            match old {
                Some(v) => {
                    self.env.vars.insert(name, v);
                }
                None => {
                    self.env.vars.remove(&name);
                }
            }
        }
        result
    }

    pub fn set_var(&mut self, name: &str, mut value: String) {
        if value.len() > MAX_WORD {
            value.truncate(floor_char_boundary(&value, MAX_WORD));
        }
        if name == "PWD" {
            self.env.cwd = normalize("/", &value);
        }
        self.env.vars.insert(name.to_string(), value);
    }

    /// Apply redirections. Outer `Err` is an expansion failure; inner `Err` a message
    /// (`bash: /x/y: No such file or directory`) that fails the command with status 1.
    fn redirect(&mut self, redirs: &[Redir], io: &Io) -> Result<Result<Io, String>, ExpandError> {
        let mut cio = io.clone();
        for r in redirs {
            let default_fd = match r.op {
                RedirOp::In
                | RedirOp::DupIn
                | RedirOp::HereDoc
                | RedirOp::HereString
                | RedirOp::ReadWrite => 0,
                _ => 1,
            };
            let fd = r.fd.unwrap_or(default_fd);
            match r.op {
                RedirOp::HereDoc => {
                    let body = r
                        .heredoc
                        .as_ref()
                        .map(|d| d.borrow().body.clone())
                        .unwrap_or_default();
                    let text = self.expand_single(&body, io)?;
                    if fd == 0 {
                        cio.stdin = Input::new(text.into_bytes());
                    }
                }
                RedirOp::HereString => {
                    let mut text = self.expand_single(&r.target, io)?;
                    text.push('\n');
                    if fd == 0 {
                        cio.stdin = Input::new(text.into_bytes());
                    }
                }
                RedirOp::In | RedirOp::ReadWrite => {
                    let target = self.expand_single(&r.target, io)?;
                    if target.is_empty() {
                        return Ok(Err("bash: : No such file or directory".into()));
                    }
                    let data = if r.op == RedirOp::ReadWrite
                        && self.st.fs.get(&self.abs(&target)).is_none()
                    {
                        let mode = self.create_mode();
                        let path = self.abs(&target);
                        if let Err(e) = self.st.fs.write(&path, b"", false, mode) {
                            return Ok(Err(format!("bash: {target}: {}", e.message())));
                        }
                        Vec::new()
                    } else {
                        match self.read_input(io, &target) {
                            Ok(d) => d,
                            Err(e) => return Ok(Err(format!("bash: {target}: {}", e.message()))),
                        }
                    };
                    if fd == 0 {
                        cio.stdin = Input::new(data);
                    }
                }
                RedirOp::Out | RedirOp::Append | RedirOp::OutErr | RedirOp::AppendErr => {
                    let target = self.expand_single(&r.target, io)?;
                    let append = matches!(r.op, RedirOp::Append | RedirOp::AppendErr);
                    let sink = match self.open_sink(&target, append, &cio) {
                        Ok(s) => s,
                        Err(msg) => return Ok(Err(msg)),
                    };
                    if matches!(r.op, RedirOp::OutErr | RedirOp::AppendErr) {
                        cio.out = sink.clone();
                        cio.err = sink;
                    } else {
                        set_fd(&mut cio, fd, sink);
                    }
                }
                RedirOp::DupOut | RedirOp::DupIn => {
                    let target = self.expand_single(&r.target, io)?;
                    let sink = match target.as_str() {
                        "1" => cio.out.clone(),
                        "2" => cio.err.clone(),
                        "-" => Sink::Null,
                        "0" if r.op == RedirOp::DupIn => continue,
                        t if r.op == RedirOp::DupOut
                            && r.fd.is_none()
                            && !t.chars().all(|c| c.is_ascii_digit()) =>
                        {
                            // `>&file` is `&>file`.
                            match self.open_sink(t, false, &cio) {
                                Ok(s) => {
                                    cio.out = s.clone();
                                    cio.err = s;
                                    continue;
                                }
                                Err(msg) => return Ok(Err(msg)),
                            }
                        }
                        t if t.chars().all(|c| c.is_ascii_digit()) && t.len() < 3 && t != "0" => {
                            // Other descriptors are not modelled: writes there are dropped.
                            Sink::Null
                        }
                        t => return Ok(Err(format!("bash: {t}: Bad file descriptor"))),
                    };
                    set_fd(&mut cio, fd, sink);
                }
            }
        }
        Ok(Ok(cio))
    }

    fn open_sink(&mut self, target: &str, append: bool, io: &Io) -> Result<Sink, String> {
        match target {
            "" => return Err("bash: : No such file or directory".into()),
            "/dev/null" => return Ok(Sink::Null),
            "/dev/stdout" | "/dev/fd/1" => return Ok(io.out.clone()),
            "/dev/stderr" | "/dev/fd/2" => return Ok(io.err.clone()),
            _ => {}
        }
        let path = self.abs(target);
        if path == "/dev/null" {
            return Ok(Sink::Null);
        }
        let mode = self.create_mode();
        self.st
            .fs
            .write(&path, b"", append, mode)
            .map_err(|e| format!("bash: {target}: {}", e.message()))?;
        Ok(Sink::File(path))
    }

    // ---- expansion --------------------------------------------------------------------

    /// Expand command words: splitting and globbing.
    pub fn expand_words(&mut self, words: &[Word], io: &Io) -> Result<Vec<String>, ExpandError> {
        let mut out = Vec::new();
        for word in words {
            for field in self.expand(word, Mode::Split, io)? {
                if field.glob {
                    let matches = self.glob(&field.pattern);
                    if !matches.is_empty() {
                        out.extend(matches);
                        continue;
                    }
                }
                out.push(field.text);
            }
        }
        Ok(out)
    }

    /// Expand to one string, no splitting or globbing.
    pub fn expand_single(&mut self, word: &Word, io: &Io) -> Result<String, ExpandError> {
        Ok(self
            .expand(word, Mode::Single, io)?
            .into_iter()
            .map(|f| f.text)
            .collect::<Vec<_>>()
            .join(" "))
    }

    /// Expand to a glob pattern.
    fn expand_pattern(&mut self, word: &Word, io: &Io) -> Result<String, ExpandError> {
        Ok(self
            .expand(word, Mode::Pattern, io)?
            .into_iter()
            .map(|f| f.pattern)
            .collect::<Vec<_>>()
            .join(" "))
    }

    fn expand(&mut self, word: &Word, mode: Mode, io: &Io) -> Result<Vec<Field>, ExpandError> {
        let mut fields = Vec::new();
        let mut cur = Field::default();
        let mut started = false;
        for part in word {
            match part {
                Part::Lit(s) => {
                    if mode == Mode::Single {
                        cur.push_quoted(s);
                    } else {
                        cur.push_unquoted(s);
                    }
                    started = true;
                }
                Part::Quoted(s) => {
                    cur.push_quoted(s);
                    started = true;
                }
                Part::Tilde(user) => {
                    let home = if user.is_empty() {
                        self.env.home()
                    } else if user == "root" || user == &self.env.login_user {
                        home_of(user)
                    } else {
                        format!("~{user}")
                    };
                    cur.push_quoted(&home);
                    started = true;
                }
                Part::Param { name, op, quoted } => {
                    if *quoted && name == "@" && matches!(op, ParamOp::Plain) && mode == Mode::Split
                    {
                        let params = self.env.positional.clone();
                        for (i, p) in params.iter().enumerate() {
                            if i > 0 {
                                fields.push(std::mem::take(&mut cur));
                            }
                            cur.push_quoted(p);
                            started = true;
                        }
                        continue;
                    }
                    let value = self.param(name, op, io)?;
                    self.push_value(&mut fields, &mut cur, &mut started, &value, *quoted, mode);
                }
                Part::Subst { list, quoted } => {
                    let value = self.command_subst(list, io)?;
                    self.push_value(&mut fields, &mut cur, &mut started, &value, *quoted, mode);
                }
                Part::Arith { expr, quoted } => {
                    let value = self.arith(expr)?.to_string();
                    self.push_value(&mut fields, &mut cur, &mut started, &value, *quoted, mode);
                }
                Part::ProcIn(list) => {
                    let path = self.proc_subst(list, io)?;
                    cur.push_quoted(&path);
                    started = true;
                }
            }
            if cur.text.len() > MAX_WORD {
                return Err(ExpandError::Msg("netparc twin: word too long".into()));
            }
        }
        if started {
            fields.push(cur);
        }
        Ok(fields)
    }

    fn push_value(
        &self,
        fields: &mut Vec<Field>,
        cur: &mut Field,
        started: &mut bool,
        value: &str,
        quoted: bool,
        mode: Mode,
    ) {
        if quoted || mode == Mode::Single {
            cur.push_quoted(value);
            *started = true;
            return;
        }
        if mode == Mode::Pattern {
            cur.push_unquoted(value);
            *started = true;
            return;
        }
        let ifs = self
            .env
            .vars
            .get("IFS")
            .cloned()
            .unwrap_or_else(|| " \t\n".into());
        for c in value.chars() {
            if ifs.contains(c) {
                if *started {
                    fields.push(std::mem::take(cur));
                    *started = false;
                }
            } else {
                let mut b = [0u8; 4];
                cur.push_unquoted(c.encode_utf8(&mut b));
                *started = true;
            }
        }
    }

    fn param_value(&mut self, name: &str) -> Option<String> {
        match name {
            "?" => Some(self.env.status.to_string()),
            "$" => Some(self.env.pid.to_string()),
            "#" => Some(self.env.positional.len().to_string()),
            "0" => Some(self.env.arg0.clone()),
            "@" | "*" => Some(self.env.positional.join(" ")),
            "!" => None,
            "-" => {
                let mut flags = String::from("hB");
                if self.env.errexit {
                    flags.push('e');
                }
                if self.env.nounset {
                    flags.push('u');
                }
                if self.env.xtrace {
                    flags.push('x');
                }
                Some(flags)
            }
            "RANDOM" => Some((self.st.next_seq().wrapping_mul(2_654_435_761) % 32768).to_string()),
            "UID" | "EUID" => Some(commands::uid_of(&self.env.user).to_string()),
            "PWD" => Some(self.env.cwd.clone()),
            n if n.chars().all(|c| c.is_ascii_digit()) => n
                .parse::<usize>()
                .ok()
                .and_then(|i| i.checked_sub(1))
                .and_then(|i| self.env.positional.get(i).cloned()),
            n => self.env.vars.get(n).cloned(),
        }
    }

    fn param(&mut self, name: &str, op: &ParamOp, io: &Io) -> Result<String, ExpandError> {
        if let ParamOp::Bad(text) = op {
            return Err(ExpandError::Msg(format!("{text}: bad substitution")));
        }
        let value = self.param_value(name);
        let set_nonempty = |colon: bool, v: &Option<String>| match v {
            None => false,
            Some(s) => !colon || !s.is_empty(),
        };
        let unbound = |v: &Option<String>| -> Result<(), ExpandError> {
            match v {
                None => Err(ExpandError::Msg(format!("{name}: unbound variable"))),
                Some(_) => Ok(()),
            }
        };
        match op {
            ParamOp::Plain => {
                if self.env.nounset && !matches!(name, "@" | "*") {
                    unbound(&value)?;
                }
                Ok(value.unwrap_or_default())
            }
            ParamOp::Length => {
                if self.env.nounset {
                    unbound(&value)?;
                }
                Ok(value.unwrap_or_default().chars().count().to_string())
            }
            ParamOp::Default { colon, word } => {
                if set_nonempty(*colon, &value) {
                    Ok(value.unwrap_or_default())
                } else {
                    self.expand_single(word, io)
                }
            }
            ParamOp::Assign { colon, word } => {
                if set_nonempty(*colon, &value) {
                    Ok(value.unwrap_or_default())
                } else {
                    let v = self.expand_single(word, io)?;
                    if name
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    {
                        self.set_var(name, v.clone());
                        Ok(v)
                    } else {
                        Err(ExpandError::Msg(format!(
                            "${name}: cannot assign in this way"
                        )))
                    }
                }
            }
            ParamOp::Alt { colon, word } => {
                if set_nonempty(*colon, &value) {
                    self.expand_single(word, io)
                } else {
                    Ok(String::new())
                }
            }
            ParamOp::Error { colon, word } => {
                if set_nonempty(*colon, &value) {
                    Ok(value.unwrap_or_default())
                } else {
                    let msg = self.expand_single(word, io)?;
                    let msg = if msg.is_empty() {
                        "parameter null or not set".to_string()
                    } else {
                        msg
                    };
                    Err(ExpandError::Msg(format!("{name}: {msg}")))
                }
            }
            ParamOp::TrimPrefix { longest, word } | ParamOp::TrimSuffix { longest, word } => {
                let v = value.unwrap_or_default();
                let pattern = self.expand_pattern(word, io)?;
                let prefix = matches!(op, ParamOp::TrimPrefix { .. });
                Ok(trim_pattern(&v, &pattern, prefix, *longest))
            }
            ParamOp::Bad(_) => Ok(String::new()),
        }
    }

    fn command_subst(&mut self, list: &List, io: &Io) -> Result<String, ExpandError> {
        self.tick()?;
        let idx = self.new_buf();
        let cio = Io {
            stdin: Input::empty(),
            out: Sink::Buf(idx),
            err: io.err.clone(),
        };
        let status = self.subshell(|sh| sh.run_list(list, &cio))?;
        self.subst_status = Some(status);
        self.env.status = status;
        let mut out = self.take_buf(idx);
        while out.last() == Some(&b'\n') {
            out.pop();
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    fn proc_subst(&mut self, list: &List, io: &Io) -> Result<String, ExpandError> {
        self.tick()?;
        let idx = self.new_buf();
        let cio = Io {
            stdin: Input::empty(),
            out: Sink::Buf(idx),
            err: io.err.clone(),
        };
        self.subshell(|sh| sh.run_list(list, &cio))?;
        let data = self.take_buf(idx);
        let path = format!("/dev/fd/{}", self.next_proc_fd);
        self.next_proc_fd = if self.next_proc_fd <= 10 {
            63
        } else {
            self.next_proc_fd - 1
        };
        self.proc_files.insert(path.clone(), data);
        self.proc_created.push(path.clone());
        Ok(path)
    }

    /// `$(( … ))`: integer arithmetic with bash's operators (wrapping, like bash).
    fn arith(&mut self, expr: &str) -> Result<i64, ExpandError> {
        let mut expanded = String::new();
        let chars: Vec<char> = expr.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == '$' {
                i += 1;
                let braced = chars.get(i) == Some(&'{');
                if braced {
                    i += 1;
                }
                let mut name = String::new();
                while let Some(&c) = chars.get(i) {
                    if c.is_ascii_alphanumeric()
                        || c == '_'
                        || (name.is_empty() && matches!(c, '?' | '#' | '$'))
                    {
                        name.push(c);
                        i += 1;
                        if matches!(c, '?' | '#' | '$') {
                            break;
                        }
                    } else {
                        break;
                    }
                }
                if braced && chars.get(i) == Some(&'}') {
                    i += 1;
                }
                expanded.push_str(&self.param_value(&name).unwrap_or_default());
            } else {
                expanded.push(chars[i]);
                i += 1;
            }
        }
        let vars = &self.env.vars;
        let mut lookup = |name: &str| -> i64 {
            vars.get(name)
                .and_then(|v| v.trim().parse::<i64>().ok())
                .unwrap_or(0)
        };
        text::eval_arith(&expanded, &mut lookup).map_err(ExpandError::Msg)
    }

    /// Paths matching a glob pattern, sorted; empty when none match.
    fn glob(&self, pattern: &str) -> Vec<String> {
        let absolute = pattern.starts_with('/');
        let comps: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
        let base = if absolute {
            "/".to_string()
        } else {
            self.env.cwd.clone()
        };
        let mut current: Vec<(String, String)> = vec![(base, String::new())];
        for (i, comp) in comps.iter().enumerate() {
            let last = i + 1 == comps.len();
            let mut next = Vec::new();
            for (abs, shown) in &current {
                let join = |dir: &str, name: &str| {
                    if dir == "/" {
                        format!("/{name}")
                    } else {
                        format!("{dir}/{name}")
                    }
                };
                let show = |name: &str| {
                    if shown.is_empty() {
                        if absolute {
                            format!("/{name}")
                        } else {
                            name.to_string()
                        }
                    } else {
                        format!("{shown}/{name}")
                    }
                };
                if comp.contains(['*', '?', '[']) {
                    for (name, node) in self.st.fs.children(abs) {
                        if name.starts_with('.') && !comp.starts_with('.') {
                            continue;
                        }
                        if !last && !node.is_dir() {
                            continue;
                        }
                        if glob_match(comp, name) {
                            next.push((join(abs, name), show(name)));
                        }
                    }
                } else {
                    let name = unescape_glob(comp);
                    let path = join(abs, &name);
                    if self.st.fs.get(&path).is_some() {
                        next.push((path, show(&name)));
                    }
                }
                if next.len() > 10_000 {
                    break;
                }
            }
            current = next;
        }
        let mut out: Vec<String> = current.into_iter().map(|(_, s)| s).collect();
        out.sort();
        out
    }

    // ---- dispatch ---------------------------------------------------------------------

    /// Run one command by name.
    pub fn dispatch(&mut self, argv: &[String], io: &Io) -> Run {
        let Some(name) = argv.first() else {
            return Ok(0);
        };
        let args = &argv[1..];
        let bare = strip_bin_dir(name);
        if let Some(status) = self.builtin(bare, argv, io)? {
            return Ok(status);
        }
        if let Some(status) = commands::run(self, bare, args, io)? {
            return Ok(status);
        }
        if let Some(status) = text::run(self, bare, args, io)? {
            return Ok(status);
        }
        if let Some(status) = system::run(self, bare, args, io)? {
            return Ok(status);
        }
        if name.contains('/') {
            return self.run_file(name, args, io);
        }
        if let Some(path) = self.find_in_path(name) {
            return self.run_file(&path, args, io);
        }
        self.errln(io, &format!("bash: {name}: command not found"));
        Ok(127)
    }

    /// A script on the twin's PATH (`/usr/local/bin/helper`), if one is installed.
    pub fn find_in_path(&self, name: &str) -> Option<String> {
        let path = self.env.vars.get("PATH")?;
        path.split(':').filter(|d| !d.is_empty()).find_map(|dir| {
            let p = normalize("/", &format!("{dir}/{name}"));
            match self.st.fs.get(&p) {
                Some(Node::File { mode, .. }) if mode & 0o111 != 0 => Some(p),
                _ => None,
            }
        })
    }

    /// Run an executable file of the twin's disk as a shell script.
    fn run_file(&mut self, name: &str, args: &[String], io: &Io) -> Run {
        let path = self.abs(name);
        let text = match self.st.fs.get(&path) {
            None => {
                self.errln(io, &format!("bash: {name}: No such file or directory"));
                return Ok(127);
            }
            Some(Node::Dir { .. }) => {
                self.errln(io, &format!("bash: {name}: Is a directory"));
                return Ok(126);
            }
            Some(Node::File { mode, .. }) if mode & 0o111 == 0 => {
                self.errln(io, &format!("bash: {name}: Permission denied"));
                return Ok(126);
            }
            Some(Node::File { data, .. }) => String::from_utf8_lossy(data).into_owned(),
        };
        self.run_source(&text, name, args, io, true)
    }

    /// Parse and run shell text (a script file, `sh -c`, `eval`, `source`). In a subshell
    /// unless `subshell` is false (eval, source).
    pub fn run_source(
        &mut self,
        text: &str,
        name: &str,
        args: &[String],
        io: &Io,
        subshell: bool,
    ) -> Run {
        let program = match syntax::parse(text, true) {
            Ok(p) => p,
            Err(
                syntax::ParseError::Syntax { message, line }
                | syntax::ParseError::Incomplete { message, line, .. },
            ) => {
                self.errln(io, &format!("{name}: line {line}: {message}"));
                return Ok(2);
            }
        };
        for warning in &program.warnings {
            self.errln(io, &format!("{name}: {warning}"));
        }
        if subshell {
            let name = name.to_string();
            let args = args.to_vec();
            self.subshell(move |sh| {
                sh.env.arg0 = name;
                sh.env.positional = args;
                sh.run_list(&program.list, io)
            })
        } else {
            self.depth += 1;
            let r = if self.depth > MAX_NESTING {
                Err(Flow::Abort(
                    "netparc twin: nesting limit reached; stopped".into(),
                ))
            } else {
                self.run_list(&program.list, io)
            };
            self.depth -= 1;
            r
        }
    }

    /// The shell's own builtins; `None` when `name` is not one.
    fn builtin(&mut self, name: &str, argv: &[String], io: &Io) -> Result<Option<u32>, Flow> {
        let args = &argv[1..];
        let status = match name {
            ":" | "true" => 0,
            "false" => 1,
            "echo" => {
                let text = commands::echo(args);
                self.out(io, text);
                0
            }
            "printf" => commands::printf(self, args, io),
            "test" => commands::test_cmd(self, "test", args, io),
            "[" => {
                if args.last().map(String::as_str) != Some("]") {
                    self.errln(io, "bash: [: missing `]'");
                    2
                } else {
                    commands::test_cmd(self, "[", &args[..args.len() - 1], io)
                }
            }
            "cd" => self.cd(args, io),
            "pwd" => {
                let cwd = self.env.cwd.clone();
                self.out(io, format!("{cwd}\n"));
                0
            }
            "export" | "readonly" | "declare" | "typeset" | "local" => {
                let mut status = 0;
                for arg in args.iter().filter(|a| !a.starts_with('-')) {
                    let (n, v) = match arg.split_once('=') {
                        Some((n, v)) => (n, Some(v)),
                        None => (arg.as_str(), None),
                    };
                    if n.is_empty()
                        || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                        || n.starts_with(|c: char| c.is_ascii_digit())
                    {
                        self.errln(
                            io,
                            &format!("bash: {name}: `{arg}': not a valid identifier"),
                        );
                        status = 1;
                        continue;
                    }
                    match v {
                        Some(v) => self.set_var(n, v.to_string()),
                        None => {
                            if !self.env.vars.contains_key(n) && name != "export" {
                                self.set_var(n, String::new());
                            }
                        }
                    }
                }
                if args.is_empty() && name == "export" {
                    let listing: String = self
                        .env
                        .vars
                        .iter()
                        .map(|(k, v)| format!("declare -x {k}=\"{v}\"\n"))
                        .collect();
                    self.out(io, listing);
                }
                status
            }
            "unset" => {
                for arg in args.iter().filter(|a| !a.starts_with('-')) {
                    self.env.vars.remove(arg);
                }
                0
            }
            "set" => self.set_builtin(args, io),
            "shift" => {
                let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(1);
                if n > self.env.positional.len() {
                    1
                } else {
                    self.env.positional.drain(..n);
                    0
                }
            }
            "read" => self.read_builtin(args, io),
            "break" | "continue" => {
                let n: u32 = args
                    .first()
                    .and_then(|a| a.parse().ok())
                    .unwrap_or(1)
                    .max(1);
                return Err(if name == "break" {
                    Flow::Break(n)
                } else {
                    Flow::Continue(n)
                });
            }
            "exit" | "logout" => {
                let status = match args.first() {
                    None => self.env.status,
                    Some(a) => match a.parse::<i64>() {
                        Ok(n) => (n.rem_euclid(256)) as u32,
                        Err(_) => {
                            self.errln(io, &format!("bash: exit: {a}: numeric argument required"));
                            2
                        }
                    },
                };
                return Err(Flow::Exit(status));
            }
            "return" => {
                self.errln(
                    io,
                    "bash: return: can only `return' from a function or sourced script",
                );
                1
            }
            "eval" => {
                let text = args.join(" ");
                return self.run_source(&text, "bash", &[], io, false).map(Some);
            }
            "source" | "." => {
                let Some(file) = args.first() else {
                    self.errln(io, &format!("bash: {name}: filename argument required"));
                    return Ok(Some(2));
                };
                let text = match self.read_input(io, file) {
                    Ok(d) => String::from_utf8_lossy(&d).into_owned(),
                    Err(e) => {
                        self.errln(io, &format!("bash: {file}: {}", e.message()));
                        return Ok(Some(1));
                    }
                };
                return self.run_source(&text, file, &[], io, false).map(Some);
            }
            "exec" => {
                if args.is_empty() {
                    0
                } else {
                    let status = self.dispatch(args, io)?;
                    return Err(Flow::Exit(status));
                }
            }
            "trap" => {
                if args.len() >= 2 && args[1..].iter().any(|s| s == "EXIT" || s == "0") {
                    self.env.exit_trap =
                        (!args[0].is_empty() && args[0] != "-").then(|| args[0].clone());
                }
                0
            }
            "umask" => {
                match args.iter().find(|a| !a.starts_with('-')) {
                    None => {
                        let m = self.env.umask;
                        self.out(io, format!("{m:04o}\n"));
                    }
                    Some(m) => match u32::from_str_radix(m, 8) {
                        Ok(v) if v <= 0o777 => self.env.umask = v,
                        _ => {
                            self.errln(io, &format!("bash: umask: {m}: octal number out of range"));
                            return Ok(Some(1));
                        }
                    },
                }
                0
            }
            "wait" | "sleep" | "hash" | "alias" | "unalias" | "shopt" | "history" | "clear" => 0,
            "command" => {
                if args.first().map(String::as_str) == Some("-v")
                    || args.first().map(String::as_str) == Some("-V")
                {
                    let mut status = 0;
                    for n in &args[1..] {
                        match self.locate(n) {
                            Some(loc) => self.out(io, format!("{loc}\n")),
                            None => status = 1,
                        }
                    }
                    status
                } else {
                    let rest: Vec<String> = args
                        .iter()
                        .skip_while(|a| a.starts_with('-'))
                        .cloned()
                        .collect();
                    return self.dispatch(&rest, io).map(Some);
                }
            }
            "type" | "which" => {
                let mut status = 0;
                for n in args.iter().filter(|a| !a.starts_with('-')) {
                    match self.locate(n) {
                        Some(loc) if name == "type" && !loc.starts_with('/') => {
                            self.out(io, format!("{n} is a shell builtin\n"))
                        }
                        Some(loc) if name == "type" => self.out(io, format!("{n} is {loc}\n")),
                        Some(loc) if loc.starts_with('/') => self.out(io, format!("{loc}\n")),
                        Some(_) => status = 1,
                        None => {
                            if name == "type" {
                                self.errln(io, &format!("bash: type: {n}: not found"));
                            }
                            status = 1;
                        }
                    }
                }
                status
            }
            "sudo" => return self.sudo(args, io).map(Some),
            "sh" | "bash" | "dash" => return self.sh(name, args, io).map(Some),
            "env" => {
                let mut i = 0;
                let mut vars = self.env.vars.clone();
                while i < args.len() && args[i].starts_with('-') {
                    match args[i].as_str() {
                        "-i" | "-" | "--ignore-environment" => vars.clear(),
                        "-u" | "--unset" => {
                            if let Some(n) = args.get(i + 1) {
                                vars.remove(n);
                            }
                            i += 1;
                        }
                        _ => {}
                    }
                    i += 1;
                }
                while let Some((k, v)) = args.get(i).and_then(|a| a.split_once('=')) {
                    vars.insert(k.to_string(), v.to_string());
                    i += 1;
                }
                let rest = &args[i.min(args.len())..];
                if rest.is_empty() {
                    let listing: String = vars.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
                    self.out(io, listing);
                    0
                } else {
                    let saved = std::mem::replace(&mut self.env.vars, vars);
                    let r = self.dispatch(rest, io);
                    self.env.vars = saved;
                    return r.map(Some);
                }
            }
            "printenv" => {
                if args.is_empty() {
                    let listing: String = self
                        .env
                        .vars
                        .iter()
                        .map(|(k, v)| format!("{k}={v}\n"))
                        .collect();
                    self.out(io, listing);
                    0
                } else {
                    let mut status = 0;
                    for a in args {
                        match self.env.vars.get(a).cloned() {
                            Some(v) => self.out(io, format!("{v}\n")),
                            None => status = 1,
                        }
                    }
                    status
                }
            }
            _ => return Ok(None),
        };
        Ok(Some(status))
    }

    /// Where a command comes from: `/usr/bin/wg`, a builtin's name, a script's path.
    pub fn locate(&self, name: &str) -> Option<String> {
        if BUILTINS.contains(&name) {
            return Some(name.to_string());
        }
        if let Some(dir) = commands::bin_dir(name) {
            return Some(format!("{dir}/{name}"));
        }
        if name.contains('/') {
            let p = self.abs(name);
            return matches!(self.st.fs.get(&p), Some(Node::File { mode, .. }) if mode & 0o111 != 0)
                .then(|| name.to_string());
        }
        self.find_in_path(name)
    }

    fn cd(&mut self, args: &[String], io: &Io) -> u32 {
        let target = match args
            .iter()
            .find(|a| !a.starts_with('-') || a.as_str() == "-")
        {
            None => self.env.home(),
            Some(t) if t == "-" => self
                .env
                .vars
                .get("OLDPWD")
                .cloned()
                .unwrap_or_else(|| self.env.cwd.clone()),
            Some(t) => t.clone(),
        };
        let path = self.abs(&target);
        match self.st.fs.get(&path) {
            Some(Node::Dir { .. }) => {
                let old = std::mem::replace(&mut self.env.cwd, path.clone());
                self.env.vars.insert("OLDPWD".into(), old);
                self.env.vars.insert("PWD".into(), path);
                0
            }
            Some(Node::File { .. }) => {
                self.errln(io, &format!("bash: cd: {target}: Not a directory"));
                1
            }
            None => {
                self.errln(
                    io,
                    &format!("bash: cd: {target}: No such file or directory"),
                );
                1
            }
        }
    }

    fn set_builtin(&mut self, args: &[String], io: &Io) -> u32 {
        let mut i = 0;
        while i < args.len() {
            let arg = &args[i];
            if arg == "--" {
                self.env.positional = args[i + 1..].to_vec();
                return 0;
            }
            let Some(first) = arg.chars().next().filter(|c| *c == '-' || *c == '+') else {
                self.env.positional = args[i..].to_vec();
                return 0;
            };
            let on = first == '-';
            let flags = &arg[1..];
            if flags == "o" {
                let Some(opt) = args.get(i + 1) else {
                    return 0;
                };
                match opt.as_str() {
                    "errexit" => self.env.errexit = on,
                    "nounset" => self.env.nounset = on,
                    "pipefail" => self.env.pipefail = on,
                    "xtrace" => self.env.xtrace = on,
                    "noclobber" | "noglob" | "posix" | "verbose" => {}
                    other => {
                        self.errln(io, &format!("bash: set: {other}: invalid option name"));
                        return 2;
                    }
                }
                i += 2;
                continue;
            }
            for c in flags.chars() {
                match c {
                    'e' => self.env.errexit = on,
                    'u' => self.env.nounset = on,
                    'x' => self.env.xtrace = on,
                    'o' => {}
                    'v' | 'f' | 'C' | 'h' | 'B' | 'H' | 'm' | 'b' | 'E' | 'T' => {}
                    other => {
                        self.errln(io, &format!("bash: set: -{other}: invalid option"));
                        return 2;
                    }
                }
            }
            i += 1;
        }
        0
    }

    fn read_builtin(&mut self, args: &[String], io: &Io) -> u32 {
        let mut raw = false;
        let mut names = Vec::new();
        let mut i = 0;
        while i < args.len() {
            match args[i].as_str() {
                "-r" => raw = true,
                "-p" | "-t" | "-n" | "-d" | "-u" => i += 1,
                "-s" | "-e" => {}
                a => names.push(a.to_string()),
            }
            i += 1;
        }
        if names.is_empty() {
            names.push("REPLY".into());
        }
        let Some((line, had_newline)) = io.stdin.read_line() else {
            for n in &names {
                self.set_var(n, String::new());
            }
            return 1;
        };
        let mut text = String::from_utf8_lossy(&line).into_owned();
        if !raw {
            text = text.replace('\\', "");
        }
        let mut words: Vec<&str> = text.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
        for (idx, n) in names.iter().enumerate() {
            let value = if idx + 1 == names.len() {
                let rest = words.join(" ");
                words.clear();
                rest
            } else if words.is_empty() {
                String::new()
            } else {
                words.remove(0).to_string()
            };
            self.set_var(n, value);
        }
        u32::from(!had_newline)
    }

    fn sudo(&mut self, args: &[String], io: &Io) -> Run {
        let mut i = 0;
        let mut user = "root".to_string();
        while i < args.len() && args[i].starts_with('-') {
            match args[i].as_str() {
                "-u" => {
                    user = args.get(i + 1).cloned().unwrap_or_else(|| "root".into());
                    i += 1;
                }
                "--" => {
                    i += 1;
                    break;
                }
                "-i" | "-s" if i + 1 == args.len() => {
                    // An interactive root shell is not modelled over a single line.
                    return Ok(0);
                }
                _ => {}
            }
            i += 1;
        }
        let rest = &args[i..];
        if rest.is_empty() {
            self.errln(io, "usage: sudo -h | -K | -k | -V\nusage: sudo [-AbEHknPS] [-C num] [-D directory] [-g group] [-h host] [-p prompt] [-R directory] [-T timeout] [-u user] [VAR=value] [-i | -s] [<command>]");
            return Ok(1);
        }
        let assigns: Vec<(String, String)> = rest
            .iter()
            .take_while(|a| a.contains('=') && !a.starts_with('='))
            .filter_map(|a| {
                a.split_once('=')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
            })
            .collect();
        let rest = &rest[assigns.len()..];
        let saved_user = std::mem::replace(&mut self.env.user, user);
        let saved_vars = self.env.vars.clone();
        for (k, v) in assigns {
            self.env.vars.insert(k, v);
        }
        let r = self.dispatch(rest, io);
        self.env.user = saved_user;
        self.env.vars = saved_vars;
        r
    }

    fn sh(&mut self, name: &str, args: &[String], io: &Io) -> Run {
        let mut i = 0;
        let mut command: Option<String> = None;
        let mut from_stdin = false;
        let mut opts: Vec<(char, bool)> = Vec::new();
        while i < args.len() {
            let a = &args[i];
            if a == "--" {
                i += 1;
                break;
            }
            if a == "-o" || a == "+o" {
                if let Some(o) = args.get(i + 1) {
                    let c = match o.as_str() {
                        "errexit" => 'e',
                        "nounset" => 'u',
                        "pipefail" => 'p',
                        "xtrace" => 'x',
                        _ => ' ',
                    };
                    opts.push((c, a == "-o"));
                }
                i += 2;
                continue;
            }
            if !(a.starts_with('-') || a.starts_with('+')) || a.len() < 2 {
                break;
            }
            for c in a[1..].chars() {
                match c {
                    'c' => {
                        i += 1;
                        let Some(text) = args.get(i) else {
                            self.errln(io, &format!("{name}: -c: option requires an argument"));
                            return Ok(2);
                        };
                        command = Some(text.clone());
                    }
                    's' => from_stdin = true,
                    'e' | 'u' | 'x' => opts.push((c, a.starts_with('-'))),
                    _ => {}
                }
            }
            i += 1;
            if command.is_some() {
                break;
            }
        }
        let apply = |sh: &mut Shell| {
            // A new bash does not inherit `set -e`/`-u`/`-x`/pipefail from its parent.
            sh.env.errexit = false;
            sh.env.nounset = false;
            sh.env.pipefail = false;
            sh.env.xtrace = false;
            for (c, on) in &opts {
                match c {
                    'e' => sh.env.errexit = *on,
                    'u' => sh.env.nounset = *on,
                    'p' => sh.env.pipefail = *on,
                    'x' => sh.env.xtrace = *on,
                    _ => {}
                }
            }
        };
        let (text, arg0, params) = if let Some(text) = command {
            let arg0 = args.get(i).cloned().unwrap_or_else(|| name.to_string());
            let params = args
                .get(i + 1..)
                .map(<[String]>::to_vec)
                .unwrap_or_default();
            (text, arg0, params)
        } else if !from_stdin && i < args.len() {
            let file = &args[i];
            match self.read_input(io, file) {
                Ok(d) => (
                    String::from_utf8_lossy(&d).into_owned(),
                    file.clone(),
                    args[i + 1..].to_vec(),
                ),
                Err(e) => {
                    self.errln(io, &format!("{name}: {file}: {}", e.message()));
                    return Ok(127);
                }
            }
        } else {
            let data = io.stdin.read_all();
            (
                String::from_utf8_lossy(&data).into_owned(),
                name.to_string(),
                args[i..].to_vec(),
            )
        };
        let program = match syntax::parse(&text, true) {
            Ok(p) => p,
            Err(
                syntax::ParseError::Syntax { message, line }
                | syntax::ParseError::Incomplete { message, line, .. },
            ) => {
                let label = if arg0 == name {
                    format!("{name}: -c")
                } else {
                    arg0.clone()
                };
                self.errln(io, &format!("{label}: line {line}: {message}"));
                return Ok(2);
            }
        };
        for warning in &program.warnings {
            self.errln(io, &format!("{name}: {warning}"));
        }
        let sub_io = Io {
            stdin: Input::empty(),
            out: io.out.clone(),
            err: io.err.clone(),
        };
        self.subshell(move |sh| {
            apply(sh);
            sh.env.arg0 = arg0;
            sh.env.positional = params;
            sh.env.exit_trap = None;
            let r = sh.run_list(&program.list, &sub_io);
            let status = match &r {
                Ok(s) | Err(Flow::Exit(s)) => Some(*s),
                _ => None,
            };
            if let Some(s) = status {
                sh.env.status = s;
            }
            sh.run_exit_trap(&sub_io);
            r
        })
    }
}

fn set_fd(io: &mut Io, fd: u32, sink: Sink) {
    match fd {
        1 => io.out = sink,
        2 => io.err = sink,
        _ => {}
    }
}

/// `/usr/bin/wg` → `wg` for the standard binary folders.
fn strip_bin_dir(name: &str) -> &str {
    for dir in [
        "/usr/local/sbin/",
        "/usr/local/bin/",
        "/usr/sbin/",
        "/usr/bin/",
        "/sbin/",
        "/bin/",
    ] {
        if let Some(rest) = name.strip_prefix(dir)
            && !rest.contains('/')
            && (commands::bin_dir(rest).is_some() || BUILTINS.contains(&rest))
        {
            return rest;
        }
    }
    name
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Remove an escaping backslash from a glob component.
fn unescape_glob(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

enum Tok {
    Star,
    Any,
    Class(Vec<(char, char)>, bool),
    Lit(char),
}

fn glob_tokens(pattern: &str) -> Vec<Tok> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' => toks.push(Tok::Star),
            '?' => toks.push(Tok::Any),
            '\\' if i + 1 < chars.len() => {
                i += 1;
                toks.push(Tok::Lit(chars[i]));
            }
            '[' => {
                let mut j = i + 1;
                let negate = matches!(chars.get(j), Some('!' | '^'));
                if negate {
                    j += 1;
                }
                let mut ranges = Vec::new();
                let mut first = true;
                let mut closed = false;
                while j < chars.len() {
                    let c = chars[j];
                    if c == ']' && !first {
                        closed = true;
                        break;
                    }
                    first = false;
                    if j + 2 < chars.len() && chars[j + 1] == '-' && chars[j + 2] != ']' {
                        ranges.push((c, chars[j + 2]));
                        j += 3;
                    } else {
                        ranges.push((c, c));
                        j += 1;
                    }
                }
                if closed {
                    toks.push(Tok::Class(ranges, negate));
                    i = j;
                } else {
                    toks.push(Tok::Lit('['));
                }
            }
            c => toks.push(Tok::Lit(c)),
        }
        i += 1;
    }
    toks
}

/// Shell pattern matching (`*`, `?`, `[…]`, backslash escapes) of a whole string.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let toks = glob_tokens(pattern);
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        let matched = match toks.get(p) {
            Some(Tok::Star) => {
                star = Some((p, t));
                p += 1;
                continue;
            }
            Some(Tok::Any) => true,
            Some(Tok::Lit(c)) => *c == text[t],
            Some(Tok::Class(ranges, negate)) => {
                ranges.iter().any(|(a, b)| *a <= text[t] && text[t] <= *b) != *negate
            }
            None => false,
        };
        if matched {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    toks[p.min(toks.len())..]
        .iter()
        .all(|t| matches!(t, Tok::Star))
}

/// `${v#pat}`, `${v##pat}`, `${v%pat}`, `${v%%pat}`.
fn trim_pattern(value: &str, pattern: &str, prefix: bool, longest: bool) -> String {
    let bounds: Vec<usize> = value
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(value.len()))
        .collect();
    if prefix {
        let order: Box<dyn Iterator<Item = &usize>> = if longest {
            Box::new(bounds.iter().rev())
        } else {
            Box::new(bounds.iter())
        };
        for &i in order {
            if glob_match(pattern, &value[..i]) {
                return value[i..].to_string();
            }
        }
    } else {
        let order: Box<dyn Iterator<Item = &usize>> = if longest {
            Box::new(bounds.iter())
        } else {
            Box::new(bounds.iter().rev())
        };
        for &i in order {
            if glob_match(pattern, &value[i..]) {
                return value[..i].to_string();
            }
        }
    }
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matching() {
        for (p, t, want) in [
            ("*.conf", "wg0.conf", true),
            ("*.conf", "wg0.conf.tmp", false),
            ("wg?", "wg0", true),
            ("[a-c]x", "bx", true),
            ("[!a-c]x", "bx", false),
            ("\\*", "*", true),
            ("\\*", "a", false),
            ("*a*b", "xxaxxb", true),
            ("", "", true),
            ("[", "[", true),
        ] {
            assert_eq!(glob_match(p, t), want, "{p} {t}");
        }
    }

    #[test]
    fn trimming() {
        assert_eq!(
            trim_pattern("/etc/wg0.conf.tmp", ".tmp", false, false),
            "/etc/wg0.conf"
        );
        assert_eq!(trim_pattern("a.b.c", ".*", false, true), "a");
        assert_eq!(trim_pattern("a.b.c", "*.", true, false), "b.c");
        assert_eq!(trim_pattern("a.b.c", "*.", true, true), "c");
    }
}
