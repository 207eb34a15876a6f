//! The Linux driver (WireGuard and OpenVPN gateways, Linux access points): exec channels
//! only, no PTY. A Linux asset's intended configuration is one or more rendered files, each
//! introduced by a first line that says where and how it is installed:
//!
//! ```text
//! # netparc: path="/etc/wireguard/wg0.conf" mode=0600 reload="systemctl reload wg-quick@wg0"
//! ```
//!
//! (written by `templates/linux/_header.tera`). The line stays in the installed file (a
//! comment for the service), so the files are self-describing: an intent of several files
//! is their concatenation, split again at each header line ([`parse_files`]). A header may
//! also say `owns=` and an absolute folder: netparc owns every file in that folder that starts with a
//! header, and one the intent no longer has is deleted (an OpenVPN gateway's client files).
//!
//! The running configuration is the managed files as on the device, concatenated in the
//! intent's order, then the owned folders' other netparc files; a plan writes the files
//! that differ, deletes the owned ones no longer intended, then runs each distinct reload
//! command of what changed once. Writing is atomic per file (temporary file in the same
//! folder, content carried as base64 so no byte of it can reach the shell, mode set,
//! `sync`, `mv -f`), then the SHA-256 of what landed is checked. Any non-zero exit status
//! is an error naming the command and its stderr. WireGuard and hostapd secret lines
//! (`PrivateKey =`, `PresharedKey =`, `wpa_passphrase=`) and PEM private keys and OpenVPN
//! static keys are redacted in diffs, errors and the transcript even when the caller did
//! not list them.

use super::{CommandOutput, Driver, DriverError, FileWrite, Mode, Opening, Plan, Timeouts};
use crate::transport::ssh::SshSession;
use crate::transport::transcript::Redactor;
use base64::Engine as _;
use regex::Regex;
use sha2::Digest as _;
use std::sync::{Arc, LazyLock};

/// Lines whose value is a secret in the files this driver installs (also as diff lines,
/// after their `+`/`-` marker).
static SECRET_LINES: LazyLock<Arc<Regex>> = LazyLock::new(|| {
    Arc::new(
        Regex::new(
            r"(?mi)^[+-]?[ \t]*(?:PrivateKey|PresharedKey|wpa_passphrase|sae_password|wpa_psk)[ \t]*=[ \t]*(?P<secret>[^\r\n]*?)[ \t]*$",
        )
        .expect("valid pattern"),
    )
});

/// The body of a PEM private key or OpenVPN static key (inline `<key>` / `<tls-crypt>`
/// blocks of an OpenVPN configuration), also across the lines of a diff.
static SECRET_BLOCKS: LazyLock<Arc<Regex>> = LazyLock::new(|| {
    Arc::new(
        Regex::new(
            r"(?s)-----BEGIN (?P<label>[A-Z0-9 ]*PRIVATE KEY|OpenVPN Static key V1)-----(?P<secret>.*?)[+-]?[ \t]*-----END ",
        )
        .expect("valid pattern"),
    )
});

/// The path separator (written so because a quoted slash does not survive some editors).
const SLASH: char = '\u{2f}';

/// The marker of the install header.
const HEADER: &str = "# netparc:";

/// Where and how a file is installed (its `# netparc:` header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    /// Absolute path on the device.
    pub path: String,
    /// Permission bits.
    pub mode: u32,
    /// The command that makes the service take the file into use.
    pub reload: Option<String>,
    /// A folder netparc owns: its files that start with a `# netparc:` header and that the
    /// intent no longer has are deleted.
    pub owns: Option<String>,
}

/// One file of an intent: where it goes and its whole content (header line included).
#[derive(Clone, PartialEq, Eq)]
pub struct IntentFile {
    /// Where and how.
    pub spec: FileSpec,
    /// The content, from its header line to the next file's.
    pub content: String,
}

impl std::fmt::Debug for IntentFile {
    // The content may hold keys: its size only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "IntentFile({:?}, {} bytes)",
            self.spec,
            self.content.len()
        )
    }
}

/// Split a rendered intent into its files: each starts at a line beginning with
/// `# netparc:`. `Ok(vec![])` when the text does not start with such a line (a file
/// without header, such as a device's own backup). A malformed header, or two files with
/// one path, is an error naming the line.
pub fn parse_files(text: &str) -> Result<Vec<IntentFile>, String> {
    if !text.starts_with(HEADER) {
        return Ok(Vec::new());
    }
    let mut files: Vec<IntentFile> = Vec::new();
    for (number, line) in text.split_inclusive('\n').enumerate() {
        if line.starts_with(HEADER) {
            let spec = parse_header(line)
                .map_err(|problem| format!("line {}: {problem}", number + 1))?
                .ok_or_else(|| format!("line {}: not a header", number + 1))?;
            if files.iter().any(|f| f.spec.path == spec.path) {
                return Err(format!(
                    "line {}: `{}` is already a file of this intent",
                    number + 1,
                    spec.path
                ));
            }
            files.push(IntentFile {
                spec,
                content: String::new(),
            });
        }
        if let Some(file) = files.last_mut() {
            file.content.push_str(line);
        }
    }
    Ok(files)
}

/// The running text split by file path, leniently: text before the first header (a file
/// without one) belongs to `first`; a header that does not parse stays in the file before.
fn split_running<'a>(running: &'a str, first: Option<&str>) -> Vec<(String, &'a str)> {
    let mut parts: Vec<(String, usize, usize)> = Vec::new();
    let mut offset = 0;
    for line in running.split_inclusive('\n') {
        let header = line
            .starts_with(HEADER)
            .then(|| parse_header(line).ok().flatten())
            .flatten();
        match (header, parts.last_mut()) {
            (Some(spec), _) => parts.push((spec.path, offset, offset + line.len())),
            (None, Some(last)) => last.2 = offset + line.len(),
            (None, None) => parts.push((
                first.unwrap_or_default().to_string(),
                offset,
                offset + line.len(),
            )),
        }
        offset += line.len();
    }
    parts
        .into_iter()
        .map(|(path, from, to)| (path, &running[from..to]))
        .collect()
}

/// True when `path` is a file directly inside folder `dir`.
fn inside(path: &str, dir: &str) -> bool {
    path.rsplit_once(SLASH)
        .is_some_and(|(parent, name)| !name.is_empty() && parent == dir.trim_end_matches(SLASH))
}

/// The plan from `running` to the files of `intended` (pure): files whose content differs,
/// owned files no longer intended, and the reloads of what changed, each once.
pub fn plan_files(
    intended: &[IntentFile],
    running: &str,
) -> (Vec<FileWrite>, Vec<String>, Vec<String>) {
    let parts = split_running(running, intended.first().map(|f| f.spec.path.as_str()));
    let mut writes = Vec::new();
    let mut reloads: Vec<String> = Vec::new();
    let mut reload = |command: &Option<String>| {
        if let Some(command) = command
            && !reloads.contains(command)
        {
            reloads.push(command.clone());
        }
    };
    for file in intended {
        let current: String = parts
            .iter()
            .filter(|(path, _)| *path == file.spec.path)
            .map(|(_, text)| *text)
            .collect();
        if current != file.content {
            writes.push(FileWrite {
                path: file.spec.path.clone(),
                mode: file.spec.mode,
                content: file.content.clone(),
            });
            reload(&file.spec.reload);
        }
    }
    let mut removals: Vec<String> = Vec::new();
    for (path, _) in &parts {
        if intended.iter().any(|f| f.spec.path == *path) || removals.contains(path) {
            continue;
        }
        if let Some(owner) = intended
            .iter()
            .find(|f| f.spec.owns.as_deref().is_some_and(|dir| inside(path, dir)))
        {
            removals.push(path.clone());
            reload(&owner.spec.reload);
        }
    }
    (writes, removals, reloads)
}

/// The install header of a rendered file: `Ok(None)` when its first line is not one,
/// an error naming the problem when it is one but malformed (a typo must not silently
/// install a file somewhere else).
///
/// Grammar: `# netparc:` then `key=value` pairs separated by spaces; a value is bare (no
/// spaces or quotes) or double-quoted with `\"` and `\\` escapes. Keys: `path` (absolute,
/// required), `mode` (octal, required), `reload` (optional), `owns` (optional, an absolute
/// folder).
pub fn parse_header(text: &str) -> Result<Option<FileSpec>, String> {
    let first = text.lines().next().unwrap_or("");
    let Some(rest) = first.strip_prefix(HEADER) else {
        return Ok(None);
    };
    let mut chars = rest.chars().peekable();
    let (mut path, mut mode, mut reload, mut owns) = (None, None, None, None);
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let key: String = chars.by_ref().take_while(|&c| c != '=').collect();
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some(escaped) => value.push(escaped),
                        None => break,
                    },
                    '"' => {
                        closed = true;
                        break;
                    }
                    other => value.push(other),
                }
            }
            if !closed {
                return Err(format!("`{key}`: unterminated quoted value"));
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                if c == '"' {
                    return Err(format!("`{key}`: a quote inside a bare value"));
                }
                value.push(c);
                chars.next();
            }
        }
        match key.trim() {
            "path" => path = Some(value),
            "mode" => {
                mode = Some(
                    u32::from_str_radix(&value, 8)
                        .ok()
                        .filter(|m| *m <= 0o7777)
                        .ok_or_else(|| format!("mode `{value}` is not octal permission bits"))?,
                )
            }
            "reload" => reload = Some(value),
            "owns" => owns = Some(value),
            other => {
                return Err(format!(
                    "unknown key `{other}` (expected path, mode, reload, owns)"
                ));
            }
        }
    }
    let path = path.ok_or("no `path=`")?;
    if !path.starts_with('/') || path.ends_with('/') || path.contains(['\n', '\0']) {
        return Err(format!("path `{path}` is not an absolute file path"));
    }
    let mode = mode.ok_or("no `mode=`")?;
    let owns = owns.filter(|o| !o.trim().is_empty());
    if let Some(dir) = &owns
        && (!dir.starts_with(SLASH)
            || dir.trim_end_matches(SLASH).is_empty()
            || dir.contains(['\n', '\0']))
    {
        return Err(format!(
            "owns `{dir}` is not an absolute folder (and not /)"
        ));
    }
    Ok(Some(FileSpec {
        path,
        mode,
        reload: reload.filter(|r| !r.trim().is_empty()),
        owns: owns.map(|o| o.trim_end_matches(SLASH).to_string()),
    }))
}

/// `text` as one single-quoted shell word.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Lowercase hex SHA-256, as `sha256sum` prints it.
fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A temporary name no other run uses: time and a process-wide counter.
fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    format!(
        "{:x}{:x}{:x}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The script that installs `file` atomically: decode into a temporary file beside the
/// target (same file system, so `mv` is a rename), set the mode, flush, rename; on any
/// failure remove the temporary file and exit non-zero. The content is base64 inside a
/// quoted heredoc, so quotes, `$(…)`, backticks or a line `EOF` in it are inert.
pub fn install_script(file: &FileWrite, payload: &str) -> String {
    let (dir, name) = file
        .path
        .rsplit_once('/')
        .map(|(d, n)| (if d.is_empty() { "/" } else { d }, n))
        .unwrap_or(("/", file.path.as_str()));
    let tmp = format!(
        "{}/.{name}.netparc-{}",
        dir.trim_end_matches('/'),
        unique_suffix()
    );
    format!(
        "mkdir -p {dir} || exit 1\numask 077\ntmp={tmp}\nbase64 -d > \"$tmp\" <<'NETPARC_BASE64' && chmod {mode:04o} \"$tmp\" && sync && mv -f \"$tmp\" {path} || {{ rm -f \"$tmp\"; exit 1; }}\n{body}\nNETPARC_BASE64\n",
        tmp = shell_quote(&tmp),
        mode = file.mode,
        path = shell_quote(&file.path),
        dir = shell_quote(dir),
        body = payload,
    )
}

/// A live Linux session (see the module documentation).
pub struct Linux {
    asset: String,
    session: SshSession,
    timeouts: Timeouts,
    redactor: Redactor,
    /// The managed files, in the intent's order: from the intended configuration given at
    /// connect, a plan, a restore, or what was applied.
    layout: Vec<FileSpec>,
}

/// Open the driver: exec channels need no preparation; learn the managed files from the
/// intended configuration when the caller gave it.
pub async fn open(opening: Opening) -> Result<Box<dyn Driver>, DriverError> {
    let Opening {
        asset,
        session,
        options,
        mut redactor,
    } = opening;
    for pattern in [SECRET_LINES.clone(), SECRET_BLOCKS.clone()] {
        redactor.add_pattern(pattern.clone());
        if let Some(transcript) = &options.transcript {
            transcript.redact_pattern(pattern);
        }
    }
    let layout = match options.intended.as_deref().map(parse_files) {
        None => Vec::new(),
        Some(Ok(files)) => files.into_iter().map(|f| f.spec).collect(),
        Some(Err(problem)) => {
            return Err(DriverError::Failed {
                asset,
                message: format!("the intended configuration's `# netparc:` header: {problem}"),
            });
        }
    };
    Ok(Box::new(Linux {
        asset,
        session,
        timeouts: options.timeouts,
        redactor,
        layout,
    }))
}

impl Linux {
    fn failed(&self, message: impl Into<String>) -> DriverError {
        DriverError::Failed {
            asset: self.asset.clone(),
            message: self.redactor.apply(&message.into()),
        }
    }

    /// Run `command`; non-zero exit (or none) is an error naming `what` and its stderr.
    async fn run(&self, command: &str, what: &str) -> Result<Vec<u8>, DriverError> {
        self.run_shown(command, command, what).await
    }

    /// [`run`](Self::run), the transcript showing `shown` instead of `command`.
    async fn run_shown(
        &self,
        command: &str,
        shown: &str,
        what: &str,
    ) -> Result<Vec<u8>, DriverError> {
        let result = self
            .session
            .exec_as(command, shown, self.timeouts.command)
            .await?;
        match result.status {
            Some(0) => Ok(result.stdout),
            status => {
                let status = status.map_or_else(
                    || String::from("no exit status"),
                    |s| format!("exit status {s}"),
                );
                let stderr = String::from_utf8_lossy(&result.stderr);
                Err(self.failed(format!("`{what}` failed ({status}): {}", stderr.trim())))
            }
        }
    }

    /// The files of `intended`: its headers, or for a text without one (a backup of a
    /// device's own file) the first managed file with that text as content.
    fn files_of(&self, intended: &str) -> Result<Vec<IntentFile>, DriverError> {
        let files = parse_files(intended)
            .map_err(|problem| self.failed(format!("the `# netparc:` header: {problem}")))?;
        if !files.is_empty() {
            return Ok(files);
        }
        let spec = self.layout.first().cloned().ok_or_else(|| {
            self.failed(
                "which file to manage is unknown: the intended configuration needs its `# netparc: path=… mode=…` header (give it in DriverOptions::intended)",
            )
        })?;
        Ok(vec![IntentFile {
            spec,
            content: intended.to_string(),
        }])
    }

    /// Add `specs` to the managed files (those already known keep their place).
    fn learn(&mut self, specs: impl IntoIterator<Item = FileSpec>) {
        for spec in specs {
            match self.layout.iter_mut().find(|s| s.path == spec.path) {
                Some(known) => *known = spec,
                None => self.layout.push(spec),
            }
        }
    }

    /// The netparc files (first line a `# netparc:` header) inside the owned folders that
    /// are not managed files already, sorted.
    async fn owned_extras(&self) -> Result<Vec<String>, DriverError> {
        let dirs: Vec<&str> = self
            .layout
            .iter()
            .filter_map(|s| s.owns.as_deref())
            .collect();
        if dirs.is_empty() {
            return Ok(Vec::new());
        }
        let globs: Vec<String> = dirs
            .iter()
            .map(|d| format!("{}/*", shell_quote(d)))
            .collect();
        let command = format!(
            "for f in {}; do if [ -f \"$f\" ] && head -n 1 \"$f\" | grep -q '^# netparc:'; then echo \"$f\"; fi; done",
            globs.join(" ")
        );
        let out = self.run(&command, "list the owned folders").await?;
        let mut extras: Vec<String> = String::from_utf8_lossy(&out)
            .lines()
            .filter(|p| dirs.iter().any(|d| inside(p, d)))
            .filter(|p| !self.layout.iter().any(|s| s.path == *p))
            .map(str::to_string)
            .collect();
        extras.sort();
        extras.dedup();
        Ok(extras)
    }

    async fn install(&mut self, file: &FileWrite) -> Result<(), DriverError> {
        if !file.path.starts_with(SLASH) || file.path.contains(['\n', '\0']) {
            return Err(self.failed(format!("`{}` is not an absolute file path", file.path)));
        }
        let payload = base64::engine::general_purpose::STANDARD.encode(file.content.as_bytes());
        let script = install_script(file, &payload);
        // The payload encodes the content, secrets included, where redaction cannot see
        // them: the transcript shows the script with the payload left out.
        let shown = script.replace(
            &payload,
            &format!(
                "<{} bytes of base64: the file, not recorded>",
                payload.len()
            ),
        );
        self.run_shown(&script, &shown, &format!("install {}", file.path))
            .await?;
        let check = format!("sha256sum {}", shell_quote(&file.path));
        let out = self.run(&check, &check).await?;
        let landed = String::from_utf8_lossy(&out);
        let landed = landed.split_whitespace().next().unwrap_or("");
        let expected = sha256_hex(file.content.as_bytes());
        if landed != expected {
            return Err(self.failed(format!(
                "{} read back differs from what was sent (sha256 {landed}, expected {expected})",
                file.path
            )));
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Driver for Linux {
    fn asset(&self) -> &str {
        &self.asset
    }

    async fn running_config(&mut self) -> Result<String, DriverError> {
        if self.layout.is_empty() {
            return Err(self.failed(
                "which file to manage is unknown: the intended configuration needs its `# netparc: path=… mode=…` header (give it in DriverOptions::intended)",
            ));
        }
        let mut paths: Vec<String> = self.layout.iter().map(|s| s.path.clone()).collect();
        paths.extend(self.owned_extras().await?);
        // A file not there yet is empty: the plan creates it. The files are read in one
        // exec; each starts with its own header, so their concatenation splits again.
        let quoted: Vec<String> = paths.iter().map(|p| shell_quote(p)).collect();
        let command = format!(
            "for f in {}; do if [ -e \"$f\" ]; then cat -- \"$f\"; fi; done",
            quoted.join(" ")
        );
        let shown = if paths.len() == 1 {
            format!("cat {}", paths[0])
        } else {
            format!("cat {} files", paths.len())
        };
        let bytes = self.run(&command, &shown).await?;
        String::from_utf8(bytes).map_err(|_| self.failed(format!("{shown}: not UTF-8 text")))
    }

    fn plan(&self, intended: &str, running: &str, _mode: Mode) -> Result<Plan, DriverError> {
        // Whole-file replacement: merge and replace are the same for files.
        let files = self.files_of(intended)?;
        let (writes, removals, reloads) = plan_files(&files, running);
        if writes.is_empty() && removals.is_empty() {
            return Ok(Plan::default());
        }
        // Diff the real texts, then hide the secrets: a rotated key still shows as a
        // changed line (`-PrivateKey = <redacted>` / `+PrivateKey = <redacted>`).
        let intended_text: String = files.iter().map(|f| f.content.as_str()).collect();
        let diff = self.redactor.apply(&crate::config::file_diff(
            running,
            &intended_text,
            &format!("{}:{}", self.asset, files[0].spec.path),
        ));
        Ok(Plan {
            diff,
            commands: Vec::new(),
            files: writes,
            removals,
            reloads,
        })
    }

    async fn apply(&mut self, plan: &Plan) -> Result<(), DriverError> {
        // A plan none of whose files is managed yet is another intent (a session reused for
        // a different file): later reads follow it, not the files of the earlier one.
        if !plan.files.is_empty()
            && !plan
                .files
                .iter()
                .any(|f| self.layout.iter().any(|s| s.path == f.path))
        {
            self.layout.clear();
        }
        for file in &plan.files {
            self.install(file).await?;
            // Later reads include the file just written, even without a header on restore.
            if let Ok(Some(spec)) = parse_header(&file.content) {
                self.learn([spec]);
            } else if !self.layout.iter().any(|s| s.path == file.path) {
                self.layout.push(FileSpec {
                    path: file.path.clone(),
                    mode: file.mode,
                    reload: plan.reloads.first().cloned(),
                    owns: None,
                });
            }
        }
        for path in &plan.removals {
            if !path.starts_with(SLASH) || path.contains(['\n', '\0']) {
                return Err(self.failed(format!("`{path}` is not an absolute file path")));
            }
            let command = format!("rm -f -- {}", shell_quote(path));
            self.run(&command, &command).await?;
            self.layout.retain(|s| s.path != *path);
        }
        for command in &plan.commands {
            self.run(command, command).await?;
        }
        for reload in &plan.reloads {
            self.run(reload, reload).await?;
        }
        Ok(())
    }

    async fn save(&mut self) -> Result<(), DriverError> {
        // Files are already on disk; make sure they reached it.
        self.run("sync", "sync").await.map(|_| ())
    }

    async fn restore(&mut self, backup: &str) -> Result<(), DriverError> {
        // Read every file the backup had, as well as those managed now: a file added since
        // (in an owned folder) is found and deleted.
        let files = self.files_of(backup)?;
        self.learn(files.iter().map(|f| f.spec.clone()));
        let running = self.running_config().await?;
        let mut plan = self.plan(backup, &running, Mode::Replace)?;
        if plan.is_empty() {
            return Ok(());
        }
        // A backup without header (a device's own file): reload as the known file says.
        if plan.reloads.is_empty()
            && let Some(reload) = self.layout.first().and_then(|f| f.reload.clone())
        {
            plan.reloads.push(reload);
        }
        self.apply(&plan).await?;
        self.save().await
    }

    async fn command(&mut self, line: &str) -> Result<CommandOutput, DriverError> {
        let result = self.session.exec(line, self.timeouts.command).await?;
        let mut text = String::from_utf8_lossy(&result.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&result.stderr));
        Ok(CommandOutput {
            text,
            status: result.status,
        })
    }

    async fn configure(&mut self, lines: &[String]) -> Result<(), DriverError> {
        for line in lines.iter().filter(|l| !l.trim().is_empty()) {
            self.run(line, line).await?;
        }
        Ok(())
    }

    async fn close(self: Box<Self>) {
        self.session.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_grammar() {
        let spec = parse_header(
            "# netparc: path=/etc/wireguard/wg0.conf mode=0600 reload=\"systemctl reload wg-quick@wg0\"\nrest",
        )
        .unwrap()
        .unwrap();
        assert_eq!(spec.path, "/etc/wireguard/wg0.conf");
        assert_eq!(spec.mode, 0o600);
        assert_eq!(
            spec.reload.as_deref(),
            Some("systemctl reload wg-quick@wg0")
        );
        let quoted = parse_header(r#"# netparc: path=/x mode=644 reload="echo \"a\" \\ b""#)
            .unwrap()
            .unwrap();
        assert_eq!(quoted.reload.as_deref(), Some(r#"echo "a" \ b"#));
        assert_eq!(parse_header("# /etc/x on y\n").unwrap(), None);
        assert!(
            parse_header("# netparc: path=/x")
                .unwrap_err()
                .contains("mode")
        );
        assert!(
            parse_header("# netparc: path=x mode=0600")
                .unwrap_err()
                .contains("absolute")
        );
        assert!(
            parse_header("# netparc: pth=/x mode=0600")
                .unwrap_err()
                .contains("unknown key")
        );
        assert!(
            parse_header("# netparc: path=/x mode=999")
                .unwrap_err()
                .contains("octal")
        );
        assert!(parse_header("# netparc: path=/x mode=0600 reload=\"open").is_err());
    }

    fn file(path: &str, mode: &str, reload: &str, owns: Option<&str>, body: &str) -> String {
        let owns = owns.map(|o| format!(" owns=\"{o}\"")).unwrap_or_default();
        format!("# netparc: path=\"{path}\" mode={mode} reload=\"{reload}\"{owns}\n{body}")
    }

    #[test]
    fn an_intent_of_several_files_splits_at_each_header() {
        let root = SLASH.to_string();
        let conf = file(
            &format!("{root}srv/a.conf"),
            "0600",
            "restart a",
            Some(&format!("{root}srv/a/ccd")),
            "dev tun0\n",
        );
        let one = file(
            &format!("{root}srv/a/ccd/one"),
            "0644",
            "",
            None,
            "ifconfig-push 10.0.0.2 255.255.255.0\n",
        );
        let files = parse_files(&format!("{conf}{one}")).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].content, conf);
        assert_eq!(
            files[0].spec.owns.as_deref(),
            Some(format!("{root}srv/a/ccd").as_str())
        );
        assert_eq!(files[0].spec.reload.as_deref(), Some("restart a"));
        assert_eq!(files[1].content, one);
        assert_eq!(files[1].spec.mode, 0o644);
        assert_eq!(files[1].spec.reload, None);
        // No header at the top: not an intent of files (a device's own file).
        assert!(parse_files("dev tun0\n").unwrap().is_empty());
        // Two files on one path, a broken header: errors naming the line.
        let twice = parse_files(&format!("{conf}{conf}")).unwrap_err();
        assert!(
            twice.starts_with("line 3:") && twice.contains("already"),
            "{twice}"
        );
        let broken = parse_files(&format!("{conf}# netparc: path=x mode=0600\n")).unwrap_err();
        assert!(
            broken.starts_with("line 3:") && broken.contains("absolute"),
            "{broken}"
        );
        let relative = parse_header("# netparc: path=/x mode=0600 owns=ccd").unwrap_err();
        assert!(relative.contains("absolute folder"), "{relative}");
    }

    #[test]
    fn a_plan_writes_what_differs_and_deletes_owned_files_no_longer_intended() {
        let root = SLASH.to_string();
        let ccd = format!("{root}srv/a/ccd");
        let conf = file(
            &format!("{root}srv/a.conf"),
            "0600",
            "restart a",
            Some(&ccd),
            "dev tun0\n",
        );
        let one = file(
            &format!("{ccd}/one"),
            "0644",
            "",
            None,
            "ifconfig-push 10.0.0.2 255.255.255.0\n",
        );
        let two = file(
            &format!("{ccd}/two"),
            "0644",
            "",
            None,
            "ifconfig-push 10.0.0.3 255.255.255.0\n",
        );
        let elsewhere = file(&format!("{root}srv/other"), "0644", "", None, "kept\n");
        // In sync: nothing.
        let intended = parse_files(&format!("{conf}{one}")).unwrap();
        let (writes, removals, reloads) = plan_files(&intended, &format!("{conf}{one}"));
        assert!(writes.is_empty() && removals.is_empty() && reloads.is_empty());
        // A client added: its file only, no reload (its header has none).
        let intended = parse_files(&format!("{conf}{one}{two}")).unwrap();
        let (writes, removals, reloads) = plan_files(&intended, &format!("{conf}{one}"));
        assert_eq!(writes.len(), 1);
        assert_eq!(writes[0].path, format!("{ccd}/two"));
        assert_eq!(writes[0].content, two);
        assert!(removals.is_empty() && reloads.is_empty());
        // A client gone: its file deleted (owned folder), the owner's reload once; a netparc
        // file outside the owned folder is never deleted.
        let intended = parse_files(&format!("{conf}{one}")).unwrap();
        let (writes, removals, reloads) =
            plan_files(&intended, &format!("{conf}{one}{two}{elsewhere}"));
        assert!(writes.is_empty());
        assert_eq!(removals, vec![format!("{ccd}/two")]);
        assert_eq!(reloads, vec![String::from("restart a")]);
        // The server file changed: rewritten and reloaded.
        let changed = conf.replace("tun0", "tun1");
        let intended = parse_files(&format!("{changed}{one}")).unwrap();
        let (writes, _, reloads) = plan_files(&intended, &format!("{conf}{one}"));
        assert_eq!(writes.len(), 1);
        assert_eq!(writes[0].mode, 0o600);
        assert_eq!(reloads, vec![String::from("restart a")]);
        // A first install: every file, the reload once.
        let intended = parse_files(&format!("{conf}{one}{two}")).unwrap();
        let (writes, _, reloads) = plan_files(&intended, "");
        assert_eq!(writes.len(), 3);
        assert_eq!(reloads.len(), 1);
        // A device file without header is the first file's running content.
        let single = parse_files(&conf).unwrap();
        let (writes, _, _) = plan_files(&single, "dev tun0\n");
        assert_eq!(writes.len(), 1);
    }

    #[test]
    fn pem_keys_are_redacted_across_diff_lines() {
        let mut redactor = Redactor::new();
        redactor.add_pattern(SECRET_BLOCKS.clone());
        let diff = "<key>\n------BEGIN PRIVATE KEY-----\n-MIGHAgEAMBMG\n+MIGHAgEAMBMH\n -----END PRIVATE KEY-----\n</key>\n<tls-crypt>\n-----BEGIN OpenVPN Static key V1-----\nfd1c796d4e21\n-----END OpenVPN Static key V1-----\n";
        let shown = redactor.apply(diff);
        assert!(
            !shown.contains("MIGHAgEAMBM") && !shown.contains("fd1c796d4e21"),
            "{shown}"
        );
        assert!(
            shown.contains("BEGIN PRIVATE KEY") && shown.contains("<tls-crypt>"),
            "{shown}"
        );
    }

    #[test]
    fn quoting_is_one_word() {
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
    }

    #[test]
    fn secret_lines_are_redacted() {
        let mut redactor = Redactor::new();
        redactor.add_pattern(SECRET_LINES.clone());
        assert_eq!(
            redactor.apply("[Interface]\nPrivateKey = abc=\n  PresharedKey=def=\nwpa_passphrase=long pass\nListenPort = 1\n"),
            "[Interface]\nPrivateKey = <redacted>\n  PresharedKey=<redacted>\nwpa_passphrase=<redacted>\nListenPort = 1\n"
        );
    }

    #[test]
    fn install_script_carries_no_raw_content() {
        let file = FileWrite {
            path: String::from("/etc/x y/it's"),
            mode: 0o600,
            content: String::from("$(reboot)\n`id`\nEOF\n'"),
        };
        let payload = base64::engine::general_purpose::STANDARD.encode(file.content.as_bytes());
        let script = install_script(&file, &payload);
        assert!(
            !script.contains("reboot") && !script.contains("`id`"),
            "{script}"
        );
        assert!(script.contains("chmod 0600"));
        assert!(
            script.contains(r#"mv -f "$tmp" '/etc/x y/it'\''s'"#),
            "{script}"
        );
    }
}
