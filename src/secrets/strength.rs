//! Password strength per ANSSI, as pure functions: minimum lengths per class of account,
//! an entropy estimate, the four strength levels, and a list of well-known default device
//! credentials.
//!
//! Sources (ANSSI, the French national cybersecurity agency):
//! - *Recommandations relatives à l'authentification multifacteur et aux mots de passe*,
//!   ANSSI-PA-093, version 2.0, October 2021: minimum length by use, and the strength
//!   levels below, expressed as the entropy of the password.
//! - *Calculer la « force » d'un mot de passe* (ANSSI's method page and calculator): the
//!   strength of a password is estimated as `length × log2(alphabet size)`, and rated
//!   **very weak** below 64 bits, **weak** from 64 to 80, **medium** from 80 to 100 and
//!   **strong** from 100 bits.
//!
//! The formula assumes characters drawn at random. Real passwords are not, so this estimate
//! adds simple, documented penalties for the patterns that break that assumption (see
//! [`assess`]). It is deliberately simple: a screening tool for an inventory's credentials,
//! not a cracking-cost model.

use crate::diag::Diagnostic;
use serde::Serialize;
use std::fmt;

/// What a secret protects, which sets the minimum length (ANSSI-PA-093).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretClass {
    /// An ordinary user account: at least 12 characters.
    User,
    /// Administration of equipment: device login and enable secrets, SNMPv3 authentication
    /// and privacy passphrases, VPN pre-shared keys. At least 16 characters.
    Administrator,
}

impl SecretClass {
    /// The minimum length ANSSI-PA-093 recommends for this class.
    pub fn min_length(self) -> usize {
        match self {
            SecretClass::User => 12,
            SecretClass::Administrator => 16,
        }
    }

    /// The lowest strength netparc accepts without a warning for this class: medium
    /// (80 bits) for users, strong (100 bits) for administration secrets, which an attacker
    /// can often attack offline (captured SNMPv3 exchanges, VPN handshakes, config backups).
    pub fn required_strength(self) -> Strength {
        match self {
            SecretClass::User => Strength::Medium,
            SecretClass::Administrator => Strength::Strong,
        }
    }
}

/// ANSSI's strength levels, weakest first (so they compare with `<`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strength {
    /// Below 64 bits.
    VeryWeak,
    /// 64 to 80 bits.
    Weak,
    /// 80 to 100 bits.
    Medium,
    /// 100 bits and more.
    Strong,
}

impl Strength {
    /// The level of an entropy in bits (ANSSI thresholds 64, 80, 100).
    pub fn from_bits(bits: f64) -> Strength {
        if bits < 64.0 {
            Strength::VeryWeak
        } else if bits < 80.0 {
            Strength::Weak
        } else if bits < 100.0 {
            Strength::Medium
        } else {
            Strength::Strong
        }
    }
}

impl fmt::Display for Strength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strength::VeryWeak => "very weak",
            Strength::Weak => "weak",
            Strength::Medium => "medium",
            Strength::Strong => "strong",
        })
    }
}

/// The verdict on one value. Holds measurements only, never the value, so it may be logged
/// and serialised into reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// The class the value was assessed for.
    pub class: SecretClass,
    /// Length in characters.
    pub length: usize,
    /// The minimum length for the class (12 or 16).
    pub min_length: usize,
    /// Size of the alphabet the value draws from (sum of the character classes used).
    pub alphabet_size: u32,
    /// Estimated entropy, after penalties.
    pub entropy_bits: f64,
    /// The ANSSI level of `entropy_bits`.
    pub strength: Strength,
    /// True when the value is a well-known default credential ([`is_known_default`]).
    pub known_default: bool,
}

impl Assessment {
    /// True when the value is shorter than the class's minimum.
    pub fn too_short(&self) -> bool {
        self.length < self.min_length
    }

    /// True when nothing is wrong: long enough, not a default, strong enough for the class.
    pub fn is_acceptable(&self) -> bool {
        !self.known_default && !self.too_short() && self.strength >= self.class.required_strength()
    }

    /// A warning `secrets.weak-password` about the secret called `subject` (an entry name or
    /// a reference, never the value), or None when the value is acceptable. A warning, not
    /// an error: the audit policy decides whether it fails a run.
    pub fn to_diagnostic(&self, subject: &str) -> Option<Diagnostic> {
        if self.is_acceptable() {
            return None;
        }
        let class = match self.class {
            SecretClass::User => "a user account",
            SecretClass::Administrator => "equipment administration",
        };
        let mut problems = Vec::new();
        if self.known_default {
            problems.push(String::from("is a well-known default credential"));
        }
        if self.too_short() {
            problems.push(format!(
                "has {} characters, fewer than the {} ANSSI recommends for {class}",
                self.length, self.min_length
            ));
        }
        if self.strength < self.class.required_strength() {
            problems.push(format!(
                "is {} (about {:.0} bits; {} needed for {class})",
                self.strength,
                self.entropy_bits,
                match self.class.required_strength() {
                    Strength::Strong => "100",
                    _ => "80",
                }
            ));
        }
        Some(
            Diagnostic::warning(
                "secrets.weak-password",
                format!("secret `{subject}` {}", problems.join(", and ")),
            )
            .hint(format!(
                "use a random value of at least {} characters from a password manager or \
                 generator (ANSSI-PA-093)",
                self.min_length
            )),
        )
    }
}

/// Size counted for characters outside ASCII: ANSSI's method counts the alphabet the
/// password is drawn from; accented letters and other Unicode come from a much larger set,
/// but people use a few of them at most, so a modest 100 is counted, not thousands.
const OTHER_UNICODE_ALPHABET: u32 = 100;

/// The printable ASCII characters that are neither letters nor digits (space included).
const ASCII_SPECIALS: u32 = 33;

/// Sequences people type instead of random characters: alphabet, digits and the keyboard
/// rows of AZERTY and QWERTY. A run of 4 or more consecutive characters of one of these
/// (forwards or backwards, any case) counts as one character.
const SEQUENCES: &[&str] = &[
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789",
    "azertyuiop",
    "qsdfghjklm",
    "wxcvbn",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "1234567890",
];

/// Shortest keyboard/alphabet sequence penalised (`abc` and `123` are common by chance).
const MIN_SEQUENCE: usize = 4;

/// Well-known default or first-guess credentials of network equipment and systems,
/// lowercase. Attackers try these first; so do botnets (Mirai's list holds most of them).
const KNOWN_DEFAULTS: &[&str] = &[
    "",
    "admin",
    "administrator",
    "password",
    "passw0rd",
    "p@ssw0rd",
    "password1",
    "pass",
    "public",
    "private",
    "cisco",
    "cisco123",
    "ubnt",
    "changeme",
    "change_me",
    "default",
    "router",
    "switch",
    "root",
    "toor",
    "enable",
    "secret",
    "manager",
    "guest",
    "support",
    "user",
    "test",
    "letmein",
    "welcome",
    "admin123",
    "admin1234",
    "1234",
    "12345",
    "123456",
    "12345678",
    "123456789",
    "qwerty",
    "azerty",
    "motdepasse",
    "fortinet",
    "netgear1",
    "raspberry",
    "alpine",
];

/// True when `value` is a well-known default credential (`cisco`, `admin`, `public`,
/// `changeme`, `123456`, …), compared case-insensitively.
pub fn is_known_default(value: &str) -> bool {
    let lowered = value.to_lowercase();
    KNOWN_DEFAULTS.contains(&lowered.as_str())
}

/// Assess `value` for `class`.
///
/// Entropy = effective length × log2(alphabet size), per ANSSI's method, where the alphabet
/// is the sum of the classes actually used: lowercase 26, uppercase 26, digits 10, ASCII
/// specials 33, anything else 100. The effective length discounts what is not random:
/// - a well-known default (see [`is_known_default`]) counts as 0: entropy 0, very weak;
/// - in a run of one repeated character, only the first two count (`aaaa` counts 2);
/// - a run of 4+ consecutive characters of the alphabet, the digits or a keyboard row
///   (`abcd`, `6543`, `azerty`, `qwerty`), either direction, counts as 1;
/// - a well-known default of 4+ letters inside the value (`Cisco2024!`, `MyPassword`)
///   counts as 1.
pub fn assess(value: &str, class: SecretClass) -> Assessment {
    let chars: Vec<char> = value.chars().collect();
    let known_default = is_known_default(value);
    let alphabet_size = alphabet_size(&chars);
    let effective = if known_default {
        0
    } else {
        effective_length(&chars)
    };
    let entropy_bits = if alphabet_size > 1 {
        effective as f64 * f64::from(alphabet_size).log2()
    } else {
        0.0
    };
    Assessment {
        class,
        length: chars.len(),
        min_length: class.min_length(),
        alphabet_size,
        entropy_bits,
        strength: Strength::from_bits(entropy_bits),
        known_default,
    }
}

fn alphabet_size(chars: &[char]) -> u32 {
    let (mut lower, mut upper, mut digit, mut special, mut other) =
        (false, false, false, false, false);
    for c in chars {
        match c {
            'a'..='z' => lower = true,
            'A'..='Z' => upper = true,
            '0'..='9' => digit = true,
            ' '..='~' => special = true,
            _ => other = true,
        }
    }
    [
        (lower, 26),
        (upper, 26),
        (digit, 10),
        (special, ASCII_SPECIALS),
        (other, OTHER_UNICODE_ALPHABET),
    ]
    .iter()
    .filter(|(used, _)| *used)
    .map(|(_, size)| size)
    .sum()
}

/// Length once the non-random patterns described on [`assess`] are discounted.
fn effective_length(chars: &[char]) -> usize {
    let lower: Vec<char> = chars.iter().map(|c| c.to_ascii_lowercase()).collect();
    // counts[i]: does character i add entropy.
    let mut counts = vec![true; lower.len()];

    // Repeats: the third and later of a run of one character.
    for i in 2..lower.len() {
        if lower[i] == lower[i - 1] && lower[i] == lower[i - 2] {
            counts[i] = false;
        }
    }

    // Sequences: each step to the next (or previous) character of a reference sequence.
    for sequence in SEQUENCES {
        let position = |c: char| sequence.chars().position(|s| s == c);
        for direction in [1isize, -1] {
            let mut start = 0;
            while start < lower.len() {
                let mut end = start + 1;
                while end < lower.len() {
                    match (position(lower[end - 1]), position(lower[end])) {
                        (Some(a), Some(b)) if b as isize - a as isize == direction => end += 1,
                        _ => break,
                    }
                }
                if end - start >= MIN_SEQUENCE {
                    counts[start + 1..end].iter_mut().for_each(|c| *c = false);
                }
                start = end;
            }
        }
    }

    // Default words inside a longer value.
    let text: String = lower.iter().collect();
    for word in KNOWN_DEFAULTS.iter().filter(|w| w.chars().count() >= 4) {
        for (byte_start, _) in text.match_indices(word) {
            let start = text[..byte_start].chars().count();
            let len = word.chars().count();
            counts[start + 1..start + len]
                .iter_mut()
                .for_each(|c| *c = false);
        }
    }

    counts.iter().filter(|c| **c).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_anssis() {
        assert_eq!(Strength::from_bits(0.0), Strength::VeryWeak);
        assert_eq!(Strength::from_bits(63.9), Strength::VeryWeak);
        assert_eq!(Strength::from_bits(64.0), Strength::Weak);
        assert_eq!(Strength::from_bits(79.9), Strength::Weak);
        assert_eq!(Strength::from_bits(80.0), Strength::Medium);
        assert_eq!(Strength::from_bits(99.9), Strength::Medium);
        assert_eq!(Strength::from_bits(100.0), Strength::Strong);
        assert!(Strength::VeryWeak < Strength::Weak && Strength::Medium < Strength::Strong);
    }

    #[test]
    fn min_length_per_class() {
        assert_eq!(SecretClass::User.min_length(), 12);
        assert_eq!(SecretClass::Administrator.min_length(), 16);
        assert_eq!(assess("x", SecretClass::User).min_length, 12);
        assert_eq!(assess("x", SecretClass::Administrator).min_length, 16);
    }

    #[test]
    fn known_defaults() {
        for value in [
            "cisco", "CISCO", "Admin", "public", "private", "ubnt", "changeme",
        ] {
            assert!(is_known_default(value), "{value}");
        }
        for value in ["123456", "default", "router", "password", ""] {
            assert!(is_known_default(value), "{value}");
        }
        assert!(!is_known_default("Xk9#mPq2$vLw8!Rt"));
        assert!(KNOWN_DEFAULTS.len() >= 30);
    }

    #[test]
    fn table_of_values() {
        use SecretClass::{Administrator as A, User as U};
        use Strength::*;
        // (value, class, strength, known default, acceptable)
        let table: &[(&str, SecretClass, Strength, bool, bool)] = &[
            ("cisco", A, VeryWeak, true, false),
            ("Password", U, VeryWeak, true, false),
            ("public", A, VeryWeak, true, false),
            // A 12-letter lowercase word: 12 × log2(26) ≈ 56 bits.
            ("montagnardes", U, VeryWeak, false, false),
            // 14 lowercase letters ≈ 66 bits.
            ("montagnardesxy", U, Weak, false, false),
            // Default words, keyboard rows and repeats are discounted.
            ("Cisco2024!", A, VeryWeak, false, false),
            ("azertyuiop123456", U, VeryWeak, false, false),
            ("qwertyQWERTY1234", U, VeryWeak, false, false),
            ("aaaaaaaaaaaaaaaaaaaaaaaa", A, VeryWeak, false, false),
            ("P@ssw0rd2024!Admin", A, VeryWeak, false, false),
            // 20 random characters from all four ASCII classes ≈ 131 bits.
            ("k7#Qv9!mZ2$pL8@wR4^x", A, Strong, false, true),
            // 16 random alphanumerics ≈ 95 bits: medium; fine for a user, not for admin.
            ("h4Tq9ZmW2kPx7RvB", U, Medium, false, true),
            ("h4Tq9ZmW2kPx7RvB", A, Medium, false, false),
            // Long enough but too short for the class.
            ("k7#Qv9!mZ2$pL8", A, Medium, false, false),
        ];
        for (value, class, strength, default, acceptable) in table {
            let a = assess(value, *class);
            assert_eq!(a.strength, *strength, "{value}: {a:?}");
            assert_eq!(a.known_default, *default, "{value}");
            assert_eq!(a.is_acceptable(), *acceptable, "{value}: {a:?}");
            assert_eq!(a.length, value.chars().count());
        }
    }

    #[test]
    fn entropy_matches_the_formula_for_random_values() {
        let a = assess("k7#Qv9!mZ2$pL8@wR4^x", SecretClass::User);
        assert_eq!(a.alphabet_size, 26 + 26 + 10 + 33);
        assert!((a.entropy_bits - 20.0 * 95f64.log2()).abs() < 1e-9);
        let digits = assess("8302749165", SecretClass::User);
        assert_eq!(digits.alphabet_size, 10);
        assert!((digits.entropy_bits - 10.0 * 10f64.log2()).abs() < 1e-9);
        let unicode = assess("ünïcødé", SecretClass::User);
        assert_eq!(unicode.alphabet_size, 26 + 100);
    }

    #[test]
    fn sequences_both_ways_are_discounted() {
        assert_eq!(effective_length(&"abcd".chars().collect::<Vec<_>>()), 1);
        assert_eq!(effective_length(&"9876".chars().collect::<Vec<_>>()), 1);
        assert_eq!(effective_length(&"abc".chars().collect::<Vec<_>>()), 3);
        assert_eq!(effective_length(&"xAZERTYx".chars().collect::<Vec<_>>()), 3);
        assert_eq!(effective_length(&"aaab".chars().collect::<Vec<_>>()), 3);
    }

    #[test]
    fn diagnostic_explains_without_the_value() {
        let value = "cisco";
        let d = assess(value, SecretClass::Administrator)
            .to_diagnostic("devices/core-sw")
            .expect("weak");
        assert_eq!(d.code, "secrets.weak-password");
        assert!(!d.is_error());
        assert!(d.message.contains("devices/core-sw"));
        assert!(d.message.contains("default"));
        assert!(d.message.contains("16"));
        assert!(!d.message.contains(value) || "devices/core-sw".contains(value));
        assert!(
            assess("k7#Qv9!mZ2$pL8@wR4^x", SecretClass::Administrator)
                .to_diagnostic("x")
                .is_none()
        );
        let json = serde_json::to_string(&assess("hunter2", SecretClass::User)).expect("json");
        assert!(!json.contains("hunter2"));
        assert!(json.contains("\"strength\":\"very-weak\""), "{json}");
    }
}
