//! Turning Tera's errors into netparc [`Diagnostic`]s: which code, which file:line:column,
//! which variable, what hint. Kept apart from loading and rendering because Tera 2.4 reports
//! some errors as structured values and others only as text (load-time reference checks are
//! one joined string of reports), and all that knowledge belongs in one place.

use std::path::Path;

use tera::{ErrorKind, ReportError};

use crate::diag::{Diagnostic, SourceLocation, did_you_mean};

use super::filters;

/// Tera 2.4's built-in filters, for "did you mean" hints (Tera does not list them publicly;
/// the version is pinned, so this list cannot drift silently).
const BUILTIN_FILTERS: &[&str] = &[
    "safe",
    "default",
    "upper",
    "lower",
    "wordcount",
    "escape",
    "escape_html",
    "escape_xml",
    "newlines_to_br",
    "pluralize",
    "trim",
    "trim_start",
    "trim_end",
    "replace",
    "capitalize",
    "title",
    "truncate",
    "indent",
    "str",
    "int",
    "float",
    "length",
    "reverse",
    "split",
    "abs",
    "round",
    "first",
    "last",
    "nth",
    "join",
    "sort",
    "unique",
    "get",
    "values",
    "keys",
    "pairs",
    "group_by",
];

/// Tera 2.4's built-in tests.
const BUILTIN_TESTS: &[&str] = &[
    "string",
    "number",
    "map",
    "bool",
    "array",
    "integer",
    "float",
    "none",
    "iterable",
    "defined",
    "undefined",
    "odd",
    "even",
    "divisible_by",
    "starting_with",
    "ending_with",
    "containing",
];

/// Tera 2.4's built-in functions.
const BUILTIN_FUNCTIONS: &[&str] = &["range", "throw"];

/// Longest expression or output line quoted in a message.
const MAX_QUOTE: usize = 80;

/// Most names listed in an "available: …" hint; a big inventory context has hundreds.
const MAX_LISTED: usize = 15;

/// `text` cut to `max` characters with control characters escaped, for quoting in a message.
pub(crate) fn quote(text: &str, max: usize) -> String {
    let mut out: String = text
        .chars()
        .take(max)
        .flat_map(char::escape_default)
        .collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}

/// 1-based line and column of byte `offset` in `source` (column in characters, like Tera).
pub(crate) fn line_col(source: &str, offset: usize) -> (u32, u32) {
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (to_u32(line), to_u32(col))
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A syntax error found while parsing one template.
pub(crate) fn syntax(report: &ReportError, base_dir: &Path) -> Diagnostic {
    let span = report.span();
    Diagnostic::error("render.template-syntax", report.message()).at(SourceLocation::new(
        base_dir.join(report.filename()),
        to_u32(span.start_line),
        // Tera stores 0-based columns.
        to_u32(span.start_col.saturating_add(1)),
    ))
}

/// One `error: …  --> name:line:col` block cut out of Tera's joined report text.
#[derive(Debug, PartialEq)]
struct TextReport {
    message: String,
    location: Option<(String, u32, u32)>,
}

/// Split the text Tera 2.4 returns for load-time reference errors (unknown filter, test,
/// function, component or included template; block missing from every parent) into its
/// reports. Tera only gives this as one string, so it is parsed here; text without any
/// `error:` line becomes one report without location.
fn split_reports(text: &str) -> Vec<TextReport> {
    let mut reports: Vec<TextReport> = Vec::new();
    for line in text.lines() {
        if let Some(message) = line.strip_prefix("error: ") {
            reports.push(TextReport {
                message: message.to_string(),
                location: None,
            });
        } else if let Some(loc) = line.trim_start().strip_prefix("--> ")
            && let Some(last) = reports.last_mut()
            && last.location.is_none()
        {
            // The name may itself contain ':', so take line and column from the right.
            let mut parts = loc.rsplitn(3, ':');
            let col = parts.next().and_then(|c| c.parse().ok());
            let line = parts.next().and_then(|l| l.parse().ok());
            if let (Some(col), Some(line), Some(name)) = (col, line, parts.next()) {
                last.location = Some((name.to_string(), line, col));
            }
        }
    }
    if reports.is_empty() {
        reports.push(TextReport {
            message: text.trim().to_string(),
            location: None,
        });
    }
    reports
}

/// The name between the first pair of backticks of `message`.
fn backticked(message: &str) -> Option<&str> {
    let rest = message.split_once('`')?.1;
    Some(rest.split_once('`')?.0)
}

/// A hint for an unknown filter/test/function/template reference.
fn reference_hint(message: &str, template_names: &[&str]) -> Option<String> {
    let name = backticked(message)?;
    let (candidates, what): (Vec<&str>, &str) = if message.starts_with("Unknown filter") {
        let all = BUILTIN_FILTERS
            .iter()
            .chain(filters::FILTER_NAMES)
            .copied()
            .collect();
        (all, "filters")
    } else if message.starts_with("Unknown test") {
        let all = BUILTIN_TESTS
            .iter()
            .chain(filters::TEST_NAMES)
            .copied()
            .collect();
        (all, "tests")
    } else if message.starts_with("Unknown function") {
        (BUILTIN_FUNCTIONS.to_vec(), "functions")
    } else if message.starts_with("Unknown template") {
        (template_names.to_vec(), "templates")
    } else {
        return None;
    };
    Some(match did_you_mean(name, candidates.iter().copied()) {
        Some(best) => format!("did you mean `{best}`?"),
        None => format!("known {what}: {}", list(&candidates)),
    })
}

/// `a, b, c` with at most [`MAX_LISTED`] names.
fn list(names: &[&str]) -> String {
    let mut sorted = names.to_vec();
    sorted.sort_unstable();
    let shown = sorted
        .iter()
        .take(MAX_LISTED)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if sorted.len() > MAX_LISTED {
        format!("{shown}, … ({} in all)", sorted.len())
    } else {
        shown
    }
}

/// The load-time reference errors Tera joined into one text, one diagnostic each.
/// `some_broken` says whether broken templates were replaced by empty placeholders: then
/// "block not defined in any parent" and "unknown component" may be echoes of that, and are
/// dropped rather than reported as if they were real.
pub(crate) fn references(
    text: &str,
    base_dir: &Path,
    template_names: &[&str],
    some_broken: bool,
) -> Vec<Diagnostic> {
    split_reports(text)
        .into_iter()
        .filter(|r| {
            !(some_broken
                && (r.message.starts_with("Block `") || r.message.starts_with("Unknown component")))
        })
        .map(|r| {
            let location = match &r.location {
                Some((name, line, col)) => SourceLocation::new(base_dir.join(name), *line, *col),
                None => SourceLocation::file(base_dir),
            };
            let mut d = Diagnostic::error("render.template-invalid", &r.message).at(location);
            if let Some(hint) = reference_hint(&r.message, template_names) {
                d = d.hint(hint);
            }
            d
        })
        .collect()
}

/// Where `{% extends %}` (or the first mention of `needle`) sits in a template, to locate
/// inheritance errors Tera reports without position.
pub(crate) fn locate(source: &str, needle: &str) -> (u32, u32) {
    match source.find(needle) {
        Some(offset) => line_col(source, offset),
        None => (0, 0),
    }
}

/// Is this rendering error about something undefined? Tera 2.4 words these as "Variable `x`
/// is not defined", "Field `f` is not defined", "Tried to render a variable that is
/// undefined", and "… got `undefined`" when an undefined value reaches a filter or a loop.
fn is_undefined(message: &str) -> bool {
    message.starts_with("Variable `")
        || message.starts_with("Field `")
        || message.contains("undefined")
}

/// The expression an undefined-value error points at, as written in the template. Tera's
/// spans need mending: for a missing field the span covers the field only (`locaton`), so the
/// path before it (`asset.`) is taken back in; for a loop over a missing field it covers the
/// root only (`asset` of `asset.portz`); a subscript's span stops before its `]` (`l[5`).
fn expression(source: &str, report: &ReportError) -> Option<String> {
    let message = report.message();
    if let Some(name) = message
        .strip_prefix("Variable `")
        .and_then(|m| m.split('`').next())
    {
        return Some(name.to_string());
    }
    let is_path = |c: &char| c.is_alphanumeric() || *c == '_' || *c == '.';
    let range = report.span().range.clone();
    let (mut start, mut end) = (range.start, range.end);
    if message.starts_with("Field `") {
        let before = source.get(..start)?;
        start -= before
            .chars()
            .rev()
            .take_while(is_path)
            .map(char::len_utf8)
            .sum::<usize>();
    } else {
        let after = source.get(end..)?;
        end += after
            .chars()
            .take_while(is_path)
            .map(char::len_utf8)
            .sum::<usize>();
    }
    let text = source.get(start..end)?;
    let mut unclosed = text
        .matches('[')
        .count()
        .saturating_sub(text.matches(']').count());
    while unclosed > 0 && source.get(end..)?.starts_with(']') {
        end += 1;
        unclosed -= 1;
    }
    let text = source.get(start..end)?.trim();
    (!text.is_empty()).then(|| quote(text, MAX_QUOTE))
}

/// Where a rendering error happened, in words: template, line, column, include chain, the
/// template being rendered when the error is in a parent or partial of it, and the asset.
fn place(
    name: &str,
    line: u32,
    col: u32,
    included_from: &[String],
    rendering: &str,
    asset: &str,
) -> String {
    let mut s = format!("template `{name}`, line {line}, column {col}");
    for from in included_from {
        s.push_str(&format!(", included from {from}"));
    }
    if name != rendering {
        s.push_str(&format!(", rendering `{rendering}`"));
    }
    s.push_str(&format!(", asset `{asset}`"));
    s
}

/// The "called from name:line:col" notes Tera adds when the error is inside an included
/// template. They are only in the report text, not in the public error value.
fn include_notes(report_text: &str) -> Vec<String> {
    report_text
        .lines()
        .filter_map(|l| l.strip_prefix("note: called from "))
        .map(|loc| {
            let mut parts = loc.rsplitn(3, ':');
            let _col = parts.next();
            match (parts.next(), parts.next()) {
                (Some(line), Some(name)) => format!("`{name}` line {line}"),
                _ => format!("`{loc}`"),
            }
        })
        .collect()
}

/// A Tera rendering error as a diagnostic: `render.undefined-variable` or `render.failed`,
/// located at the template line Tera points at.
pub(crate) fn render_error<'s>(
    error: &tera::Error,
    template: &str,
    asset: &str,
    base_dir: &Path,
    source_of: impl Fn(&str) -> Option<&'s str>,
) -> Diagnostic {
    let ErrorKind::RenderingError(report) = error.kind() else {
        return Diagnostic::error(
            "render.failed",
            format!("{error} (template `{template}`, asset `{asset}`)"),
        )
        .at(SourceLocation::file(base_dir.join(template)))
        .asset(asset);
    };
    let span = report.span();
    let (line, col) = (
        to_u32(span.start_line),
        to_u32(span.start_col.saturating_add(1)),
    );
    let name = report.filename();
    let location = SourceLocation::new(base_dir.join(name), line, col);
    // Tera's report text indexes its source by span line; only ask for it when the line is
    // a real one (always so for parser-made spans, but a panic here would lose the error).
    let notes = if span.start_line >= 1 {
        include_notes(&error.to_string())
    } else {
        Vec::new()
    };
    let where_ = place(name, line, col, &notes, template, asset);
    let message = report.message();
    if !is_undefined(message) {
        return Diagnostic::error("render.failed", format!("{message} ({where_})"))
            .at(location)
            .asset(asset);
    }

    let expr = source_of(name).and_then(|src| expression(src, report));
    let what = match &expr {
        Some(e) => format!("undefined variable `{e}`"),
        None => "undefined variable".to_string(),
    };
    let mut d = Diagnostic::error("render.undefined-variable", format!("{what} ({where_})"))
        .at(location)
        .asset(asset);
    if let Some(e) = &expr {
        d = d.field(e.clone());
    }
    d.hint(undefined_hint(message, expr.as_deref()))
}

/// "did you mean" from the names Tera lists as available, and how to make a value optional.
fn undefined_hint(message: &str, expr: Option<&str>) -> String {
    let (kind, available) = if let Some((_, list)) = message.split_once("Available variables: ") {
        ("variables", list)
    } else if let Some((_, list)) = message.split_once("Available fields: ") {
        ("fields", list)
    } else {
        ("", "")
    };
    let available: Vec<&str> = available
        .split(", ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let wanted = expr.and_then(|e| e.rsplit('.').next()).unwrap_or("");
    let mut hint = String::new();
    if let Some(best) = did_you_mean(wanted, available.iter().copied()) {
        hint.push_str(&format!("did you mean `{best}`? "));
    }
    if !available.is_empty() {
        hint.push_str(&format!("available {kind}: {}. ", list(&available)));
    }
    hint.push_str(
        "If the value is optional, guard it with `{% if … is defined %}` or give it a \
         `| default(value=…)`",
    );
    hint
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_reports_reads_tera_joined_text() {
        let text = "error: Unknown filter `nope`\n --> ios/b.tera:1:8\n  |\n1 | {{ x | nope }}\n  |        ^^^^\n\n\
                    error: Unknown test `t`\n --> c:d.tera:12:3\n  |\n12 | error: not a report\n";
        assert_eq!(
            split_reports(text),
            vec![
                TextReport {
                    message: "Unknown filter `nope`".into(),
                    location: Some(("ios/b.tera".into(), 1, 8)),
                },
                TextReport {
                    message: "Unknown test `t`".into(),
                    location: Some(("c:d.tera".into(), 12, 3)),
                },
            ]
        );
        assert_eq!(
            split_reports("Component `Foo` is defined in both `a` and `b`"),
            vec![TextReport {
                message: "Component `Foo` is defined in both `a` and `b`".into(),
                location: None,
            }]
        );
    }

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("ab", 99), (1, 3));
    }

    #[test]
    fn hints_suggest_close_names() {
        assert_eq!(
            reference_hint("Unknown filter `netmsk`", &[]).as_deref(),
            Some("did you mean `netmask`?")
        );
        assert_eq!(
            reference_hint("Unknown template `ios/_bse.tera`", &["ios/_base.tera"]).as_deref(),
            Some("did you mean `ios/_base.tera`?")
        );
        let h = undefined_hint(
            "Field `nme` is not defined. Available fields: n, name",
            Some("asset.nme"),
        );
        assert!(
            h.starts_with("did you mean `name`? available fields: n, name."),
            "{h}"
        );
    }
}
