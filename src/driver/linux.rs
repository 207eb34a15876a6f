//! The Linux driver (WireGuard gateways, Linux access points): exec channels only, no PTY.
//! A Linux asset's intended configuration is one rendered file whose first line says where
//! and how it is installed:
//!
//! ```text
//! # netparc: path="https://gh.072103.xyz/etc/wireguard/wg0.conf" mode=0600 reload="systemctl reload wg-quick@wg0"
//! ```
//!
//! (written by `templates/linux/_header.tera`). The running configuration is that file as on
//! the device; a plan replaces the whole file when it differs; applying writes it atomically
//! (temporary file in the same folder, content carried as base64 so no byte of it can reach
//! the shell, mode set, `sync`, `mv -f`), checks the SHA-256 of what landed, then runs the
//! reload command. Any non-zero exit status is an error naming the command and its stderr.
//! WireGuard and hostapd secrets (`PrivateKey =`, `PresharedKey =`, `wpa_passphrase=`) are
//! redacted in diffs, errors and the transcript even when the caller did not list them.

use super::{CommandOutput, Driver, DriverError, FileWrite, Mode, Opening, Plan, Timeouts};
use crate::transport::ssh::SshSession;
use crate::transport::transcript::Redactor;
use base64::Engine as _;
use regex::Regex;
use sha2::Digest as _;
use std::sync::LazyLock;

/// Lines whose value is a secret in the files this driver installs (also as diff lines,
/// after their `+`/`-` marker).
static SECRET_LINES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?mi)^[+-]?[ \t]*(?:PrivateKey|PresharedKey|wpa_passphrase|sae_password|wpa_psk)[ \t]*=[ \t]*(?P<secret>[^\r\n]*?)[ \t]*$",
    )
    .expect("valid pattern")
});

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
}

/// The install header of a rendered file: `Ok(None)` when its first line is not one,
/// an error naming the problem when it is one but malformed (a typo must not silently
/// install a file somewhere else).
///
/// Grammar: `# netparc:` then `key=value` pairs separated by spaces; a value is bare (no
/// spaces or quotes) or double-quoted with `\"` and `\\` escapes. Keys: `path` (absolute,
/// required), `mode` (octal, required), `reload` (optional).
pub fn parse_header(text: &str) -> Result<Option<FileSpec>, String> {
    let first = text.lines().next().unwrap_or("");
    let Some(rest) = first.strip_prefix(HEADER) else {
        return Ok(None);
    };
    let mut chars = rest.chars().peekable();
    let (mut path, mut mode, mut reload) = (None, None, None);
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
            other => {
                return Err(format!(
                    "unknown key `{other}` (expected path, mode, reload)"
                ));
            }
        }
    }
    let path = path.ok_or("no `path=`")?;
    if !path.starts_with('/') || path.ends_with('/') || path.contains(['\n', '\0']) {
        return Err(format!("path `{path}` is not an absolute file path"));
    }
    let mode = mode.ok_or("no `mode=`")?;
    Ok(Some(FileSpec {
        path,
        mode,
        reload: reload.filter(|r| !r.trim().is_empty()),
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
        "umask 077\ntmp={tmp}\nbase64 -d > \"$tmp\" <<'NETPARC_BASE64' && chmod {mode:04o} \"$tmp\" && sync && mv -f \"$tmp\" {path} || {{ rm -f \"$tmp\"; exit 1; }}\n{body}\nNETPARC_BASE64\n",
        tmp = shell_quote(&tmp),
        mode = file.mode,
        path = shell_quote(&file.path),
        body = payload,
    )
}

/// A live Linux session (see the module documentation).
pub struct Linux {
    asset: String,
    session: SshSession,
    timeouts: Timeouts,
    redactor: Redactor,
    /// The managed file, from the intended configuration given at connect or in a plan.
    file: Option<FileSpec>,
}

/// Open the driver: exec channels need no preparation; learn the managed file from the
/// intended configuration when the caller gave it.
pub async fn open(opening: Opening) -> Result<Box<dyn Driver>, DriverError> {
    let Opening {
        asset,
        session,
        options,
        mut redactor,
    } = opening;
    redactor.add_pattern(SECRET_LINES.clone());
    if let Some(transcript) = &options.transcript {
        transcript.redact_pattern(SECRET_LINES.clone());
    }
    let file = match options.intended.as_deref().map(parse_header) {
        None | Some(Ok(None)) => None,
        Some(Ok(Some(spec))) => Some(spec),
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
        file,
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

    /// The managed file: the header of `intended` when it has one, else the one known.
    fn spec_for(&self, intended: Option<&str>) -> Result<FileSpec, DriverError> {
        if let Some(text) = intended {
            match parse_header(text) {
                Ok(Some(spec)) => return Ok(spec),
                Ok(None) => {}
                Err(problem) => {
                    return Err(self.failed(format!("the `# netparc:` header: {problem}")));
                }
            }
        }
        self.file.clone().ok_or_else(|| {
            self.failed(
                "which file to manage is unknown: the intended configuration needs its `# netparc: path=… mode=…` header (give it in DriverOptions::intended)",
            )
        })
    }

    async fn install(&mut self, file: &FileWrite) -> Result<(), DriverError> {
        if !file.path.starts_with('/') || file.path.contains(['\n', '\0']) {
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
        let spec = self.spec_for(None)?;
        let path = shell_quote(&spec.path);
        // A file not there yet is an empty configuration: the plan creates it.
        let command = format!("if [ -e {path} ]; then cat {path}; fi");
        let bytes = self.run(&command, &format!("cat {}", spec.path)).await?;
        String::from_utf8(bytes)
            .map_err(|_| self.failed(format!("{} is not UTF-8 text", spec.path)))
    }

    fn plan(&self, intended: &str, running: &str, _mode: Mode) -> Result<Plan, DriverError> {
        // Whole-file replacement: merge and replace are the same for a file.
        let spec = self.spec_for(Some(intended))?;
        if intended == running {
            return Ok(Plan::default());
        }
        // Diff the real texts, then hide the secrets: a rotated key still shows as a
        // changed line (`-PrivateKey = <redacted>` / `+PrivateKey = <redacted>`).
        let diff = self.redactor.apply(&crate::config::file_diff(
            running,
            intended,
            &format!("{}:{}", self.asset, spec.path),
        ));
        Ok(Plan {
            diff,
            commands: Vec::new(),
            files: vec![FileWrite {
                path: spec.path,
                mode: spec.mode,
                content: intended.to_string(),
            }],
            reload: spec.reload,
        })
    }

    async fn apply(&mut self, plan: &Plan) -> Result<(), DriverError> {
        for file in &plan.files {
            self.install(file).await?;
            // Later reads go to the file just written, even without a header on restore.
            if self.file.as_ref().is_none_or(|f| f.path != file.path) {
                self.file = Some(FileSpec {
                    path: file.path.clone(),
                    mode: file.mode,
                    reload: plan.reload.clone(),
                });
            }
        }
        for command in &plan.commands {
            self.run(command, command).await?;
        }
        if let Some(reload) = &plan.reload {
            self.run(reload, reload).await?;
        }
        Ok(())
    }

    async fn save(&mut self) -> Result<(), DriverError> {
        // Files are already on disk; make sure they reached it.
        self.run("sync", "sync").await.map(|_| ())
    }

    async fn restore(&mut self, backup: &str) -> Result<(), DriverError> {
        let running = self.running_config().await?;
        let mut plan = self.plan(backup, &running, Mode::Replace)?;
        if plan.is_empty() {
            return Ok(());
        }
        // A backup without header (a device's own file): reload as the known file says.
        if plan.reload.is_none() {
            plan.reload = self.file.as_ref().and_then(|f| f.reload.clone());
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
