//! The IOS-style driver (switches, access points): one PTY shell per session. It finds the
//! prompt by pattern (`host>`, `host#`, `host(config…)#`), enters privileged mode with the
//! enable secret when the session starts at `>`, turns paging off, reads the running
//! configuration (banners stripped), sends configuration lines one at a time — each line's
//! echo and prompt awaited within the per-line timeout — and fails naming the line on any
//! `%` error, back at `#` before it returns. Save is `write memory` (or
//! `copy running-config startup-config` with its question answered).

use super::{CommandOutput, Driver, DriverError, Mode, Opening, Plan, Timeouts};
use crate::secrets::Secret;
use crate::transport::ssh::{Shell, SshSession};
use crate::transport::transcript::Redactor;
use regex::Regex;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

/// Any IOS prompt, as the last line of what was received: the hostname, an optional mode in
/// parentheses, then `>` or `#`. Anchored at the end of the text so a line of output that
/// merely contains `#` cannot end a read early. Used where the hostname may change (a
/// `hostname` line in configuration mode) or is not known yet.
/// Shared, never cloned as a `Regex`: a cloned `Regex` starts with an empty cache, and
/// rebuilding its lazy DFA on every line pushed was a measurable part of a device's time.
static ANY_PROMPT: LazyLock<Arc<Regex>> = LazyLock::new(|| {
    Arc::new(
        Regex::new(r"(?:^|\n)(?P<host>[A-Za-z0-9][A-Za-z0-9_.:/-]*)(?P<mode>\([A-Za-z0-9_. /-]*\))?(?P<level>[>#]) ?$")
            .expect("valid prompt pattern"),
    )
});

/// Where the prompt of `host` ends `text`, if the text ends with it: safer than any prompt
/// for long outputs, where a line could look like a prompt by chance. Matched through the
/// shared [`ANY_PROMPT`] (a pattern compiled per device cost its compilation and a cold
/// cache on every device); it matches only at the end of the text, so the prompt it finds is
/// the last line's.
fn own_prompt_end(host: &str, text: &str) -> Option<usize> {
    let found = ANY_PROMPT.captures(text)?;
    let whole = found.get(0)?;
    (found.name("host")?.as_str() == host).then_some(whole.end())
}

/// The enable password question.
static PASSWORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)password: ?$").expect("valid pattern"));

/// `copy running-config startup-config` asks where to write.
static DESTINATION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"Destination filename \[[^\]]*\]\? ?$").expect("valid pattern"));

/// Secrets as IOS configuration lines carry them (passwords and secrets of any type,
/// SNMP communities and v3 keys, Wi-Fi pre-shared keys): hidden in diffs, errors and the
/// transcript even when the caller did not list the value. Hashed forms (`secret 9 $9$…`)
/// are hidden too: a hash is still worth cracking.
static SECRET_WORDS: LazyLock<Vec<Arc<Regex>>> = LazyLock::new(|| {
    // Anchored on the commands that carry them, at the start of a line (after indentation
    // and an optional diff marker), so prose such as "the secret was refused" is left alone.
    const START: &str = r"(?m)^[+\- ]?[ \t]*";
    [
        r"(?:enable[ \t]+(?:secret|password)|username[ \t]+\S+(?:[ \t]+\S+)*?[ \t]+(?:secret|password)|password)(?:[ \t]+[0-9])?[ \t]+(?P<secret>\S+)",
        r"snmp-server[ \t]+community[ \t]+(?P<secret>\S+)",
        r"snmp-server[ \t]+user[ \t].*?\bauth[ \t]+(?:md5|sha\S*)[ \t]+(?P<secret>\S+)",
        r"snmp-server[ \t]+user[ \t].*?\bpriv[ \t]+(?:des|3des|aes(?:[ \t]+[0-9]+)?)[ \t]+(?P<secret>\S+)",
        r"wpa-psk[ \t]+(?:ascii|hex)(?:[ \t]+[0-9])?[ \t]+(?P<secret>\S+)",
    ]
    .iter()
    .map(|p| Arc::new(Regex::new(&format!("{START}{p}")).expect("valid secret pattern")))
    .collect()
});

/// `%` lines IOS prints that are information, not refusals (a VLAN created on the fly by
/// `switchport access vlan`, RSA key generation, advice such as the portfast warning).
const INFORMATIONAL: [&str; 5] = [
    "does not exist. Creating vlan",
    "The key modulus size",
    "Generating ",
    "Warning",
    "NOTE",
];

/// A syslog message (`%LINK-3-UPDOWN: …`, `%SYS-5-CONFIG_I: …`): what the device logs to
/// the terminal, not an answer to the line just sent.
static SYSLOG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^%[A-Z0-9_]+-\d-[A-Z0-9_]+:").expect("valid pattern"));

/// The first line of output that is an IOS error (`% Invalid input…`, `% Incomplete
/// command.`, `% Ambiguous command…`, `%Error…`, …), if any.
pub fn error_in(output: &str) -> Option<String> {
    output
        .lines()
        .map(str::trim)
        .find(|line| {
            line.starts_with('%')
                && !SYSLOG.is_match(line)
                && !INFORMATIONAL.iter().any(|info| line.contains(info))
        })
        .map(str::to_string)
}

/// How many output lines of an EXEC command may hold its refusal: IOS answers a bad command
/// at once (the `^` marker, then the `%` line); further down, a `%` belongs to the output
/// (a banner, a log buffer), not to a refusal.
const EXEC_ERROR_LINES: usize = 3;

/// `show running-config` as intended configurations are compared with: the `Building
/// configuration...` and `Current configuration : N bytes` banners and the blank lines
/// before the configuration removed, trailing blank lines trimmed, one final newline.
pub fn clean_running_config(text: &str) -> String {
    let mut lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    lines.retain(|line| {
        !(line.starts_with("Building configuration") || line.starts_with("Current configuration"))
    });
    let start = lines
        .iter()
        .position(|l| !l.trim().is_empty())
        .unwrap_or(lines.len());
    let end = lines
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map_or(start, |i| i + 1);
    let mut out = lines[start..end.max(start)].join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// Where a prompt says the session is.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Prompt {
    host: String,
    /// `(config)`, `(config-if)`…; empty outside configuration mode.
    mode: String,
    privileged: bool,
}

impl Prompt {
    fn in_config(&self) -> bool {
        self.mode.starts_with("(config")
    }
}

/// A live IOS session (see the module documentation).
pub struct Ios {
    asset: String,
    session: SshSession,
    shell: Shell,
    prompt: Prompt,
    timeouts: Timeouts,
    redactor: Redactor,
}

/// Open the driver: find the prompt, become privileged, paging off.
pub async fn open(opening: Opening) -> Result<Box<dyn Driver>, DriverError> {
    let Opening {
        asset,
        session,
        options,
        mut redactor,
    } = opening;
    for pattern in SECRET_WORDS.iter() {
        redactor.add_pattern(pattern.clone());
        if let Some(transcript) = &options.transcript {
            transcript.redact_pattern(pattern.clone());
        }
    }
    let timeouts = options.timeouts;
    let mut shell = session.shell().await?;
    let first = shell.read_until(&ANY_PROMPT, timeouts.command).await?;
    let prompt = parse_prompt(&first).ok_or_else(|| DriverError::Failed {
        asset: asset.clone(),
        message: String::from("no IOS prompt found after login"),
    })?;
    let mut driver = Ios {
        asset,
        session,
        shell,
        prompt,
        timeouts,
        redactor,
    };
    if !driver.prompt.privileged {
        driver.enable(options.enable.as_ref()).await?;
    }
    // Width too: a long configuration line must come back on one line to be matched.
    for line in ["terminal length 0", "terminal width 511"] {
        driver.exec(line, timeouts.command).await?;
    }
    Ok(Box::new(driver))
}

fn parse_prompt(text: &str) -> Option<Prompt> {
    let caps = ANY_PROMPT.captures(text)?;
    Some(Prompt {
        host: caps.name("host")?.as_str().to_string(),
        mode: caps.name("mode").map_or("", |m| m.as_str()).to_string(),
        privileged: caps.name("level")?.as_str() == "#",
    })
}

/// What a command printed: the echo (first line) and the final prompt removed.
fn body_of(received: &str) -> String {
    // The match starts at the newline before the prompt: keep that newline in the body.
    let end = ANY_PROMPT.find(received).map_or(received.len(), |m| {
        m.start() + usize::from(m.as_str().starts_with('\n'))
    });
    let body = &received[..end];
    match body.split_once('\n') {
        Some((_, rest)) => rest.to_string(),
        None => String::new(),
    }
}

impl Ios {
    fn failed(&self, message: impl Into<String>) -> DriverError {
        DriverError::Failed {
            asset: self.asset.clone(),
            message: self.redactor.apply(&message.into()),
        }
    }

    fn rejected(&self, line: &str, message: &str) -> DriverError {
        DriverError::Rejected {
            asset: self.asset.clone(),
            line: self.redactor.apply(line.trim()),
            message: self.redactor.apply(message),
        }
    }

    /// `enable`, answering the password question with the enable secret.
    async fn enable(&mut self, secret: Option<&Secret>) -> Result<(), DriverError> {
        let either = Regex::new(&format!(
            "(?:{})|(?:{})",
            PASSWORD.as_str(),
            ANY_PROMPT.as_str()
        ))
        .map_err(|e| self.failed(e.to_string()))?;
        self.shell.send("enable\n").await?;
        let answer = self
            .shell
            .read_until(&either, self.timeouts.command)
            .await?;
        if PASSWORD.is_match(&answer) {
            let Some(secret) = secret else {
                // Leave the question unanswered cleanly before failing.
                self.shell.send("\x03").await?;
                return Err(self.failed(
                    "the device asks for an enable secret and none was given (credentials.enable)",
                ));
            };
            self.shell.send(&format!("{}\n", secret.expose())).await?;
            let after = self
                .shell
                .read_until(&either, self.timeouts.command)
                .await?;
            if PASSWORD.is_match(&after) {
                self.shell.send("\x03").await?;
                return Err(
                    self.failed("`enable` refused the given secret: check credentials.enable")
                );
            }
            self.prompt =
                parse_prompt(&after).ok_or_else(|| self.failed("no prompt after enable"))?;
        } else {
            self.prompt =
                parse_prompt(&answer).ok_or_else(|| self.failed("no prompt after enable"))?;
        }
        if !self.prompt.privileged {
            return Err(self.failed("`enable` did not reach privileged mode (#)"));
        }
        Ok(())
    }

    /// Send one line and wait for the next prompt; returns the output (echo and prompt
    /// removed). `any_host`: the line may change the hostname.
    async fn send_line(
        &mut self,
        line: &str,
        timeout: Duration,
        any_host: bool,
    ) -> Result<String, DriverError> {
        self.shell.send(&format!("{line}\n")).await?;
        let received = if any_host {
            self.shell.read_until(&ANY_PROMPT, timeout).await?
        } else {
            let host = self.prompt.host.clone();
            let awaited = format!("the prompt of {host}");
            self.shell
                .read_until_match(&awaited, |text| own_prompt_end(&host, text), timeout)
                .await?
        };
        if let Some(prompt) = parse_prompt(&received) {
            self.prompt = prompt;
        }
        Ok(body_of(&received))
    }

    /// An EXEC command: its output, or Rejected when the device printed an error.
    async fn exec(&mut self, line: &str, timeout: Duration) -> Result<String, DriverError> {
        let output = self.send_line(line, timeout, false).await?;
        let head: Vec<&str> = output
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(EXEC_ERROR_LINES)
            .collect();
        match error_in(&head.join("\n")) {
            Some(error) => Err(self.rejected(line, &error)),
            None => Ok(output),
        }
    }

    /// Back to privileged EXEC (`end`), whatever the configuration sub-mode.
    async fn end(&mut self) -> Result<(), DriverError> {
        if self.prompt.in_config() {
            self.send_line("end", self.timeouts.command, true).await?;
        }
        if self.prompt.in_config() {
            return Err(self.failed("`end` did not leave configuration mode"));
        }
        Ok(())
    }

    /// Refuse text that would desynchronise the session: a control character (Ctrl-C,
    /// Ctrl-Z, escape…) acts on the terminal instead of being configuration.
    fn check_typed(&self, line: &str) -> Result<(), DriverError> {
        if let Some(c) = line.chars().find(|c| c.is_control() && *c != '\t') {
            // Name the character and the printable start of the line, not an escaped copy:
            // escaping would change a secret's text so that redaction no longer sees it.
            let before: String = line.chars().take_while(|c| !c.is_control()).collect();
            return Err(self.failed(format!(
                "a line starting `{}` holds the control character U+{:04X}; refusing to type it",
                before.trim(),
                u32::from(c)
            )));
        }
        Ok(())
    }

    /// `configure terminal`, each line, `end`. A refused line: `end`, then Rejected naming it.
    /// A multi-line banner (`banner motd ^C`, its text, the closing `^C`) is typed as one
    /// unit: IOS shows no prompt until the closing delimiter.
    async fn configure_lines(&mut self, lines: &[String]) -> Result<(), DriverError> {
        let units = config_units(lines);
        for unit in &units {
            for line in unit.lines() {
                self.check_typed(line)?;
            }
        }
        if units.is_empty() {
            return Ok(());
        }
        self.exec("configure terminal", self.timeouts.command)
            .await?;
        if !self.prompt.in_config() {
            return Err(self.failed("`configure terminal` did not enter configuration mode"));
        }
        for unit in units {
            let shown = unit.lines().next().unwrap_or_default().to_string();
            let output = self.send_line(&unit, self.timeouts.command, true).await?;
            if let Some(error) = error_in(&output) {
                let rejected = self.rejected(&shown, &error);
                self.end().await?;
                return Err(rejected);
            }
            if !self.prompt.in_config() {
                return Err(self.failed(format!(
                    "`{}` left configuration mode; the lines after it were not sent",
                    shown.trim()
                )));
            }
        }
        self.end().await
    }
}

/// The delimiter of a banner header (`banner motd ^C`, `banner login #`), and whether the
/// header line closes the banner itself (`banner motd #Hello#`).
fn banner_delimiter(line: &str) -> Option<(String, bool)> {
    let mut words = line.trim_start().splitn(3, char::is_whitespace);
    if words.next() != Some("banner") {
        return None;
    }
    words.next()?;
    let rest = words.next()?.trim_start();
    let delimiter: String = if rest.starts_with("^C") {
        String::from("^C")
    } else {
        rest.chars().next()?.to_string()
    };
    let after = &rest[delimiter.len()..];
    Some((delimiter.clone(), after.contains(delimiter.as_str())))
}

/// Configuration text as the units a CLI takes: one per line, except a multi-line banner,
/// kept whole (its blank and `!` lines are text, not comments). Comments, blank lines and
/// `end` (ours to send) are dropped.
fn config_units(lines: &[String]) -> Vec<String> {
    let mut units = Vec::new();
    let mut banner: Option<(String, String)> = None;
    // `"".lines()` yields nothing, but an empty element is a blank line (banner text).
    fn split(l: &str) -> Vec<&str> {
        if l.is_empty() {
            vec![""]
        } else {
            l.lines().collect()
        }
    }
    for line in lines.iter().flat_map(|l| split(l)) {
        if let Some((delimiter, text)) = banner.as_mut() {
            text.push('\n');
            text.push_str(line);
            if line.contains(delimiter.as_str())
                && let Some((_, text)) = banner.take()
            {
                units.push(text);
            }
            continue;
        }
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('!') || trimmed == "end" {
            continue;
        }
        match banner_delimiter(line) {
            Some((delimiter, false)) => banner = Some((delimiter, line.to_string())),
            _ => units.push(line.to_string()),
        }
    }
    // An unclosed banner is sent as it is: the device's answer (or its silence) says more
    // than a guess would.
    if let Some((_, text)) = banner {
        units.push(text);
    }
    units
}

#[async_trait::async_trait]
impl Driver for Ios {
    fn asset(&self) -> &str {
        &self.asset
    }

    async fn running_config(&mut self) -> Result<String, DriverError> {
        let text = self.exec("show running-config", self.timeouts.read).await?;
        Ok(clean_running_config(&text))
    }

    fn plan(&self, intended: &str, running: &str, mode: Mode) -> Result<Plan, DriverError> {
        let (commands, diff) =
            crate::config::remediation_and_diff(running, intended, mode, &self.asset);
        if commands.is_empty() {
            return Ok(Plan::default());
        }
        Ok(Plan {
            diff: self.redactor.apply(&diff),
            commands,
            files: Vec::new(),
            removals: Vec::new(),
            reloads: Vec::new(),
        })
    }

    async fn apply(&mut self, plan: &Plan) -> Result<(), DriverError> {
        if !plan.files.is_empty() {
            return Err(self.failed("an IOS device takes configuration lines, not files"));
        }
        self.configure_lines(&plan.commands).await
    }

    async fn save(&mut self) -> Result<(), DriverError> {
        let output = self
            .send_line("write memory", self.timeouts.read, false)
            .await?;
        if output.contains("[OK]") {
            return Ok(());
        }
        if error_in(&output).is_none() {
            return Err(self.failed(format!("`write memory` did not confirm: {}", output.trim())));
        }
        // Platforms without `write memory`: the copy, with its question answered.
        let host = self.prompt.host.clone();
        let own_prompt = format!("the prompt of {host}");
        self.shell
            .send("copy running-config startup-config\n")
            .await?;
        let mut received = self
            .shell
            .read_until_match(
                &format!("the destination question or {own_prompt}"),
                |text| {
                    DESTINATION
                        .find(text)
                        .map(|m| m.end())
                        .or_else(|| own_prompt_end(&host, text))
                },
                self.timeouts.command,
            )
            .await?;
        if DESTINATION.is_match(&received) {
            self.shell.send("\n").await?;
            received = self
                .shell
                .read_until_match(
                    &own_prompt,
                    |text| own_prompt_end(&host, text),
                    self.timeouts.read,
                )
                .await?;
        }
        let output = body_of(&received);
        if output.contains("[OK]") || received.contains("[OK]") {
            Ok(())
        } else {
            Err(self.failed(format!("saving failed: {}", output.trim())))
        }
    }

    async fn restore(&mut self, backup: &str) -> Result<(), DriverError> {
        let running = self.running_config().await?;
        let plan = self.plan(backup, &running, Mode::Replace)?;
        self.apply(&plan).await?;
        // Verify before saving: a restore that left differences must not be made permanent
        // silently.
        let now = self.running_config().await?;
        let left = crate::config::remediation(&now, backup, Mode::Replace);
        if !left.is_empty() {
            return Err(self.failed(format!(
                "after restoring the backup, {} line(s) still differ, first `{}`",
                left.len(),
                left[0].trim()
            )));
        }
        self.save().await
    }

    async fn command(&mut self, line: &str) -> Result<CommandOutput, DriverError> {
        self.check_typed(line)?;
        let text = self.exec(line, self.timeouts.command).await?;
        Ok(CommandOutput { text, status: None })
    }

    async fn configure(&mut self, lines: &[String]) -> Result<(), DriverError> {
        self.configure_lines(lines).await
    }

    async fn close(self: Box<Self>) {
        let Ios {
            mut shell, session, ..
        } = *self;
        let _ = shell.send("exit\n").await;
        session.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_by_pattern() {
        let p = parse_prompt("Welcome\nsw1>").unwrap();
        assert_eq!((p.host.as_str(), p.privileged), ("sw1", false));
        let p = parse_prompt("x\nsw-hq.01(config-if)#").unwrap();
        assert_eq!(
            (p.host.as_str(), p.mode.as_str()),
            ("sw-hq.01", "(config-if)")
        );
        assert!(p.in_config() && p.privileged);
        assert!(
            parse_prompt("sw1#\nmore output").is_none(),
            "only at the end"
        );
        assert!(parse_prompt(" description a#").is_none());
    }

    #[test]
    fn the_own_prompt_is_the_last_line_naming_this_host() {
        let text = "show clock\n*10:00:00 UTC\nsw-hq.01(config-if)#";
        assert_eq!(own_prompt_end("sw-hq.01", text), Some(text.len()));
        assert_eq!(own_prompt_end("sw-hq.01", "x\nsw-hq.01> "), Some(12));
        assert_eq!(own_prompt_end("sw-hq.01", "sw-hq.01#"), Some(9));
        // Another host's prompt, a prompt followed by more output, a prompt-like description:
        // not this device's prompt (yet).
        assert_eq!(own_prompt_end("sw-hq.01", "x\nsw-hq.02#"), None);
        assert_eq!(own_prompt_end("sw-hq.01", "sw-hq.01#\nmore"), None);
        assert_eq!(own_prompt_end("sw-hq.01", " description sw-hq.01#"), None);
        assert_eq!(own_prompt_end("sw", "x\nsw-hq.01#"), None);
        // The same verdicts as the pattern compiled for the host.
        let own = Regex::new(r"(?:^|\n)sw-hq\.01(?:\([A-Za-z0-9_. /-]*\))?[>#] ?$").unwrap();
        for text in [
            "a\nsw-hq.01(config)#",
            "sw-hq.01>",
            "sw-hq.01# \n",
            "x sw-hq.01#",
        ] {
            assert_eq!(
                own_prompt_end("sw-hq.01", text),
                own.find(text).map(|m| m.end()),
                "{text:?}"
            );
        }
    }

    #[test]
    fn banners_and_blank_lines_are_stripped() {
        let text = "Building configuration...\n\nCurrent configuration : 120 bytes\n!\nhostname sw1\nend\n\n";
        assert_eq!(clean_running_config(text), "!\nhostname sw1\nend\n");
    }

    #[test]
    fn errors_but_not_information() {
        assert_eq!(
            error_in(
                "switchport mode banana\n                ^\n% Invalid input detected at '^' marker.\n"
            ),
            Some(String::from("% Invalid input detected at '^' marker."))
        );
        assert!(error_in("% Access VLAN does not exist. Creating vlan 30\n").is_none());
        assert!(
            error_in(
                "%Warning: portfast should only be enabled on ports connected to a single host.\n"
            )
            .is_none()
        );
        assert!(error_in("%Error opening tftp://x (Timed out)\n").is_some());
        assert!(error_in("% Incomplete command.\n").is_some());
        assert!(error_in("%SYS-5-CONFIG_I: Configured from console by netadmin\n").is_none());
    }

    #[test]
    fn secret_words_are_hidden() {
        let mut redactor = Redactor::new();
        for pattern in SECRET_WORDS.iter() {
            redactor.add_pattern(pattern.clone());
        }
        let cases = [
            (
                "username a privilege 15 secret 9 $9$abc",
                "username a privilege 15 secret 9 <redacted>",
            ),
            ("enable secret S3cr3t!", "enable secret <redacted>"),
            (" password 7 0822455D0A16", " password 7 <redacted>"),
            (
                "snmp-server community pub1ic RO",
                "snmp-server community <redacted> RO",
            ),
            (" wpa-psk ascii 0 Wifi-Key", " wpa-psk ascii 0 <redacted>"),
            (
                "snmp-server user n g v3 auth sha A1 priv aes 128 P1",
                "snmp-server user n g v3 auth sha <redacted> priv aes 128 <redacted>",
            ),
            ("service password-encryption", "service password-encryption"),
            ("crypto key generate rsa", "crypto key generate rsa"),
            ("+enable secret 9 $9$x", "+enable secret 9 <redacted>"),
            ("sw1: the secret was refused", "sw1: the secret was refused"),
        ];
        for (line, shown) in cases {
            assert_eq!(redactor.apply(line), shown);
        }
    }

    #[test]
    fn body_drops_echo_and_prompt() {
        assert_eq!(body_of("show clock\n12:00:00 UTC\nsw1#"), "12:00:00 UTC\n");
        assert_eq!(body_of("end\nsw1#"), "");
    }

    #[test]
    fn banners_are_one_unit_with_their_blank_and_bang_lines() {
        let lines: Vec<String> = [
            "hostname sw1",
            "!",
            "banner motd ^C",
            "Authorised access only",
            "",
            "! not a comment here",
            "^C",
            "banner login #one line#",
            "end",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            config_units(&lines),
            vec![
                String::from("hostname sw1"),
                String::from("banner motd ^C\nAuthorised access only\n\n! not a comment here\n^C"),
                String::from("banner login #one line#"),
            ]
        );
    }
}
