//! Interface names: the abbreviations people type (`gi1/0/1`, `Te1/1/1`, `vlan 99`, `po1`)
//! resolved to the full names the configuration shows, the short names of show commands
//! (`Gi1/0/1`), the order IOS lists interfaces in, and `interface range` lists
//! (`Gi1/0/1 - 4 , Gi1/0/10`). The type table is data, so an IOS-like platform with other
//! interface types (NX-OS `Ethernet1/1`) brings its own.

use super::parse::{Cursor, Match, ParseError, match_keyword};
use regex::Regex;
use std::sync::LazyLock;

/// What kind of interface a type is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfClass {
    /// A hardware port: exists only if the device has it.
    Physical,
    /// A VLAN interface (SVI), created on demand.
    Vlan,
    /// A loopback, created on demand.
    Loopback,
    /// An EtherChannel, created on demand.
    PortChannel,
    /// A tunnel, created on demand.
    Tunnel,
}

/// One interface type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IfType {
    /// Full type name as the configuration shows it.
    pub full: &'static str,
    /// Short name of show commands.
    pub short: &'static str,
    /// Kind.
    pub class: IfClass,
    /// Where interfaces of this type come in the configuration (lower first).
    pub rank: u8,
    /// Valid numbers for virtual types (physical ones are checked against the ports).
    pub numbers: (u64, u64),
}

const fn t(full: &'static str, short: &'static str, class: IfClass, rank: u8) -> IfType {
    IfType {
        full,
        short,
        class,
        rank,
        numbers: (0, 0),
    }
}

const fn v(
    full: &'static str,
    short: &'static str,
    class: IfClass,
    rank: u8,
    numbers: (u64, u64),
) -> IfType {
    IfType {
        full,
        short,
        class,
        rank,
        numbers,
    }
}

/// The interface types of IOS / IOS-XE switches and access points.
pub static IOS_TYPES: &[IfType] = &[
    v("Loopback", "Lo", IfClass::Loopback, 0, (0, 2_147_483_647)),
    v("Tunnel", "Tu", IfClass::Tunnel, 1, (0, 2_147_483_647)),
    v("Port-channel", "Po", IfClass::PortChannel, 2, (1, 128)),
    t("FastEthernet", "Fa", IfClass::Physical, 3),
    t("GigabitEthernet", "Gi", IfClass::Physical, 4),
    t("TwoGigabitEthernet", "Tw", IfClass::Physical, 5),
    t("FiveGigabitEthernet", "Fi", IfClass::Physical, 6),
    t("TenGigabitEthernet", "Te", IfClass::Physical, 7),
    t("TwentyFiveGigE", "Twe", IfClass::Physical, 8),
    t("FortyGigabitEthernet", "Fo", IfClass::Physical, 9),
    t("HundredGigE", "Hu", IfClass::Physical, 10),
    t("AppGigabitEthernet", "Ap", IfClass::Physical, 11),
    t("Ethernet", "Et", IfClass::Physical, 12),
    v("Vlan", "Vl", IfClass::Vlan, 13, (1, 4094)),
];

/// How a platform names its interfaces: its table of types. Every name function works from
/// it, so an IOS-like platform with other types reuses them with its own table.
#[derive(Debug, Clone, Copy)]
pub struct Naming {
    /// The interface types.
    pub types: &'static [IfType],
}

/// IOS / IOS-XE naming.
pub static IOS: Naming = Naming { types: IOS_TYPES };

impl Naming {
    /// The type of a full interface name, and its number part (`GigabitEthernet1/0/1` →
    /// (GigabitEthernet, `1/0/1`)).
    pub fn split<'a>(&self, full: &'a str) -> Option<(&'static IfType, &'a str)> {
        let digit = full.find(|c: char| c.is_ascii_digit())?;
        let (kind, number) = full.split_at(digit);
        let ty = self.types.iter().find(|t| t.full == kind)?;
        Some((ty, number))
    }

    /// The class of a full interface name (unknown names count as physical).
    pub fn class_of(&self, full: &str) -> IfClass {
        self.split(full).map_or(IfClass::Physical, |(t, _)| t.class)
    }

    /// The short name show commands print (`GigabitEthernet1/0/1` → `Gi1/0/1`).
    pub fn short_name(&self, full: &str) -> String {
        match self.split(full) {
            Some((ty, number)) => format!("{}{}", ty.short, number),
            None => full.to_string(),
        }
    }

    /// The order IOS lists interfaces in: by type, then by each number of the name.
    pub fn sort_key(&self, full: &str) -> (u8, Vec<u64>) {
        match self.split(full) {
            Some((ty, number)) => (
                ty.rank,
                number
                    .split(['/', '.', ':'])
                    .map(|n| n.parse().unwrap_or(0))
                    .collect(),
            ),
            None => (u8::MAX, Vec::new()),
        }
    }

    fn resolve_type(&self, word: &str) -> Match<&'static IfType> {
        match_keyword(word, self.types.iter().map(|t| (t.full, t)))
    }

    /// The full name of an interface written in any accepted form (`Gi1/0/1`,
    /// `gigabitethernet1/0/1`), or the name unchanged when its type is not recognised.
    pub fn canonical(&self, name: &str) -> String {
        let compact: String = name.split_whitespace().collect();
        let Some(split_at) = compact
            .find(|c: char| c.is_ascii_digit())
            .filter(|i| *i > 0)
        else {
            return name.to_string();
        };
        match self.resolve_type(&compact[..split_at]) {
            Match::One(ty) => format!("{}{}", ty.full, &compact[split_at..]),
            _ => name.to_string(),
        }
    }

    /// Read one interface name at the cursor (`gi1/0/1`, or `gi 1/0/1` in two words), check it
    /// can exist on this device, push its full name as a word and an item, and return it.
    pub fn parse_interface(&self, cursor: &mut Cursor<'_>) -> Result<String, ParseError> {
        let first = cursor.peek().ok_or(ParseError::Incomplete)?;
        let split_at = first.text.find(|c: char| c.is_ascii_digit());
        let type_word = match split_at {
            Some(0) => return Err(ParseError::Invalid { col: first.col }),
            Some(i) => &first.text[..i],
            None => first.text,
        };
        let ty = match self.resolve_type(type_word) {
            Match::One(ty) => ty,
            Match::Ambiguous => return Err(ParseError::Ambiguous { col: first.col }),
            Match::None => return Err(ParseError::Invalid { col: first.col }),
        };
        let (number, number_col) = match split_at {
            Some(i) => (first.text[i..].to_string(), first.col + i),
            None => {
                let second = cursor
                    .tokens()
                    .get(cursor.position() + 1)
                    .copied()
                    .ok_or(ParseError::Incomplete)?;
                (second.text.to_string(), second.col)
            }
        };
        if !valid_number(&number, ty) {
            return Err(ParseError::Invalid { col: number_col });
        }
        let full = format!("{}{}", ty.full, number);
        if ty.class == IfClass::Physical && !port_exists(&full, cursor.interfaces) {
            return Err(ParseError::Invalid { col: number_col });
        }
        cursor.advance();
        if split_at.is_none() {
            cursor.advance();
        }
        cursor.words.push(full.clone());
        cursor.items.push(full.clone());
        Ok(full)
    }

    /// Read an `interface range` list from the cursor to the end of the line
    /// (`Gi1/0/1 - 4 , Gi1/0/10`), push the canonical list as one word and every member as an
    /// item, and return the members.
    pub fn parse_range(&self, cursor: &mut Cursor<'_>) -> Result<Vec<String>, ParseError> {
        let first = cursor.peek().ok_or(ParseError::Incomplete)?;
        let line = cursor.line();
        let rest = &line[first.byte..];
        let mut members: Vec<String> = Vec::new();
        let mut canonical: Vec<String> = Vec::new();
        let mut col = first.col;
        for item in rest.split(',') {
            let item_col = col + item.chars().take_while(|c| c.is_whitespace()).count();
            col += item.chars().count() + 1;
            if item.trim().is_empty() {
                return Err(if item_col >= line.trim_end().chars().count() {
                    ParseError::Incomplete
                } else {
                    ParseError::Invalid { col: item_col }
                });
            }
            let caps = RANGE_ITEM
                .captures(item)
                .ok_or(ParseError::Invalid { col: item_col })?;
            let type_word = caps.get(1).map_or("", |m| m.as_str());
            let number = caps.get(2).map_or("", |m| m.as_str());
            let ty = match self.resolve_type(type_word) {
                Match::One(ty) => ty,
                Match::Ambiguous => return Err(ParseError::Ambiguous { col: item_col }),
                Match::None => return Err(ParseError::Invalid { col: item_col }),
            };
            let (prefix, start) = match number.rfind('/') {
                Some(i) => (&number[..=i], &number[i + 1..]),
                None => ("", number),
            };
            let start: u64 = start
                .parse()
                .map_err(|_| ParseError::Invalid { col: item_col })?;
            let end: u64 = match caps.get(3) {
                Some(m) => m
                    .as_str()
                    .parse()
                    .map_err(|_| ParseError::Invalid { col: item_col })?,
                None => start,
            };
            if end < start || (end - start) as usize >= MAX_RANGE_MEMBERS {
                return Err(ParseError::Invalid { col: item_col });
            }
            for n in start..=end {
                let number = format!("{prefix}{n}");
                let full = format!("{}{}", ty.full, number);
                let ok = valid_number(&number, ty)
                    && (ty.class != IfClass::Physical || port_exists(&full, cursor.interfaces));
                if !ok {
                    return Err(ParseError::Invalid { col: item_col });
                }
                if !members.contains(&full) {
                    members.push(full);
                }
                if members.len() > MAX_RANGE_MEMBERS {
                    return Err(ParseError::Invalid { col: item_col });
                }
            }
            canonical.push(if end == start {
                format!("{}{}", ty.full, number)
            } else {
                format!("{}{} - {}", ty.full, number, end)
            });
        }
        while cursor.advance().is_some() {}
        cursor.words.push(canonical.join(" , "));
        cursor.items.extend(members.iter().cloned());
        Ok(members)
    }
}

fn valid_number(number: &str, ty: &IfType) -> bool {
    if ty.class == IfClass::Physical {
        let (main, sub) = match number.split_once('.') {
            Some((main, sub)) => (main, Some(sub)),
            None => (number, None),
        };
        let parts_ok = main
            .split('/')
            .all(|p| !p.is_empty() && p.len() <= 4 && p.chars().all(|c| c.is_ascii_digit()));
        let sub_ok = sub.is_none_or(|s| {
            !s.is_empty() && s.len() <= 10 && s.chars().all(|c| c.is_ascii_digit())
        });
        parts_ok && sub_ok
    } else {
        number.len() <= 10
            && !number.is_empty()
            && number.chars().all(|c| c.is_ascii_digit())
            && number
                .parse::<u64>()
                .is_ok_and(|n| (ty.numbers.0..=ty.numbers.1).contains(&n))
    }
}

/// True when a full physical name (or a sub-interface of one) is among `ports`.
fn port_exists(full: &str, ports: &[String]) -> bool {
    let main = full.split('.').next().unwrap_or(full);
    ports.iter().any(|p| p == main)
}

static RANGE_ITEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*([A-Za-z][A-Za-z-]*?)\s*(\d+(?:/\d+)*)\s*(?:-\s*(\d+))?\s*$")
        .expect("range item pattern compiles")
});

/// Most members one `interface range` may expand to (every VLAN).
const MAX_RANGE_MEMBERS: usize = 4094;

/// [`Naming::canonical`] with IOS names.
pub fn canonical(name: &str) -> String {
    IOS.canonical(name)
}

/// [`Naming::split`] with IOS names.
pub fn split(full: &str) -> Option<(&'static IfType, &str)> {
    IOS.split(full)
}

/// [`Naming::class_of`] with IOS names.
pub fn class_of(full: &str) -> IfClass {
    IOS.class_of(full)
}

/// [`Naming::short_name`] with IOS names.
pub fn short_name(full: &str) -> String {
    IOS.short_name(full)
}

/// [`Naming::sort_key`] with IOS names.
pub fn sort_key(full: &str) -> (u8, Vec<u64>) {
    IOS.sort_key(full)
}

/// [`Naming::parse_interface`] with IOS names.
pub fn parse_interface(cursor: &mut Cursor<'_>) -> Result<String, ParseError> {
    IOS.parse_interface(cursor)
}

/// [`Naming::parse_range`] with IOS names.
pub fn parse_range(cursor: &mut Cursor<'_>) -> Result<Vec<String>, ParseError> {
    IOS.parse_range(cursor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports() -> Vec<String> {
        (1..=8)
            .map(|n| format!("GigabitEthernet1/0/{n}"))
            .chain(["TenGigabitEthernet1/1/1".to_string()])
            .collect()
    }

    fn name(line: &str) -> Result<String, ParseError> {
        let ports = ports();
        let mut cursor = Cursor::new(line, &ports);
        let full = parse_interface(&mut cursor)?;
        cursor.finish()?;
        Ok(full)
    }

    #[test]
    fn abbreviations_resolve() {
        for (typed, full) in [
            ("gi1/0/1", "GigabitEthernet1/0/1"),
            ("Gi1/0/1", "GigabitEthernet1/0/1"),
            ("GigabitEthernet1/0/1", "GigabitEthernet1/0/1"),
            ("g 1/0/2", "GigabitEthernet1/0/2"),
            ("te1/1/1", "TenGigabitEthernet1/1/1"),
            ("Vlan99", "Vlan99"),
            ("vlan 99", "Vlan99"),
            ("po1", "Port-channel1"),
            ("lo0", "Loopback0"),
            ("gi1/0/1.100", "GigabitEthernet1/0/1.100"),
        ] {
            assert_eq!(name(typed).as_deref(), Ok(full), "{typed}");
        }
    }

    #[test]
    fn bad_names() {
        assert_eq!(name("gi1/0/9"), Err(ParseError::Invalid { col: 2 }));
        assert_eq!(name("vlan 5000"), Err(ParseError::Invalid { col: 5 }));
        assert_eq!(name("t1/0/1"), Err(ParseError::Ambiguous { col: 0 }));
        assert_eq!(name("xx1"), Err(ParseError::Invalid { col: 0 }));
        assert_eq!(name("vlan"), Err(ParseError::Incomplete));
        assert_eq!(name("1/0/1"), Err(ParseError::Invalid { col: 0 }));
        assert_eq!(name("fa0/1"), Err(ParseError::Invalid { col: 2 }));
    }

    #[test]
    fn ranges_expand() {
        let ports = ports();
        let mut cursor = Cursor::new("Gi1/0/1 - 3 , gi1/0/7,vlan 10-11", &ports);
        let members = parse_range(&mut cursor).unwrap();
        assert_eq!(
            members,
            vec![
                "GigabitEthernet1/0/1",
                "GigabitEthernet1/0/2",
                "GigabitEthernet1/0/3",
                "GigabitEthernet1/0/7",
                "Vlan10",
                "Vlan11"
            ]
        );
        let mut cursor = Cursor::new("gi1/0/7 - 9", &ports);
        assert_eq!(
            parse_range(&mut cursor),
            Err(ParseError::Invalid { col: 0 })
        );
        let mut cursor = Cursor::new("gi1/0/1 , x", &ports);
        assert_eq!(
            parse_range(&mut cursor),
            Err(ParseError::Invalid { col: 10 })
        );
        let mut cursor = Cursor::new("gi1/0/1 ,", &ports);
        assert_eq!(parse_range(&mut cursor), Err(ParseError::Incomplete));
    }

    #[test]
    fn order_and_short_names() {
        assert!(sort_key("GigabitEthernet1/0/2") < sort_key("GigabitEthernet1/0/10"));
        assert!(sort_key("GigabitEthernet1/0/48") < sort_key("TenGigabitEthernet1/1/1"));
        assert!(sort_key("TenGigabitEthernet1/1/1") < sort_key("Vlan1"));
        assert_eq!(short_name("TenGigabitEthernet1/1/1"), "Te1/1/1");
        assert_eq!(short_name("Port-channel1"), "Po1");
    }
}
