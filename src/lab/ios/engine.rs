//! Configuration mode: one line typed after `configure terminal`, applied to the running
//! configuration. Holds the mode stack (`(config-if)#` inside `(config)#`…) and a banner being
//! typed; tries a line in the current mode, then in each parent mode, as IOS does; stores,
//! replaces or removes lines; and returns what IOS prints (nothing, a notice, or an error).
//! Access-list entries keep IOS's sequence numbers (insert by number, `no N`, `ip
//! access-list resequence`); `line` ranges are configured line by line (a range splits the
//! blocks it cuts; `show` groups identical consecutive lines again).
//!
//! Pure: works on an [`IosState`] and a [`ConfigContext`], so the CLI session, the factory
//! configuration and `copy startup-config running-config` share it.

use super::config::{ConfigNode, ConfigTree};
use super::grammar::{Kw, walk};
use super::ifname::{self, IfClass};
use super::modes::{Act, Mode};
use super::parse::{Cursor, Match, ParseError, match_keyword};
use super::rules;
use super::state::IosState;
use super::vlans;
use std::collections::BTreeSet;

/// One level of the mode stack: the mode and the blocks it edits (several for
/// `interface range`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The mode.
    pub mode: Mode,
    /// Paths (header lines from the top) of the blocks the mode's lines go into.
    pub targets: Vec<Vec<String>>,
}

/// A banner whose closing delimiter has not been typed yet.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PendingBanner {
    kind: String,
    delimiter: String,
    lines: Vec<String>,
}

/// Where configuration mode stands: the sub-modes entered, and a banner being typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigContext {
    frames: Vec<Frame>,
    banner: Option<PendingBanner>,
}

impl ConfigContext {
    /// The current mode.
    pub fn mode(&self) -> Mode {
        self.frames.last().map_or(Mode::Global, |f| f.mode)
    }

    /// True while the lines of a multi-line banner are being typed (IOS shows no prompt).
    pub fn in_banner(&self) -> bool {
        self.banner.is_some()
    }

    /// The mode stack, outermost first.
    pub fn frames(&self) -> &[Frame] {
        &self.frames
    }

    /// The grammar of the current mode.
    pub fn table(&self) -> &'static [Kw<Act>] {
        match self.frames.last() {
            Some(frame) => frame.mode.table(frame.targets.iter().all(|t| is_layer3(t))),
            None => Mode::Global.table(false),
        }
    }
}

/// What a line does to the session beyond its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Stay in configuration mode.
    Stay,
    /// `end` / Ctrl-Z: back to privileged EXEC.
    End,
    /// `exit` at the top of configuration mode: back to privileged EXEC.
    Exit,
    /// `do <command>`: run the rest of the line as a privileged EXEC command.
    Do,
}

/// The outcome of one configuration line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineResult {
    /// What IOS prints.
    pub text: String,
    /// The line was refused.
    pub error: bool,
    /// What the session does next.
    pub flow: Flow,
}

impl LineResult {
    fn ok(text: impl Into<String>) -> LineResult {
        LineResult {
            text: text.into(),
            error: false,
            flow: Flow::Stay,
        }
    }

    fn flow(flow: Flow) -> LineResult {
        LineResult {
            text: String::new(),
            error: false,
            flow,
        }
    }

    fn refused(error: ParseError, prompt_width: usize, line: &str) -> LineResult {
        LineResult {
            text: error.render(prompt_width, line),
            error: true,
            flow: Flow::Stay,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Command,
    End,
    Exit,
    Do,
    AclDelete(u64),
}

/// A line recognised in one mode.
#[derive(Debug, Clone)]
struct Parsed {
    kind: Kind,
    neg: bool,
    default: bool,
    words: Vec<String>,
    items: Vec<String>,
    action: Option<Act>,
    sequence: Option<u64>,
    /// Column of the word after the command keyword (for errors found when applying).
    argument_col: usize,
}

#[derive(Debug, Clone, Copy)]
enum First {
    Table,
    No,
    Default,
    Do,
    End,
    Exit,
}

/// True when a block path is an SVI, loopback or tunnel (layer 3 only grammar).
fn is_layer3(path: &[String]) -> bool {
    path.first()
        .and_then(|h| h.strip_prefix("interface "))
        .is_some_and(|name| {
            matches!(
                ifname::class_of(name),
                IfClass::Vlan | IfClass::Loopback | IfClass::Tunnel
            )
        })
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.len() <= 10 && text.chars().all(|c| c.is_ascii_digit())
}

/// Recognise `line` in `mode` (no side effects).
fn parse_in(mode: Mode, layer3: bool, line: &str, ports: &[String]) -> Result<Parsed, ParseError> {
    let mut cursor = Cursor::new(line, ports);
    let mut sequence = None;
    if mode.is_acl()
        && let Some(first) = cursor.peek()
        && is_number(first.text)
    {
        sequence = first.text.parse::<u64>().ok();
        cursor.advance();
    }
    let table = mode.table(layer3);
    let first = cursor.peek().ok_or(ParseError::Incomplete)?;
    let specials = [
        ("no", First::No),
        ("default", First::Default),
        ("do", First::Do),
        ("end", First::End),
        ("exit", First::Exit),
    ];
    let candidates = table.iter().map(|k| (k.name, First::Table)).chain(specials);
    let which = match match_keyword(first.text, candidates) {
        Match::One(which) => which,
        Match::Ambiguous => return Err(ParseError::Ambiguous { col: first.col }),
        Match::None => return Err(ParseError::Invalid { col: first.col }),
    };
    let mut parsed = Parsed {
        kind: Kind::Command,
        neg: false,
        default: false,
        words: Vec::new(),
        items: Vec::new(),
        action: None,
        sequence,
        argument_col: 0,
    };
    match which {
        First::End | First::Exit => {
            cursor.advance();
            cursor.finish()?;
            parsed.kind = if matches!(which, First::End) {
                Kind::End
            } else {
                Kind::Exit
            };
            return Ok(parsed);
        }
        First::Do => {
            cursor.advance();
            if cursor.at_end() {
                return Err(ParseError::Incomplete);
            }
            parsed.kind = Kind::Do;
            return Ok(parsed);
        }
        First::No | First::Default => {
            cursor.advance();
            parsed.neg = matches!(which, First::No);
            parsed.default = matches!(which, First::Default);
            // `no` and `default` take the setting without its value.
            cursor.neg = true;
            if mode.is_acl()
                && let Some(token) = cursor.peek()
                && is_number(token.text)
            {
                cursor.advance();
                cursor.finish()?;
                parsed.kind = Kind::AclDelete(token.text.parse().unwrap_or(0));
                return Ok(parsed);
            }
        }
        First::Table => {}
    }
    let command_at = cursor.position();
    parsed.argument_col = cursor.tokens().get(command_at + 1).map_or(0, |t| t.col);
    parsed.action = walk(table, &mut cursor)?;
    parsed.words = cursor.words;
    parsed.items = cursor.items;
    Ok(parsed)
}

/// Apply one line typed in configuration mode. `prompt_width` is the length of the prompt it
/// was typed after (for the caret of errors).
pub fn apply_line(
    state: &mut IosState,
    context: &mut ConfigContext,
    line: &str,
    prompt_width: usize,
) -> LineResult {
    if context.banner.is_some() {
        return feed_banner(state, context, line);
    }
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('!') {
        return LineResult::ok("");
    }
    let ports = state.port_names.clone();
    let mut best: Option<ParseError> = None;
    for level in (0..=context.frames.len()).rev() {
        let (mode, layer3) = match level {
            0 => (Mode::Global, false),
            _ => {
                let frame = &context.frames[level - 1];
                (frame.mode, frame.targets.iter().all(|t| is_layer3(t)))
            }
        };
        match parse_in(mode, layer3, line, &ports) {
            Ok(parsed) => return apply(state, context, level, mode, parsed, line, prompt_width),
            Err(error) => {
                if best.is_none_or(|b| error.progress() > b.progress()) {
                    best = Some(error);
                }
            }
        }
    }
    LineResult::refused(
        best.unwrap_or(ParseError::Invalid { col: 0 }),
        prompt_width,
        line,
    )
}

/// Where a new line goes among `lines`: top-level lines by section, others at the end.
fn place(top: bool) -> impl Fn(&[ConfigNode], &str) -> usize {
    move |lines: &[ConfigNode], text: &str| {
        if top {
            rules::top_level_position(lines, text)
        } else {
            lines.len()
        }
    }
}

fn words_of(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

/// Store a line in a block: replace the same setting in place, drop the `no` form it undoes,
/// or add it where it belongs.
fn set_line(
    tree: &mut ConfigTree,
    target: &[String],
    mode: Mode,
    text: &str,
    sequence: Option<u64>,
) {
    let aaa = tree.top(&["aaa", "new-model"]).is_some();
    if target.is_empty() && text == "aaa new-model" {
        for line in tree
            .lines
            .iter_mut()
            .filter(|n| n.starts_with_words(&["line"]))
        {
            line.children
                .retain(|c| !matches!(c.words().as_slice(), ["login"] | ["login", "local"]));
        }
    }
    let Some(lines) = tree.children_mut(target) else {
        return;
    };
    let words = words_of(text);
    if mode.is_acl() {
        acl_entry(lines, text, sequence);
        return;
    }
    // With `aaa new-model`, lines authenticate through AAA: IOS drops their `login` lines
    // and does not show new ones.
    if mode == Mode::Line && matches!(words.as_slice(), ["login"] | ["login", "local"]) && aaa {
        return;
    }
    lines.retain(|n| {
        if n.first_word() != "no" {
            return true;
        }
        let nw = n.words();
        !(nw.len() > 1 && words.starts_with(&nw[1..]))
    });
    if rules::positive_hidden(mode, &words) {
        return;
    }
    // Two lines set the same setting only if they start with the same word (no pattern of
    // the single-valued table starts with a wildcard): most siblings are told apart there,
    // before their words are collected.
    let first = words.first().copied().unwrap_or("");
    let same =
        |n: &ConfigNode| n.first_word() == first && rules::same_setting(mode, &n.words(), &words);
    if let Some(at) = lines.iter().position(same) {
        lines[at].text = text.to_string();
        let mut index = 0;
        lines.retain(|n| {
            let keep = index <= at || !same(n);
            index += 1;
            keep
        });
        return;
    }
    let at = place(target.is_empty())(lines, text);
    lines.insert(at.min(lines.len()), ConfigNode::line(text));
}

/// Store an access-list entry as IOS does: an entry already in the list is not added again;
/// a new one takes its given sequence number, or the last one plus 10, and sits in number
/// order (a number already in use replaces that entry).
fn acl_entry(lines: &mut Vec<ConfigNode>, text: &str, sequence: Option<u64>) {
    let words = words_of(text);
    if lines.iter().any(|n| n.words() == words) {
        return;
    }
    let seq =
        sequence.unwrap_or_else(|| lines.iter().filter_map(|n| n.seq).max().unwrap_or(0) + 10);
    lines.retain(|n| n.seq != Some(seq));
    let at = lines
        .iter()
        .position(|n| n.seq.is_some_and(|s| s > seq))
        .unwrap_or(lines.len());
    let mut node = ConfigNode::line(text);
    node.seq = Some(seq);
    lines.insert(at, node);
}

/// `ip access-list resequence NAME [START [STEP]]`: number the entries START, START+STEP…
fn resequence(state: &mut IosState, words: &[&str]) {
    let (Some(name), start, step) = (
        words.get(3),
        words
            .get(4)
            .and_then(|w| w.parse::<u64>().ok())
            .unwrap_or(10),
        words
            .get(5)
            .and_then(|w| w.parse::<u64>().ok())
            .unwrap_or(10),
    ) else {
        return;
    };
    for node in state.running.lines.iter_mut() {
        if matches!(node.words().as_slice(), ["ip", "access-list", _, n] if n == name) {
            for (i, entry) in node.children.iter_mut().enumerate() {
                entry.seq = Some(start + step * i as u64);
            }
        }
    }
}

/// `no <words>`: remove the setting; for a feature on by default, show its `no` form.
fn negate(tree: &mut ConfigTree, target: &[String], mode: Mode, words: &[&str]) {
    let Some(lines) = tree.children_mut(target) else {
        return;
    };
    lines.retain(|n| {
        let nw = n.words();
        !(n.starts_with_words(words) || rules::same_setting(mode, &nw, words))
    });
    if let Some(feature) = rules::negation_shown(mode, words) {
        let text = format!("no {feature}");
        if !lines.iter().any(|n| n.text == text) {
            let at = place(target.is_empty())(lines, &text);
            lines.insert(at, ConfigNode::line(text));
        }
    }
}

/// `default <words>`: back to the default, whichever form was shown.
fn reset(tree: &mut ConfigTree, target: &[String], mode: Mode, words: &[&str]) {
    let Some(lines) = tree.children_mut(target) else {
        return;
    };
    lines.retain(|n| {
        let nw = n.words();
        let positive = if nw.first() == Some(&"no") {
            &nw[1..]
        } else {
            &nw[..]
        };
        !(positive.starts_with(words)
            || words.starts_with(positive)
            || rules::same_setting(mode, positive, words))
    });
}

#[allow(clippy::too_many_arguments)]
fn apply(
    state: &mut IosState,
    context: &mut ConfigContext,
    level: usize,
    mode: Mode,
    parsed: Parsed,
    line: &str,
    prompt_width: usize,
) -> LineResult {
    match parsed.kind {
        Kind::End => {
            context.frames.clear();
            return LineResult::flow(Flow::End);
        }
        Kind::Exit => {
            if level == 0 {
                context.frames.clear();
                return LineResult::flow(Flow::Exit);
            }
            context.frames.truncate(level - 1);
            return LineResult::ok("");
        }
        Kind::Do => return LineResult::flow(Flow::Do),
        Kind::AclDelete(seq) => {
            context.frames.truncate(level);
            let targets = targets(context, level);
            for target in targets {
                if let Some(lines) = state.running.children_mut(&target) {
                    lines.retain(|n| n.seq != Some(seq));
                }
            }
            return LineResult::ok("");
        }
        Kind::Command => {}
    }
    context.frames.truncate(level);
    let targets = targets(context, level);
    let text = parsed.words.join(" ");
    let words: Vec<&str> = parsed.words.iter().map(String::as_str).collect();
    let mut out = String::new();
    match parsed.action {
        Some(Act::Line)
            if !parsed.neg
                && !parsed.default
                && let Some(paths) = enter_lines(state, &text) =>
        {
            context.frames.push(Frame {
                mode: Mode::Line,
                targets: paths,
            });
        }
        Some(Act::Enter(_)) | Some(Act::Line) if !parsed.neg && !parsed.default => {
            let new_mode = match parsed.action {
                Some(Act::Enter(m)) => m,
                _ => Mode::Line,
            };
            let mut paths = Vec::new();
            for target in &targets {
                let mut path = target.clone();
                path.push(text.clone());
                let created = state.running.ensure(&path, &place(target.is_empty()));
                if created && let Some(children) = state.running.children_mut(&path) {
                    children.extend(
                        new_mode
                            .initial_children()
                            .iter()
                            .map(|t| ConfigNode::line(*t)),
                    );
                }
                paths.push(path);
            }
            context.frames.push(Frame {
                mode: new_mode,
                targets: paths,
            });
        }
        Some(Act::Enter(_)) | Some(Act::Line) => {
            for target in &targets {
                negate(&mut state.running, target, mode, &words);
            }
        }
        Some(Act::Interface) => {
            return interface(state, context, &parsed, line, prompt_width);
        }
        Some(Act::Vlan) if !parsed.items.is_empty() => {
            let ids: Vec<String> = parsed.items.clone();
            if parsed.neg || parsed.default {
                for id in &ids {
                    if matches!(id.as_str(), "1" | "1002" | "1003" | "1004" | "1005") {
                        out.push_str(&format!("%Default VLAN {id} may not be deleted.\n"));
                    } else {
                        state
                            .running
                            .lines
                            .retain(|n| n.text != format!("vlan {id}"));
                    }
                }
            } else {
                let mut paths = Vec::new();
                for id in &ids {
                    let path = vec![format!("vlan {id}")];
                    state.running.ensure(&path, &place(true));
                    paths.push(path);
                }
                context.frames.push(Frame {
                    mode: Mode::Vlan,
                    targets: paths,
                });
            }
        }
        Some(Act::Banner) => {
            let kind = parsed.items.first().cloned().unwrap_or_default();
            if parsed.neg || parsed.default {
                state
                    .running
                    .lines
                    .retain(|n| !n.starts_with_words(&["banner", &kind]));
            } else {
                let rest = parsed.items.get(1).cloned().unwrap_or_default();
                out.push_str(&start_banner(state, context, &kind, &rest));
            }
        }
        Some(Act::SnmpUser) => {
            let name = words.get(2).copied().unwrap_or("");
            state
                .snmp_users
                .retain(|u| u.split_whitespace().nth(2) != Some(name));
            if !parsed.neg && !parsed.default {
                state.snmp_users.push(text.clone());
            }
        }
        Some(Act::Switchport)
            if !parsed.neg
                && !parsed.default
                && parsed.items.first().map(String::as_str) == Some("allowed") =>
        {
            let op = parsed.items.get(1).cloned().unwrap_or_default();
            let list = vlans::parse_list(parsed.items.get(2).map_or("", String::as_str))
                .unwrap_or_default();
            for target in &targets {
                trunk_allowed(&mut state.running, target, mode, &op, &list);
            }
        }
        Some(Act::IpAddress) if !parsed.items.is_empty() && !parsed.neg => {
            for message in &parsed.items {
                out.push_str(message);
                out.push('\n');
            }
        }
        Some(Act::CryptoKey) => {
            if !parsed.neg && words.contains(&"generate") {
                out.push_str(&format!(
                    "The name for the keys will be: {}\n\n% The key modulus size is 2048 bits\n% Generating 2048 bit RSA keys, keys will be non-exportable...\n[OK] (elapsed time was 1 seconds)\n\n",
                    state.hostname()
                ));
            }
        }
        Some(Act::Ignore) => {}
        Some(Act::AclResequence) => {
            if !parsed.neg && !parsed.default {
                resequence(state, &words);
            }
        }
        Some(Act::Exit) => {
            context.frames.truncate(level.saturating_sub(1));
        }
        _ => {
            for target in &targets {
                if parsed.default {
                    reset(&mut state.running, target, mode, &words);
                } else if parsed.neg {
                    negate(&mut state.running, target, mode, &words);
                } else {
                    set_line(&mut state.running, target, mode, &text, parsed.sequence);
                }
            }
            if !parsed.neg && !parsed.default {
                out.push_str(&side_effects(state, &parsed));
            }
        }
    }
    LineResult::ok(out)
}

/// `line KIND FIRST [LAST]`: IOS configures each line on its own and only shows
/// consecutive lines with the same configuration as one range. The blocks of that kind are
/// split where the new range cuts them (each part keeps the configuration), blocks are
/// created for the lines no block covers, and the mode edits every block in the range.
/// Showing the configuration groups them again ([`super::show`]). None for a header that
/// is not a range of numbered lines.
fn enter_lines(state: &mut IosState, header: &str) -> Option<Vec<Vec<String>>> {
    let (kind, first, last) = line_range(header)?;
    let mut lines = std::mem::take(&mut state.running.lines);
    let mut split: Vec<ConfigNode> = Vec::with_capacity(lines.len() + 2);
    for node in lines.drain(..) {
        match line_range(&node.text) {
            Some((k, a, b)) if k == kind && a <= last && b >= first && (a < first || b > last) => {
                // The part before the range, the part inside, the part after.
                let parts = [
                    (a < first).then(|| (a, first - 1)),
                    Some((a.max(first), b.min(last))),
                    (b > last).then(|| (last + 1, b)),
                ];
                for (from, to) in parts.into_iter().flatten() {
                    let mut part = node.clone();
                    part.text = line_header(&kind, from, to);
                    split.push(part);
                }
            }
            _ => split.push(node),
        }
    }
    state.running.lines = split;
    // The lines of the range no block covers get blocks of their own.
    let covered = |n: u32, lines: &[ConfigNode]| {
        lines.iter().any(|node| {
            line_range(&node.text).is_some_and(|(k, a, b)| k == kind && a <= n && n <= b)
        })
    };
    let mut n = first;
    while n <= last {
        if covered(n, &state.running.lines) {
            n += 1;
            continue;
        }
        let start = n;
        while n < last && !covered(n + 1, &state.running.lines) {
            n += 1;
        }
        let path = vec![line_header(&kind, start, n)];
        state.running.ensure(&path, &place(true));
        n += 1;
    }
    Some(
        state
            .running
            .lines
            .iter()
            .filter(|node| {
                line_range(&node.text).is_some_and(|(k, a, b)| k == kind && first <= a && b <= last)
            })
            .map(|node| vec![node.text.clone()])
            .collect(),
    )
}

/// The lines a `line` header covers: (kind, first, last).
pub fn line_range(header: &str) -> Option<(String, u32, u32)> {
    let words: Vec<&str> = header.split_whitespace().collect();
    let (kind, first, last) = match words.as_slice() {
        ["line", kind, first] => (*kind, *first, *first),
        ["line", kind, first, last] => (*kind, *first, *last),
        _ => return None,
    };
    let (first, last) = (first.parse().ok()?, last.parse().ok()?);
    (first <= last).then(|| (kind.to_string(), first, last))
}

/// The header of a range of lines (`line vty 0 4`, `line con 0`).
pub fn line_header(kind: &str, first: u32, last: u32) -> String {
    if first == last {
        format!("line {kind} {first}")
    } else {
        format!("line {kind} {first} {last}")
    }
}

fn targets(context: &ConfigContext, level: usize) -> Vec<Vec<String>> {
    match level {
        0 => vec![Vec::new()],
        _ => context.frames[level - 1].targets.clone(),
    }
}

/// What a stored line creates besides itself: a VLAN an access port needs, the port-channel
/// a member joins.
fn side_effects(state: &mut IosState, parsed: &Parsed) -> String {
    let mut out = String::new();
    match (parsed.action, parsed.items.as_slice()) {
        (Some(Act::Switchport), [which, id]) => {
            let path = vec![format!("vlan {id}")];
            if id != "1" && state.running.node(&path).is_none() {
                let label = if which == "voice" { "Voice" } else { "Access" };
                out.push_str(&format!(
                    "% {label} VLAN does not exist. Creating vlan {id}\n"
                ));
                state.running.ensure(&path, &place(true));
            }
        }
        (Some(Act::ChannelGroup), [n]) => {
            let path = vec![format!("interface Port-channel{n}")];
            if state.running.ensure(&path, &place(true)) {
                out.push_str(&format!(
                    "Creating a port-channel interface Port-channel {n}\n\n"
                ));
            }
        }
        _ => {}
    }
    out
}

/// `switchport trunk allowed vlan [add|remove|except] LIST|all|none` on one port.
fn trunk_allowed(
    tree: &mut ConfigTree,
    target: &[String],
    mode: Mode,
    op: &str,
    list: &BTreeSet<u16>,
) {
    let prefix = ["switchport", "trunk", "allowed", "vlan"];
    let current: BTreeSet<u16> = tree
        .children(target)
        .and_then(|lines| lines.iter().find(|n| n.starts_with_words(&prefix)))
        .map(|n| {
            let value = n.words().get(4).copied().unwrap_or("none").to_string();
            if value == "none" {
                BTreeSet::new()
            } else {
                vlans::parse_list(&value).unwrap_or_default()
            }
        })
        .unwrap_or_else(vlans::all);
    let new: BTreeSet<u16> = match op {
        "add" => current.union(list).copied().collect(),
        "remove" => current.difference(list).copied().collect(),
        "except" => vlans::all().difference(list).copied().collect(),
        "all" => vlans::all(),
        "none" => BTreeSet::new(),
        _ => list.clone(),
    };
    if new == vlans::all() {
        negate(tree, target, mode, &prefix);
    } else {
        let text = format!("switchport trunk allowed vlan {}", vlans::format_list(&new));
        set_line(tree, target, mode, &text, None);
    }
}

/// `interface X`, `interface range …`, `no interface X`, `default interface X`.
fn interface(
    state: &mut IosState,
    context: &mut ConfigContext,
    parsed: &Parsed,
    line: &str,
    prompt_width: usize,
) -> LineResult {
    let members = &parsed.items;
    let range = parsed.words.get(1).map(String::as_str) == Some("range");
    if parsed.neg {
        if members
            .iter()
            .any(|m| ifname::class_of(m) == IfClass::Physical && !m.contains('.'))
        {
            return LineResult::refused(
                ParseError::Invalid {
                    col: parsed.argument_col,
                },
                prompt_width,
                line,
            );
        }
        for member in members {
            let header = format!("interface {member}");
            state.running.lines.retain(|n| n.text != header);
        }
        return LineResult::ok("");
    }
    if parsed.default {
        let mut out = String::new();
        for member in members {
            if let Some(block) = state.running.node_mut(&[format!("interface {member}")]) {
                block.children.clear();
                out.push_str(&format!(
                    "Interface {member} set to default configuration\n"
                ));
            }
        }
        return LineResult::ok(out);
    }
    let mut paths = Vec::new();
    for member in members {
        let path = vec![format!("interface {member}")];
        state.running.ensure(&path, &place(true));
        paths.push(path);
    }
    context.frames.push(Frame {
        mode: if range {
            Mode::InterfaceRange
        } else {
            Mode::Interface
        },
        targets: paths,
    });
    LineResult::ok("")
}

/// The delimiter of a banner and the text after it: `^C` as two characters (how IOS prints
/// Ctrl-C, and how configurations are pasted), otherwise the first character.
fn split_delimiter(rest: &str) -> (String, &str) {
    if let Some(after) = rest.strip_prefix("^C") {
        return ("^C".to_string(), after);
    }
    let mut chars = rest.chars();
    match chars.next() {
        Some(c) => (c.to_string(), chars.as_str()),
        None => (String::new(), ""),
    }
}

fn store_banner(state: &mut IosState, kind: &str, body: Vec<String>) {
    let header = format!("banner {kind} ^C");
    state
        .running
        .lines
        .retain(|n| !n.starts_with_words(&["banner", kind]));
    let mut node = ConfigNode::line(header.clone());
    node.verbatim = body;
    node.verbatim.push("^C".to_string());
    let at = rules::top_level_position(&state.running.lines, &header);
    state.running.lines.insert(at, node);
}

fn start_banner(
    state: &mut IosState,
    context: &mut ConfigContext,
    kind: &str,
    rest: &str,
) -> String {
    let (delimiter, after) = split_delimiter(rest);
    if let Some(end) = after.find(&delimiter) {
        let body = &after[..end];
        let lines = if body.is_empty() {
            Vec::new()
        } else {
            vec![body.to_string()]
        };
        store_banner(state, kind, lines);
        return String::new();
    }
    let mut lines = Vec::new();
    if !after.trim().is_empty() {
        lines.push(after.to_string());
    }
    let shown = if delimiter == "\u{3}" {
        "^C"
    } else {
        &delimiter
    };
    context.banner = Some(PendingBanner {
        kind: kind.to_string(),
        delimiter: delimiter.clone(),
        lines,
    });
    format!("Enter TEXT message.  End with the character '{shown}'.\n")
}

fn feed_banner(state: &mut IosState, context: &mut ConfigContext, line: &str) -> LineResult {
    let Some(mut banner) = context.banner.take() else {
        return LineResult::ok("");
    };
    match line.find(&banner.delimiter) {
        Some(end) => {
            let before = &line[..end];
            if !before.is_empty() {
                banner.lines.push(before.to_string());
            }
            store_banner(state, &banner.kind, banner.lines);
        }
        None => {
            banner.lines.push(line.to_string());
            context.banner = Some(banner);
        }
    }
    LineResult::ok("")
}
