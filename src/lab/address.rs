//! Twin addresses: each asset gets its own loopback address, derived from its name so it is
//! the same on every run (known_hosts entries and a technician's notes stay valid), and the
//! guard that keeps lab-mode traffic on loopback.

use std::collections::{BTreeMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};

/// FNV-1a, 64 bits: stable across Rust versions and platforms (unlike `DefaultHasher`).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The candidate address for a name at probe `attempt`: 127.A.B.C with A in 1..=254 (so
/// never 127.0.0.0/16, where 127.0.0.1 lives), B any, C in 1..=254.
fn candidate(salt: &str, name: &str, attempt: u32) -> Ipv4Addr {
    let mut key = Vec::with_capacity(salt.len() + name.len() + 5);
    key.extend_from_slice(salt.as_bytes());
    key.push(0);
    key.extend_from_slice(name.as_bytes());
    key.extend_from_slice(&attempt.to_le_bytes());
    let hash = fnv1a(&key);
    let a = 1 + (hash % 254) as u8;
    let b = ((hash >> 16) & 0xff) as u8;
    let c = 1 + ((hash >> 32) % 254) as u8;
    Ipv4Addr::new(127, a, b, c)
}

/// Addresses for every name: stable for a given `salt` (empty for `netparc lab`; tests use
/// their own so parallel labs never collide). Names are placed in sorted order, and a rare
/// collision moves only the later name to its next candidate.
pub fn assign(salt: &str, names: impl IntoIterator<Item = String>) -> BTreeMap<String, Ipv4Addr> {
    let mut sorted: Vec<String> = names.into_iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut taken = HashSet::new();
    let mut assigned = BTreeMap::new();
    for name in sorted {
        let mut attempt = 0;
        let address = loop {
            let address = candidate(salt, &name, attempt);
            if taken.insert(address) {
                break address;
            }
            attempt += 1;
        };
        assigned.insert(name, address);
    }
    assigned
}

/// In lab mode, only loopback may be contacted: the error names the address and why.
pub fn guard_lab_destination(address: IpAddr) -> Result<(), String> {
    if address.is_loopback() {
        Ok(())
    } else {
        Err(format!(
            "refusing to contact {address} in lab mode: the twin lab only uses loopback \
             addresses (127.0.0.0/8, ::1), so this destination would be a real device"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_stable_loopback_and_distinct() {
        let names: Vec<String> = (0..5000).map(|i| format!("sw-{i}")).collect();
        let first = assign("", names.clone());
        let second = assign("", names.into_iter().rev());
        assert_eq!(first, second, "the same on every run, whatever the order");
        let distinct: HashSet<_> = first.values().collect();
        assert_eq!(distinct.len(), 5000);
        for address in first.values() {
            assert_eq!(address.octets()[0], 127);
            assert_ne!(address.octets()[1], 0);
            assert!(address.octets()[3] != 0 && address.octets()[3] != 255);
        }
        let salted = assign("test-7", ["sw-1".to_string()]);
        assert_ne!(salted["sw-1"], first["sw-1"]);
    }

    #[test]
    fn only_loopback_passes_the_guard() {
        assert!(guard_lab_destination("127.4.5.6".parse().unwrap()).is_ok());
        assert!(guard_lab_destination("::1".parse().unwrap()).is_ok());
        let error = guard_lab_destination("10.10.99.11".parse().unwrap()).unwrap_err();
        assert!(
            error.contains("refusing to contact 10.10.99.11 in lab mode"),
            "{error}"
        );
        assert!(guard_lab_destination("192.0.2.1".parse().unwrap()).is_err());
    }
}
