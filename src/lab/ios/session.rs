//! One interactive CLI session on the IOS twin: user, privileged and configuration modes,
//! the questions IOS asks (`Password:`, `Destination filename [startup-config]?`,
//! `Proceed with reload? [confirm]`), EXEC commands and their output filters. Configuration
//! lines go to the [`engine`]; show output comes from [`show`].
//!
//! The device state is locked briefly for each step and never across another lock.

use super::engine::{self, ConfigContext, Flow};
use super::exec::{self, Exec, Show};
use super::filter;
use super::grammar::{self, walk};
use super::parse::{Cursor, ParseError, parse_ipv4};
use super::show::{self, ShowContext, VlanSelect};
use super::state::IosState;
use super::vlans;
use crate::lab::device::{CliOutput, CliSession, Device, ExecOutput};
use std::time::SystemTime;

/// Printed when the device's platform state is not an IOS state (a wiring mistake).
const NOT_IOS: &str = "% Internal error: this device does not run the IOS twin\n";

/// The line `configure terminal` prints.
pub const CONFIGURE_BANNER: &str =
    "Enter configuration commands, one per line.  End with CNTL/Z.\n";

/// `write memory` / `copy running-config startup-config` output.
pub const SAVED: &str = "Building configuration...\n[OK]\n";

/// User EXEC, privileged EXEC, or configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    User,
    Privileged,
    Config,
}

/// Where `copy` reads or writes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Place {
    Running,
    Startup,
    /// A file on `flash:` (empty: the file system itself, the name is asked).
    Flash(String),
    /// Anything else (`tftp:`, `scp:`…): not reachable from the twin.
    Elsewhere(String),
}

impl Place {
    fn parse(word: &str) -> Place {
        let lower = word.to_ascii_lowercase();
        match lower.as_str() {
            "running-config" | "system:running-config" | "system:/running-config" => Place::Running,
            "startup-config" | "nvram:startup-config" | "nvram:/startup-config" => Place::Startup,
            _ if lower.starts_with("flash:") || lower.starts_with("bootflash:") => {
                Place::Flash(super::state::flash_name(word))
            }
            _ => Place::Elsewhere(word.to_string()),
        }
    }

    /// The file name `Destination filename [...]?` proposes.
    fn default_name(&self, source: &Place) -> String {
        match (self, source) {
            (Place::Running, _) => "running-config".into(),
            (Place::Startup, _) => "startup-config".into(),
            (Place::Flash(name), _) if !name.is_empty() => name.clone(),
            (_, Place::Running) => "running-config".into(),
            (_, Place::Startup) => "startup-config".into(),
            (_, Place::Flash(name)) => name.clone(),
            (_, Place::Elsewhere(name)) => name.clone(),
        }
    }
}

/// A question IOS asked and waits an answer for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    Enable {
        failures: u8,
    },
    Copy {
        from: Place,
        to: Place,
        default: String,
    },
    Reload,
    Erase,
    ConfigureFrom,
    Replace {
        from: Place,
    },
    DeleteName {
        name: String,
    },
    DeleteConfirm {
        name: String,
    },
}

impl Pending {
    fn prompt(&self) -> String {
        match self {
            Pending::Enable { .. } => "Password: ".into(),
            Pending::Copy { default, .. } => format!("Destination filename [{default}]? "),
            Pending::Reload => "Proceed with reload? [confirm]".into(),
            Pending::Erase => {
                "Erasing the nvram filesystem will remove all configuration files! Continue? [confirm]".into()
            }
            Pending::ConfigureFrom => {
                "Configuring from terminal, memory, or network [terminal]? ".into()
            }
            Pending::Replace { .. } => REPLACE_WARNING.into(),
            Pending::DeleteName { name } => format!("Delete filename [{name}]? "),
            Pending::DeleteConfirm { name } => format!("Delete flash:/{name}? [confirm]"),
        }
    }
}

/// What `configure replace` asks without `force`.
const REPLACE_WARNING: &str = "This will apply all necessary additions and deletions
to replace the current running configuration with the
contents of the specified configuration file, which is
assumed to be a complete configuration, not a partial
configuration. Enter Y if you are sure you want to proceed. ? [no]: ";

/// An interactive session on an IOS twin (see the module documentation).
#[derive(Debug, Clone)]
pub struct IosSession {
    /// `None` until the session first sees its device (the starting mode depends on whether
    /// an enable secret is configured).
    level: Option<Level>,
    config: ConfigContext,
    page_length: usize,
    width: usize,
    pending: Option<Pending>,
    history: Vec<String>,
}

/// A new session, as after an SSH login: user mode (`>`) when the device has an enable
/// secret, privileged mode (`#`) otherwise.
pub fn new_session() -> IosSession {
    IosSession {
        level: None,
        config: ConfigContext::default(),
        page_length: 24,
        width: 80,
        pending: None,
        history: Vec::new(),
    }
}

/// Run `f` on the device's IOS state, if it has one.
fn with_ios<R>(device: &Device, f: impl FnOnce(&mut IosState) -> R) -> Option<R> {
    let mut state = device.state();
    state
        .platform
        .as_any_mut()
        .downcast_mut::<IosState>()
        .map(f)
}

/// Run `f` with what show commands read.
fn with_show<R>(device: &Device, f: impl FnOnce(&ShowContext<'_>) -> R) -> Option<R> {
    let state = device.state();
    let down = state.faults.interfaces_down.clone();
    let uptime = state.booted.elapsed();
    let boots = state.boots;
    let ios = state.platform.as_any().downcast_ref::<IosState>()?;
    let context = ShowContext {
        spec: &device.spec,
        ios,
        uptime,
        boots,
        down: &down,
    };
    Some(f(&context))
}

fn text(text: impl Into<String>) -> (CliOutput, bool) {
    (
        CliOutput {
            text: text.into(),
            ..CliOutput::default()
        },
        false,
    )
}

fn failed(text: impl Into<String>) -> (CliOutput, bool) {
    (
        CliOutput {
            text: text.into(),
            ..CliOutput::default()
        },
        true,
    )
}

fn initial_level(device: &Device) -> Level {
    match with_ios(device, |ios| ios.enable_protected()) {
        Some(true) => Level::User,
        _ => Level::Privileged,
    }
}

impl IosSession {
    fn level(&self, device: &Device) -> Level {
        self.level.unwrap_or_else(|| initial_level(device))
    }

    fn ensure_level(&mut self, device: &Device) {
        if self.level.is_none() {
            self.level = Some(initial_level(device));
        }
    }

    /// Run one line; the flag says whether IOS refused it (an error message was printed).
    fn run(&mut self, device: &Device, line: &str, prompt_width: usize) -> (CliOutput, bool) {
        self.ensure_level(device);
        let line = line.trim_end_matches(['\r', '\n']);
        if let Some(pending) = self.pending.take() {
            return self.answer(device, pending, line);
        }
        let level = self.level(device);
        if line.trim_end().ends_with('?') && !(level == Level::Config && self.config.in_banner()) {
            // IOS answers `?` at once, without running anything.
            let help = match level {
                Level::Config => grammar::help(
                    self.config.table(),
                    &["no", "default"],
                    &["do", "end", "exit"],
                    line,
                ),
                Level::Privileged => grammar::help(exec::PRIVILEGED, &[], &[], line),
                Level::User => grammar::help(exec::USER, &[], &[], line),
            };
            return text(help);
        }
        if let Some(at) = line.find('\u{1a}') {
            let before = &line[..at];
            if self.level == Some(Level::Config) {
                let mut result = text("");
                if !before.trim().is_empty() || self.config.in_banner() {
                    result = self.run_config(device, before, prompt_width);
                }
                self.level = Some(Level::Privileged);
                self.config = ConfigContext::default();
                return result;
            }
            return self.run(device, before, prompt_width);
        }
        match self.level(device) {
            Level::Config => self.run_config(device, line, prompt_width),
            _ => self.run_exec(device, line, prompt_width, 0, false),
        }
    }

    fn run_config(
        &mut self,
        device: &Device,
        line: &str,
        prompt_width: usize,
    ) -> (CliOutput, bool) {
        let config = &mut self.config;
        let Some(result) = with_ios(device, |ios| {
            engine::apply_line(ios, config, line, prompt_width)
        }) else {
            return failed(NOT_IOS);
        };
        match result.flow {
            Flow::Stay => (
                CliOutput {
                    text: result.text,
                    ..CliOutput::default()
                },
                result.error,
            ),
            Flow::End | Flow::Exit => {
                self.level = Some(Level::Privileged);
                self.config = ConfigContext::default();
                text(result.text)
            }
            Flow::Do => self.run_exec(device, line, prompt_width, 1, true),
        }
    }

    /// Run an EXEC line from token `skip` (1 after `do`). `in_config`: the command comes
    /// from `do` in configuration mode (runs privileged, cannot change modes).
    fn run_exec(
        &mut self,
        device: &Device,
        line: &str,
        prompt_width: usize,
        skip: usize,
        in_config: bool,
    ) -> (CliOutput, bool) {
        if line.trim().is_empty() {
            return text("");
        }
        let ports = with_ios(device, |ios| ios.port_names.clone()).unwrap_or_default();
        let mut cursor = Cursor::new(line, &ports);
        for _ in 0..skip {
            cursor.advance();
        }
        let tokens = cursor.tokens().to_vec();
        let pipe = filter::pipe_position(tokens.get(skip..).unwrap_or(&[])).map(|p| p + skip);
        if let Some(at) = pipe {
            cursor.truncate(at);
            if at == skip {
                let col = tokens.get(at).map_or(0, |t| t.col);
                return failed(ParseError::Invalid { col }.render(prompt_width, line));
            }
        }
        if !in_config {
            self.history.push(line.trim().to_string());
            if self.history.len() > 20 {
                self.history.remove(0);
            }
        }
        let privileged = in_config || self.level(device) != Level::User;
        let table = if privileged {
            exec::PRIVILEGED
        } else {
            exec::USER
        };
        let action = match walk(table, &mut cursor) {
            Ok(action) => action.unwrap_or(Exec::Noop),
            Err(error) => return failed(error.render(prompt_width, line)),
        };
        if action == Exec::WriteMemory && device.faults().no_write_memory {
            // The caret under `memory`, as for any word the platform does not know.
            let col = tokens.get(skip + 1).map_or(0, |t| t.col);
            return failed(ParseError::Invalid { col }.render(prompt_width, line));
        }
        let output_filter = match pipe {
            None => None,
            Some(at) => {
                if !matches!(action, Exec::Show(_) | Exec::WriteTerminal) {
                    let col = tokens.get(at).map_or(0, |t| t.col);
                    return failed(ParseError::Invalid { col }.render(prompt_width, line));
                }
                match filter::parse(line, &tokens, at) {
                    Ok(f) => Some(f),
                    Err(error) => return failed(error.render(prompt_width, line)),
                }
            }
        };
        let words = cursor.words.clone();
        let items = cursor.items.clone();
        let (mut output, refused) = self.dispatch(device, action, &words, &items, in_config);
        if let Some(f) = output_filter {
            output.text = f.apply(&output.text);
        }
        (output, refused)
    }

    fn dispatch(
        &mut self,
        device: &Device,
        action: Exec,
        words: &[String],
        items: &[String],
        in_config: bool,
    ) -> (CliOutput, bool) {
        match action {
            Exec::Enable => {
                if in_config || self.level(device) != Level::User {
                    return text("");
                }
                match with_ios(device, |ios| ios.enable_protected()) {
                    Some(true) => self.pending = Some(Pending::Enable { failures: 0 }),
                    _ => self.level = Some(Level::Privileged),
                }
                text("")
            }
            Exec::Disable => {
                if !in_config {
                    self.level = Some(Level::User);
                }
                text("")
            }
            Exec::Exit => {
                if in_config {
                    return text("");
                }
                (
                    CliOutput {
                        close: true,
                        ..CliOutput::default()
                    },
                    false,
                )
            }
            Exec::Configure => {
                if !in_config {
                    self.pending = Some(Pending::ConfigureFrom);
                }
                text("")
            }
            Exec::ConfigureTerminal => {
                if in_config {
                    return text("");
                }
                self.enter_config();
                text(CONFIGURE_BANNER)
            }
            Exec::ConfigureMemory => self.copy_now(device, &Place::Startup, &Place::Running),
            Exec::Copy => {
                let from = Place::parse(words.get(1).map(String::as_str).unwrap_or(""));
                let to = Place::parse(words.get(2).map(String::as_str).unwrap_or(""));
                for place in [&from, &to] {
                    if let Place::Elsewhere(path) = place {
                        return failed(format!(
                            "%Error opening {path} (Not supported by the netparc twin)\n"
                        ));
                    }
                }
                if let Place::Flash(name) = &from
                    && with_ios(device, |ios| ios.flash_read(name).is_none()).unwrap_or(true)
                {
                    return failed(format!(
                        "%Error opening flash:/{name} (No such file or directory)\n"
                    ));
                }
                let default = to.default_name(&from);
                self.pending = Some(Pending::Copy { from, to, default });
                text("")
            }
            Exec::ConfigureReplace => {
                let from = Place::parse(words.get(2).map(String::as_str).unwrap_or(""));
                if words.iter().any(|w| w == "force") {
                    self.replace_now(device, &from)
                } else {
                    self.pending = Some(Pending::Replace { from });
                    text("")
                }
            }
            Exec::Delete => {
                let name = super::state::flash_name(words.last().map(String::as_str).unwrap_or(""));
                if !with_ios(device, |ios| ios.flash_read(&name).is_some()).unwrap_or(false) {
                    return failed(format!(
                        "%Error deleting flash:/{name} (No such file or directory)\n"
                    ));
                }
                if words.iter().any(|w| w == "/force") {
                    with_ios(device, |ios| ios.flash_delete(&name));
                } else {
                    self.pending = Some(Pending::DeleteName { name });
                }
                text("")
            }
            Exec::More => {
                let place = Place::parse(words.get(1).map(String::as_str).unwrap_or(""));
                match self.read_place(device, &place) {
                    Ok(content) => text(content),
                    Err(message) => failed(message),
                }
            }
            Exec::WriteMemory => {
                with_ios(device, |ios| ios.save());
                text(SAVED)
            }
            Exec::WriteTerminal => {
                text(with_ios(device, |ios| ios.running_config()).unwrap_or_else(|| NOT_IOS.into()))
            }
            Exec::WriteErase => {
                self.pending = Some(Pending::Erase);
                text("")
            }
            Exec::Reload => {
                if words.len() > 1 {
                    return failed("% Scheduled reloads are not supported by the netparc twin\n");
                }
                self.pending = Some(Pending::Reload);
                text("")
            }
            Exec::TerminalLength => {
                self.page_length = words.last().and_then(|n| n.parse().ok()).unwrap_or(24);
                text("")
            }
            Exec::TerminalWidth => {
                self.width = words.last().and_then(|n| n.parse().ok()).unwrap_or(80);
                text("")
            }
            Exec::TerminalOther | Exec::Noop => text(""),
            Exec::Ping => self.ping(device, words, false),
            Exec::Traceroute => self.ping(device, words, true),
            Exec::Connect => {
                let host = words.get(1).map(String::as_str).unwrap_or("");
                text(format!(
                    "Trying {host} ...\n% Connection timed out; remote host not responding\n"
                ))
            }
            Exec::Undebug => text("All possible debugging has been turned off\n"),
            Exec::Dir => {
                let files = with_ios(device, |ios| ios.flash_files()).unwrap_or_default();
                let mut out = String::from("Directory of flash:/\n\n");
                for (index, (name, size)) in files.iter().enumerate() {
                    out.push_str(&format!(
                        "{:>8}  -rw-  {size:>15}                    <no date>  {name}\n",
                        index + 17
                    ));
                }
                if files.is_empty() {
                    out.push_str("No files in directory\n");
                }
                out.push_str("\n11353194496 bytes total (8277426176 bytes free)\n");
                text(out)
            }
            Exec::Help => text(exec::HELP),
            Exec::Show(which) => self.show(device, which, words, items),
        }
    }

    fn enter_config(&mut self) {
        self.level = Some(Level::Config);
        self.config = ConfigContext::default();
    }

    fn show(
        &mut self,
        device: &Device,
        which: Show,
        words: &[String],
        items: &[String],
    ) -> (CliOutput, bool) {
        let only = items.first().map(String::as_str);
        let last = words.last().map(String::as_str).unwrap_or("");
        let out = match which {
            Show::Running => with_ios(device, |ios| match only {
                Some(name) => show::running_interface(ios, name),
                None => ios.running_config(),
            }),
            Show::Startup => with_ios(device, |ios| ios.startup_config()),
            Show::Version => with_show(device, show::version),
            Show::Interfaces => with_show(device, |ctx| match last {
                "status" => show::interfaces_status(ctx, only),
                "description" => show::interfaces_description(ctx, only),
                "switchport" | "trunk" => show::interfaces_switchport(ctx, only),
                _ => show::interfaces(ctx, only),
            }),
            Show::IpInterfaceBrief => with_show(device, |ctx| show::ip_interface_brief(ctx, only)),
            Show::Vlan => with_ios(device, |ios| {
                let select = match words.get(2).map(String::as_str) {
                    Some("id") => {
                        let ids = words
                            .get(3)
                            .and_then(|l| vlans::parse_list(l))
                            .map(|s| s.into_iter().collect())
                            .unwrap_or_default();
                        VlanSelect::Ids(ids)
                    }
                    Some("name") => VlanSelect::Name(words.get(3).cloned().unwrap_or_default()),
                    Some("summary") => return show::vlan_summary(ios),
                    _ => VlanSelect::All,
                };
                if let VlanSelect::Ids(ids) = &select
                    && !ids.iter().any(|id| ios.vlans().iter().any(|v| v.0 == *id))
                {
                    return format!(
                        "VLAN id {} not found in current VLAN database\n",
                        words.get(3).map(String::as_str).unwrap_or("")
                    );
                }
                show::vlan_brief(ios, &select)
            }),
            Show::Inventory => Some(show::inventory(&device.spec)),
            Show::Clock => with_ios(device, |ios| show::clock(ios, SystemTime::now())),
            Show::Privilege => {
                let level = if self.level(device) == Level::User {
                    1
                } else {
                    15
                };
                Some(format!("Current privilege level is {level}\n"))
            }
            Show::Terminal => Some(format!(
                "Line 2, Location: \"\", Type: \"vt100\"\nLength: {} lines, Width: {} columns\nBaud rate (TX/RX) is 9600/9600\nStatus: PSI Enabled, Ready, Active, Automore On\n",
                self.page_length, self.width
            )),
            Show::AccessLists => with_ios(device, |ios| show::access_lists(ios)),
            Show::Cdp => Some(show::cdp_neighbors()),
            Show::Lldp => Some(show::lldp_neighbors()),
            Show::Mac => Some(show::mac_address_table()),
            Show::Wlan => with_ios(device, |ios| {
                match (words.get(2).map(String::as_str), words.get(3)) {
                    (Some("name"), Some(name)) => show::wlan_detail(ios, |w| &w.profile == name),
                    (Some("id"), Some(id)) => show::wlan_detail(ios, |w| &w.id == id),
                    _ => show::wlan_summary(ios),
                }
            }),
            Show::PowerInline => with_ios(device, |ios| {
                show::power_inline(ios, &device.spec.model, words.get(3).map(String::as_str))
            }),
            Show::History => Some(
                self.history
                    .iter()
                    .map(|h| format!("  {h}\n"))
                    .collect::<String>(),
            ),
        };
        match out {
            Some(out) => text(out),
            None => failed(NOT_IOS),
        }
    }

    fn ping(&mut self, device: &Device, words: &[String], trace: bool) -> (CliOutput, bool) {
        let host = words
            .iter()
            .skip(1)
            .find(|w| w.as_str() != "ip")
            .map(String::as_str)
            .unwrap_or("");
        let Some(address) = parse_ipv4(host) else {
            return failed("% Unrecognized host or address, or protocol not running.\n\n");
        };
        // No packet leaves the twin: it answers for its own addresses only.
        let own = with_ios(device, |ios| ios.own_addresses().contains(&address)).unwrap_or(false)
            || address.is_loopback();
        let mut out = String::from("Type escape sequence to abort.\n");
        if trace {
            out.push_str(&format!(
                "Tracing the route to {address}\nVRF info: (vrf in name/id, vrf out name/id)\n"
            ));
            if own {
                out.push_str(&format!("  1 {address} 1 msec 1 msec 1 msec\n"));
            } else {
                for hop in 1..=3 {
                    out.push_str(&format!("  {hop}  *  *  * \n"));
                }
            }
        } else {
            out.push_str(&format!(
                "Sending 5, 100-byte ICMP Echos to {address}, timeout is 2 seconds:\n"
            ));
            if own {
                out.push_str(
                    "!!!!!\nSuccess rate is 100 percent (5/5), round-trip min/avg/max = 1/1/1 ms\n",
                );
            } else {
                out.push_str(".....\nSuccess rate is 0 percent (0/5)\n");
            }
        }
        text(out)
    }

    /// The text at a place (`more`, the source of `copy`).
    fn read_place(&self, device: &Device, place: &Place) -> Result<String, String> {
        let read = with_ios(device, |ios| match place {
            Place::Running => Ok(ios.running_text()),
            Place::Startup => Ok(ios.startup_text()),
            Place::Flash(name) => ios.flash_read(name).map(str::to_string).ok_or_else(|| {
                format!("%Error opening flash:/{name} (No such file or directory)\n")
            }),
            Place::Elsewhere(path) => Err(format!(
                "%Error opening {path} (Not supported by the netparc twin)\n"
            )),
        });
        read.unwrap_or_else(|| Err(NOT_IOS.to_string()))
    }

    /// Copy between the running and startup configurations and flash files: into the
    /// running configuration lines are merged (as IOS does), elsewhere they replace.
    fn copy_now(&mut self, device: &Device, from: &Place, to: &Place) -> (CliOutput, bool) {
        if matches!((from, to), (Place::Running, Place::Startup)) {
            with_ios(device, |ios| ios.save());
            return text(SAVED);
        }
        let content = match self.read_place(device, from) {
            Ok(content) => content,
            Err(message) => return failed(message),
        };
        let bytes = content.len();
        let outcome = with_ios(device, |ios| match to {
            Place::Running => ios.configure(&content),
            Place::Startup => ios.replace_startup(&content),
            Place::Flash(name) => {
                ios.flash_write(name, &content);
                Ok(())
            }
            Place::Elsewhere(_) => Ok(()),
        });
        let copied = format!(
            "{bytes} bytes copied in 0.041 secs ({} bytes/sec)\n",
            bytes * 24
        );
        match outcome {
            Some(Ok(())) => text(copied),
            Some(Err(errors)) => {
                let mut out: String = errors.iter().map(|e| e.message.clone()).collect();
                out.push_str(&copied);
                failed(out)
            }
            None => failed(NOT_IOS),
        }
    }

    /// `configure replace`: the running configuration becomes the file's.
    fn replace_now(&mut self, device: &Device, from: &Place) -> (CliOutput, bool) {
        let content = match self.read_place(device, from) {
            Ok(content) => content,
            Err(message) => return failed(message),
        };
        match with_ios(device, |ios| ios.replace_running(&content)) {
            Some(Ok(())) => text("Total number of passes: 1\nRollback Done\n\n"),
            Some(Err(errors)) => {
                let mut out: String = errors.iter().map(|e| e.message.clone()).collect();
                out.push_str("Total number of passes: 1\nRollback Done\n\n");
                failed(out)
            }
            None => failed(NOT_IOS),
        }
    }

    fn answer(&mut self, device: &Device, pending: Pending, line: &str) -> (CliOutput, bool) {
        let answer = line.trim();
        let yes = answer.is_empty()
            || answer.eq_ignore_ascii_case("y")
            || answer.eq_ignore_ascii_case("yes");
        match pending {
            Pending::Enable { failures } => {
                if with_ios(device, |ios| ios.check_enable(line)).unwrap_or(false) {
                    self.level = Some(Level::Privileged);
                    return text("");
                }
                if failures + 1 < 3 {
                    self.pending = Some(Pending::Enable {
                        failures: failures + 1,
                    });
                }
                failed("% Access denied\n")
            }
            Pending::Copy { from, to, default } => {
                let name = if answer.is_empty() {
                    default
                } else {
                    answer.to_string()
                };
                let to = match to {
                    Place::Flash(_) => Place::Flash(super::state::flash_name(&name)),
                    other => other,
                };
                self.copy_now(device, &from, &to)
            }
            Pending::Replace { from } => {
                if answer.eq_ignore_ascii_case("y") || answer.eq_ignore_ascii_case("yes") {
                    self.replace_now(device, &from)
                } else {
                    text("")
                }
            }
            Pending::DeleteName { name } => {
                let name = if answer.is_empty() {
                    name
                } else {
                    super::state::flash_name(answer)
                };
                self.pending = Some(Pending::DeleteConfirm { name });
                text("")
            }
            Pending::DeleteConfirm { name } => {
                if yes {
                    with_ios(device, |ios| ios.flash_delete(&name));
                }
                text("")
            }
            Pending::Reload => {
                if yes {
                    (
                        CliOutput {
                            text: String::new(),
                            close: true,
                            reload: true,
                        },
                        false,
                    )
                } else {
                    text("")
                }
            }
            Pending::Erase => {
                if yes {
                    with_ios(device, |ios| ios.set_startup(Default::default()));
                    text("[OK]\nErase of nvram: complete\n")
                } else {
                    text("")
                }
            }
            Pending::ConfigureFrom => {
                let lower = answer.to_ascii_lowercase();
                if lower.is_empty() || "terminal".starts_with(&lower) {
                    self.enter_config();
                    text(CONFIGURE_BANNER)
                } else if "memory".starts_with(&lower) {
                    self.copy_now(device, &Place::Startup, &Place::Running)
                } else if "network".starts_with(&lower) {
                    failed("% Network configuration is not supported by the netparc twin\n")
                } else {
                    failed("?Must be \"terminal\", \"memory\" or \"network\"\n")
                }
            }
        }
    }
}

impl CliSession for IosSession {
    fn greeting(&mut self, device: &Device) -> String {
        self.ensure_level(device);
        let banner = with_ios(device, |ios| {
            ios.banner("motd").map(|text| {
                // IOS fills in these tokens when it shows a banner.
                let domain = ios
                    .running()
                    .top(&["ip", "domain", "name"])
                    .or_else(|| ios.running().top(&["ip", "domain-name"]))
                    .and_then(|n| n.words().last().map(|w| w.to_string()))
                    .unwrap_or_default();
                text.replace("$(hostname)", &ios.hostname())
                    .replace("$(domain)", &domain)
            })
        });
        match banner.flatten() {
            Some(banner) if !banner.is_empty() => format!("{banner}\n"),
            _ => String::new(),
        }
    }

    fn prompt(&self, device: &Device) -> String {
        if let Some(pending) = &self.pending {
            return pending.prompt();
        }
        let level = self.level(device);
        if level == Level::Config && self.config.in_banner() {
            return String::new();
        }
        let hostname = with_ios(device, |ios| ios.hostname()).unwrap_or_else(|| "Switch".into());
        match level {
            Level::User => format!("{hostname}>"),
            Level::Privileged => format!("{hostname}#"),
            Level::Config => format!("{hostname}({})#", self.config.mode().prompt()),
        }
    }

    fn execute(&mut self, device: &Device, line: &str) -> CliOutput {
        let width = self.prompt(device).chars().count();
        self.run(device, line, width).0
    }

    fn page_length(&self) -> usize {
        self.page_length
    }

    fn hides_input(&self) -> bool {
        matches!(self.pending, Some(Pending::Enable { .. }))
    }

    /// One command (or several, one per line) run in privileged mode, as IOS runs a command
    /// given on the SSH command line; status 1 when IOS refused a line.
    fn exec(&mut self, device: &Device, command: &str) -> ExecOutput {
        let mut session = new_session();
        session.level = Some(Level::Privileged);
        session.page_length = 0;
        let mut stdout = String::new();
        let mut refused = false;
        for line in command.lines() {
            let (output, failed) = session.run(device, line, 0);
            stdout.push_str(&output.text);
            refused |= failed;
            if output.close {
                break;
            }
        }
        ExecOutput {
            stdout: stdout.into_bytes(),
            stderr: Vec::new(),
            status: u32::from(refused),
        }
    }
}
