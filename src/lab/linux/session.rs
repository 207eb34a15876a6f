//! `LinuxSession`: the twin's login shell as the SSH layer drives it — one line at a time
//! with a `> ` continuation prompt while a quote, a here-document or a compound command is
//! open, or a whole script at once over an exec channel (separate stdout, stderr and exit
//! status, a fresh environment each time, like `bash -c`).

use super::shell::{Env, Shell, home_of};
use super::state::{KERNEL_RELEASE, LinuxState};
use super::syntax::{self, ParseError};
use crate::lab::device::{CliOutput, CliSession, Device, ExecOutput};

/// Longest pending multi-line input kept (an unterminated quote cannot grow forever).
const MAX_PENDING: usize = 1 << 20;

/// One shell session on a Linux twin.
#[derive(Debug, Default)]
pub struct LinuxSession {
    /// The interactive shell's variables, directory and options (created at first use).
    env: Option<Env>,
    /// Lines typed so far of a command that is not complete yet.
    pending: String,
    /// The here-document delimiter the pending input waits for: other lines are body
    /// lines and are appended without parsing again (a pasted file stays linear).
    awaiting: Option<(String, bool)>,
}

/// A new session; the login user comes from the device's spec when it first runs.
pub fn new_session() -> LinuxSession {
    LinuxSession::default()
}

const NOT_LINUX: &str = "bash: netparc twin: this device's state is not a Linux platform\n";

fn fresh_env(device: &Device, st: &mut LinuxState) -> Env {
    let pid = st.new_pid();
    Env::new(&device.spec.username, &st.hostname, pid)
}

impl LinuxSession {
    fn user(&self, device: &Device) -> String {
        self.env.as_ref().map_or_else(
            || {
                if device.spec.username.is_empty() {
                    "root".to_string()
                } else {
                    device.spec.username.clone()
                }
            },
            |e| e.login_user.clone(),
        )
    }
}

impl CliSession for LinuxSession {
    fn greeting(&mut self, device: &Device) -> String {
        let mut state = device.state();
        let host = state
            .platform
            .as_any_mut()
            .downcast_mut::<LinuxState>()
            .map_or_else(|| device.spec.name.clone(), |st| st.hostname.clone());
        format!(
            "Linux {host} {KERNEL_RELEASE} #1 SMP x86_64\n\nThe programs included with the Debian GNU/Linux system are free software;\nthe exact distribution terms for each program are described in the\nindividual files in /usr/share/doc/*/copyright.\n\nDebian GNU/Linux comes with ABSOLUTELY NO WARRANTY, to the extent\npermitted by applicable law.\n"
        )
    }

    fn prompt(&self, device: &Device) -> String {
        if !self.pending.is_empty() {
            return "> ".into();
        }
        let host = {
            let state = device.state();
            state
                .platform
                .as_any()
                .downcast_ref::<LinuxState>()
                .map_or_else(|| device.spec.name.clone(), |st| st.hostname.clone())
        };
        let short = host.split('.').next().unwrap_or("").to_string();
        let user = self.user(device);
        let home = self.env.as_ref().map_or_else(|| home_of(&user), Env::home);
        let cwd = self
            .env
            .as_ref()
            .map_or_else(|| home.clone(), |e| e.cwd.clone());
        let shown = if cwd == home {
            "~".to_string()
        } else if let Some(rest) = cwd.strip_prefix(&format!("{home}/")) {
            format!("~/{rest}")
        } else {
            cwd
        };
        let sigil = if user == "root" { '#' } else { '$' };
        format!("{user}@{short}:{shown}{sigil} ")
    }

    fn execute(&mut self, device: &Device, line: &str) -> CliOutput {
        let line = line.trim_end_matches(['\r', '\n']);
        if let Some((delimiter, strip)) = self.awaiting.as_ref().filter(|_| !line.contains('\n')) {
            let candidate = if *strip {
                line.trim_start_matches('\t')
            } else {
                line
            };
            if candidate != delimiter && self.pending.len() + line.len() < MAX_PENDING {
                self.pending.push('\n');
                self.pending.push_str(line);
                return CliOutput::default();
            }
        }
        self.awaiting = None;
        let text = if self.pending.is_empty() {
            line.to_string()
        } else {
            format!("{}\n{line}", self.pending)
        };
        let program = match syntax::parse(&format!("{text}\n"), false) {
            Ok(p) => p,
            Err(ParseError::Incomplete { heredoc, .. }) if text.len() < MAX_PENDING => {
                self.pending = text;
                self.awaiting = heredoc;
                return CliOutput::default();
            }
            Err(ParseError::Incomplete { message, .. } | ParseError::Syntax { message, .. }) => {
                self.pending.clear();
                if let Some(env) = self.env.as_mut() {
                    env.status = 2;
                }
                return CliOutput {
                    text: format!("bash: {message}\n"),
                    ..CliOutput::default()
                };
            }
        };
        self.pending.clear();
        let mut state = device.state();
        let Some(st) = state.platform.as_any_mut().downcast_mut::<LinuxState>() else {
            return CliOutput {
                text: NOT_LINUX.into(),
                ..CliOutput::default()
            };
        };
        let env = match self.env.take() {
            Some(env) => env,
            None => fresh_env(device, st),
        };
        let mut sh = Shell::new(st, env, true);
        let io = Shell::top_io(true);
        let (_, exited) = sh.run_program(&program, &io);
        if exited {
            sh.run_exit_trap(&io);
        }
        let reboot = sh.reboot;
        let mut text = String::from_utf8_lossy(&sh.bufs[0]).into_owned();
        self.env = Some(sh.env);
        if exited {
            text.push_str("logout\n");
        }
        CliOutput {
            text,
            close: exited || reboot,
            reload: reboot,
        }
    }

    fn page_length(&self) -> usize {
        0
    }

    fn exec(&mut self, device: &Device, command: &str) -> ExecOutput {
        let program = match syntax::parse(command, true) {
            Ok(p) => p,
            Err(
                ParseError::Incomplete { message, line, .. } | ParseError::Syntax { message, line },
            ) => {
                return ExecOutput {
                    stdout: Vec::new(),
                    stderr: format!("bash: -c: line {line}: {message}\n").into_bytes(),
                    status: 2,
                };
            }
        };
        let (output, reboot) = {
            let mut state = device.state();
            let Some(st) = state.platform.as_any_mut().downcast_mut::<LinuxState>() else {
                return ExecOutput {
                    stdout: Vec::new(),
                    stderr: NOT_LINUX.as_bytes().to_vec(),
                    status: 1,
                };
            };
            let env = fresh_env(device, st);
            let mut sh = Shell::new(st, env, false);
            let io = Shell::top_io(false);
            let (status, _) = sh.run_program(&program, &io);
            sh.run_exit_trap(&io);
            let stdout = std::mem::take(&mut sh.bufs[0]);
            let stderr = std::mem::take(&mut sh.bufs[1]);
            (
                ExecOutput {
                    stdout,
                    stderr,
                    status,
                },
                sh.reboot,
            )
        };
        if reboot {
            // ExecOutput has no way to ask the SSH layer for a reload, so the twin reboots
            // itself once the lock is released (see the report on device.rs).
            device.reboot();
        }
        output
    }
}
