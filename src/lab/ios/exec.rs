//! The EXEC grammar of the IOS twin: the commands of user mode (`sw1>`) and privileged mode
//! (`sw1#`), with the `show` commands each level may run. Privileged commands are simply
//! absent from the user table, so typing one at `>` gets IOS's `% Invalid input` with the
//! caret under it, exactly as on a device.

use super::grammar::k::{args, flag, sub};
use super::grammar::{Kw, Next};
use super::ifname;
use super::parse::{Cursor, Match, ParseError, match_keyword};

/// What an EXEC command does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exec {
    /// `enable [level]`.
    Enable,
    /// `disable`.
    Disable,
    /// `exit`, `logout`, `quit`.
    Exit,
    /// `configure` (asks where from).
    Configure,
    /// `configure terminal`.
    ConfigureTerminal,
    /// `configure memory`.
    ConfigureMemory,
    /// `configure replace PATH [force]`.
    ConfigureReplace,
    /// `delete [/force] PATH`.
    Delete,
    /// `more PATH`.
    More,
    /// `copy SRC DST`.
    Copy,
    /// `write`, `write memory`.
    WriteMemory,
    /// `write terminal`.
    WriteTerminal,
    /// `write erase`, `erase startup-config`.
    WriteErase,
    /// `reload`.
    Reload,
    /// `terminal length N`.
    TerminalLength,
    /// `terminal width N`.
    TerminalWidth,
    /// Other `terminal` settings (accepted, no effect).
    TerminalOther,
    /// `ping`.
    Ping,
    /// `traceroute`.
    Traceroute,
    /// `telnet`, `ssh`, `connect`.
    Connect,
    /// `undebug all`, `no debug all`.
    Undebug,
    /// `dir`.
    Dir,
    /// `help`.
    Help,
    /// Accepted with no output (`clear counters`, `debug …`, `clock set …`).
    Noop,
    /// A show command.
    Show(Show),
}

/// The show commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// `show running-config [interface X]`.
    Running,
    /// `show startup-config`.
    Startup,
    /// `show version`.
    Version,
    /// `show interfaces [X] [status|description|switchport]`.
    Interfaces,
    /// `show ip interface [brief]`.
    IpInterfaceBrief,
    /// `show vlan [brief|id N|name X|summary]`.
    Vlan,
    /// `show inventory`.
    Inventory,
    /// `show clock`.
    Clock,
    /// `show privilege`.
    Privilege,
    /// `show terminal`.
    Terminal,
    /// `show access-lists`, `show ip access-lists`.
    AccessLists,
    /// `show cdp neighbors`.
    Cdp,
    /// `show lldp neighbors`.
    Lldp,
    /// `show mac address-table`.
    Mac,
    /// `show history`.
    History,
    /// `show wlan summary|name X|id N` (Catalyst 9800 embedded wireless controller).
    Wlan,
    /// `show power inline [X]`.
    PowerInline,
}

const fn act(name: &'static str, next: Next<Exec>, action: Exec) -> Kw<Exec> {
    Kw::act(name, next, action)
}

const fn show(name: &'static str, next: Next<Exec>, which: Show) -> Kw<Exec> {
    Kw::act(name, next, Exec::Show(which))
}

/// `show running-config [all | interface X | view full]`.
fn show_running(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    match c.opt_keyword(&["all", "brief", "full", "interface", "view"])? {
        Some("interface") => {
            ifname::parse_interface(c)?;
        }
        Some("view") => {
            c.keyword(&["full"])?;
        }
        _ => {}
    }
    Ok(())
}

/// `show interfaces [X] [status | description | switchport | trunk]`.
fn show_interfaces(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    const VIEWS: &[&str] = &["counters", "description", "status", "switchport", "trunk"];
    let Some(token) = c.peek() else {
        return Ok(());
    };
    match match_keyword(token.text, VIEWS.iter().map(|v| (*v, *v))) {
        Match::One(_) => {
            c.keyword(VIEWS)?;
            return Ok(());
        }
        Match::Ambiguous => return Err(ParseError::Ambiguous { col: token.col }),
        Match::None => {}
    }
    ifname::parse_interface(c)?;
    c.opt_keyword(VIEWS)?;
    Ok(())
}

/// `show ip interface [X] [brief]`.
fn show_ip_interface(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    if c.try_keyword(&["brief"]).is_some() || c.at_end() {
        return Ok(());
    }
    ifname::parse_interface(c)?;
    c.opt_keyword(&["brief"])?;
    Ok(())
}

/// `terminal length|width N`.
fn lines_number(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    c.number(0, 512)?;
    Ok(())
}

/// `enable [LEVEL]`.
fn enable_level(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    if !c.at_end() {
        c.number(0, 15)?;
    }
    Ok(())
}

/// `ping|traceroute TARGET [options]`.
fn target(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    if c.at_end() {
        return Err(ParseError::Incomplete);
    }
    c.try_keyword(&["ip"]);
    c.word()?;
    c.rest_words();
    Ok(())
}

/// A place `copy` reads or writes: `running-config`, `startup-config`, or a file system path
/// (`flash:backup.cfg`, `nvram:startup-config`, `tftp://…`).
fn place(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    let token = c.peek().ok_or(ParseError::Incomplete)?;
    if token.text.contains(':') {
        c.word()?;
        return Ok(());
    }
    c.keyword(&["running-config", "startup-config"])?;
    Ok(())
}

/// `copy SRC DST`.
fn copy(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    place(c)?;
    place(c)
}

/// `configure replace PATH [force] [list] [ignorecase] [time N]`.
fn replace(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    place(c)?;
    while let Some(option) = c.opt_keyword(&["force", "ignorecase", "list", "revert", "time"])? {
        if option == "time" {
            c.number(1, 120)?;
        }
    }
    Ok(())
}

/// `delete [/force] [/recursive] PATH`.
fn delete(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    while c.peek().is_some_and(|t| t.text.starts_with('/')) {
        c.keyword(&["/force", "/recursive"])?;
    }
    c.word()?;
    Ok(())
}

/// `more PATH`.
fn path(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    c.word()?;
    Ok(())
}

static SHOW_IP: &[Kw<Exec>] = &[
    show("access-lists", Next::Opt, Show::AccessLists),
    show(
        "interface",
        Next::Custom(show_ip_interface),
        Show::IpInterfaceBrief,
    ),
];

static SHOW_WLAN: &[Kw<Exec>] = &[args("id"), args("name"), flag("summary")];

static SHOW_VLAN: &[Kw<Exec>] = &[flag("brief"), args("id"), args("name"), flag("summary")];

/// `show` in privileged mode.
static SHOW_PRIVILEGED: &[Kw<Exec>] = &[
    show("access-lists", Next::Opt, Show::AccessLists),
    sub("cdp", &[show("neighbors", Next::Opt, Show::Cdp)]),
    show("clock", Next::Opt, Show::Clock),
    show("history", Next::Flag, Show::History),
    show(
        "interfaces",
        Next::Custom(show_interfaces),
        Show::Interfaces,
    ),
    show("inventory", Next::Opt, Show::Inventory),
    sub("ip", SHOW_IP),
    sub("lldp", &[show("neighbors", Next::Opt, Show::Lldp)]),
    sub("mac", &[show("address-table", Next::Opt, Show::Mac)]),
    sub("power", &[show("inline", Next::Opt, Show::PowerInline)]),
    show("privilege", Next::Flag, Show::Privilege),
    show("running-config", Next::Custom(show_running), Show::Running),
    show("startup-config", Next::Flag, Show::Startup),
    show("terminal", Next::Flag, Show::Terminal),
    show("version", Next::Flag, Show::Version),
    show("vlan", Next::SubOpt(SHOW_VLAN), Show::Vlan),
    show("wlan", Next::Sub(SHOW_WLAN), Show::Wlan),
];

/// `show` in user mode: no configuration, no access lists.
static SHOW_USER: &[Kw<Exec>] = &[
    sub("cdp", &[show("neighbors", Next::Opt, Show::Cdp)]),
    show("clock", Next::Opt, Show::Clock),
    show("history", Next::Flag, Show::History),
    show(
        "interfaces",
        Next::Custom(show_interfaces),
        Show::Interfaces,
    ),
    show("inventory", Next::Opt, Show::Inventory),
    sub(
        "ip",
        &[show(
            "interface",
            Next::Custom(show_ip_interface),
            Show::IpInterfaceBrief,
        )],
    ),
    sub("lldp", &[show("neighbors", Next::Opt, Show::Lldp)]),
    sub("power", &[show("inline", Next::Opt, Show::PowerInline)]),
    show("privilege", Next::Flag, Show::Privilege),
    show("terminal", Next::Flag, Show::Terminal),
    show("version", Next::Flag, Show::Version),
    show("vlan", Next::SubOpt(SHOW_VLAN), Show::Vlan),
    show("wlan", Next::Sub(SHOW_WLAN), Show::Wlan),
];

static TERMINAL: &[Kw<Exec>] = &[
    act("editing", Next::Flag, Exec::TerminalOther),
    act("exec", Next::Args, Exec::TerminalOther),
    act("history", Next::Opt, Exec::TerminalOther),
    act("length", Next::Custom(lines_number), Exec::TerminalLength),
    act("monitor", Next::Flag, Exec::TerminalOther),
    act("no", Next::Args, Exec::TerminalOther),
    act("width", Next::Custom(lines_number), Exec::TerminalWidth),
];

/// User EXEC (`sw1>`).
pub static USER: &[Kw<Exec>] = &[
    act("connect", Next::Args, Exec::Connect),
    act("disconnect", Next::Opt, Exec::Noop),
    act("enable", Next::Custom(enable_level), Exec::Enable),
    act("exit", Next::Flag, Exec::Exit),
    act("help", Next::Flag, Exec::Help),
    act("logout", Next::Flag, Exec::Exit),
    act("ping", Next::Custom(target), Exec::Ping),
    act("quit", Next::Flag, Exec::Exit),
    sub("show", SHOW_USER),
    act("ssh", Next::Args, Exec::Connect),
    act("telnet", Next::Args, Exec::Connect),
    sub("terminal", TERMINAL),
    act("traceroute", Next::Custom(target), Exec::Traceroute),
];

/// Privileged EXEC (`sw1#`).
pub static PRIVILEGED: &[Kw<Exec>] = &[
    act("clear", Next::Args, Exec::Noop),
    sub("clock", &[act("set", Next::Args, Exec::Noop)]),
    act(
        "configure",
        Next::SubOpt(&[
            act("memory", Next::Flag, Exec::ConfigureMemory),
            act("replace", Next::Custom(replace), Exec::ConfigureReplace),
            act("terminal", Next::Flag, Exec::ConfigureTerminal),
        ]),
        Exec::Configure,
    ),
    act("connect", Next::Args, Exec::Connect),
    act("copy", Next::Custom(copy), Exec::Copy),
    act("debug", Next::Args, Exec::Noop),
    act("delete", Next::Custom(delete), Exec::Delete),
    act("dir", Next::Opt, Exec::Dir),
    act("disable", Next::Opt, Exec::Disable),
    act("disconnect", Next::Opt, Exec::Noop),
    act("enable", Next::Custom(enable_level), Exec::Enable),
    sub(
        "erase",
        &[
            act("nvram:", Next::Flag, Exec::WriteErase),
            act("startup-config", Next::Flag, Exec::WriteErase),
        ],
    ),
    act("exit", Next::Flag, Exec::Exit),
    act("help", Next::Flag, Exec::Help),
    act("logout", Next::Flag, Exec::Exit),
    act("more", Next::Custom(path), Exec::More),
    act("no", Next::Args, Exec::Undebug),
    act("ping", Next::Custom(target), Exec::Ping),
    act("quit", Next::Flag, Exec::Exit),
    act("reload", Next::Opt, Exec::Reload),
    act("send", Next::Args, Exec::Noop),
    act("setup", Next::Flag, Exec::Noop),
    sub("show", SHOW_PRIVILEGED),
    act("ssh", Next::Args, Exec::Connect),
    act("telnet", Next::Args, Exec::Connect),
    sub("terminal", TERMINAL),
    act("test", Next::Args, Exec::Noop),
    act("traceroute", Next::Custom(target), Exec::Traceroute),
    act("undebug", Next::Args, Exec::Undebug),
    act("verify", Next::Args, Exec::Noop),
    act(
        "write",
        Next::SubOpt(&[
            act("erase", Next::Flag, Exec::WriteErase),
            act("memory", Next::Flag, Exec::WriteMemory),
            act("terminal", Next::Flag, Exec::WriteTerminal),
        ]),
        Exec::WriteMemory,
    ),
];

/// IOS's answer to `help`.
pub const HELP: &str = "Help may be requested at any point in a command by entering
a question mark '?'.  If nothing matches, the help list will
be empty and you must backup until entering a '?' shows the
available options.
Two styles of help are provided:
1. Full help is available when you are ready to enter a
   command argument (e.g. 'show ?') and describes each possible
   argument.
2. Partial help is provided when an abbreviated argument is entered
   and you want to know what arguments match the input
   (e.g. 'show pr?'.)

";
