//! A configuration as IOS-style devices keep it: an ordered tree of lines, where a block's
//! children are shown indented one space deeper (`interface Gi1/0/1` / ` description x`).
//! Pure data and the operations every IOS-like platform needs (find a block by its path of
//! header lines, create it where it belongs, replace or remove lines, render the text).
//! What the lines mean is the grammar's business, not this file's.

/// One line of configuration and the block it opens, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigNode {
    /// The line, canonical (`switchport access vlan 10`), without indentation.
    pub text: String,
    /// Lines inside the block this line opens.
    pub children: Vec<ConfigNode>,
    /// Lines printed as they are right after this one, unindented (a banner's text and its
    /// closing delimiter).
    pub verbatim: Vec<String>,
    /// The line opens a configuration sub-mode (`interface`, `vlan`, `line`…): shown with a
    /// `!` after it even when it has no children, as IOS does.
    pub block: bool,
    /// An access-list entry's sequence number: where the entry sits in its list (IOS shows it
    /// in `show access-lists`; `15 permit …` inserts, `no 15` deletes, `ip access-list
    /// resequence` renumbers).
    pub seq: Option<u64>,
}

impl ConfigNode {
    /// A line without children.
    pub fn line(text: impl Into<String>) -> ConfigNode {
        ConfigNode {
            text: text.into(),
            ..ConfigNode::default()
        }
    }

    /// A block header with its children.
    pub fn block(text: impl Into<String>, children: Vec<ConfigNode>) -> ConfigNode {
        ConfigNode {
            text: text.into(),
            children,
            verbatim: Vec::new(),
            block: true,
            seq: None,
        }
    }

    /// The words of the line.
    pub fn words(&self) -> Vec<&str> {
        self.text.split_whitespace().collect()
    }

    /// True when the line's words start with `prefix`.
    pub fn starts_with_words(&self, prefix: &[&str]) -> bool {
        // Word by word, without collecting them: the twin asks this of every sibling of
        // every line it is sent.
        let mut words = self.text.split_whitespace();
        prefix.iter().all(|p| words.next() == Some(*p))
    }

    /// The first word of the line (`""` for a blank line).
    pub fn first_word(&self) -> &str {
        self.text.split_whitespace().next().unwrap_or("")
    }

    /// The first child line whose words start with `prefix`.
    pub fn child(&self, prefix: &[&str]) -> Option<&ConfigNode> {
        self.children.iter().find(|c| c.starts_with_words(prefix))
    }

    /// The value after `prefix` in the first child line that starts with it, as text.
    pub fn child_value(&self, prefix: &[&str]) -> Option<String> {
        let child = self.child(prefix)?;
        let words = child.words();
        Some(words[prefix.len()..].join(" "))
    }

    /// True when a child line is exactly `text`.
    pub fn has_child(&self, text: &str) -> bool {
        self.children.iter().any(|c| c.text == text)
    }

    fn render_into(&self, depth: usize, out: &mut String) {
        for _ in 0..depth {
            out.push(' ');
        }
        out.push_str(&self.text);
        out.push('\n');
        for line in &self.verbatim {
            out.push_str(line);
            out.push('\n');
        }
        for child in &self.children {
            child.render_into(depth + 1, out);
        }
    }

    /// The line and its block as text, indented for `depth`.
    pub fn render(&self, depth: usize) -> String {
        let mut out = String::new();
        self.render_into(depth, &mut out);
        out
    }
}

/// A whole configuration: its top-level lines in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigTree {
    /// Top-level lines.
    pub lines: Vec<ConfigNode>,
}

impl ConfigTree {
    /// The lines inside the block at `path` (a list of header lines from the top; the empty
    /// path is the top level).
    pub fn children(&self, path: &[String]) -> Option<&Vec<ConfigNode>> {
        let mut lines = &self.lines;
        for header in path {
            lines = &lines.iter().find(|n| &n.text == header)?.children;
        }
        Some(lines)
    }

    /// Mutable [`ConfigTree::children`].
    pub fn children_mut(&mut self, path: &[String]) -> Option<&mut Vec<ConfigNode>> {
        let mut lines = &mut self.lines;
        for header in path {
            lines = &mut lines.iter_mut().find(|n| &n.text == header)?.children;
        }
        Some(lines)
    }

    /// The block at `path` (non-empty).
    pub fn node(&self, path: &[String]) -> Option<&ConfigNode> {
        let (last, parent) = path.split_last()?;
        self.children(parent)?.iter().find(|n| &n.text == last)
    }

    /// Mutable [`ConfigTree::node`].
    pub fn node_mut(&mut self, path: &[String]) -> Option<&mut ConfigNode> {
        let (last, parent) = path.split_last()?;
        self.children_mut(parent)?
            .iter_mut()
            .find(|n| &n.text == last)
    }

    /// The top-level line or block whose words start with `prefix`.
    pub fn top(&self, prefix: &[&str]) -> Option<&ConfigNode> {
        self.lines.iter().find(|n| n.starts_with_words(prefix))
    }

    /// Every top-level line or block whose words start with `prefix`.
    pub fn tops<'a>(&'a self, prefix: &'a [&'a str]) -> impl Iterator<Item = &'a ConfigNode> + 'a {
        self.lines
            .iter()
            .filter(move |n| n.starts_with_words(prefix))
    }

    /// Make sure the block at `path` exists, creating missing headers. A new header is
    /// inserted where `place` says among its siblings (given the siblings and the new line).
    /// Returns true when the last block was created.
    pub fn ensure(
        &mut self,
        path: &[String],
        place: &dyn Fn(&[ConfigNode], &str) -> usize,
    ) -> bool {
        let mut lines = &mut self.lines;
        let mut created = false;
        for header in path {
            let index = match lines.iter().position(|n| &n.text == header) {
                Some(index) => {
                    created = false;
                    index
                }
                None => {
                    let at = place(lines, header).min(lines.len());
                    lines.insert(at, ConfigNode::block(header.clone(), Vec::new()));
                    created = true;
                    at
                }
            };
            lines = &mut lines[index].children;
        }
        created
    }

    /// Render the top-level lines, with a `!` line after each block and between lines of
    /// different `group`s, as IOS separates the sections of its configuration.
    pub fn render(&self, group: &dyn Fn(&ConfigNode) -> u32) -> String {
        let mut out = String::new();
        let mut previous: Option<&ConfigNode> = None;
        for node in &self.lines {
            if let Some(prev) = previous {
                let is_block =
                    |n: &ConfigNode| n.block || !n.children.is_empty() || !n.verbatim.is_empty();
                if is_block(prev) || group(prev) != group(node) {
                    out.push_str("!\n");
                }
            }
            out.push_str(&node.render(0));
            previous = Some(node);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ensure_finds_or_creates_nested_blocks() {
        let mut tree = ConfigTree::default();
        let at_end = |lines: &[ConfigNode], _: &str| lines.len();
        assert!(tree.ensure(&path(&["archive", "log config"]), &at_end));
        assert!(!tree.ensure(&path(&["archive", "log config"]), &at_end));
        tree.children_mut(&path(&["archive", "log config"]))
            .unwrap()
            .push(ConfigNode::line("hidekeys"));
        tree.lines.insert(0, ConfigNode::line("hostname sw1"));
        // A block is followed by `!`; lines of the same group are not separated.
        tree.lines.push(ConfigNode::line("hostname sw2"));
        assert_eq!(
            tree.render(&|_| 0),
            "hostname sw1\narchive\n log config\n  hidekeys\n!\nhostname sw2\n"
        );
        assert!(tree.node(&path(&["archive", "log config"])).is_some());
        assert!(tree.node(&path(&["archive", "nope"])).is_none());
    }

    #[test]
    fn groups_are_separated() {
        let tree = ConfigTree {
            lines: vec![
                ConfigNode::line("a 1"),
                ConfigNode::line("a 2"),
                ConfigNode::line("b 1"),
            ],
        };
        let group = |n: &ConfigNode| u32::from(n.text.starts_with('b'));
        assert_eq!(tree.render(&group), "a 1\na 2\n!\nb 1\n");
    }
}
