//! Owns the unified diff people read before a push (`--diff`): both configurations rendered
//! in their normalised form (the keys of [`super::normalize`]: secrets masked, defaults IOS
//! hides left out, names expanded, what the device writes for itself left out), the running
//! one laid out in the intended order so that the diff shows what differs, not where IOS
//! happens to file a line.

use super::normalize::{Context, Item, is_bare_permanent, is_device_owned, is_out_of_band};

/// The normalised text of `items`, ordered like `order` where they match it (by key).
/// Access lists and banners keep their own order: it is their meaning.
fn render(
    items: &[Item],
    order: Option<&[Item]>,
    context: Context,
    depth: usize,
    out: &mut String,
) {
    let mut sorted: Vec<(usize, usize, &Item)> = Vec::new();
    let mut last = 0;
    for (index, item) in items.iter().enumerate() {
        if item.write_only
            || item.hidden
            || (depth == 0
                && (is_bare_permanent(item) || is_device_owned(&item.key) || is_out_of_band(item)))
        {
            continue;
        }
        let position = match (context, order) {
            (Context::Acl, _) | (_, None) => Some(index),
            (_, Some(order)) => order.iter().position(|o| o.key == item.key),
        };
        // An item the other side lacks stays after the item it followed.
        let at = position.unwrap_or(last);
        last = at;
        sorted.push((at, index, item));
    }
    sorted.sort_by_key(|(at, index, _)| (*at, *index));
    for (_, _, item) in sorted {
        out.push_str(&" ".repeat(depth));
        match &item.banner {
            Some(body) => {
                out.push_str(&item.key);
                out.push_str(" ^C\n");
                for line in body {
                    out.push_str(line);
                    out.push('\n');
                }
                out.push_str("^C\n");
            }
            None => {
                out.push_str(&item.key);
                out.push('\n');
            }
        }
        let counterpart = order
            .and_then(|o| o.iter().find(|c| c.key == item.key))
            .map(|c| c.children.as_slice());
        render(
            &item.children,
            counterpart,
            Context::of_block(&item.key),
            depth + 1,
            out,
        );
    }
}

/// A plain line-by-line unified diff of two texts (whole files such as `wg0.conf`, where
/// order and every byte matter); empty when they are equal.
pub fn text(old: &str, new: &str, old_label: &str, new_label: &str) -> String {
    if old == new {
        return String::new();
    }
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(old_label, new_label)
        .to_string()
}

/// The unified diff running → intended; empty when they are the same configuration.
pub fn unified(running: &[Item], intended: &[Item], asset: &str) -> String {
    let mut old = String::new();
    render(running, Some(intended), Context::Global, 0, &mut old);
    let mut new = String::new();
    render(intended, None, Context::Global, 0, &mut new);
    text(
        &old,
        &new,
        &format!("running ({asset})"),
        &format!("intended ({asset})"),
    )
}
