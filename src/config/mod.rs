//! STAND-IN (branch `drivers` only): configuration comparison. The real module (hierarchy-
//! aware remediation, `similar`-based diff) is written in parallel on another branch with
//! exactly these two signatures and replaces this file at merge. This one is deliberately
//! naive, just enough for the drivers and their tests:
//! - [`remediation`]: IOS-style lines; a block is a top-level line and the indented lines
//!   under it. Merge sends what intended has and running lacks; Replace first negates what
//!   running has and intended lacks (`no …`), then does the same.
//! - [`unified_diff`]: a line diff (longest common subsequence) in unified format.

use crate::driver::Mode;

/// Lines that carry no configuration: banners of `show running-config`, comments, `end`.
fn is_noise(line: &str) -> bool {
    let trimmed = line.trim();
    trimmed.is_empty()
        || trimmed.starts_with('!')
        || trimmed == "end"
        || trimmed.starts_with("Building configuration")
        || trimmed.starts_with("Current configuration")
}

/// Top-level lines with their indented children, in order.
fn blocks(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        if is_noise(line) {
            continue;
        }
        let line = line.trim_end();
        if line.starts_with(' ')
            && let Some((_, children)) = out.last_mut()
        {
            children.push(line.to_string());
            continue;
        }
        out.push((line.to_string(), Vec::new()));
    }
    out
}

/// `no X` for `X`, `X` for `no X`, indentation kept.
fn negate(line: &str) -> String {
    let indent = &line[..line.len() - line.trim_start().len()];
    let body = line.trim_start();
    match body.strip_prefix("no ") {
        Some(rest) => format!("{indent}{rest}"),
        None => format!("{indent}no {body}"),
    }
}

/// The configuration lines that turn `running` into `intended` (see the module doc).
pub fn remediation(running: &str, intended: &str, mode: Mode) -> Vec<String> {
    let running = blocks(running);
    let intended = blocks(intended);
    let find = |list: &[(String, Vec<String>)], header: &str| {
        list.iter()
            .find(|(h, _)| h == header)
            .map(|(_, c)| c.clone())
    };
    let mut out = Vec::new();
    if mode == Mode::Replace {
        for (header, children) in &running {
            match find(&intended, header) {
                None => out.push(negate(header)),
                Some(wanted) => {
                    let extra: Vec<&String> =
                        children.iter().filter(|c| !wanted.contains(c)).collect();
                    if !extra.is_empty() {
                        out.push(header.clone());
                        out.extend(extra.into_iter().map(|c| negate(c)));
                    }
                }
            }
        }
    }
    for (header, children) in &intended {
        match find(&running, header) {
            None => {
                out.push(header.clone());
                out.extend(children.iter().cloned());
            }
            Some(present) => {
                let missing: Vec<&String> =
                    children.iter().filter(|c| !present.contains(c)).collect();
                if !missing.is_empty() {
                    out.push(header.clone());
                    out.extend(missing.into_iter().cloned());
                }
            }
        }
    }
    out
}

/// A unified diff, running → intended, 3 lines of context, headed with the asset's name.
/// Empty when the texts are equal.
pub fn unified_diff(running: &str, intended: &str, asset: &str) -> String {
    if running == intended {
        return String::new();
    }
    let old: Vec<&str> = running.lines().collect();
    let new: Vec<&str> = intended.lines().collect();
    let ops = line_ops(&old, &new);
    let mut out = format!("--- {asset} (running)\n+++ {asset} (intended)\n");
    const CONTEXT: usize = 3;
    let changed: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| !matches!(op, Op::Same(..)))
        .map(|(i, _)| i)
        .collect();
    let mut index = 0;
    while index < changed.len() {
        let start = changed[index].saturating_sub(CONTEXT);
        let mut end = changed[index];
        while index + 1 < changed.len() && changed[index + 1] <= end + 2 * CONTEXT + 1 {
            index += 1;
            end = changed[index];
        }
        let end = (end + CONTEXT + 1).min(ops.len());
        let (mut old_start, mut new_start) = (0, 0);
        for op in &ops[..start] {
            match op {
                Op::Same(..) => {
                    old_start += 1;
                    new_start += 1;
                }
                Op::Delete(_) => old_start += 1,
                Op::Insert(_) => new_start += 1,
            }
        }
        let hunk = &ops[start..end];
        let old_len = hunk.iter().filter(|o| !matches!(o, Op::Insert(_))).count();
        let new_len = hunk.iter().filter(|o| !matches!(o, Op::Delete(_))).count();
        out.push_str(&format!(
            "@@ -{},{old_len} +{},{new_len} @@\n",
            old_start + usize::from(old_len > 0),
            new_start + usize::from(new_len > 0)
        ));
        for op in hunk {
            match op {
                Op::Same(line) => out.push_str(&format!(" {line}\n")),
                Op::Delete(line) => out.push_str(&format!("-{line}\n")),
                Op::Insert(line) => out.push_str(&format!("+{line}\n")),
            }
        }
        index += 1;
    }
    out
}

enum Op<'a> {
    Same(&'a str),
    Delete(&'a str),
    Insert(&'a str),
}

/// Edit script by longest common subsequence; past a size bound (the table would be too
/// big), everything old deleted and everything new inserted — still a correct diff.
fn line_ops<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<Op<'a>> {
    let (n, m) = (old.len(), new.len());
    if n.saturating_mul(m) > 4_000_000 {
        let mut ops: Vec<Op<'a>> = old.iter().map(|l| Op::Delete(l)).collect();
        ops.extend(new.iter().map(|l| Op::Insert(l)));
        return ops;
    }
    let mut table = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[at(i, j)] = if old[i] == new[j] {
                table[at(i + 1, j + 1)] + 1
            } else {
                table[at(i + 1, j)].max(table[at(i, j + 1)])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut ops = Vec::new();
    while i < n && j < m {
        if old[i] == new[j] {
            ops.push(Op::Same(old[i]));
            i += 1;
            j += 1;
        } else if table[at(i + 1, j)] >= table[at(i, j + 1)] {
            ops.push(Op::Delete(old[i]));
            i += 1;
        } else {
            ops.push(Op::Insert(new[j]));
            j += 1;
        }
    }
    ops.extend(old[i..].iter().map(|l| Op::Delete(l)));
    ops.extend(new[j..].iter().map(|l| Op::Insert(l)));
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_adds_missing_lines_under_their_block() {
        let running = "hostname sw1\ninterface Gi1/0/1\n description a\n";
        let intended = "hostname sw1\ninterface Gi1/0/1\n description a\n shutdown\nvlan 50\n";
        assert_eq!(
            remediation(running, intended, Mode::Merge),
            ["interface Gi1/0/1", " shutdown", "vlan 50"]
        );
    }

    #[test]
    fn replace_negates_first() {
        let running = "hostname x\nvlan 50\n name t\ninterface Gi1/0/1\n description b\n";
        let intended = "hostname sw1\ninterface Gi1/0/1\n";
        assert_eq!(
            remediation(running, intended, Mode::Replace),
            [
                "no hostname x",
                "no vlan 50",
                "interface Gi1/0/1",
                " no description b",
                "hostname sw1"
            ]
        );
    }

    #[test]
    fn diff_has_hunks_with_context() {
        let diff = unified_diff("a\nb\nc\n", "a\nB\nc\n", "sw1");
        assert_eq!(
            diff,
            "--- sw1 (running)\n+++ sw1 (intended)\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
        );
        assert_eq!(unified_diff("x\n", "x\n", "sw1"), "");
    }
}
