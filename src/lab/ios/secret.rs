//! Secrets as the configuration shows them. IOS never prints an `enable secret` or a user's
//! `secret` in clear: it stores a type 9 (scrypt) hash, `$9$<salt>$<hash>`. The twin derives a
//! string of that shape from the secret with a small deterministic hash: not scrypt and not
//! meant to resist anything (the twin's secrets are lab values), but stable, so the twin can
//! check a typed secret against the stored form, and a configuration saved and reloaded keeps
//! working.

/// The characters of Cisco's hash alphabet.
const ALPHABET: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// FNV-1a, 64 bits: small, stable across Rust versions (unlike `DefaultHasher`).
fn fnv1a(seed: u64, data: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325 ^ seed;
    for byte in data {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// splitmix64: spreads one 64-bit state into a stream of well-mixed words.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn encode(state: &mut u64, len: usize) -> String {
    (0..len)
        .map(|_| char::from(ALPHABET[(splitmix(state) % ALPHABET.len() as u64) as usize]))
        .collect()
}

/// The type 9-looking form of a secret: `$9$` + 14 salt characters + `$` + 43 characters.
pub fn type9(secret: &str) -> String {
    let mut state = fnv1a(0x6e65_7470_6172_6300, secret.as_bytes());
    let salt = encode(&mut state, 14);
    let mut state = fnv1a(state, salt.as_bytes()) ^ fnv1a(0, secret.as_bytes()).rotate_left(17);
    let hash = encode(&mut state, 43);
    format!("$9${salt}${hash}")
}

/// True when `typed` matches a stored secret of `kind` (`9` hashed by [`type9`], `0` clear).
pub fn matches(kind: &str, stored: &str, typed: &str) -> bool {
    match kind {
        "9" => type9(typed) == stored,
        "0" => typed == stored,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_and_stability() {
        let hash = type9("Lab-Secret-1");
        assert_eq!(hash.len(), 3 + 14 + 1 + 43);
        assert!(hash.starts_with("$9$"));
        assert_eq!(hash, type9("Lab-Secret-1"));
        assert_ne!(hash, type9("Lab-Secret-2"));
        assert!(matches("9", &hash, "Lab-Secret-1"));
        assert!(!matches("9", &hash, "lab-secret-1"));
        assert!(!matches("5", "$1$x", "x"));
    }
}
