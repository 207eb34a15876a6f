//! Network filters for templates: addresses, prefixes and MAC addresses in the forms device
//! configs want (`netmask`, `wildcard`, `nth_host`, `mac(format="cisco")`…).
//!
//! Each filter is a pure function on strings (`netmask("10.1.10.0/24")`), tested directly,
//! plus a thin Tera adapter that reads the value and keyword arguments and turns a
//! [`FilterError`] into a Tera error. [`register`] installs them all; `TemplateSet` calls it.
//!
//! Inputs are strict on purpose: a prefix must be written `address/length` (or
//! `address/netmask` for IPv4), an address must be bare. A template that passes a host address
//! where a prefix is expected is a mistake worth stopping the render for, not something to
//! guess around.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use ipnetwork::IpNetwork;
use tera::{Error, ErrorKind, Kwargs, State, Tera, TeraResult, Value};

/// Every filter this module registers, for "did you mean" hints on unknown filters.
pub const FILTER_NAMES: &[&str] = &[
    "netmask",
    "wildcard",
    "prefix_len",
    "network",
    "broadcast",
    "nth_host",
    "ip_in",
    "ip_address",
    "with_prefix",
    "ipv6_compress",
    "ipv6_explode",
    "mac",
];

/// Every test this module registers (`{% if addr is ip_in(prefix=…) %}`).
pub const TEST_NAMES: &[&str] = &["ip_in"];

/// Longest input echoed back in an error: a whole config pasted by mistake must not flood the
/// report.
const MAX_ECHO: usize = 64;

/// A filter refused its input. The text names the filter and the offending value, because the
/// technician reads it next to a template line that may hold several filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    /// The filter (or test) that refused, as written in templates.
    pub filter: &'static str,
    /// The value refused, shortened if very long.
    pub value: String,
    /// What is wrong with it, phrased to follow "`value` ".
    pub reason: String,
}

impl FilterError {
    fn new(filter: &'static str, value: &str, reason: impl Into<String>) -> Self {
        FilterError {
            filter,
            value: echo(value),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "filter `{}`: `{}` {}",
            self.filter, self.value, self.reason
        )
    }
}

impl std::error::Error for FilterError {}

/// The value as shown in an error: control characters escaped, long values cut.
fn echo(value: &str) -> String {
    let mut out: String = value
        .chars()
        .take(MAX_ECHO)
        .flat_map(char::escape_default)
        .collect();
    if value.chars().count() > MAX_ECHO {
        out.push('…');
    }
    out
}

const PREFIX_EXPECTED: &str =
    "is not a prefix; expected address/length such as 10.1.10.0/24 or 2001:db8::/64";

/// Parse `address/length` (or `address/netmask` for IPv4). Host bits are kept, as written;
/// callers that want the network call `.network()`.
fn parse_prefix(filter: &'static str, input: &str) -> Result<IpNetwork, FilterError> {
    let Some((addr, len)) = input.split_once('/') else {
        return Err(FilterError::new(filter, input, PREFIX_EXPECTED));
    };
    let addr =
        IpAddr::from_str(addr).map_err(|_| FilterError::new(filter, input, PREFIX_EXPECTED))?;
    let len = parse_len(filter, input, addr, len)?;
    IpNetwork::new(addr, len).map_err(|_| FilterError::new(filter, input, PREFIX_EXPECTED))
}

/// The part after '/': a decimal length within the family's bits, or for IPv4 a contiguous
/// dotted netmask (`/255.255.255.0`), which older inventories use.
fn parse_len(
    filter: &'static str,
    input: &str,
    addr: IpAddr,
    len: &str,
) -> Result<u8, FilterError> {
    let max: u8 = if addr.is_ipv4() { 32 } else { 128 };
    // Digits only: u8::from_str would also take "+24", which no one means.
    if !len.is_empty() && len.len() <= 3 && len.bytes().all(|b| b.is_ascii_digit()) {
        return match len.parse::<u8>() {
            Ok(n) if n <= max => Ok(n),
            _ => Err(FilterError::new(
                filter,
                input,
                format!(
                    "has prefix length {len}, more than the {max} bits of an IPv{} address",
                    if max == 32 { 4 } else { 6 }
                ),
            )),
        };
    }
    if addr.is_ipv4()
        && let Ok(mask) = Ipv4Addr::from_str(len)
    {
        return ipnetwork::ipv4_mask_to_prefix(mask).map_err(|_| {
            FilterError::new(
                filter,
                input,
                "has a netmask that is not contiguous ones then zeros",
            )
        });
    }
    Err(FilterError::new(filter, input, PREFIX_EXPECTED))
}

/// A bare address (no `/length`).
fn parse_addr(filter: &'static str, input: &str) -> Result<IpAddr, FilterError> {
    if input.contains('/') {
        return Err(FilterError::new(
            filter,
            input,
            "is a prefix; expected a bare address such as 10.1.10.1 (use `ip_address` to strip the length)",
        ));
    }
    IpAddr::from_str(input).map_err(|_| {
        FilterError::new(
            filter,
            input,
            "is not an IP address; expected e.g. 10.1.10.1 or 2001:db8::1",
        )
    })
}

/// An address with or without `/length`, as interface addresses are often written.
fn parse_addr_or_prefix(
    filter: &'static str,
    input: &str,
) -> Result<(IpAddr, Option<u8>), FilterError> {
    if input.contains('/') {
        let net = parse_prefix(filter, input)?;
        Ok((net.ip(), Some(net.prefix())))
    } else {
        Ok((parse_addr(filter, input)?, None))
    }
}

/// `"10.1.10.0/24"` → `"255.255.255.0"`; IPv6 gives the mask in IPv6 notation.
pub fn netmask(prefix: &str) -> Result<String, FilterError> {
    Ok(parse_prefix("netmask", prefix)?.mask().to_string())
}

/// `"10.1.10.0/24"` → `"0.0.0.255"`: the inverse mask of ACLs and OSPF network statements.
pub fn wildcard(prefix: &str) -> Result<String, FilterError> {
    Ok(match parse_prefix("wildcard", prefix)?.mask() {
        IpAddr::V4(mask) => Ipv4Addr::from(!u32::from(mask)).to_string(),
        IpAddr::V6(mask) => Ipv6Addr::from(!u128::from(mask)).to_string(),
    })
}

/// `"10.1.10.0/24"` → `24`.
pub fn prefix_len(prefix: &str) -> Result<u8, FilterError> {
    Ok(parse_prefix("prefix_len", prefix)?.prefix())
}

/// `"10.1.10.77/24"` → `"10.1.10.0"` (the address only; host bits cleared).
pub fn network(prefix: &str) -> Result<String, FilterError> {
    Ok(parse_prefix("network", prefix)?.network().to_string())
}

/// `"10.1.10.0/24"` → `"10.1.10.255"`. IPv6 has no broadcast address: an error, not a guess.
pub fn broadcast(prefix: &str) -> Result<String, FilterError> {
    match parse_prefix("broadcast", prefix)? {
        IpNetwork::V4(net) => Ok(net.broadcast().to_string()),
        IpNetwork::V6(_) => Err(FilterError::new(
            "broadcast",
            prefix,
            "is IPv6, which has no broadcast address",
        )),
    }
}

/// The usable host offsets of a prefix, from the network address: `(first, last)`.
/// IPv4 loses the network and broadcast addresses except on /31 (RFC 3021) and /32; IPv6 has
/// no broadcast but its all-zeros address is the subnet-router anycast, except on /127
/// (RFC 6164) and /128.
fn usable_offsets(net: IpNetwork) -> (u128, u128) {
    let bits: u8 = if net.is_ipv4() { 32 } else { 128 };
    let host_bits = bits - net.prefix();
    let last = if host_bits >= 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    match host_bits {
        0 | 1 => (0, last),
        _ if net.is_ipv4() => (1, last - 1),
        _ => (1, last),
    }
}

/// Host `n` of a prefix, counted from the network address (`n=1` is the first host of a /24);
/// negative `n` counts back from the last usable host (`n=-1` is the last one, the usual
/// gateway of some sites). Out of range is an error naming the prefix and `n`.
pub fn nth_host(prefix: &str, n: i64) -> Result<String, FilterError> {
    let net = parse_prefix("nth_host", prefix)?;
    let (first, last) = usable_offsets(net);
    let offset = if n >= 0 {
        Some(n as u128)
    } else {
        // -1 → last, -2 → last - 1 …; checked so /0 and huge n cannot overflow.
        last.checked_sub(u128::from(n.unsigned_abs()) - 1)
    }
    .filter(|o| (first..=last).contains(o));
    let Some(offset) = offset else {
        let count = last - first + 1;
        let range = if count == 1 {
            format!("n={first} (or n=-1)")
        } else if n >= 0 {
            format!("n={first}..{last} (or -1..-{count} from the end)")
        } else {
            format!("n=-1..-{count} (or {first}..{last} from the network address)")
        };
        return Err(FilterError::new(
            "nth_host",
            prefix,
            format!("has no host n={n}; usable hosts are {range}"),
        ));
    };
    Ok(match net.network() {
        IpAddr::V4(base) => Ipv4Addr::from(u32::from(base).wrapping_add(offset as u32)).to_string(),
        IpAddr::V6(base) => Ipv6Addr::from(u128::from(base).wrapping_add(offset)).to_string(),
    })
}

/// Whether an address (bare or `address/length`) lies inside a prefix. An address of the other
/// family is simply not inside (dual-stack templates ask this of both families).
pub fn ip_in(address: &str, prefix: &str) -> Result<bool, FilterError> {
    let (addr, _) = parse_addr_or_prefix("ip_in", address)?;
    let net = parse_prefix("ip_in", prefix)?;
    Ok(net.contains(addr))
}

/// `"10.1.10.1/24"` → `"10.1.10.1"`; a bare address is returned in canonical form.
pub fn ip_address(value: &str) -> Result<String, FilterError> {
    Ok(parse_addr_or_prefix("ip_address", value)?.0.to_string())
}

/// `"10.1.10.1"` with prefix `"10.1.10.0/24"` → `"10.1.10.1/24"`. `prefix` may also be a bare
/// length (`"24"` or `"/24"`). The address must be bare, of the prefix's family and inside it:
/// an interface address outside its subnet is exactly the mistake to catch here.
pub fn with_prefix(address: &str, prefix: &str) -> Result<String, FilterError> {
    let addr = parse_addr("with_prefix", address)?;
    let len_only = prefix.strip_prefix('/').unwrap_or(prefix);
    if !len_only.is_empty() && len_only.bytes().all(|b| b.is_ascii_digit()) {
        let len = parse_len("with_prefix", prefix, addr, len_only)?;
        return Ok(format!("{addr}/{len}"));
    }
    let net = parse_prefix("with_prefix", prefix)?;
    if net.is_ipv4() != addr.is_ipv4() {
        return Err(FilterError::new(
            "with_prefix",
            address,
            format!("and prefix {net} are of different IP families"),
        ));
    }
    if !net.contains(addr) {
        return Err(FilterError::new(
            "with_prefix",
            address,
            format!("is not inside {}/{}", net.network(), net.prefix()),
        ));
    }
    Ok(format!("{addr}/{}", net.prefix()))
}

/// An IPv6 address with an optional `/length`, for the two IPv6 notation filters.
fn parse_v6(filter: &'static str, value: &str) -> Result<(Ipv6Addr, Option<u8>), FilterError> {
    match parse_addr_or_prefix(filter, value)? {
        (IpAddr::V6(addr), len) => Ok((addr, len)),
        (IpAddr::V4(_), _) => Err(FilterError::new(filter, value, "is not an IPv6 address")),
    }
}

fn with_len(addr: String, len: Option<u8>) -> String {
    match len {
        Some(len) => format!("{addr}/{len}"),
        None => addr,
    }
}

/// `"2001:0db8:0000:0000:0000:0000:0000:0001"` → `"2001:db8::1"` (RFC 5952), keeping `/len`.
pub fn ipv6_compress(value: &str) -> Result<String, FilterError> {
    let (addr, len) = parse_v6("ipv6_compress", value)?;
    Ok(with_len(addr.to_string(), len))
}

/// `"2001:db8::1"` → `"2001:0db8:0000:0000:0000:0000:0000:0001"`, keeping `/len`.
pub fn ipv6_explode(value: &str) -> Result<String, FilterError> {
    let (addr, len) = parse_v6("ipv6_explode", value)?;
    let groups: Vec<String> = addr.segments().iter().map(|s| format!("{s:04x}")).collect();
    Ok(with_len(groups.join(":"), len))
}

/// How the `mac` filter writes an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacFormat {
    /// `aabb.ccdd.eeff`, as Cisco IOS shows and takes it.
    Cisco,
    /// `aa:bb:cc:dd:ee:ff`, the IEEE/Linux form.
    Colon,
    /// `aa-bb-cc-dd-ee-ff`, the Windows and some-switch form.
    Dash,
    /// `aabbccddeeff`, for RADIUS usernames and the like.
    Bare,
}

impl FromStr for MacFormat {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "cisco" => Ok(MacFormat::Cisco),
            "colon" => Ok(MacFormat::Colon),
            "dash" => Ok(MacFormat::Dash),
            "bare" => Ok(MacFormat::Bare),
            _ => Err(()),
        }
    }
}

const MAC_EXPECTED: &str = "is not a MAC address; expected 12 hex digits as aabb.ccdd.eeff, \
     aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff or aabbccddeeff";

/// Read a MAC in any of the four [`MacFormat`] forms, any case. Separators must sit where
/// their form puts them: `aa:bbcc:dd…` is more likely a typo than a MAC.
pub fn parse_mac(value: &str) -> Result<[u8; 6], FilterError> {
    let bad = || FilterError::new("mac", value, MAC_EXPECTED);
    let bytes = value.as_bytes();
    // (separator, hex digits per group; 0 = no separator): 12 bare digits, 6 groups of 2,
    // or 3 groups of 4.
    let (sep, group) = match (bytes.len(), bytes.get(2), bytes.get(4)) {
        (12, _, _) => (0, 0),
        (17, Some(&s @ (b':' | b'-')), _) => (s, 2),
        (14, _, Some(b'.')) => (b'.', 4),
        _ => return Err(bad()),
    };
    let mut mac = [0u8; 6];
    let mut nibbles = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        if group > 0 && i % (group + 1) == group {
            if b != sep {
                return Err(bad());
            }
            continue;
        }
        let digit = (b as char).to_digit(16).ok_or_else(bad)? as u8;
        let byte = mac.get_mut(nibbles / 2).ok_or_else(bad)?;
        *byte = (*byte << 4) | digit;
        nibbles += 1;
    }
    if nibbles != 12 {
        return Err(bad());
    }
    Ok(mac)
}

/// Rewrite a MAC address in `format` (`cisco`, `colon`, `dash`, `bare`), lower case unless
/// `upper`.
pub fn mac(value: &str, format: &str, upper: bool) -> Result<String, FilterError> {
    let format = MacFormat::from_str(format).map_err(|()| {
        FilterError::new(
            "mac",
            format,
            "is not a MAC format; expected one of: cisco, colon, dash, bare",
        )
    })?;
    let octets = parse_mac(value)?;
    let hex: Vec<String> = octets
        .iter()
        .map(|b| {
            if upper {
                format!("{b:02X}")
            } else {
                format!("{b:02x}")
            }
        })
        .collect();
    Ok(match format {
        MacFormat::Cisco => hex
            .chunks(2)
            .map(|c| c.concat())
            .collect::<Vec<_>>()
            .join("."),
        MacFormat::Colon => hex.join(":"),
        MacFormat::Dash => hex.join("-"),
        MacFormat::Bare => hex.concat(),
    })
}

// ---- Tera adapters -------------------------------------------------------------------------

fn tera_err(e: FilterError) -> Error {
    Error::message(e.to_string())
}

/// The filtered value as a string. An undefined value is reported as Tera's own
/// invalid-argument error so Tera points at the value's span and `TemplateSet` can call it an
/// undefined variable; any other non-string names the filter.
fn input<'a>(filter: &'static str, value: &'a Value) -> TeraResult<&'a str> {
    if value.is_undefined() {
        return Err(Error::new(ErrorKind::InvalidArgument {
            expected_type: format!("string for filter `{filter}`"),
            actual_type: "undefined".to_string(),
        }));
    }
    value.as_str().ok_or_else(|| {
        Error::message(format!(
            "filter `{filter}`: expected a string, got {} `{}`",
            value.name(),
            echo(&value.to_string())
        ))
    })
}

/// Refuse keyword arguments the filter does not know: Tera ignores them, so a typo such as
/// `mac(fromat="cisco")` would otherwise silently use the default.
fn check_kwargs(filter: &'static str, kwargs: &Kwargs, allowed: &[&str]) -> TeraResult<()> {
    for (key, _) in kwargs.iter() {
        let key = key.to_string();
        if !allowed.contains(&key.as_str()) {
            let expected = if allowed.is_empty() {
                "it takes none".to_string()
            } else {
                format!("expected: {}", allowed.join(", "))
            };
            return Err(Error::message(format!(
                "filter `{filter}`: unknown argument `{}`; {expected}",
                echo(&key)
            )));
        }
    }
    Ok(())
}

/// A required string keyword argument; errors name the filter.
fn kwarg_str<'k>(
    filter: &'static str,
    kwargs: &'k Kwargs,
    name: &'static str,
) -> TeraResult<Cow<'k, str>> {
    match kwargs.get::<&Value>(name)? {
        None => Err(Error::message(format!(
            "filter `{filter}`: missing argument `{name}`"
        ))),
        Some(v) if v.is_undefined() => Err(Error::message(format!(
            "filter `{filter}`: argument `{name}` is undefined"
        ))),
        Some(v) => match v.as_str() {
            Some(s) => Ok(Cow::Borrowed(s)),
            // A length given as a number (`with_prefix(prefix=24)`) reads naturally.
            None if v.is_number() => Ok(Cow::Owned(v.to_string())),
            None => Err(Error::message(format!(
                "filter `{filter}`: argument `{name}` must be a string, got {} `{}`",
                v.name(),
                echo(&v.to_string())
            ))),
        },
    }
}

/// A one-argument string filter: value in, string out.
fn simple(tera: &mut Tera, name: &'static str, f: fn(&str) -> Result<String, FilterError>) {
    tera.register_filter(
        name,
        move |v: &Value, kwargs: Kwargs, _: &State| -> TeraResult<String> {
            check_kwargs(name, &kwargs, &[])?;
            f(input(name, v)?).map_err(tera_err)
        },
    );
}

fn ip_in_adapter(v: &Value, kwargs: Kwargs, _: &State) -> TeraResult<bool> {
    check_kwargs("ip_in", &kwargs, &["prefix"])?;
    let prefix = kwarg_str("ip_in", &kwargs, "prefix")?;
    ip_in(input("ip_in", v)?, &prefix).map_err(tera_err)
}

/// Install every filter (and the `ip_in` test) of this module into `tera`.
pub fn register(tera: &mut Tera) {
    simple(tera, "netmask", netmask);
    simple(tera, "wildcard", wildcard);
    simple(tera, "network", network);
    simple(tera, "broadcast", broadcast);
    simple(tera, "ip_address", ip_address);
    simple(tera, "ipv6_compress", ipv6_compress);
    simple(tera, "ipv6_explode", ipv6_explode);
    tera.register_filter(
        "prefix_len",
        |v: &Value, kwargs: Kwargs, _: &State| -> TeraResult<u8> {
            check_kwargs("prefix_len", &kwargs, &[])?;
            prefix_len(input("prefix_len", v)?).map_err(tera_err)
        },
    );
    tera.register_filter(
        "nth_host",
        |v: &Value, kwargs: Kwargs, _: &State| -> TeraResult<String> {
            check_kwargs("nth_host", &kwargs, &["n"])?;
            let n = match kwargs.get::<&Value>("n")? {
                None => return Err(Error::message("filter `nth_host`: missing argument `n`")),
                Some(n) => n
                    .as_i128()
                    .and_then(|n| i64::try_from(n).ok())
                    .ok_or_else(|| {
                        Error::message(format!(
                            "filter `nth_host`: argument `n` must be an integer, got {} `{}`",
                            n.name(),
                            echo(&n.to_string())
                        ))
                    })?,
            };
            nth_host(input("nth_host", v)?, n).map_err(tera_err)
        },
    );
    tera.register_filter("ip_in", ip_in_adapter);
    tera.register_test("ip_in", ip_in_adapter);
    tera.register_filter(
        "with_prefix",
        |v: &Value, kwargs: Kwargs, _: &State| -> TeraResult<String> {
            check_kwargs("with_prefix", &kwargs, &["prefix"])?;
            let prefix = kwarg_str("with_prefix", &kwargs, "prefix")?;
            with_prefix(input("with_prefix", v)?, &prefix).map_err(tera_err)
        },
    );
    tera.register_filter(
        "mac",
        |v: &Value, kwargs: Kwargs, _: &State| -> TeraResult<String> {
            check_kwargs("mac", &kwargs, &["format", "upper"])?;
            let format = match kwargs.get::<&Value>("format")? {
                None => Cow::Borrowed("colon"),
                Some(_) => kwarg_str("mac", &kwargs, "format")?,
            };
            let upper = match kwargs.get::<&Value>("upper")? {
                None => false,
                Some(u) => u.as_bool().ok_or_else(|| {
                    Error::message(format!(
                        "filter `mac`: argument `upper` must be true or false, got {} `{}`",
                        u.name(),
                        echo(&u.to_string())
                    ))
                })?,
            };
            mac(input("mac", v)?, &format, upper).map_err(tera_err)
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run a table of `(input, expected)`, where expected `Err(text)` must appear in the
    /// error's message.
    fn check<T: PartialEq + fmt::Debug>(
        f: impl Fn(&str) -> Result<T, FilterError>,
        cases: &[(&str, Result<T, &str>)],
    ) {
        for (input, expected) in cases {
            match (f(input), expected) {
                (Ok(got), Ok(want)) => assert_eq!(&got, want, "input {input:?}"),
                (Err(e), Err(want)) => {
                    let text = e.to_string();
                    assert!(
                        text.contains(want),
                        "input {input:?}: {text:?} lacks {want:?}"
                    );
                }
                (got, want) => panic!("input {input:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn netmask_table() {
        check(
            netmask,
            &[
                ("10.1.10.0/24", Ok("255.255.255.0".into())),
                ("10.1.10.77/24", Ok("255.255.255.0".into())),
                ("0.0.0.0/0", Ok("0.0.0.0".into())),
                ("10.0.0.0/31", Ok("255.255.255.254".into())),
                ("10.0.0.1/32", Ok("255.255.255.255".into())),
                ("10.0.0.0/255.255.0.0", Ok("255.255.0.0".into())),
                ("2001:db8::/64", Ok("ffff:ffff:ffff:ffff::".into())),
                ("::/0", Ok("::".into())),
                (
                    "2001:db8::1/128",
                    Ok("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff".into()),
                ),
                (
                    "10.1.10.0",
                    Err("filter `netmask`: `10.1.10.0` is not a prefix"),
                ),
                (
                    "10.1.10.0/33",
                    Err("`10.1.10.0/33` has prefix length 33, more than the 32 bits"),
                ),
                (
                    "2001:db8::/129",
                    Err("more than the 128 bits of an IPv6 address"),
                ),
                ("10.1.10.0/+24", Err("is not a prefix")),
                ("10.1.10.0/", Err("is not a prefix")),
                ("10.1.10.0/24/1", Err("is not a prefix")),
                (
                    "10.0.0.0/255.0.255.0",
                    Err("netmask that is not contiguous"),
                ),
                ("hello", Err("filter `netmask`: `hello` is not a prefix")),
                ("", Err("filter `netmask`: `` is not a prefix")),
            ],
        );
    }

    #[test]
    fn wildcard_table() {
        check(
            wildcard,
            &[
                ("10.1.10.0/24", Ok("0.0.0.255".into())),
                ("10.0.0.0/8", Ok("0.255.255.255".into())),
                ("0.0.0.0/0", Ok("255.255.255.255".into())),
                ("10.0.0.0/31", Ok("0.0.0.1".into())),
                ("10.0.0.1/32", Ok("0.0.0.0".into())),
                ("2001:db8::/64", Ok("::ffff:ffff:ffff:ffff".into())),
                (
                    "10.0.0.1",
                    Err("filter `wildcard`: `10.0.0.1` is not a prefix"),
                ),
            ],
        );
    }

    #[test]
    fn prefix_len_table() {
        check(
            prefix_len,
            &[
                ("10.1.10.0/24", Ok(24)),
                ("0.0.0.0/0", Ok(0)),
                ("10.0.0.0/31", Ok(31)),
                ("10.0.0.0/32", Ok(32)),
                ("10.0.0.0/255.255.255.0", Ok(24)),
                ("2001:db8::/48", Ok(48)),
                ("2001:db8::/128", Ok(128)),
                ("24", Err("filter `prefix_len`: `24` is not a prefix")),
            ],
        );
    }

    #[test]
    fn network_table() {
        check(
            network,
            &[
                ("10.1.10.77/24", Ok("10.1.10.0".into())),
                ("127.0.1.5/24", Ok("127.0.1.0".into())),
                ("10.1.10.77/0", Ok("0.0.0.0".into())),
                ("10.1.10.77/31", Ok("10.1.10.76".into())),
                ("10.1.10.77/32", Ok("10.1.10.77".into())),
                ("2001:db8::1234/64", Ok("2001:db8::".into())),
                (
                    "10.1.10.300/24",
                    Err("filter `network`: `10.1.10.300/24` is not a prefix"),
                ),
            ],
        );
    }

    #[test]
    fn broadcast_table() {
        check(
            broadcast,
            &[
                ("10.1.10.0/24", Ok("10.1.10.255".into())),
                ("10.1.10.77/24", Ok("10.1.10.255".into())),
                ("0.0.0.0/0", Ok("255.255.255.255".into())),
                ("10.0.0.0/31", Ok("10.0.0.1".into())),
                ("10.0.0.9/32", Ok("10.0.0.9".into())),
                (
                    "2001:db8::/64",
                    Err(
                        "filter `broadcast`: `2001:db8::/64` is IPv6, which has no broadcast address",
                    ),
                ),
                (
                    "nope/24",
                    Err("filter `broadcast`: `nope/24` is not a prefix"),
                ),
            ],
        );
    }

    #[test]
    fn nth_host_table() {
        let cases: &[(&str, i64, Result<&str, &str>)] = &[
            ("10.1.10.0/24", 5, Ok("10.1.10.5")),
            ("10.1.10.0/24", 1, Ok("10.1.10.1")),
            ("10.1.10.0/24", 254, Ok("10.1.10.254")),
            ("10.1.10.0/24", -1, Ok("10.1.10.254")),
            ("10.1.10.0/24", -254, Ok("10.1.10.1")),
            ("10.1.10.77/24", 1, Ok("10.1.10.1")),
            ("10.0.0.0/31", 0, Ok("10.0.0.0")),
            ("10.0.0.0/31", 1, Ok("10.0.0.1")),
            ("10.0.0.0/31", -1, Ok("10.0.0.1")),
            ("10.0.0.7/32", 0, Ok("10.0.0.7")),
            ("10.0.0.7/32", -1, Ok("10.0.0.7")),
            ("0.0.0.0/0", -1, Ok("255.255.255.254")),
            ("0.0.0.0/0", 1, Ok("0.0.0.1")),
            ("2001:db8::/64", 1, Ok("2001:db8::1")),
            ("2001:db8::/64", -1, Ok("2001:db8::ffff:ffff:ffff:ffff")),
            ("2001:db8::/127", 0, Ok("2001:db8::")),
            ("::/0", -1, Ok("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")),
            ("::/0", i64::MIN, Ok("ffff:ffff:ffff:ffff:8000::")),
            (
                "10.1.10.0/24",
                0,
                Err(
                    "filter `nth_host`: `10.1.10.0/24` has no host n=0; usable hosts are n=1..254 (or -1..-254 from the end)",
                ),
            ),
            ("10.1.10.0/24", 255, Err("`10.1.10.0/24` has no host n=255")),
            (
                "10.1.10.0/24",
                -255,
                Err(
                    "has no host n=-255; usable hosts are n=-1..-254 (or 1..254 from the network address)",
                ),
            ),
            (
                "10.0.0.7/32",
                1,
                Err("has no host n=1; usable hosts are n=0 (or n=-1)"),
            ),
            ("10.0.0.0/31", 2, Err("has no host n=2")),
            ("10.0.0.0/31", -3, Err("has no host n=-3")),
            (
                "10.0.0.0/0",
                i64::MAX,
                Err("has no host n=9223372036854775807"),
            ),
            (
                "10.0.0.0/0",
                i64::MIN,
                Err("has no host n=-9223372036854775808"),
            ),
            (
                "10.1.10.1",
                1,
                Err("filter `nth_host`: `10.1.10.1` is not a prefix"),
            ),
        ];
        for (prefix, n, want) in cases {
            match (nth_host(prefix, *n), want) {
                (Ok(got), Ok(want)) => assert_eq!(&got, want, "{prefix} n={n}"),
                (Err(e), Err(want)) => {
                    assert!(e.to_string().contains(want), "{prefix} n={n}: {e}")
                }
                (got, want) => panic!("{prefix} n={n}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn ip_in_table() {
        let cases: &[(&str, &str, Result<bool, &str>)] = &[
            ("10.1.10.7", "10.1.10.0/24", Ok(true)),
            ("10.1.10.7/24", "10.1.10.0/24", Ok(true)),
            ("10.1.11.7", "10.1.10.0/24", Ok(false)),
            ("10.1.10.0", "10.1.10.0/24", Ok(true)),
            ("10.1.10.255", "10.1.10.77/24", Ok(true)),
            ("192.0.2.1", "0.0.0.0/0", Ok(true)),
            ("10.0.0.1", "10.0.0.1/32", Ok(true)),
            ("10.0.0.2", "10.0.0.1/32", Ok(false)),
            ("2001:db8::5", "2001:db8::/64", Ok(true)),
            ("2001:db9::5", "2001:db8::/64", Ok(false)),
            // Other family: not inside, not an error (dual-stack templates ask both).
            ("10.1.10.7", "2001:db8::/64", Ok(false)),
            (
                "x",
                "10.1.10.0/24",
                Err("filter `ip_in`: `x` is not an IP address"),
            ),
            (
                "10.1.10.7",
                "10.1.10.0",
                Err("filter `ip_in`: `10.1.10.0` is not a prefix"),
            ),
        ];
        for (addr, prefix, want) in cases {
            match (ip_in(addr, prefix), want) {
                (Ok(got), Ok(want)) => assert_eq!(&got, want, "{addr} in {prefix}"),
                (Err(e), Err(want)) => assert!(e.to_string().contains(want), "{e}"),
                (got, want) => panic!("{addr} in {prefix}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn ip_address_table() {
        check(
            ip_address,
            &[
                ("10.1.10.1/24", Ok("10.1.10.1".into())),
                ("10.1.10.1", Ok("10.1.10.1".into())),
                ("10.1.10.1/32", Ok("10.1.10.1".into())),
                ("2001:DB8:0::1/64", Ok("2001:db8::1".into())),
                (
                    "10.1.10.1/40",
                    Err("filter `ip_address`: `10.1.10.1/40` has prefix length 40"),
                ),
                (
                    "host.example",
                    Err("filter `ip_address`: `host.example` is not an IP address"),
                ),
            ],
        );
    }

    #[test]
    fn with_prefix_table() {
        let cases: &[(&str, &str, Result<&str, &str>)] = &[
            ("10.1.10.1", "10.1.10.0/24", Ok("10.1.10.1/24")),
            ("10.1.10.1", "10.1.10.77/24", Ok("10.1.10.1/24")),
            ("10.1.10.1", "24", Ok("10.1.10.1/24")),
            ("10.1.10.1", "/24", Ok("10.1.10.1/24")),
            ("10.1.10.1", "0.0.0.0/0", Ok("10.1.10.1/0")),
            ("10.1.10.1", "10.1.10.1/32", Ok("10.1.10.1/32")),
            ("2001:db8::1", "2001:db8::/64", Ok("2001:db8::1/64")),
            ("2001:db8::1", "64", Ok("2001:db8::1/64")),
            (
                "10.1.10.1",
                "33",
                Err("filter `with_prefix`: `33` has prefix length 33"),
            ),
            (
                "10.2.0.1",
                "10.1.10.0/24",
                Err("filter `with_prefix`: `10.2.0.1` is not inside 10.1.10.0/24"),
            ),
            (
                "10.1.10.1",
                "2001:db8::/64",
                Err("of different IP families"),
            ),
            (
                "10.1.10.1/24",
                "10.1.10.0/24",
                Err("`10.1.10.1/24` is a prefix; expected a bare address"),
            ),
            ("10.1.10.1", "abc", Err("`abc` is not a prefix")),
        ];
        for (addr, prefix, want) in cases {
            match (with_prefix(addr, prefix), want) {
                (Ok(got), Ok(want)) => assert_eq!(&got, want, "{addr} {prefix}"),
                (Err(e), Err(want)) => assert!(e.to_string().contains(want), "{e}"),
                (got, want) => panic!("{addr} {prefix}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn ipv6_compress_and_explode_tables() {
        check(
            ipv6_compress,
            &[
                (
                    "2001:0db8:0000:0000:0000:0000:0000:0001",
                    Ok("2001:db8::1".into()),
                ),
                (
                    "2001:0DB8:0000:0000:0000:0000:0000:0001/64",
                    Ok("2001:db8::1/64".into()),
                ),
                ("0000:0000:0000:0000:0000:0000:0000:0000", Ok("::".into())),
                ("2001:db8:0:0:1:0:0:1", Ok("2001:db8::1:0:0:1".into())),
                ("2001:db8::1", Ok("2001:db8::1".into())),
                (
                    "10.0.0.1",
                    Err("filter `ipv6_compress`: `10.0.0.1` is not an IPv6 address"),
                ),
                ("2001:db8::/200", Err("has prefix length 200")),
                ("2001:db8:::1", Err("is not an IP address")),
            ],
        );
        check(
            ipv6_explode,
            &[
                (
                    "2001:db8::1",
                    Ok("2001:0db8:0000:0000:0000:0000:0000:0001".into()),
                ),
                (
                    "2001:db8::/48",
                    Ok("2001:0db8:0000:0000:0000:0000:0000:0000/48".into()),
                ),
                ("::", Ok("0000:0000:0000:0000:0000:0000:0000:0000".into())),
                (
                    "10.0.0.1/8",
                    Err("filter `ipv6_explode`: `10.0.0.1/8` is not an IPv6 address"),
                ),
            ],
        );
    }

    #[test]
    fn mac_table() {
        let cases: &[(&str, &str, bool, Result<&str, &str>)] = &[
            ("aa:bb:cc:dd:ee:ff", "cisco", false, Ok("aabb.ccdd.eeff")),
            ("AABB.CCDD.EEFF", "colon", false, Ok("aa:bb:cc:dd:ee:ff")),
            ("aa-BB-cc-DD-ee-FF", "dash", false, Ok("aa-bb-cc-dd-ee-ff")),
            ("aabbccddeeff", "bare", false, Ok("aabbccddeeff")),
            ("00:1a:2b:3c:4d:5e", "bare", true, Ok("001A2B3C4D5E")),
            ("001a2b3c4d5e", "cisco", true, Ok("001A.2B3C.4D5E")),
            ("001A.2B3C.4D5E", "dash", false, Ok("00-1a-2b-3c-4d-5e")),
            (
                "aa:bb:cc:dd:ee",
                "colon",
                false,
                Err("filter `mac`: `aa:bb:cc:dd:ee` is not a MAC address"),
            ),
            (
                "aa:bb-cc:dd:ee:ff",
                "colon",
                false,
                Err("`aa:bb-cc:dd:ee:ff` is not a MAC address"),
            ),
            (
                "aa:bbc:cdd:ee:ff",
                "colon",
                false,
                Err("is not a MAC address"),
            ),
            (
                "gg:bb:cc:dd:ee:ff",
                "colon",
                false,
                Err("is not a MAC address"),
            ),
            (
                "aabb.ccdd:eeff",
                "colon",
                false,
                Err("is not a MAC address"),
            ),
            ("aabbccddeefff", "colon", false, Err("is not a MAC address")),
            ("+abbccddeeff", "colon", false, Err("is not a MAC address")),
            ("ééééééé", "colon", false, Err("is not a MAC address")),
            (
                "aa:bb:cc:dd:ee:ff",
                "ieee",
                false,
                Err(
                    "filter `mac`: `ieee` is not a MAC format; expected one of: cisco, colon, dash, bare",
                ),
            ),
        ];
        for (value, format, upper, want) in cases {
            match (mac(value, format, *upper), want) {
                (Ok(got), Ok(want)) => assert_eq!(&got, want, "{value} {format}"),
                (Err(e), Err(want)) => assert!(e.to_string().contains(want), "{e}"),
                (got, want) => panic!("{value} {format}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn errors_echo_long_values_shortened_and_escaped() {
        let long = "x".repeat(500);
        let text = netmask(&long).unwrap_err().to_string();
        assert!(text.len() < 250, "{text}");
        assert!(text.contains('…'));
        let text = netmask("a\nb").unwrap_err().to_string();
        assert!(text.contains("`a\\nb`"), "{text}");
    }

    /// Render one template through a bare Tera with only these filters, for adapter checks.
    fn render(src: &str, ctx: serde_json::Value) -> Result<String, String> {
        let mut tera = Tera::default();
        tera.autoescape_on(Vec::<&str>::new());
        register(&mut tera);
        tera.add_raw_template("t", src).map_err(|e| e.to_string())?;
        let ctx = tera::Context::from_serialize(&ctx).map_err(|e| e.to_string())?;
        tera.render("t", &ctx).map_err(|e| match e.kind() {
            ErrorKind::RenderingError(r) => r.message().to_string(),
            _ => e.to_string(),
        })
    }

    #[test]
    fn adapters_render_every_filter() {
        let ctx = serde_json::json!({
            "net": "10.1.10.0/24", "addr": "10.1.10.1/24", "v6": "2001:0db8:0000:0000:0000:0000:0000:0001",
            "mac": "AA:BB:CC:DD:EE:FF",
        });
        let cases = [
            ("{{ net | netmask }}", "255.255.255.0"),
            ("{{ net | wildcard }}", "0.0.0.255"),
            ("{{ net | prefix_len }}", "24"),
            ("{{ net | prefix_len + 1 }}", "25"),
            ("{{ '10.1.10.77/24' | network }}", "10.1.10.0"),
            ("{{ net | broadcast }}", "10.1.10.255"),
            ("{{ net | nth_host(n=5) }}", "10.1.10.5"),
            ("{{ net | nth_host(n=-1) }}", "10.1.10.254"),
            ("{{ '10.1.10.7' | ip_in(prefix=net) }}", "true"),
            ("{{ '10.1.11.7' | ip_in(prefix=net) }}", "false"),
            (
                "{% if '10.1.10.7' is ip_in(prefix=net) %}in{% endif %}",
                "in",
            ),
            (
                "{% if '10.1.11.7' is not ip_in(prefix=net) %}out{% endif %}",
                "out",
            ),
            ("{{ addr | ip_address }}", "10.1.10.1"),
            (
                "{{ addr | ip_address | with_prefix(prefix=net) }}",
                "10.1.10.1/24",
            ),
            ("{{ '10.1.10.1' | with_prefix(prefix=24) }}", "10.1.10.1/24"),
            ("{{ v6 | ipv6_compress }}", "2001:db8::1"),
            (
                "{{ '2001:db8::1' | ipv6_explode }}",
                "2001:0db8:0000:0000:0000:0000:0000:0001",
            ),
            ("{{ mac | mac(format='cisco') }}", "aabb.ccdd.eeff"),
            ("{{ mac | mac }}", "aa:bb:cc:dd:ee:ff"),
            (
                "{{ mac | mac(format='dash', upper=true) }}",
                "AA-BB-CC-DD-EE-FF",
            ),
            ("{{ mac | mac(format='bare') }}", "aabbccddeeff"),
        ];
        for (src, want) in cases {
            assert_eq!(render(src, ctx.clone()).as_deref(), Ok(want), "{src}");
        }
    }

    #[test]
    fn adapters_name_filter_and_value_on_bad_input() {
        let ctx = serde_json::json!({"net": "10.1.10.0/24", "n": 5, "bad": "10.1.10.0/99"});
        let cases = [
            (
                "{{ bad | netmask }}",
                "filter `netmask`: `10.1.10.0/99` has prefix length 99",
            ),
            (
                "{{ n | netmask }}",
                "filter `netmask`: expected a string, got u64 `5`",
            ),
            (
                "{{ net | nth_host }}",
                "filter `nth_host`: missing argument `n`",
            ),
            (
                "{{ net | nth_host(n='x') }}",
                "filter `nth_host`: argument `n` must be an integer, got string `x`",
            ),
            (
                "{{ net | nth_host(n=500) }}",
                "filter `nth_host`: `10.1.10.0/24` has no host n=500",
            ),
            (
                "{{ net | nth_host(m=5) }}",
                "filter `nth_host`: unknown argument `m`; expected: n",
            ),
            (
                "{{ net | netmask(x=1) }}",
                "filter `netmask`: unknown argument `x`; it takes none",
            ),
            (
                "{{ '1.2.3.4' | ip_in }}",
                "filter `ip_in`: missing argument `prefix`",
            ),
            (
                "{{ '1.2.3.4' is ip_in(prefix=missing) }}",
                "filter `ip_in`: argument `prefix` is undefined",
            ),
            (
                "{{ 'aa' | mac(format='cisco') }}",
                "filter `mac`: `aa` is not a MAC address",
            ),
            (
                "{{ 'aabbccddeeff' | mac(fromat='cisco') }}",
                "filter `mac`: unknown argument `fromat`; expected: format, upper",
            ),
            (
                "{{ 'aabbccddeeff' | mac(upper='yes') }}",
                "filter `mac`: argument `upper` must be true or false",
            ),
            (
                "{{ '10.0.0.1' | with_prefix(prefix=[1]) }}",
                "filter `with_prefix`: argument `prefix` must be a string",
            ),
            // An undefined input stays Tera's own type error, which TemplateSet reports as an
            // undefined variable pointing at the value.
            ("{{ missing | netmask }}", "got `undefined`"),
        ];
        for (src, want) in cases {
            let got = render(src, ctx.clone()).expect_err(src);
            assert!(got.contains(want), "{src}: {got:?} lacks {want:?}");
        }
    }
}
