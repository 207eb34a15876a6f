//! Owns the remediation: the configuration commands, in a safe order, that turn a running
//! configuration into the intended one, given both as normalised trees.
//!
//! How it compares: at each level, lines are matched by key, whatever their order (IOS
//! files lines in its own order, templates in theirs), except inside access lists, whose
//! order is their meaning. A matched block is compared line by line inside; a banner by its
//! body.
//!
//! What it sends, and in which order:
//! - additions and changes in the order of the intended configuration (templates declare
//!   what others use first: VLANs before ports, an ACL before the lines that apply it);
//! - inside a block, removals (replace mode) before additions, so a line that conflicts
//!   with the new one is gone first; a single-valued setting (`description`, `switchport
//!   access vlan`…) is simply typed with its new value, never negated first;
//! - first, in replace mode, the removal of `aaa new-model` when the intent drops it: while
//!   it is on, IOS discards the `login local` of lines as they are typed;
//! - removals of whole top-level lines and blocks (replace mode) after every addition, so
//!   nothing in use disappears before what replaces it is in place: `no vlan N`,
//!   `no interface VlanN`, `default interface X` for a hardware port the intent no longer
//!   mentions (IOS cannot delete it; defaulting is how it is emptied);
//! - last, the management path: the ports that carry the management VLAN now (the uplink),
//!   then the `vlan N` block of the management VLAN, its SVI, `ip default-gateway`, then the
//!   removal of an old management SVI and VLAN. Whatever else fails, the session that
//!   carries the change keeps its path until the very end.
//!
//! Access lists, the one place where order is meaning: the entries of an intended list
//! are synchronised in both modes (an ACL the intent defines is the intent's, a stale entry
//! left in it would change what it matches). Strategy, with IOS sequence numbers:
//! `ip access-list resequence NAME S S` first (so the running entries are S, 2S, 3S…, wherever
//! their numbers were), then every new entry is inserted at its final place, in intended
//! order, with a number between its neighbours, then the entries that go are deleted
//! (`no N`), last one first. Traffic that both the old and the new list permit is therefore
//! permitted at every step: an inserted entry that matches it comes after the new permit
//! that matches it first (inserted earlier), and an old permit that matches it is deleted
//! only after every later old entry. In particular the new permits are in place before a
//! new deny, and no management source the intended ACL permits is ever cut. One exception:
//! IOS keeps a single copy of an entry, so an entry that only changes place is deleted just
//! before it is typed at its new place; for that one command, what it matched meets the
//! entries after its old place.
//!
//! Output format: block headers at column 0, a block's lines indented one space per level
//! (the driver strips leading spaces; the indentation is for the people reading the plan),
//! `exit` (indented as the block's lines) when leaving a nested block, and before a
//! top-level line typed after a block, so nothing is taken for a sub-mode command. The
//! driver sends `end` itself.

use super::normalize::{
    Context, Item, is_bare_permanent, is_device_owned, is_out_of_band, is_permanent_interface,
    line_header, line_range, same_setting,
};
use crate::driver::Mode;
use std::collections::BTreeMap;

/// One step of a remediation before it is laid out: lines to type inside the block at
/// `path` (header texts from the top). No lines: make sure the block exists (enter it).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cmd {
    path: Vec<String>,
    lines: Vec<String>,
}

impl Cmd {
    fn at(path: &[String], line: impl Into<String>) -> Cmd {
        Cmd {
            path: path.to_vec(),
            lines: vec![line.into()],
        }
    }
}

/// What every level of the comparison needs to know.
struct Ctx<'a> {
    mode: Mode,
    /// The running configuration's top level (write-only lines look for their group there).
    running_top: &'a [Item],
    /// The intended top level.
    intended_top: &'a [Item],
}

/// The management VLAN: the hint, else the SVI named by `ip ssh source-interface`, else the
/// only SVI with an address, in the intended configuration first, then the running one.
pub fn management_vlan(intended: &[Item], running: &[Item], hint: Option<u16>) -> Option<u16> {
    hint.or_else(|| from_config(intended))
        .or_else(|| from_config(running))
}

fn svi_id(name: &str) -> Option<u16> {
    name.strip_prefix("Vlan")?.parse().ok()
}

fn from_config(top: &[Item]) -> Option<u16> {
    let ssh = top.iter().find_map(|i| {
        i.key
            .strip_prefix("ip ssh source-interface ")
            .and_then(svi_id)
    });
    if ssh.is_some() {
        return ssh;
    }
    let addressed: Vec<u16> = top
        .iter()
        .filter(|i| {
            i.children
                .iter()
                .any(|c| c.key.starts_with("ip address ") || c.key.starts_with("ipv6 address "))
        })
        .filter_map(|i| i.key.strip_prefix("interface ").and_then(svi_id))
        .collect();
    match addressed.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// Where a top-level item goes in the management tail (None: not part of it): the ports
/// that carry the management VLAN now (`running`: the uplink a change could cut), then the
/// VLAN, its SVI, the default gateway.
fn management_rank(key: &str, running: Option<&Item>, vlan: Option<u16>) -> Option<u8> {
    let vlan = vlan?;
    if key == format!("vlan {vlan}") {
        Some(1)
    } else if key == format!("interface Vlan{vlan}") {
        Some(2)
    } else if key.starts_with("ip default-gateway") {
        Some(3)
    } else if running.is_some_and(|r| carries_vlan(r, vlan)) {
        Some(0)
    } else {
        None
    }
}

/// True when a running switch port carries `vlan`: as its access VLAN, or on a trunk that
/// allows it (a trunk without an allowed list allows every VLAN).
fn carries_vlan(port: &Item, vlan: u16) -> bool {
    let Some(name) = port.key.strip_prefix("interface ") else {
        return false;
    };
    if name.starts_with("Vlan") {
        return false;
    }
    let value = |prefix: &str| {
        port.children
            .iter()
            .find_map(|c| c.key.strip_prefix(prefix).map(str::to_string))
    };
    let in_list = |list: &str| {
        list.split(',').any(|part| match part.split_once('-') {
            Some((lo, hi)) => matches!((lo.parse::<u16>(), hi.parse::<u16>()), (Ok(lo), Ok(hi)) if lo <= vlan && vlan <= hi),
            None => part.parse::<u16>() == Ok(vlan),
        })
    };
    match value("switchport mode ").as_deref() {
        Some("trunk") => value("switchport trunk allowed vlan ").is_none_or(|l| in_list(&l)),
        _ => value("switchport access vlan ").is_some_and(|v| v == vlan.to_string()),
    }
}

/// The remediation, as lines to type after `configure terminal`.
pub fn remediate(
    running: &[Item],
    intended: &[Item],
    mode: Mode,
    hint: Option<u16>,
) -> Vec<String> {
    let ctx = Ctx {
        mode,
        running_top: running,
        intended_top: intended,
    };
    let new_vlan = management_vlan(intended, running, hint);
    let old_vlan = management_vlan(running, &[], hint);
    let mut main: Vec<Cmd> = Vec::new();
    let mut tail: Vec<(u8, Vec<Cmd>)> = Vec::new();
    // Removals that change how later lines are taken go first: with `aaa new-model` still
    // on, IOS drops a line's `login local` as it is typed.
    if mode == Mode::Replace {
        for item in running {
            if is_gating(&item.key) && !item.hidden && find(intended, &item.key).is_none() {
                main.extend(remove(&ctx, item, &[]));
            }
        }
    }
    let first_line = intended.iter().position(|i| line_range(&i.key).is_some());
    for (index, item) in intended.iter().enumerate() {
        if line_range(&item.key).is_some() {
            if Some(index) == first_line {
                main.extend(lines_section(&ctx, running, intended));
            }
            continue;
        }
        let cmds = match find(running, &item.key) {
            _ if item.hidden => restore_default(Context::Global, item, running, &[]),
            Some(existing) => compare(&ctx, existing, item, &[]),
            None => add(&ctx, item, &[]),
        };
        match management_rank(&item.key, find(running, &item.key), new_vlan) {
            Some(rank) => tail.push((rank, cmds)),
            None => main.extend(cmds),
        }
    }
    if mode == Mode::Replace {
        let mut removals: Vec<Cmd> = Vec::new();
        if first_line.is_none() {
            removals.extend(lines_section(&ctx, running, intended));
        }
        for item in running {
            if item.hidden
                || is_gating(&item.key)
                || is_device_owned(&item.key)
                || is_out_of_band(item)
                || line_range(&item.key).is_some()
                || find(intended, &item.key).is_some()
                || replaced(Context::Global, item, intended)
            {
                continue;
            }
            let cmds = remove(&ctx, item, &[]);
            // An old management SVI and VLAN go after the new ones are in place: SVI first.
            match management_rank(&item.key, Some(item), old_vlan) {
                Some(rank) => tail.push((10 - rank, cmds)),
                None => removals.extend(cmds),
            }
        }
        main.extend(removals);
    }
    tail.sort_by_key(|(rank, _)| *rank);
    main.extend(tail.into_iter().flat_map(|(_, cmds)| cmds));
    layout(&main)
}

/// Top-level lines whose removal must come before every addition (see [`remediate`]).
fn is_gating(key: &str) -> bool {
    key == "aaa new-model"
}

/// The shown line or block with this key.
fn find<'a>(items: &'a [Item], key: &str) -> Option<&'a Item> {
    items.iter().find(|i| !i.hidden && i.key == key)
}

/// For an intended default IOS hides (`no shutdown`): the command when the running
/// configuration says otherwise (`shutdown`), else nothing.
fn restore_default(context: Context, item: &Item, running: &[Item], path: &[String]) -> Vec<Cmd> {
    let contradicted = running
        .iter()
        .any(|r| !r.hidden && r.children.is_empty() && same_setting(context, &r.key, &item.key));
    if contradicted {
        vec![Cmd::at(path, item.text.clone())]
    } else {
        Vec::new()
    }
}

/// True when a running line needs no removal because an intended line of the same
/// single-valued setting replaces it in place.
fn replaced(context: Context, item: &Item, intended: &[Item]) -> bool {
    item.children.is_empty()
        && intended
            .iter()
            .any(|i| i.children.is_empty() && same_setting(context, &item.key, &i.key))
}

fn child_path(path: &[String], item: &Item) -> Vec<String> {
    let mut path = path.to_vec();
    path.push(item.text.clone());
    path
}

/// Running `existing` and intended `item` have the same key: what differs inside.
fn compare(ctx: &Ctx<'_>, existing: &Item, item: &Item, path: &[String]) -> Vec<Cmd> {
    if item.banner.is_some() || existing.banner.is_some() {
        return if existing.banner == item.banner {
            Vec::new()
        } else {
            add(ctx, item, path)
        };
    }
    let inner = child_path(path, item);
    if ctx.mode == Mode::Replace
        && path.is_empty()
        && item.children.iter().all(|c| c.hidden)
        && existing.children.iter().any(|c| !c.hidden)
        && let Some(name) = item.key.strip_prefix("interface ")
        && is_permanent_interface(name)
    {
        // A port the intent leaves unconfigured: back to its defaults in one command.
        return vec![Cmd::at(path, format!("default interface {name}"))];
    }
    match Context::of_block(&item.key) {
        Context::Acl => acl(existing, item, path),
        context => children(ctx, context, &existing.children, &item.children, &inner),
    }
}

/// The changes inside one (unordered) block.
fn children(
    ctx: &Ctx<'_>,
    context: Context,
    running: &[Item],
    intended: &[Item],
    path: &[String],
) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    if ctx.mode == Mode::Replace {
        for item in running {
            if item.write_only
                || item.hidden
                || find(intended, &item.key).is_some()
                || replaced(context, item, intended)
            {
                continue;
            }
            cmds.extend(remove(ctx, item, path));
        }
    }
    for item in intended {
        match find(running, &item.key) {
            _ if item.hidden => cmds.extend(restore_default(context, item, running, path)),
            Some(existing) => cmds.extend(compare(ctx, existing, item, path)),
            None => cmds.extend(add(ctx, item, path)),
        }
    }
    cmds
}

/// An intended line or block the running configuration does not have.
fn add(ctx: &Ctx<'_>, item: &Item, path: &[String]) -> Vec<Cmd> {
    if let Some(body) = &item.banner {
        let kind = item.key.strip_prefix("banner ").unwrap_or("motd");
        return vec![Cmd {
            path: path.to_vec(),
            lines: banner_lines(kind, body),
        }];
    }
    if item.write_only && !write_only_needed(ctx, item) {
        return Vec::new();
    }
    if item.children.is_empty() {
        if is_bare_permanent(item) {
            return Vec::new(); // a hardware port exists anyway
        }
        if path.is_empty() && looks_like_block(&item.key) {
            // A block with nothing in it yet (`interface Loopback0`): entering creates it.
            return vec![Cmd {
                path: vec![item.text.clone()],
                lines: Vec::new(),
            }];
        }
        return vec![Cmd::at(path, item.text.clone())];
    }
    let inner = child_path(path, item);
    let mut cmds = vec![Cmd {
        path: inner.clone(),
        lines: Vec::new(),
    }];
    if Context::of_block(&item.key) == Context::Acl {
        cmds.extend(
            item.children
                .iter()
                .map(|c| Cmd::at(&inner, c.text.clone())),
        );
    } else {
        cmds.extend(children(
            ctx,
            Context::of_block(&item.key),
            &[],
            &item.children,
            &inner,
        ));
    }
    cmds
}

/// Top-level lines that open a block even when nothing is inside.
fn looks_like_block(key: &str) -> bool {
    let first = key.split(' ').next().unwrap_or("");
    matches!(
        first,
        "interface" | "vlan" | "line" | "archive" | "control-plane"
    ) || key.starts_with("ip access-list ")
}

/// A line the device never shows (`snmp-server user`): sent along with its group, i.e. when
/// the running configuration has no `snmp-server group G` line or the intent changes it.
/// A user whose group is unchanged is assumed present (see the known limitations in the
/// module documentation of [`super`]).
fn write_only_needed(ctx: &Ctx<'_>, item: &Item) -> bool {
    let words = item.words();
    let Some(group) = words.get(3) else {
        return true;
    };
    let prefix = format!("snmp-server group {group} ");
    let running_has = ctx.running_top.iter().any(|i| i.key.starts_with(&prefix));
    let intended_changes = ctx
        .intended_top
        .iter()
        .filter(|i| i.key.starts_with(&prefix))
        .any(|i| find(ctx.running_top, &i.key).is_none());
    !running_has || intended_changes
}

/// The lines that type a banner: a delimiter its text does not contain.
fn banner_lines(kind: &str, body: &[String]) -> Vec<String> {
    let delimiter = ["^C", "#", "%", "@", "~", "$", "&"]
        .into_iter()
        .find(|d| {
            body.iter().all(|l| !l.contains(d))
                && !(*d == "^C" && body.iter().any(|l| l.contains('^')))
        })
        .unwrap_or("\u{3}");
    let mut lines = vec![format!("banner {kind} {delimiter}")];
    lines.extend(body.iter().cloned());
    lines.push(delimiter.to_string());
    lines
}

/// The negation of a running line or block the intent does not have (replace mode).
fn remove(ctx: &Ctx<'_>, item: &Item, path: &[String]) -> Vec<Cmd> {
    let words = item.words();
    if path.is_empty() {
        if let Some(name) = item.key.strip_prefix("interface ") {
            if is_permanent_interface(name) {
                return if item.children.is_empty() {
                    Vec::new()
                } else {
                    vec![Cmd::at(path, format!("default interface {name}"))]
                };
            }
            return vec![Cmd::at(path, format!("no interface {name}"))];
        }
        if words.first() == Some(&"line") {
            // Lines always exist: empty them instead.
            let inner = child_path(path, item);
            return children(ctx, Context::Line, &item.children, &[], &inner);
        }
    }
    vec![Cmd::at(path, negation(item, &words))]
}

/// How IOS takes a line back.
fn negation(item: &Item, words: &[&str]) -> String {
    match words {
        ["banner", kind, ..] => format!("no banner {kind}"),
        ["username", name, ..] => format!("no username {name}"),
        ["enable", kind, ..] => format!("no enable {kind}"),
        // `no ip address` is shown when an interface has none: back to that default.
        ["no", "ip", "address", ..] => "default ip address".to_string(),
        ["no", rest @ ..] => rest.join(" "),
        _ => format!("no {}", item.text),
    }
}

/// The `line` blocks, compared line by line (`line vty 0 15` of the intent against the
/// `line vty 0 4` and `line vty 5 15` IOS may show): the commands each line needs, typed
/// under one header for every run of consecutive lines that need the same ones.
fn lines_section(ctx: &Ctx<'_>, running: &[Item], intended: &[Item]) -> Vec<Cmd> {
    fn expand(items: &[Item]) -> BTreeMap<(String, u32), &[Item]> {
        let mut map = BTreeMap::new();
        for item in items {
            if let Some((kind, first, last)) = line_range(&item.key) {
                for number in first..=last {
                    map.insert((kind.clone(), number), item.children.as_slice());
                }
            }
        }
        map
    }
    let (run, int) = (expand(running), expand(intended));
    let mut numbers: Vec<&(String, u32)> = int.keys().collect();
    if ctx.mode == Mode::Replace {
        numbers.extend(run.keys().filter(|k| !int.contains_key(*k)));
        numbers.sort();
    }
    let placeholder = vec![String::new()];
    let mut cmds: Vec<Cmd> = Vec::new();
    let mut run_of: Option<(String, u32, u32, Vec<String>)> = None;
    for key in numbers {
        let (have, want) = (
            run.get(key).copied().unwrap_or(&[]),
            int.get(key).copied().unwrap_or(&[]),
        );
        let lines: Vec<String> = children(ctx, Context::Line, have, want, &placeholder)
            .into_iter()
            .flat_map(|c| c.lines)
            .collect();
        let (kind, number) = (key.0.clone(), key.1);
        run_of = match run_of {
            Some((k, first, last, current))
                if k == kind && number == last + 1 && current == lines =>
            {
                Some((k, first, number, current))
            }
            Some((k, first, last, current)) => {
                if !current.is_empty() {
                    cmds.push(Cmd {
                        path: vec![line_header(&k, first, last)],
                        lines: current,
                    });
                }
                Some((kind, number, number, lines))
            }
            None => Some((kind, number, number, lines)),
        };
    }
    if let Some((k, first, last, current)) = run_of
        && !current.is_empty()
    {
        cmds.push(Cmd {
            path: vec![line_header(&k, first, last)],
            lines: current,
        });
    }
    cmds
}

/// Synchronise an access list's entries (see the module documentation for why this order).
fn acl(existing: &Item, item: &Item, path: &[String]) -> Vec<Cmd> {
    let old: Vec<&str> = existing.children.iter().map(|c| c.key.as_str()).collect();
    let new: Vec<&str> = item.children.iter().map(|c| c.key.as_str()).collect();
    if old == new {
        return Vec::new();
    }
    // Walk the alignment: for each running entry, the intended entries to insert before it.
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &old, &new);
    let mut before: Vec<Vec<usize>> = vec![Vec::new(); old.len() + 1];
    let mut deleted: Vec<usize> = Vec::new();
    for op in ops {
        match op {
            similar::DiffOp::Equal { .. } => {}
            similar::DiffOp::Delete {
                old_index, old_len, ..
            } => deleted.extend(old_index..old_index + old_len),
            similar::DiffOp::Insert {
                old_index,
                new_index,
                new_len,
            } => before[old_index].extend(new_index..new_index + new_len),
            similar::DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                // The new entries go before the ones they replace: permits first.
                before[old_index].extend(new_index..new_index + new_len);
                deleted.extend(old_index..old_index + old_len);
            }
        }
    }
    let widest = before.iter().map(Vec::len).max().unwrap_or(0) as u64;
    let step = 10 * (widest + 1);
    let inner = child_path(path, item);
    let words = item.words();
    let mut cmds = Vec::new();
    if let ["ip", "access-list", _, name] = words.as_slice() {
        cmds.push(Cmd::at(
            path,
            format!("ip access-list resequence {name} {step} {step}"),
        ));
    }
    let mut inserts = Vec::new();
    for (gap, indices) in before.iter().enumerate() {
        let base = gap as u64 * step;
        for (k, index) in indices.iter().enumerate() {
            let entry = &item.children[*index];
            // An entry that changes place: IOS keeps one copy of an entry, so the old one
            // goes just before the new one is typed (the one window this strategy has).
            if let Some(at) = deleted.iter().position(|d| old[*d] == entry.key) {
                let moved = deleted.remove(at);
                inserts.push(format!("no {}", (moved as u64 + 1) * step));
            }
            let text = strip_sequence(&entry.text);
            inserts.push(format!("{} {text}", base + 10 * (k as u64 + 1)));
        }
    }
    let deletions: Vec<String> = deleted
        .iter()
        .rev()
        .map(|i| format!("no {}", (*i as u64 + 1) * step))
        .collect();
    cmds.push(Cmd {
        path: inner.clone(),
        lines: inserts,
    });
    cmds.push(Cmd {
        path: inner,
        lines: deletions,
    });
    cmds
}

/// An ACL entry without the sequence number it was written with.
fn strip_sequence(text: &str) -> &str {
    let trimmed = text.trim();
    match trimmed.split_once(char::is_whitespace) {
        Some((first, rest)) if first.chars().all(|c| c.is_ascii_digit()) => rest.trim_start(),
        _ => trimmed,
    }
}

/// Lay the steps out as typed lines: enter blocks by their headers, `exit` where needed.
fn layout(cmds: &[Cmd]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let indent = |depth: usize, line: &str| format!("{}{line}", " ".repeat(depth));
    for cmd in cmds {
        if cmd.lines.is_empty() && cmd.path.is_empty() {
            continue;
        }
        let common = stack
            .iter()
            .zip(&cmd.path)
            .take_while(|(a, b)| a == b)
            .count();
        let plain_top = cmd.path.is_empty() && !cmd.lines.is_empty();
        while stack.len() > common {
            // Leaving a nested block, or a block before a top-level line: say so.
            if stack.len() >= 2 || plain_top {
                out.push(indent(stack.len(), "exit"));
            }
            stack.pop();
        }
        for header in &cmd.path[common..] {
            out.push(indent(stack.len(), header));
            stack.push(header.clone());
        }
        for line in &cmd.lines {
            // Banner text goes as it is: it is the banner.
            if cmd.path.is_empty() {
                out.push(line.clone());
            } else {
                out.push(indent(stack.len(), line));
            }
        }
    }
    out
}
