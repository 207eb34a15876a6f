//! Owns reading IOS-style configuration text into a tree of lines: a line indented deeper
//! than the one before it is a child of that line (`interface Gi1/0/1` / ` description x`).
//! Knows which lines are not configuration at all (comments, `end`, the headers of
//! `show running-config`, `version`) and reads a multi-line banner as one unit. Knows nothing
//! of what lines mean: that is [`super::normalize`]'s job.

/// One configuration line and the block it opens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    /// The line without its indentation or trailing spaces.
    pub text: String,
    /// The lines of the block this line opens, in the order they were written.
    pub children: Vec<Node>,
    /// For a banner (`text` is then `banner KIND`): its body lines, delimiters removed.
    pub banner: Option<Vec<String>>,
}

/// Lines that are not configuration: they describe the text (or are mode changes), so they
/// take no part in a comparison.
fn is_noise(trimmed: &str, indent: usize) -> bool {
    trimmed.is_empty()
        || trimmed.starts_with('!')
        || trimmed == "end"
        || trimmed == "exit"
        || trimmed == "exit-address-family"
        || trimmed.starts_with("Building configuration")
        || trimmed.starts_with("Current configuration")
        || (indent == 0 && trimmed.starts_with("version "))
}

/// The delimiter of a banner and what follows it on the header line: `^C` as two characters
/// (how IOS prints Ctrl-C, and how configurations are pasted), the Ctrl-C character itself,
/// otherwise the first character.
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

/// `banner KIND <text>` → (KIND, text after KIND), for a banner header line.
fn banner_header(trimmed: &str) -> Option<(&str, &str)> {
    let rest = trimmed.strip_prefix("banner ")?;
    let rest = rest.trim_start();
    let (kind, after) = rest.split_once(char::is_whitespace)?;
    let after = after.trim_start();
    (!after.is_empty()).then_some((kind, after))
}

/// Read configuration text into its top-level nodes. Never fails: any text is a forest of
/// lines; a banner whose closing delimiter never comes takes the rest of the text.
pub fn parse(text: &str) -> Vec<Node> {
    let mut roots: Vec<Node> = Vec::new();
    // Open blocks, outermost first, each with the indentation of its header.
    let mut stack: Vec<(usize, Node)> = Vec::new();
    let mut lines = text.lines();
    while let Some(raw) = lines.next() {
        let raw = raw.trim_end_matches('\r');
        let indent = raw.len() - raw.trim_start().len();
        let trimmed = raw.trim();
        if is_noise(trimmed, indent) {
            continue;
        }
        let node = match banner_header(trimmed) {
            Some((kind, after)) => {
                let (delimiter, first) = split_delimiter(after);
                let mut body = Vec::new();
                if let Some(end) = first.find(&delimiter).filter(|_| !delimiter.is_empty()) {
                    body.push(first[..end].to_string());
                } else {
                    body.push(first.to_string());
                    for line in lines.by_ref() {
                        let line = line.trim_end_matches('\r');
                        match line.find(&delimiter) {
                            Some(end) => {
                                body.push(line[..end].to_string());
                                break;
                            }
                            None => body.push(line.to_string()),
                        }
                    }
                }
                Node {
                    text: format!("banner {kind}"),
                    children: Vec::new(),
                    banner: Some(clean_banner(body)),
                }
            }
            None => Node {
                text: trimmed.to_string(),
                ..Node::default()
            },
        };
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            close(&mut stack, &mut roots);
        }
        stack.push((indent, node));
    }
    while !stack.is_empty() {
        close(&mut stack, &mut roots);
    }
    roots
}

/// Close the innermost open block: it becomes a child of the block around it, or a root.
fn close(stack: &mut Vec<(usize, Node)>, roots: &mut Vec<Node>) {
    if let Some((_, node)) = stack.pop() {
        match stack.last_mut() {
            Some((_, parent)) => parent.children.push(node),
            None => roots.push(node),
        }
    }
}

/// A banner body as compared: trailing spaces and the empty lines around the text dropped
/// (IOS and templates differ there, readers do not).
fn clean_banner(body: Vec<String>) -> Vec<String> {
    let mut body: Vec<String> = body.into_iter().map(|l| l.trim_end().to_string()).collect();
    while body.last().is_some_and(|l| l.is_empty()) {
        body.pop();
    }
    let leading = body.iter().take_while(|l| l.is_empty()).count();
    body.drain(..leading);
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_nest_by_indentation_and_noise_is_skipped() {
        let text = "Building configuration...\n\nCurrent configuration : 10 bytes\n!\nversion 17.9\nhostname a\n!\nrouter ospf 1\n address-family ipv4\n  network 10.0.0.0 0.0.0.255 area 0\n exit-address-family\n router-id 1.1.1.1\ninterface Gi1/0/1\n description x\nend\n";
        let tree = parse(text);
        let texts: Vec<&str> = tree.iter().map(|n| n.text.as_str()).collect();
        assert_eq!(texts, ["hostname a", "router ospf 1", "interface Gi1/0/1"]);
        assert_eq!(tree[1].children.len(), 2);
        assert_eq!(
            tree[1].children[0].children[0].text,
            "network 10.0.0.0 0.0.0.255 area 0"
        );
        assert_eq!(tree[2].children[0].text, "description x");
    }

    #[test]
    fn banners_are_one_unit_whatever_the_delimiter() {
        let tree = parse(
            "banner motd ^C\nHello\n  world !\n^C\nbanner login #one line#\nbanner exec %\nx\n% trailing\nhostname a\n",
        );
        assert_eq!(tree.len(), 4);
        assert_eq!(tree[0].text, "banner motd");
        assert_eq!(
            tree[0].banner.as_deref(),
            Some(&["Hello".to_string(), "  world !".to_string()][..])
        );
        assert_eq!(
            tree[1].banner.as_deref(),
            Some(&["one line".to_string()][..])
        );
        assert_eq!(tree[2].banner.as_deref(), Some(&["x".to_string()][..]));
        assert_eq!(tree[3].text, "hostname a");
    }
}
