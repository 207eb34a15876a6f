//! VLAN lists as IOS writes them (`1,10,20-30`): parsing with the 1–4094 bound, and the
//! compact form the configuration shows (`switchport trunk allowed vlan 10,20,30-32`).

use std::collections::BTreeSet;

/// Lowest and highest usable VLAN id.
pub const VLAN_RANGE: (u16, u16) = (1, 4094);

/// Parse `10,20-30` into ids; `None` when a part is malformed, reversed or out of range.
pub fn parse_list(text: &str) -> Option<BTreeSet<u16>> {
    let mut set = BTreeSet::new();
    for part in text.split(',') {
        let (lo, hi) = match part.split_once('-') {
            Some((lo, hi)) => (parse_id(lo)?, parse_id(hi)?),
            None => {
                let id = parse_id(part)?;
                (id, id)
            }
        };
        if lo > hi {
            return None;
        }
        set.extend(lo..=hi);
    }
    Some(set)
}

fn parse_id(text: &str) -> Option<u16> {
    if text.is_empty() || text.len() > 4 || !text.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let id: u16 = text.parse().ok()?;
    (VLAN_RANGE.0..=VLAN_RANGE.1).contains(&id).then_some(id)
}

/// The compact form: consecutive ids become ranges (`1-4,10`); an empty set is `none`.
pub fn format_list(set: &BTreeSet<u16>) -> String {
    if set.is_empty() {
        return "none".to_string();
    }
    let mut parts = Vec::new();
    let mut iter = set.iter().copied();
    let Some(mut start) = iter.next() else {
        return "none".to_string();
    };
    let mut end = start;
    for id in iter {
        if id == end + 1 {
            end = id;
        } else {
            parts.push(range(start, end));
            start = id;
            end = id;
        }
    }
    parts.push(range(start, end));
    parts.join(",")
}

fn range(start: u16, end: u16) -> String {
    if start == end {
        start.to_string()
    } else {
        format!("{start}-{end}")
    }
}

/// Every VLAN (what a trunk carries without an `allowed vlan` line).
pub fn all() -> BTreeSet<u16> {
    (VLAN_RANGE.0..=VLAN_RANGE.1).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let set = parse_list("30,10,20-22,23").unwrap();
        assert_eq!(format_list(&set), "10,20-23,30");
        assert_eq!(format_list(&BTreeSet::new()), "none");
        assert_eq!(parse_list("0"), None);
        assert_eq!(parse_list("4095"), None);
        assert_eq!(parse_list("5-3"), None);
        assert_eq!(parse_list("1,,2"), None);
        assert_eq!(format_list(&all()), "1-4094");
    }
}
