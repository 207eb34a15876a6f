//! File and identity commands of the twin (GNU coreutils look-alikes): `cat`, `echo`,
//! `printf`, `test`, `mv`, `cp`, `rm`, `mkdir`, `chmod`, `ls`, `stat`, `sha256sum`,
//! `install`, `mktemp`, `date`, `id`… Their messages and exit codes follow the real tools
//! (C locale), because a provisioning driver decides on exactly those.

use super::crypto::{base64_decode, base64_encode, hex, sha256};
use super::fs::{FsError, Node, basename, parent};
use super::shell::{Flow, Io, Shell, Sink, glob_match};
use std::fmt::Write as _;

/// Where a command the twin provides lives (`which`, `command -v`), `None` if unknown.
pub(crate) fn bin_dir(name: &str) -> Option<&'static str> {
    const USR_BIN: &[&str] = &[
        "cat",
        "echo",
        "printf",
        "true",
        "false",
        "test",
        "[",
        "mv",
        "cp",
        "rm",
        "mkdir",
        "rmdir",
        "touch",
        "chmod",
        "chown",
        "chgrp",
        "ls",
        "stat",
        "sha256sum",
        "base64",
        "cmp",
        "diff",
        "grep",
        "head",
        "tail",
        "wc",
        "hostname",
        "uname",
        "id",
        "whoami",
        "sync",
        "sudo",
        "sh",
        "bash",
        "dash",
        "systemctl",
        "journalctl",
        "wg",
        "wg-quick",
        "hostnamectl",
        "tee",
        "install",
        "mktemp",
        "readlink",
        "realpath",
        "basename",
        "dirname",
        "env",
        "printenv",
        "sed",
        "awk",
        "cut",
        "tr",
        "sort",
        "uniq",
        "seq",
        "date",
        "logger",
        "sleep",
        "which",
        "ip",
    ];
    const USR_SBIN: &[&str] = &[
        "hostapd",
        "hostapd_cli",
        "reboot",
        "shutdown",
        "poweroff",
        "sysctl",
    ];
    if USR_BIN.contains(&name) {
        Some("/usr/bin")
    } else if USR_SBIN.contains(&name) {
        Some("/usr/sbin")
    } else {
        None
    }
}

/// The uid the twin gives a user (root 0, the login user 1000).
pub(crate) fn uid_of(user: &str) -> u32 {
    if user == "root" { 0 } else { 1000 }
}

/// Parsed command-line options.
pub(crate) struct Opts {
    pub flags: Vec<(char, Option<String>)>,
    pub operands: Vec<String>,
}

impl Opts {
    pub fn has(&self, c: char) -> bool {
        self.flags.iter().any(|(f, _)| *f == c)
    }

    pub fn value(&self, c: char) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(f, _)| *f == c)
            .and_then(|(_, v)| v.as_deref())
    }

    pub fn values(&self, c: char) -> Vec<String> {
        self.flags
            .iter()
            .filter(|(f, _)| *f == c)
            .filter_map(|(_, v)| v.clone())
            .collect()
    }
}

/// GNU-style option parsing: short flags (combinable), `known` lists the letters, letters
/// in `with_value` take an argument; long options map to letters; options may follow
/// operands; `--` ends them. The error is the tool's own two-line message.
pub(crate) fn getopt(
    cmd: &str,
    args: &[String],
    known: &str,
    with_value: &str,
    longs: &[(&str, char)],
) -> Result<Opts, String> {
    let mut flags = Vec::new();
    let mut operands = Vec::new();
    let mut i = 0;
    let help = format!("Try '{cmd} --help' for more information.");
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--" {
            operands.extend(args[i..].iter().cloned());
            break;
        }
        if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            match longs.iter().find(|(l, _)| *l == name) {
                Some((_, c)) => {
                    let value = if with_value.contains(*c) {
                        match inline {
                            Some(v) => Some(v),
                            None => {
                                let v = args.get(i).cloned();
                                if v.is_none() {
                                    return Err(format!(
                                        "{cmd}: option '--{name}' requires an argument\n{help}"
                                    ));
                                }
                                i += 1;
                                v
                            }
                        }
                    } else {
                        inline
                    };
                    flags.push((*c, value));
                }
                None => return Err(format!("{cmd}: unrecognized option '{arg}'\n{help}")),
            }
            continue;
        }
        if arg.len() > 1 && arg.starts_with('-') {
            let chars: Vec<char> = arg[1..].chars().collect();
            let mut j = 0;
            while j < chars.len() {
                let c = chars[j];
                if !known.contains(c) && !with_value.contains(c) {
                    return Err(format!("{cmd}: invalid option -- '{c}'\n{help}"));
                }
                if with_value.contains(c) {
                    let rest: String = chars[j + 1..].iter().collect();
                    let value = if !rest.is_empty() {
                        rest
                    } else if let Some(v) = args.get(i) {
                        i += 1;
                        v.clone()
                    } else {
                        return Err(format!(
                            "{cmd}: option requires an argument -- '{c}'\n{help}"
                        ));
                    };
                    flags.push((c, Some(value)));
                    break;
                }
                flags.push((c, None));
                j += 1;
            }
            continue;
        }
        operands.push(arg.clone());
    }
    Ok(Opts { flags, operands })
}

/// Run a file/identity command; `None` when `name` is not one of them.
pub(crate) fn run(
    sh: &mut Shell,
    name: &str,
    args: &[String],
    io: &Io,
) -> Result<Option<u32>, Flow> {
    let status = match name {
        "cat" => cat(sh, args, io),
        "tee" => tee(sh, args, io),
        "mv" => mv(sh, args, io),
        "cp" => cp(sh, args, io),
        "rm" => rm(sh, args, io),
        "mkdir" => mkdir(sh, args, io),
        "rmdir" => rmdir(sh, args, io),
        "touch" => touch(sh, args, io),
        "chmod" => chmod(sh, args, io),
        "chown" | "chgrp" => chown(sh, name, args, io),
        "ls" => ls(sh, args, io),
        "stat" => stat(sh, args, io),
        "install" => install(sh, args, io),
        "mktemp" => mktemp(sh, args, io),
        "readlink" | "realpath" => realpath(sh, name, args, io),
        "basename" => basename_cmd(sh, args, io),
        "dirname" => {
            if args.is_empty() {
                sh.errln(
                    io,
                    "dirname: missing operand\nTry 'dirname --help' for more information.",
                );
                1
            } else {
                for a in args {
                    let d = dirname(a);
                    sh.out(io, format!("{d}\n"));
                }
                0
            }
        }
        "sha256sum" => sha256sum(sh, args, io),
        "base64" => base64(sh, args, io),
        "sync" => 0,
        "id" => id(sh, args, io),
        "whoami" => {
            let user = sh.env.user.clone();
            sh.out(io, format!("{user}\n"));
            0
        }
        "date" => date(sh, args, io),
        "seq" => seq(sh, args, io),
        _ => return Ok(None),
    };
    Ok(Some(status))
}

fn usage_error(sh: &mut Shell, io: &Io, msg: &str) -> u32 {
    sh.errln(io, msg);
    1
}

fn cat(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let opts = match getopt("cat", args, "nAEsvTbeu", "", &[("number", 'n')]) {
        Ok(o) => o,
        Err(e) => return usage_error(sh, io, &e),
    };
    let files = if opts.operands.is_empty() {
        vec!["-".to_string()]
    } else {
        opts.operands.clone()
    };
    let mut status = 0;
    let mut line_no = 0usize;
    for f in files {
        match sh.read_input(io, &f) {
            Ok(data) => {
                if opts.has('n') {
                    let mut out = String::new();
                    let text = String::from_utf8_lossy(&data);
                    for line in text.split_inclusive('\n') {
                        line_no += 1;
                        let _ = write!(out, "{line_no:6}\t{line}");
                    }
                    sh.out(io, out);
                } else {
                    sh.out(io, data);
                }
            }
            Err(e) => {
                sh.errln(io, &format!("cat: {f}: {}", e.message()));
                status = 1;
            }
        }
    }
    status
}

fn tee(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let opts = match getopt("tee", args, "ai", "", &[("append", 'a')]) {
        Ok(o) => o,
        Err(e) => return usage_error(sh, io, &e),
    };
    let data = io.stdin.read_all();
    let mut status = 0;
    for f in &opts.operands {
        if let Err(e) = sh.write_path(io, f, &data, opts.has('a')) {
            sh.errln(io, &format!("tee: {f}: {}", e.message()));
            status = 1;
        }
    }
    sh.out(io, &data);
    status
}

fn missing_operands(sh: &mut Shell, io: &Io, cmd: &str, operands: &[String]) -> bool {
    match operands.len() {
        0 => {
            sh.errln(
                io,
                &format!("{cmd}: missing file operand\nTry '{cmd} --help' for more information."),
            );
            true
        }
        1 => {
            sh.errln(
                io,
                &format!(
                    "{cmd}: missing destination file operand after '{}'\nTry '{cmd} --help' for more information.",
                    operands[0]
                ),
            );
            true
        }
        _ => false,
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

fn mv(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let opts = match getopt(
        "mv",
        args,
        "finvTu",
        "",
        &[("force", 'f'), ("no-clobber", 'n'), ("verbose", 'v')],
    ) {
        Ok(o) => o,
        Err(e) => return usage_error(sh, io, &e),
    };
    if missing_operands(sh, io, "mv", &opts.operands) {
        return 1;
    }
    let (dst, srcs) = opts
        .operands
        .split_last()
        .unwrap_or((&opts.operands[0], &[]));
    let dst_abs = sh.abs(dst);
    let into_dir = !opts.has('T') && sh.st.fs.is_dir(&dst_abs);
    if srcs.len() > 1 && !into_dir {
        sh.errln(io, &format!("mv: target '{dst}': Not a directory"));
        return 1;
    }
    let mut status = 0;
    for src in srcs {
        let sp = sh.abs(src);
        if sh.st.fs.get(&sp).is_none() {
            sh.errln(
                io,
                &format!("mv: cannot stat '{src}': No such file or directory"),
            );
            status = 1;
            continue;
        }
        let (tp, shown) = if into_dir {
            let name = basename(&sp).to_string();
            (
                join(&dst_abs, &name),
                join(dst.trim_end_matches('/'), &name),
            )
        } else {
            (dst_abs.clone(), dst.clone())
        };
        if sp == tp {
            sh.errln(io, &format!("mv: '{src}' and '{shown}' are the same file"));
            status = 1;
            continue;
        }
        if opts.has('n') && sh.st.fs.get(&tp).is_some() {
            continue;
        }
        let src_is_dir = sh.st.fs.is_dir(&sp);
        match sh.st.fs.rename(&sp, &tp) {
            Ok(()) => {
                if opts.has('v') {
                    sh.out(io, format!("renamed '{src}' -> '{shown}'\n"));
                }
            }
            Err(e) => {
                let msg = match e {
                    FsError::IsDir => {
                        format!("mv: cannot overwrite directory '{shown}' with non-directory")
                    }
                    FsError::NotDir if src_is_dir => format!(
                        "mv: cannot overwrite non-directory '{shown}' with directory '{src}'"
                    ),
                    FsError::Invalid => {
                        format!("mv: cannot move '{src}' to a subdirectory of itself, '{shown}'")
                    }
                    other => format!("mv: cannot move '{src}' to '{shown}': {}", other.message()),
                };
                sh.errln(io, &msg);
                status = 1;
            }
        }
    }
    status
}

fn copy_tree(sh: &mut Shell, src: &str, dst: &str, preserve: bool) -> Result<(), FsError> {
    let node = sh.st.fs.stat(src)?.clone();
    match node {
        Node::File { data, mode } => {
            let existed = sh.st.fs.get(dst).is_some();
            let create = if preserve { mode } else { mode & !sh.env.umask };
            sh.st.fs.write(dst, &data, false, create)?;
            if preserve || !existed {
                sh.st.fs.set_mode(dst, create)?;
            }
            Ok(())
        }
        Node::Dir { mode } => {
            if !sh.st.fs.is_dir(dst) {
                sh.st
                    .fs
                    .mkdir(dst, if preserve { mode } else { mode & !sh.env.umask })?;
            }
            let children: Vec<String> = sh
                .st
                .fs
                .children(src)
                .into_iter()
                .map(|(n, _)| n.to_string())
                .collect();
            for name in children {
                copy_tree(sh, &join(src, &name), &join(dst, &name), preserve)?;
            }
            Ok(())
        }
    }
}

fn cp(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let opts = match getopt(
        "cp",
        args,
        "fpaRrvnTdL",
        "",
        &[
            ("force", 'f'),
            ("recursive", 'r'),
            ("archive", 'a'),
            ("verbose", 'v'),
            ("preserve", 'p'),
        ],
    ) {
        Ok(o) => o,
        Err(e) => return usage_error(sh, io, &e),
    };
    if missing_operands(sh, io, "cp", &opts.operands) {
        return 1;
    }
    let recursive = opts.has('r') || opts.has('R') || opts.has('a');
    let preserve = opts.has('p') || opts.has('a');
    let (dst, srcs) = opts
        .operands
        .split_last()
        .unwrap_or((&opts.operands[0], &[]));
    let dst_abs = sh.abs(dst);
    let into_dir = !opts.has('T') && sh.st.fs.is_dir(&dst_abs);
    if srcs.len() > 1 && !into_dir {
        sh.errln(io, &format!("cp: target '{dst}': Not a directory"));
        return 1;
    }
    let mut status = 0;
    for src in srcs {
        let sp = sh.abs(src);
        let Some(node) = sh.st.fs.get(&sp) else {
            sh.errln(
                io,
                &format!("cp: cannot stat '{src}': No such file or directory"),
            );
            status = 1;
            continue;
        };
        let is_dir = node.is_dir();
        if is_dir && !recursive {
            sh.errln(
                io,
                &format!("cp: -r not specified; omitting directory '{src}'"),
            );
            status = 1;
            continue;
        }
        let (tp, shown) = if into_dir {
            let name = basename(&sp).to_string();
            (
                join(&dst_abs, &name),
                join(dst.trim_end_matches('/'), &name),
            )
        } else {
            (dst_abs.clone(), dst.clone())
        };
        if sp == tp {
            sh.errln(io, &format!("cp: '{src}' and '{shown}' are the same file"));
            status = 1;
            continue;
        }
        if is_dir && (tp.starts_with(&format!("{sp}/")) || sp == "/") {
            sh.errln(
                io,
                &format!("cp: cannot copy a directory, '{src}', into itself, '{shown}'"),
            );
            status = 1;
            continue;
        }
        if opts.has('n') && sh.st.fs.get(&tp).is_some() {
            continue;
        }
        if !is_dir && sh.st.fs.is_dir(&tp) {
            sh.errln(
                io,
                &format!("cp: cannot overwrite directory '{shown}' with non-directory"),
            );
            status = 1;
            continue;
        }
        match copy_tree(sh, &sp, &tp, preserve) {
            Ok(()) => {
                if opts.has('v') {
                    sh.out(io, format!("'{src}' -> '{shown}'\n"));
                }
            }
            Err(e) => {
                sh.errln(
                    io,
                    &format!("cp: cannot create regular file '{shown}': {}", e.message()),
                );
                status = 1;
            }
        }
    }
    status
}

fn rm(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let opts = match getopt(
        "rm",
        args,
        "frRidvI",
        "",
        &[
            ("force", 'f'),
            ("recursive", 'r'),
            ("dir", 'd'),
            ("verbose", 'v'),
        ],
    ) {
        Ok(o) => o,
        Err(e) => return usage_error(sh, io, &e),
    };
    let force = opts.has('f');
    let recursive = opts.has('r') || opts.has('R');
    if opts.operands.is_empty() {
        if force {
            return 0;
        }
        sh.errln(
            io,
            "rm: missing operand\nTry 'rm --help' for more information.",
        );
        return 1;
    }
    let mut status = 0;
    for f in &opts.operands {
        let p = sh.abs(f);
        if p == "/" && recursive {
            sh.errln(
                io,
                "rm: it is dangerous to operate recursively on '/'\nrm: use --no-preserve-root to override this failsafe",
            );
            status = 1;
            continue;
        }
        let result = match sh.st.fs.get(&p) {
            None => {
                if !force {
                    sh.errln(
                        io,
                        &format!("rm: cannot remove '{f}': No such file or directory"),
                    );
                    status = 1;
                }
                continue;
            }
            Some(Node::Dir { .. }) if recursive => sh.st.fs.remove_tree(&p),
            Some(Node::Dir { .. }) if opts.has('d') => sh.st.fs.remove_dir(&p),
            Some(Node::Dir { .. }) => Err(FsError::IsDir),
            Some(Node::File { .. }) => sh.st.fs.remove_file(&p),
        };
        match result {
            Ok(()) => {
                if opts.has('v') {
                    sh.out(io, format!("removed '{f}'\n"));
                }
            }
            Err(e) => {
                sh.errln(io, &format!("rm: cannot remove '{f}': {}", e.message()));
                status = 1;
            }
        }
    }
    status
}

/// Parse a chmod-style mode (octal or symbolic) against the current mode.
pub(crate) fn parse_mode(spec: &str, current: u32, is_dir: bool) -> Option<u32> {
    if !spec.is_empty() && spec.len() <= 4 && spec.chars().all(|c| c.is_digit(8)) {
        return u32::from_str_radix(spec, 8).ok();
    }
    let mut mode = current & 0o7777;
    for clause in spec.split(',') {
        let chars: Vec<char> = clause.chars().collect();
        let mut i = 0;
        let mut who = 0u32;
        while i < chars.len() && "ugoa".contains(chars[i]) {
            who |= match chars[i] {
                'u' => 0o4700,
                'g' => 0o2070,
                'o' => 0o1007,
                _ => 0o7777,
            };
            i += 1;
        }
        if who == 0 {
            who = 0o7777;
        }
        if i >= chars.len() {
            return None;
        }
        while i < chars.len() {
            let op = chars[i];
            if !"+-=".contains(op) {
                return None;
            }
            i += 1;
            let mut bits = 0u32;
            while i < chars.len() && "rwxXst".contains(chars[i]) {
                bits |= match chars[i] {
                    'r' => 0o444,
                    'w' => 0o222,
                    'x' => 0o111,
                    'X' => {
                        if is_dir || current & 0o111 != 0 {
                            0o111
                        } else {
                            0
                        }
                    }
                    's' => 0o6000,
                    _ => 0o1000,
                };
                i += 1;
            }
            let bits = bits & who;
            match op {
                '+' => mode |= bits,
                '-' => mode &= !bits,
                _ => mode = (mode & !(who & 0o777)) | bits,
            }
        }
    }
    Some(mode)
}

fn mkdir(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let opts = match getopt(
        "mkdir",
        args,
        "pv",
        "m",
        &[("parents", 'p'), ("mode", 'm'), ("verbose", 'v')],
    ) {
        Ok(o) => o,
        Err(e) => return usage_error(sh, io, &e),
    };
    if opts.operands.is_empty() {
        sh.errln(
            io,
            "mkdir: missing operand\nTry 'mkdir --help' for more information.",
        );
        return 1;
    }
    let explicit = match opts.value('m') {
        Some(m) => match parse_mode(m, 0o777, true) {
            Some(v) => Some(v),
            None => {
                sh.errln(io, &format!("mkdir: invalid mode '{m}'"));
                return 1;
            }
        },
        None => None,
    };
    let mode = explicit.unwrap_or(0o777 & !sh.env.umask);
    let mut status = 0;
    for d in &opts.operands {
        let p = sh.abs(d);
        let result = if opts.has('p') {
            sh.st.fs.mkdir_all(&p, mode)
        } else {
            sh.st.fs.mkdir(&p, mode)
        };
        match result {
            Ok(()) => {
                if let Some(m) = explicit {
                    let _ = sh.st.fs.set_mode(&p, m);
                }
                if opts.has('v') {
                    sh.out(io, format!("mkdir: created directory '{d}'\n"));
                }
            }
            Err(e) => {
                sh.errln(
                    io,
                    &format!("mkdir: cannot create directory '{d}': {}", e.message()),
                );
                status = 1;
            }
        }
    }
    status
}

fn rmdir(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let opts = match getopt("rmdir", args, "pv", "", &[("parents", 'p')]) {
        Ok(o) => o,
        Err(e) => return usage_error(sh, io, &e),
    };
    if opts.operands.is_empty() {
        sh.errln(
            io,
            "rmdir: missing operand\nTry 'rmdir --help' for more information.",
        );
        return 1;
    }
    let mut status = 0;
    for d in &opts.operands {
        let p = sh.abs(d);
        if let Err(e) = sh.st.fs.remove_dir(&p) {
            sh.errln(
                io,
                &format!("rmdir: failed to remove '{d}': {}", e.message()),
            );
            status = 1;
        }
    }
    status
}

fn touch(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let opts = match getopt("touch", args, "cam", "dtr", &[("no-create", 'c')]) {
        Ok(o) => o,
        Err(e) => return usage_error(sh, io, &e),
    };
    if opts.operands.is_empty() {
        sh.errln(
            io,
            "touch: missing file operand\nTry 'touch --help' for more information.",
        );
        return 1;
    }
    let mut status = 0;
    for f in &opts.operands {
        let p = sh.abs(f);
        if sh.st.fs.get(&p).is_some() || opts.has('c') || sh.is_device(f) {
            continue;
        }
        let mode = sh.create_mode();
        if let Err(e) = sh.st.fs.write(&p, b"", true, mode) {
            sh.errln(io, &format!("touch: cannot touch '{f}': {}", e.message()));
            status = 1;
        }
    }
    status
}

fn chmod(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let mut recursive = false;
    let mut mode_spec: Option<String> = None;
    let mut files = Vec::new();
    for a in args {
        match a.as_str() {
            "-R" | "--recursive" => recursive = true,
            "-v" | "-c" | "-f" | "--verbose" | "--changes" | "--silent" | "--quiet" => {}
            _ if mode_spec.is_none() => mode_spec = Some(a.clone()),
            _ => files.push(a.clone()),
        }
    }
    let Some(spec) = mode_spec else {
        sh.errln(
            io,
            "chmod: missing operand\nTry 'chmod --help' for more information.",
        );
        return 1;
    };
    if files.is_empty() {
        sh.errln(
            io,
            &format!(
                "chmod: missing operand after '{spec}'\nTry 'chmod --help' for more information."
            ),
        );
        return 1;
    }
    if parse_mode(&spec, 0, false).is_none() {
        sh.errln(
            io,
            &format!("chmod: invalid mode: '{spec}'\nTry 'chmod --help' for more information."),
        );
        return 1;
    }
    let mut status = 0;
    for f in &files {
        let p = sh.abs(f);
        let mut targets = vec![p.clone()];
        if recursive && sh.st.fs.is_dir(&p) {
            let prefix = format!("{}/", p.trim_end_matches('/'));
            targets.extend(
                sh.st
                    .fs
                    .paths()
                    .filter(|k| k.starts_with(&prefix))
                    .map(String::from)
                    .collect::<Vec<_>>(),
            );
        }
        for t in targets {
            let Some(node) = sh.st.fs.get(&t) else {
                sh.errln(
                    io,
                    &format!("chmod: cannot access '{f}': No such file or directory"),
                );
                status = 1;
                break;
            };
            if let Some(m) = parse_mode(&spec, node.mode(), node.is_dir()) {
                let _ = sh.st.fs.set_mode(&t, m);
            }
        }
    }
    status
}

fn chown(sh: &mut Shell, name: &str, args: &[String], io: &Io) -> u32 {
    let operands: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if operands.len() < 2 {
        sh.errln(
            io,
            &format!("{name}: missing operand\nTry '{name} --help' for more information."),
        );
        return 1;
    }
    let owner = operands[0];
    let valid = owner.split(':').all(|part| {
        part.is_empty()
            || part.chars().all(|c| c.is_ascii_digit())
            || (part.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)))
    });
    if !valid {
        sh.errln(io, &format!("{name}: invalid user: '{owner}'"));
        return 1;
    }
    let mut status = 0;
    for f in &operands[1..] {
        let p = sh.abs(f);
        if sh.st.fs.get(&p).is_none() {
            sh.errln(
                io,
                &format!("{name}: cannot access '{f}': No such file or directory"),
            );
            status = 1;
        }
    }
    status
}

/// `-rw-r--r--` for a node.
pub(crate) fn mode_string(node: &Node) -> String {
    let mode = node.mode();
    let mut s = String::new();
    s.push(if node.is_dir() { 'd' } else { '-' });
    for (shift, special, sc) in [(6, 0o4000, 's'), (3, 0o2000, 's'), (0, 0o1000, 't')] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        let x = bits & 1 != 0;
        s.push(match (mode & special != 0, x) {
            (true, true) => sc,
            (true, false) => sc.to_ascii_uppercase(),
            (false, true) => 'x',
            (false, false) => '-',
        });
    }
    s
}

fn ls_long(entries: &[(String, Node)]) -> String {
    let width = entries
        .iter()
        .map(|(_, n)| n.size().to_string().len())
        .max()
        .unwrap_or(1);
    let mut out = String::new();
    for (name, node) in entries {
        let _ = writeln!(
            out,
            "{} 1 root root {:>width$} Jan  1 00:00 {name}",
            mode_string(node),
            node.size()
        );
    }
    out
}

fn ls(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let opts = match getopt(
        "ls",
        args,
        "laAd1hRtrFSi",
        "",
        &[("all", 'a'), ("directory", 'd')],
    ) {
        Ok(o) => o,
        Err(e) => {
            sh.errln(io, &e);
            return 2;
        }
    };
    let long = opts.has('l');
    let all = opts.has('a');
    let almost = opts.has('A');
    let operands = if opts.operands.is_empty() {
        vec![".".to_string()]
    } else {
        opts.operands.clone()
    };
    let mut status = 0;
    let mut files: Vec<(String, Node)> = Vec::new();
    let mut dirs: Vec<(String, String)> = Vec::new();
    for op in &operands {
        let p = sh.abs(op);
        match sh.st.fs.get(&p) {
            None => {
                sh.errln(
                    io,
                    &format!("ls: cannot access '{op}': No such file or directory"),
                );
                status = 2;
            }
            Some(node) if node.is_dir() && !opts.has('d') => dirs.push((op.clone(), p)),
            Some(node) => files.push((op.clone(), node.clone())),
        }
    }
    let mut out = String::new();
    if long {
        out.push_str(&ls_long(&files));
    } else {
        for (name, _) in &files {
            let _ = writeln!(out, "{name}");
        }
    }
    let multiple = operands.len() > 1;
    for (i, (shown, p)) in dirs.iter().enumerate() {
        if multiple {
            if i > 0 || !files.is_empty() {
                out.push('\n');
            }
            let _ = writeln!(out, "{shown}:");
        }
        let mut entries: Vec<(String, Node)> = Vec::new();
        if all {
            if let Some(n) = sh.st.fs.get(p) {
                entries.push((".".into(), n.clone()));
            }
            if let Some(n) = sh.st.fs.get(parent(p)) {
                entries.push(("..".into(), n.clone()));
            }
        }
        for (name, node) in sh.st.fs.children(p) {
            if name.starts_with('.') && !(all || almost) {
                continue;
            }
            entries.push((name.to_string(), node.clone()));
        }
        if opts.has('r') {
            entries.reverse();
        }
        if long {
            let blocks: usize = entries
                .iter()
                .filter(|(n, _)| n != "." && n != "..")
                .map(|(_, n)| n.size().div_ceil(4096) * 4)
                .sum();
            let _ = writeln!(out, "total {blocks}");
            out.push_str(&ls_long(&entries));
        } else {
            for (name, _) in &entries {
                let _ = writeln!(out, "{name}");
            }
        }
    }
    sh.out(io, out);
    status
}

fn inode(path: &str) -> u64 {
    let h = sha256(path.as_bytes());
    u64::from_be_bytes([0, 0, 0, 0, 0, h[0], h[1], h[2]]) % 1_000_000 + 100_000
}

fn stat_format(fmt: &str, name: &str, path: &str, node: &Node) -> String {
    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('a') => {
                let _ = write!(out, "{:o}", node.mode());
            }
            Some('A') => out.push_str(&mode_string(node)),
            Some('s') => {
                let _ = write!(out, "{}", node.size());
            }
            Some('n') => out.push_str(name),
            Some('N') => {
                let _ = write!(out, "'{name}'");
            }
            Some('U' | 'G') => out.push_str("root"),
            Some('u' | 'g') => out.push('0'),
            Some('F') => out.push_str(match node {
                Node::Dir { .. } => "directory",
                Node::File { data, .. } if data.is_empty() => "regular empty file",
                Node::File { .. } => "regular file",
            }),
            Some('f') => {
                let kind = if node.is_dir() { 0o040000 } else { 0o100000 };
                let _ = write!(out, "{:x}", kind | node.mode());
            }
            Some('h') => out.push('1'),
            Some('i') => {
                let _ = write!(out, "{}", inode(path));
            }
            Some('b') => {
                let _ = write!(out, "{}", node.size().div_ceil(4096) * 8);
            }
            Some('B') => out.push_str("512"),
            Some('o') => out.push_str("4096"),
            Some('x' | 'y' | 'z' | 'w') => {
                out.push_str("2026-01-01 00:00:00.000000000 +0000");
            }
            Some('X' | 'Y' | 'Z' | 'W') => out.push_str("1767225600"),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('?');
                let _ = other;
            }
            None => out.push('%'),
        }
    }
    out
}

fn stat(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let opts = match getopt(
        "stat",
        args,
        "Lft",
        "c",
        &[("format", 'c'), ("printf", 'P'), ("dereference", 'L')],
    ) {
        Ok(o) => o,
        Err(e) => return usage_error(sh, io, &e),
    };
    if opts.operands.is_empty() {
        sh.errln(
            io,
            "stat: missing operand\nTry 'stat --help' for more information.",
        );
        return 1;
    }
    let printf = opts.value('P').map(String::from);
    let format = opts.value('c').map(String::from);
    let mut status = 0;
    for f in &opts.operands {
        let p = sh.abs(f);
        let Some(node) = sh.st.fs.get(&p).cloned() else {
            sh.errln(
                io,
                &format!("stat: cannot statx '{f}': No such file or directory"),
            );
            status = 1;
            continue;
        };
        let text = if let Some(fmt) = &printf {
            stat_format(&unescape_c(fmt).0, f, &p, &node)
        } else if let Some(fmt) = &format {
            format!("{}\n", stat_format(fmt, f, &p, &node))
        } else {
            stat_format(
                "  File: %n\n  Size: %s\tBlocks: %b\tIO Block: 4096   %F\nDevice: 8,1\tInode: %i\tLinks: %h\nAccess: (0%a/%A)  Uid: (    0/    root)   Gid: (    0/    root)\nAccess: %x\nModify: %y\nChange: %z\n Birth: -\n",
                f,
                &p,
                &node,
            )
        };
        sh.out(io, text);
    }
    status
}

fn install(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let opts = match getopt(
        "install",
        args,
        "dDCcvpbTs",
        "mogt",
        &[
            ("mode", 'm'),
            ("owner", 'o'),
            ("group", 'g'),
            ("directory", 'd'),
            ("target-directory", 't'),
        ],
    ) {
        Ok(o) => o,
        Err(e) => return usage_error(sh, io, &e),
    };
    let mode = match opts.value('m') {
        Some(m) => match parse_mode(m, 0o755, false) {
            Some(v) => v,
            None => {
                sh.errln(io, &format!("install: invalid mode '{m}'"));
                return 1;
            }
        },
        None => 0o755,
    };
    if opts.has('d') {
        let mut status = 0;
        for d in &opts.operands {
            let p = sh.abs(d);
            match sh.st.fs.mkdir_all(&p, mode) {
                Ok(()) => {
                    let _ = sh.st.fs.set_mode(&p, mode);
                }
                Err(e) => {
                    sh.errln(
                        io,
                        &format!("install: cannot create directory '{d}': {}", e.message()),
                    );
                    status = 1;
                }
            }
        }
        return status;
    }
    let mut operands = opts.operands.clone();
    if let Some(t) = opts.value('t') {
        operands.push(t.to_string());
    }
    if missing_operands(sh, io, "install", &operands) {
        return 1;
    }
    let (dst, srcs) = operands.split_last().unwrap_or((&operands[0], &[]));
    let dst_abs = sh.abs(dst);
    let mut status = 0;
    for src in srcs {
        let data = match sh.read_input(io, src) {
            Ok(d) => d,
            Err(FsError::IsDir) => {
                sh.errln(io, &format!("install: omitting directory '{src}'"));
                status = 1;
                continue;
            }
            Err(_) => {
                sh.errln(
                    io,
                    &format!("install: cannot stat '{src}': No such file or directory"),
                );
                status = 1;
                continue;
            }
        };
        let tp = if sh.st.fs.is_dir(&dst_abs) {
            join(&dst_abs, basename(src))
        } else {
            dst_abs.clone()
        };
        if opts.has('D') {
            let _ = sh.st.fs.mkdir_all(parent(&tp), 0o755);
        }
        // install replaces the file (a new inode), so the old mode does not survive.
        if sh.st.fs.is_file(&tp) {
            let _ = sh.st.fs.remove_file(&tp);
        }
        match sh.st.fs.write(&tp, &data, false, mode) {
            Ok(()) => {
                let _ = sh.st.fs.set_mode(&tp, mode);
            }
            Err(e) => {
                sh.errln(
                    io,
                    &format!(
                        "install: cannot create regular file '{dst}': {}",
                        e.message()
                    ),
                );
                status = 1;
            }
        }
    }
    status
}

fn mktemp(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let opts = match getopt(
        "mktemp",
        args,
        "dqtu",
        "p",
        &[("directory", 'd'), ("tmpdir", 'p'), ("quiet", 'q')],
    ) {
        Ok(o) => o,
        Err(e) => return usage_error(sh, io, &e),
    };
    let template = opts
        .operands
        .first()
        .cloned()
        .unwrap_or_else(|| "tmp.XXXXXXXXXX".into());
    let xs = template.chars().rev().take_while(|c| *c == 'X').count();
    if xs < 3 {
        sh.errln(io, &format!("mktemp: too few X's in template '{template}'"));
        return 1;
    }
    let dir = opts.value('p').map(String::from).or_else(|| {
        (opts.operands.is_empty() || opts.has('t') || !template.contains('/')).then(|| {
            sh.env
                .vars
                .get("TMPDIR")
                .cloned()
                .unwrap_or_else(|| "/tmp".into())
        })
    });
    let stem = &template[..template.len() - xs];
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for _ in 0..100 {
        let n = sh.st.next_seq() + 1_000_000;
        let bytes = super::crypto::derive_bytes(&sh.st.seed, n);
        let suffix: String = (0..xs)
            .map(|i| ALPHABET[usize::from(bytes[i % 32]) % ALPHABET.len()] as char)
            .collect();
        let name = format!("{stem}{suffix}");
        let shown = match &dir {
            Some(d) => join(d.trim_end_matches('/'), &name),
            None => name,
        };
        let p = sh.abs(&shown);
        if sh.st.fs.get(&p).is_some() {
            continue;
        }
        let result = if opts.has('d') {
            sh.st.fs.mkdir(&p, 0o700)
        } else {
            sh.st.fs.write(&p, b"", false, 0o600)
        };
        return match result {
            Ok(()) => {
                sh.out(io, format!("{shown}\n"));
                0
            }
            Err(e) => {
                sh.errln(
                    io,
                    &format!(
                        "mktemp: failed to create file via template '{shown}': {}",
                        e.message()
                    ),
                );
                1
            }
        };
    }
    1
}

fn realpath(sh: &mut Shell, name: &str, args: &[String], io: &Io) -> u32 {
    let operands: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let canonical = name == "realpath"
        || args
            .iter()
            .any(|a| a.starts_with("-f") || a.starts_with("-e") || a.starts_with("-m"));
    if operands.is_empty() {
        sh.errln(
            io,
            &format!("{name}: missing operand\nTry '{name} --help' for more information."),
        );
        return 1;
    }
    if !canonical {
        // There are no symbolic links on the twin: plain readlink finds none.
        return 1;
    }
    let mut status = 0;
    for f in operands {
        let p = sh.abs(f);
        if sh.st.fs.is_dir(parent(&p)) || sh.st.fs.get(&p).is_some() {
            sh.out(io, format!("{p}\n"));
        } else {
            if name == "realpath" {
                sh.errln(io, &format!("realpath: {f}: No such file or directory"));
            }
            status = 1;
        }
    }
    status
}

/// dirname(1).
pub(crate) fn dirname(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return if path.starts_with('/') { "/" } else { "." }.into();
    }
    match trimmed.rfind('/') {
        None => ".".into(),
        Some(i) => {
            let d = trimmed[..i].trim_end_matches('/');
            if d.is_empty() { "/".into() } else { d.into() }
        }
    }
}

fn basename_cmd(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let opts = match getopt(
        "basename",
        args,
        "az",
        "s",
        &[("multiple", 'a'), ("suffix", 's')],
    ) {
        Ok(o) => o,
        Err(e) => return usage_error(sh, io, &e),
    };
    if opts.operands.is_empty() {
        sh.errln(
            io,
            "basename: missing operand\nTry 'basename --help' for more information.",
        );
        return 1;
    }
    let suffix = opts.value('s').map(String::from);
    let (names, suffix): (Vec<String>, Option<String>) = if opts.has('a') || suffix.is_some() {
        (opts.operands.clone(), suffix)
    } else {
        (
            vec![opts.operands[0].clone()],
            opts.operands.get(1).cloned(),
        )
    };
    let mut out = String::new();
    for n in names {
        let mut b = basename(&n).to_string();
        if let Some(s) = &suffix
            && b.len() > s.len()
            && b.ends_with(s.as_str())
        {
            b.truncate(b.len() - s.len());
        }
        let _ = writeln!(out, "{b}");
    }
    sh.out(io, out);
    0
}

fn sha256sum(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let opts = match getopt(
        "sha256sum",
        args,
        "cbtwz",
        "",
        &[
            ("check", 'c'),
            ("status", 'S'),
            ("quiet", 'Q'),
            ("strict", 'X'),
            ("binary", 'b'),
            ("text", 't'),
            ("warn", 'w'),
        ],
    ) {
        Ok(o) => o,
        Err(e) => return usage_error(sh, io, &e),
    };
    let files = if opts.operands.is_empty() {
        vec!["-".to_string()]
    } else {
        opts.operands.clone()
    };
    let mut status = 0;
    if !opts.has('c') {
        for f in files {
            match sh.read_input(io, &f) {
                Ok(data) => {
                    let line = format!("{}  {f}\n", hex(&sha256(&data)));
                    sh.out(io, line);
                }
                Err(e) => {
                    sh.errln(io, &format!("sha256sum: {f}: {}", e.message()));
                    status = 1;
                }
            }
        }
        return status;
    }
    let quiet_all = opts.has('S');
    let quiet_ok = opts.has('Q');
    for list in files {
        let text = match sh.read_input(io, &list) {
            Ok(d) => String::from_utf8_lossy(&d).into_owned(),
            Err(e) => {
                sh.errln(io, &format!("sha256sum: {list}: {}", e.message()));
                status = 1;
                continue;
            }
        };
        let (mut bad_format, mut mismatched, mut unreadable, mut good_lines) = (0, 0, 0, 0);
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let parsed = line.split_once(' ').and_then(|(hash, rest)| {
                let name = rest.strip_prefix(' ').or_else(|| rest.strip_prefix('*'))?;
                (hash.len() == 64 && hash.chars().all(|c| c.is_ascii_hexdigit()))
                    .then(|| (hash.to_ascii_lowercase(), name.to_string()))
            });
            let Some((hash, name)) = parsed else {
                bad_format += 1;
                continue;
            };
            good_lines += 1;
            match sh.read_input(io, &name) {
                Ok(data) => {
                    if hex(&sha256(&data)) == hash {
                        if !quiet_all && !quiet_ok {
                            sh.out(io, format!("{name}: OK\n"));
                        }
                    } else {
                        mismatched += 1;
                        if !quiet_all {
                            sh.out(io, format!("{name}: FAILED\n"));
                        }
                    }
                }
                Err(e) => {
                    unreadable += 1;
                    if !quiet_all {
                        sh.errln(io, &format!("sha256sum: {name}: {}", e.message()));
                        sh.out(io, format!("{name}: FAILED open or read\n"));
                    }
                }
            }
        }
        if good_lines == 0 {
            sh.errln(
                io,
                &format!("sha256sum: {list}: no properly formatted checksum lines found"),
            );
            status = 1;
            continue;
        }
        let plural = |n: usize, one: &str, many: &str| {
            if n == 1 {
                one.to_string()
            } else {
                many.to_string()
            }
        };
        if !quiet_all {
            if bad_format > 0 {
                sh.errln(
                    io,
                    &format!(
                        "sha256sum: WARNING: {bad_format} {} improperly formatted",
                        plural(bad_format, "line is", "lines are")
                    ),
                );
            }
            if unreadable > 0 {
                sh.errln(
                    io,
                    &format!(
                        "sha256sum: WARNING: {unreadable} listed {} could not be read",
                        plural(unreadable, "file", "files")
                    ),
                );
            }
            if mismatched > 0 {
                sh.errln(
                    io,
                    &format!(
                        "sha256sum: WARNING: {mismatched} computed {} did NOT match",
                        plural(mismatched, "checksum", "checksums")
                    ),
                );
            }
        }
        if mismatched > 0 || unreadable > 0 || (opts.has('X') && bad_format > 0) {
            status = 1;
        }
    }
    status
}

fn base64(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let opts = match getopt(
        "base64",
        args,
        "di",
        "w",
        &[("decode", 'd'), ("wrap", 'w'), ("ignore-garbage", 'i')],
    ) {
        Ok(o) => o,
        Err(e) => return usage_error(sh, io, &e),
    };
    let file = opts.operands.first().cloned().unwrap_or_else(|| "-".into());
    let data = match sh.read_input(io, &file) {
        Ok(d) => d,
        Err(e) => {
            sh.errln(io, &format!("base64: {file}: {}", e.message()));
            return 1;
        }
    };
    if opts.has('d') {
        match base64_decode(&String::from_utf8_lossy(&data)) {
            Some(bytes) => {
                sh.out(io, bytes);
                0
            }
            None => {
                sh.errln(io, "base64: invalid input");
                1
            }
        }
    } else {
        let wrap: usize = opts.value('w').and_then(|w| w.parse().ok()).unwrap_or(76);
        let encoded = base64_encode(&data);
        let mut out = String::new();
        if wrap == 0 {
            out.push_str(&encoded);
            out.push('\n');
        } else {
            for chunk in encoded.as_bytes().chunks(wrap) {
                out.push_str(&String::from_utf8_lossy(chunk));
                out.push('\n');
            }
        }
        sh.out(io, out);
        0
    }
}

fn id(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let opts = match getopt(
        "id",
        args,
        "ugGnr",
        "",
        &[
            ("user", 'u'),
            ("group", 'g'),
            ("groups", 'G'),
            ("name", 'n'),
        ],
    ) {
        Ok(o) => o,
        Err(e) => return usage_error(sh, io, &e),
    };
    let user = opts
        .operands
        .first()
        .cloned()
        .unwrap_or_else(|| sh.env.user.clone());
    if user != "root" && user != sh.env.login_user {
        sh.errln(io, &format!("id: '{user}': no such user"));
        return 1;
    }
    let uid = uid_of(&user);
    let groups = if uid == 0 {
        vec![(0, "root".to_string())]
    } else {
        vec![(1000, user.clone()), (27, "sudo".to_string())]
    };
    let text = if opts.has('u') || opts.has('g') {
        if opts.has('n') {
            user.clone()
        } else {
            uid.to_string()
        }
    } else if opts.has('G') {
        groups
            .iter()
            .map(|(g, n)| {
                if opts.has('n') {
                    n.clone()
                } else {
                    g.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        let list: Vec<String> = groups.iter().map(|(g, n)| format!("{g}({n})")).collect();
        format!(
            "uid={uid}({user}) gid={uid}({user}) groups={}",
            list.join(",")
        )
    };
    sh.out(io, format!("{text}\n"));
    0
}

/// Days since 1970-01-01 → (year, month, day).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `date`: the twin's clock starts at 2026-01-01 00:00:00 UTC and advances one second per
/// event, so timestamps in backup names are plausible, increasing and reproducible.
fn date(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let now = 1_767_225_600i64 + sh.st.next_seq() as i64;
    let format = args
        .iter()
        .find_map(|a| a.strip_prefix('+'))
        .unwrap_or("%a %b %e %H:%M:%S UTC %Y");
    let days = now.div_euclid(86_400);
    let secs = now.rem_euclid(86_400);
    let (y, m, d) = civil(days);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(m as usize).saturating_sub(1) % 12];
    let (hh, mm, ss) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('s') => {
                let _ = write!(out, "{now}");
            }
            Some('Y') => {
                let _ = write!(out, "{y}");
            }
            Some('m') => {
                let _ = write!(out, "{m:02}");
            }
            Some('d') => {
                let _ = write!(out, "{d:02}");
            }
            Some('e') => {
                let _ = write!(out, "{d:2}");
            }
            Some('H') => {
                let _ = write!(out, "{hh:02}");
            }
            Some('M') => {
                let _ = write!(out, "{mm:02}");
            }
            Some('S') => {
                let _ = write!(out, "{ss:02}");
            }
            Some('F') => {
                let _ = write!(out, "{y}-{m:02}-{d:02}");
            }
            Some('T') => {
                let _ = write!(out, "{hh:02}:{mm:02}:{ss:02}");
            }
            Some('a') => out.push_str(weekday),
            Some('b') => out.push_str(month),
            Some('z') => out.push_str("+0000"),
            Some('Z') => out.push_str("UTC"),
            Some('N') => out.push_str("000000000"),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out.push('\n');
    sh.out(io, out);
    0
}

fn seq(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let nums: Vec<Option<i64>> = args.iter().map(|a| a.parse::<i64>().ok()).collect();
    if let Some(pos) = nums.iter().position(Option::is_none) {
        sh.errln(
            io,
            &format!("seq: invalid floating point argument: '{}'\nTry 'seq --help' for more information.", args[pos]),
        );
        return 1;
    }
    let nums: Vec<i64> = nums.into_iter().flatten().collect();
    let (first, step, last) = match nums.as_slice() {
        [l] => (1, 1, *l),
        [f, l] => (*f, 1, *l),
        [f, s, l] => (*f, *s, *l),
        _ => {
            sh.errln(
                io,
                "seq: missing operand\nTry 'seq --help' for more information.",
            );
            return 1;
        }
    };
    if step == 0 {
        sh.errln(
            io,
            "seq: invalid Zero increment value: '0'\nTry 'seq --help' for more information.",
        );
        return 1;
    }
    let mut out = String::new();
    let mut v = first;
    let mut count = 0;
    while (step > 0 && v <= last) || (step < 0 && v >= last) {
        let _ = writeln!(out, "{v}");
        count += 1;
        if count >= 100_000 {
            break;
        }
        v = v.saturating_add(step);
        if v == i64::MAX || v == i64::MIN {
            break;
        }
    }
    sh.out(io, out);
    0
}

/// Interpret C escapes (`\n`, `\t`, `\\`, `\0NNN`, `\xHH`…). The flag is true when `\c`
/// asked to stop output.
pub(crate) fn unescape_c(s: &str) -> (String, bool) {
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '\\' || i >= chars.len() {
            out.push(c);
            continue;
        }
        let e = chars[i];
        i += 1;
        match e {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'v' => out.push('\x0b'),
            'e' | 'E' => out.push('\x1b'),
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            'c' => return (out, true),
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                let max = if e == '0' { 3 } else { 2 };
                let mut n = 0;
                while n < max && i < chars.len() && chars[i].is_digit(8) {
                    v = v * 8 + chars[i].to_digit(8).unwrap_or(0);
                    i += 1;
                    n += 1;
                }
                out.push(char::from((v & 0xff) as u8));
            }
            'x' => {
                let mut v = 0u32;
                let mut n = 0;
                while n < 2 && i < chars.len() && chars[i].is_ascii_hexdigit() {
                    v = v * 16 + chars[i].to_digit(16).unwrap_or(0);
                    i += 1;
                    n += 1;
                }
                if n == 0 {
                    out.push_str("\\x");
                } else {
                    out.push(char::from(v as u8));
                }
            }
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    (out, false)
}

/// bash's `echo`: leading `-n`, `-e`, `-E` (combinable) are options.
pub(crate) fn echo(args: &[String]) -> String {
    let mut newline = true;
    let mut escapes = false;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| "neE".contains(c)) {
            for c in a[1..].chars() {
                match c {
                    'n' => newline = false,
                    'e' => escapes = true,
                    _ => escapes = false,
                }
            }
            i += 1;
        } else {
            break;
        }
    }
    let mut text = args[i..].join(" ");
    if escapes {
        let (t, stop) = unescape_c(&text);
        text = t;
        if stop {
            return text;
        }
    }
    if newline {
        text.push('\n');
    }
    text
}

/// A printf numeric argument: decimal, 0x hex, 0 octal, 'c (character code).
fn printf_number(arg: &str) -> Result<i64, ()> {
    let t = arg.trim();
    if t.is_empty() {
        return Ok(0);
    }
    if let Some(rest) = t.strip_prefix('\'').or_else(|| t.strip_prefix('"')) {
        return Ok(rest.chars().next().map_or(0, |c| i64::from(u32::from(c))));
    }
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let v = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).map_err(|_| ())?
    } else if body.len() > 1 && body.starts_with('0') {
        i64::from_str_radix(&body[1..], 8).map_err(|_| ())?
    } else {
        body.parse::<i64>().map_err(|_| ())?
    };
    Ok(if neg { v.wrapping_neg() } else { v })
}

fn pad(s: String, width: usize, left: bool, zero: bool) -> String {
    let len = s.chars().count();
    if len >= width {
        return s;
    }
    let fill = width - len;
    if left {
        format!("{s}{}", " ".repeat(fill))
    } else if zero {
        let (sign, digits) = if s.starts_with(['-', '+']) {
            s.split_at(1)
        } else {
            ("", s.as_str())
        };
        format!("{sign}{}{digits}", "0".repeat(fill))
    } else {
        format!("{}{s}", " ".repeat(fill))
    }
}

/// Render one pass of a printf format; returns the text, the arguments consumed, and
/// whether `\c` stopped output.
fn printf_once(fmt: &[char], args: &[String], errors: &mut Vec<String>) -> (String, usize, bool) {
    let mut out = String::new();
    let mut used = 0usize;
    let mut i = 0;
    let next_arg = |used: &mut usize| -> Option<String> {
        let a = args.get(*used).cloned();
        if a.is_some() {
            *used += 1;
        }
        a
    };
    while i < fmt.len() {
        let c = fmt[i];
        if c == '\\' {
            let mut j = i + 1;
            if j < fmt.len() && fmt[j] == 'c' {
                return (out, used, true);
            }
            // One escape at a time through the shared decoder.
            let mut esc = String::from("\\");
            if j < fmt.len() {
                esc.push(fmt[j]);
                j += 1;
                while j < fmt.len()
                    && esc.len() < 5
                    && (fmt[j].is_ascii_hexdigit())
                    && matches!(esc.chars().nth(1), Some('0'..='7' | 'x'))
                {
                    esc.push(fmt[j]);
                    j += 1;
                }
            }
            let (decoded, _) = unescape_c(&esc);
            out.push_str(&decoded);
            i = j;
            continue;
        }
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        if i < fmt.len() && fmt[i] == '%' {
            out.push('%');
            i += 1;
            continue;
        }
        let mut left = false;
        let mut zero = false;
        let mut plus = false;
        let mut space = false;
        while i < fmt.len() && "-0+ #".contains(fmt[i]) {
            match fmt[i] {
                '-' => left = true,
                '0' => zero = true,
                '+' => plus = true,
                ' ' => space = true,
                _ => {}
            }
            i += 1;
        }
        let mut width = 0usize;
        if i < fmt.len() && fmt[i] == '*' {
            width = next_arg(&mut used)
                .and_then(|a| a.parse::<i64>().ok())
                .map_or(0, |w| {
                    if w < 0 {
                        left = true;
                    }
                    w.unsigned_abs() as usize
                });
            i += 1;
        }
        while i < fmt.len() && fmt[i].is_ascii_digit() {
            width = width
                .saturating_mul(10)
                .saturating_add(fmt[i].to_digit(10).unwrap_or(0) as usize);
            i += 1;
        }
        let mut precision: Option<usize> = None;
        if i < fmt.len() && fmt[i] == '.' {
            i += 1;
            let mut p = 0usize;
            if i < fmt.len() && fmt[i] == '*' {
                p = next_arg(&mut used)
                    .and_then(|a| a.parse().ok())
                    .unwrap_or(0);
                i += 1;
            }
            while i < fmt.len() && fmt[i].is_ascii_digit() {
                p = p
                    .saturating_mul(10)
                    .saturating_add(fmt[i].to_digit(10).unwrap_or(0) as usize);
                i += 1;
            }
            precision = Some(p.min(4096));
        }
        let width = width.min(4096);
        while i < fmt.len() && "hlLqjzt".contains(fmt[i]) {
            i += 1;
        }
        let Some(&conv) = fmt.get(i) else {
            errors.push("printf: missing conversion specifier".into());
            break;
        };
        i += 1;
        let arg = next_arg(&mut used);
        let rendered = match conv {
            's' => {
                let mut s = arg.unwrap_or_default();
                if let Some(p) = precision {
                    s = s.chars().take(p).collect();
                }
                s
            }
            'b' => unescape_c(&arg.unwrap_or_default()).0,
            'q' => {
                let s = arg.unwrap_or_default();
                if !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c))
                {
                    s
                } else {
                    format!("'{}'", s.replace('\'', "'\\''"))
                }
            }
            'c' => arg
                .and_then(|a| a.chars().next())
                .map(String::from)
                .unwrap_or_default(),
            'd' | 'i' | 'u' | 'x' | 'X' | 'o' => {
                let a = arg.unwrap_or_default();
                let n = match printf_number(&a) {
                    Ok(n) => n,
                    Err(()) => {
                        errors.push(format!("printf: {a}: invalid number"));
                        0
                    }
                };
                let mut s = match conv {
                    'x' => format!("{:x}", n),
                    'X' => format!("{:X}", n),
                    'o' => format!("{:o}", n),
                    'u' => (n as u64).to_string(),
                    _ => n.to_string(),
                };
                if let Some(p) = precision {
                    let neg = s.starts_with('-');
                    let digits = s.trim_start_matches('-').to_string();
                    if digits.len() < p {
                        s = format!(
                            "{}{}{}",
                            if neg { "-" } else { "" },
                            "0".repeat(p - digits.len()),
                            digits
                        );
                    }
                }
                if matches!(conv, 'd' | 'i') && n >= 0 {
                    if plus {
                        s.insert(0, '+');
                    } else if space {
                        s.insert(0, ' ');
                    }
                }
                s
            }
            'f' | 'F' | 'e' | 'E' | 'g' | 'G' => {
                let a = arg.unwrap_or_default();
                let v: f64 = match a.trim().parse() {
                    Ok(v) => v,
                    Err(_) if a.trim().is_empty() => 0.0,
                    Err(_) => {
                        errors.push(format!("printf: {a}: invalid number"));
                        0.0
                    }
                };
                let p = precision.unwrap_or(6);
                match conv {
                    'e' | 'E' => {
                        let s = format!("{v:.p$e}");
                        if conv == 'E' { s.to_uppercase() } else { s }
                    }
                    'g' | 'G' => format!("{v}"),
                    _ => format!("{v:.p$}"),
                }
            }
            other => {
                errors.push(format!("printf: `{other}': invalid format character"));
                break;
            }
        };
        out.push_str(&pad(rendered, width, left, zero && !left));
    }
    (out, used, false)
}

/// bash's `printf` builtin (with `-v VAR`).
pub(crate) fn printf(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let (var, args) = if args.first().map(String::as_str) == Some("-v") && args.len() >= 2 {
        (Some(args[1].clone()), &args[2..])
    } else {
        (None, args)
    };
    let args = if args.first().map(String::as_str) == Some("--") {
        &args[1..]
    } else {
        args
    };
    let Some(fmt) = args.first() else {
        sh.errln(
            io,
            "bash: printf: usage: printf [-v var] format [arguments]",
        );
        return 2;
    };
    let fmt: Vec<char> = fmt.chars().collect();
    let mut rest = &args[1..];
    let mut out = String::new();
    let mut errors = Vec::new();
    loop {
        let (text, used, stop) = printf_once(&fmt, rest, &mut errors);
        out.push_str(&text);
        if stop || used == 0 || used >= rest.len() || out.len() > 1 << 20 {
            break;
        }
        rest = &rest[used..];
    }
    for e in &errors {
        sh.errln(io, &format!("bash: {e}"));
    }
    match var {
        Some(v) => sh.set_var(&v, out),
        None => sh.out(io, out),
    }
    u32::from(!errors.is_empty())
}

fn file_test(sh: &Shell, op: &str, arg: &str) -> bool {
    let p = sh.abs(arg);
    let device = sh.is_device(arg);
    let node = sh.st.fs.get(&p);
    match op {
        "-e" | "-a" => node.is_some() || device,
        "-f" => matches!(node, Some(Node::File { .. })),
        "-d" => matches!(node, Some(Node::Dir { .. })),
        "-s" => node.is_some_and(|n| match n {
            Node::File { data, .. } => !data.is_empty(),
            Node::Dir { .. } => true,
        }),
        // The twin runs every command with root's rights: readable and writable.
        "-r" | "-w" => node.is_some() || device,
        "-x" => node.is_some_and(|n| n.is_dir() || n.mode() & 0o111 != 0),
        "-c" => device,
        "-g" => node.is_some_and(|n| n.mode() & 0o2000 != 0),
        "-u" => node.is_some_and(|n| n.mode() & 0o4000 != 0),
        "-k" => node.is_some_and(|n| n.mode() & 0o1000 != 0),
        "-O" | "-G" | "-N" => node.is_some(),
        _ => false,
    }
}

const UNARY: &[&str] = &[
    "-e", "-a", "-f", "-d", "-s", "-r", "-w", "-x", "-L", "-h", "-b", "-c", "-p", "-S", "-t", "-z",
    "-n", "-g", "-u", "-k", "-O", "-G", "-N",
];
const BINARY: &[&str] = &[
    "=", "==", "!=", "<", ">", "-eq", "-ne", "-lt", "-le", "-gt", "-ge", "-nt", "-ot", "-ef",
];

fn unary(sh: &Shell, op: &str, arg: &str) -> bool {
    match op {
        "-z" => arg.is_empty(),
        "-n" => !arg.is_empty(),
        "-L" | "-h" | "-b" | "-p" | "-S" | "-t" => false,
        _ => file_test(sh, op, arg),
    }
}

fn integer(s: &str) -> Result<i64, String> {
    s.trim()
        .parse::<i64>()
        .map_err(|_| format!("{s}: integer expression expected"))
}

fn binary(a: &str, op: &str, b: &str) -> Result<bool, String> {
    Ok(match op {
        "=" | "==" => a == b,
        "!=" => a != b,
        "<" => a < b,
        ">" => a > b,
        "-eq" => integer(a)? == integer(b)?,
        "-ne" => integer(a)? != integer(b)?,
        "-lt" => integer(a)? < integer(b)?,
        "-le" => integer(a)? <= integer(b)?,
        "-gt" => integer(a)? > integer(b)?,
        "-ge" => integer(a)? >= integer(b)?,
        "-ef" => a == b,
        _ => false,
    })
}

struct TestParser<'s, 'a, 'b> {
    sh: &'s Shell<'a>,
    args: &'b [String],
    pos: usize,
}

impl TestParser<'_, '_, '_> {
    fn peek(&self) -> Option<&str> {
        self.args.get(self.pos).map(String::as_str)
    }

    fn or(&mut self, depth: usize) -> Result<bool, String> {
        let mut v = self.and(depth)?;
        while self.peek() == Some("-o") {
            self.pos += 1;
            let r = self.and(depth)?;
            v = v || r;
        }
        Ok(v)
    }

    fn and(&mut self, depth: usize) -> Result<bool, String> {
        let mut v = self.not(depth)?;
        while self.peek() == Some("-a") {
            self.pos += 1;
            let r = self.not(depth)?;
            v = v && r;
        }
        Ok(v)
    }

    fn not(&mut self, depth: usize) -> Result<bool, String> {
        if depth > 64 {
            return Err("expression too complex".into());
        }
        if self.peek() == Some("!") {
            self.pos += 1;
            return Ok(!self.not(depth + 1)?);
        }
        self.primary(depth)
    }

    fn primary(&mut self, depth: usize) -> Result<bool, String> {
        let Some(tok) = self.peek().map(String::from) else {
            return Err("argument expected".into());
        };
        if tok == "(" {
            self.pos += 1;
            let v = self.or(depth + 1)?;
            if self.peek() != Some(")") {
                return Err("`)' expected".into());
            }
            self.pos += 1;
            return Ok(v);
        }
        if let Some(op) = self.args.get(self.pos + 1)
            && BINARY.contains(&op.as_str())
            && self.pos + 2 < self.args.len()
        {
            let b = self.args[self.pos + 2].clone();
            self.pos += 3;
            return binary(&tok, op, &b);
        }
        if UNARY.contains(&tok.as_str()) && self.pos + 1 < self.args.len() {
            let a = self.args[self.pos + 1].clone();
            self.pos += 2;
            return Ok(unary(self.sh, &tok, &a));
        }
        self.pos += 1;
        Ok(!tok.is_empty())
    }
}

fn test_eval(sh: &Shell, args: &[String]) -> Result<bool, String> {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    match a.as_slice() {
        [] => Ok(false),
        [x] => Ok(!x.is_empty()),
        ["!", x] => Ok(x.is_empty()),
        [op, x] if UNARY.contains(op) => Ok(unary(sh, op, x)),
        [op, _] => Err(format!("{op}: unary operator expected")),
        [x, op, y] if BINARY.contains(op) => binary(x, op, y),
        [x, "-a", y] => Ok(!x.is_empty() && !y.is_empty()),
        [x, "-o", y] => Ok(!x.is_empty() || !y.is_empty()),
        ["!", ..] if a.len() <= 4 => Ok(!test_eval(sh, &args[1..])?),
        ["(", x, ")"] => Ok(!x.is_empty()),
        [_, op, _] => Err(format!("{op}: binary operator expected")),
        _ => {
            let mut p = TestParser { sh, args, pos: 0 };
            let v = p.or(0)?;
            if p.pos < args.len() {
                return Err("too many arguments".into());
            }
            Ok(v)
        }
    }
}

/// `test` / `[` (the caller removed the closing `]`).
pub(crate) fn test_cmd(sh: &mut Shell, name: &str, args: &[String], io: &Io) -> u32 {
    match test_eval(sh, args) {
        Ok(v) => u32::from(!v),
        Err(msg) => {
            sh.errln(io, &format!("bash: {name}: {msg}"));
            2
        }
    }
}

/// `[[ … ]]`: like test, plus `&&`, `||`, pattern `==`/`!=` and regex `=~`. `patterns`
/// holds each word as a glob pattern (quoted parts escaped).
pub(crate) fn double_bracket(
    sh: &mut Shell,
    args: &[String],
    patterns: &[String],
) -> Result<bool, String> {
    struct P<'s, 'a, 'b> {
        sh: &'s Shell<'a>,
        args: &'b [String],
        pats: &'b [String],
        pos: usize,
    }
    impl P<'_, '_, '_> {
        fn peek(&self) -> Option<&str> {
            self.args.get(self.pos).map(String::as_str)
        }
        fn or(&mut self, d: usize) -> Result<bool, String> {
            let mut v = self.and(d)?;
            while self.peek() == Some("||") {
                self.pos += 1;
                let r = self.and(d)?;
                v = v || r;
            }
            Ok(v)
        }
        fn and(&mut self, d: usize) -> Result<bool, String> {
            let mut v = self.not(d)?;
            while self.peek() == Some("&&") {
                self.pos += 1;
                let r = self.not(d)?;
                v = v && r;
            }
            Ok(v)
        }
        fn not(&mut self, d: usize) -> Result<bool, String> {
            if d > 64 {
                return Err("expression too complex".into());
            }
            if self.peek() == Some("!") {
                self.pos += 1;
                return Ok(!self.not(d + 1)?);
            }
            if self.peek() == Some("(") {
                self.pos += 1;
                let v = self.or(d + 1)?;
                if self.peek() != Some(")") {
                    return Err("syntax error in conditional expression".into());
                }
                self.pos += 1;
                return Ok(v);
            }
            let Some(tok) = self.peek().map(String::from) else {
                return Err("unexpected argument to conditional expression".into());
            };
            if let Some(op) = self.args.get(self.pos + 1).cloned()
                && self.pos + 2 < self.args.len()
                && (BINARY.contains(&op.as_str()) || op == "=~")
            {
                let rhs = self.args[self.pos + 2].clone();
                let pat = self.pats.get(self.pos + 2).cloned().unwrap_or_default();
                self.pos += 3;
                return match op.as_str() {
                    "==" | "=" => Ok(glob_match(&pat, &tok)),
                    "!=" => Ok(!glob_match(&pat, &tok)),
                    "=~" => regex::RegexBuilder::new(&rhs)
                        .size_limit(1 << 20)
                        .build()
                        .map(|re| re.is_match(&tok))
                        .map_err(|_| "invalid regular expression".to_string()),
                    _ => binary(&tok, &op, &rhs),
                };
            }
            if UNARY.contains(&tok.as_str()) && self.pos + 1 < self.args.len() {
                let a = self.args[self.pos + 1].clone();
                self.pos += 2;
                return Ok(unary(self.sh, &tok, &a));
            }
            self.pos += 1;
            Ok(!tok.is_empty())
        }
    }
    let mut p = P {
        sh,
        args,
        pats: patterns,
        pos: 0,
    };
    if args.is_empty() {
        return Err("syntax error in conditional expression".into());
    }
    let v = p.or(0)?;
    if p.pos < args.len() {
        return Err(format!(
            "syntax error in conditional expression: unexpected token `{}'",
            args[p.pos]
        ));
    }
    Ok(v)
}

/// True when `sink` is a world-accessible regular file (for `wg genkey`'s warning).
pub(crate) fn world_accessible(sh: &Shell, sink: &Sink) -> bool {
    match sink {
        Sink::File(path) => sh.st.fs.get(path).is_some_and(|n| n.mode() & 0o007 != 0),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_like_chmod() {
        for (spec, cur, want) in [
            ("600", 0o644, Some(0o600)),
            ("0755", 0, Some(0o755)),
            ("u+x", 0o644, Some(0o744)),
            ("go-rwx", 0o755, Some(0o700)),
            ("a=r", 0o777, Some(0o444)),
            ("+x", 0o600, Some(0o711)),
            ("u=rw,go=", 0o777, Some(0o600)),
            ("zz", 0, None),
            ("9", 0, None),
        ] {
            assert_eq!(parse_mode(spec, cur, false), want, "{spec}");
        }
    }

    #[test]
    fn echo_and_escapes() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(echo(&s(&["-n", "a", "b"])), "a b");
        assert_eq!(echo(&s(&["-e", "a\\tb"])), "a\tb\n");
        assert_eq!(echo(&s(&["-x"])), "-x\n");
        assert_eq!(unescape_c("\\x41\\0101\\n").0, "AA\n");
    }

    #[test]
    fn printf_formats() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let f: Vec<char> = "%s=%d;%-4s|%05d|%x\\n".chars().collect();
        let mut errors = Vec::new();
        let (out, used, _) = printf_once(&f, &s(&["a", "7", "b", "42", "255"]), &mut errors);
        assert_eq!(out, "a=7;b   |00042|ff\n");
        assert_eq!(used, 5);
        assert!(errors.is_empty());
        let f: Vec<char> = "%d".chars().collect();
        printf_once(&f, &s(&["abc"]), &mut errors);
        assert_eq!(errors, vec!["printf: abc: invalid number"]);
    }

    #[test]
    fn dates_are_civil() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(20454), (2026, 1, 1));
        assert_eq!(dirname("/etc/wireguard/wg0.conf"), "/etc/wireguard");
        assert_eq!(dirname("wg0.conf"), ".");
        assert_eq!(dirname("/"), "/");
    }
}
