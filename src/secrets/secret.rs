//! The cleartext of a secret, held so that it cannot leak by accident: zeroed when dropped,
//! printed as `[redacted]`, not serialisable, reachable only through [`Secret::expose`].

use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// A resolved secret value (a password, a pre-shared key, an SNMPv3 passphrase).
///
/// `Debug` and `Display` print `[redacted]`; there is deliberately no `Serialize` (so a
/// secret cannot end up in a JSON report) and no `Deserialize` (so an inventory cannot hold
/// one inline: it holds a [`SecretRef`](super::SecretRef)). The memory is zeroed on drop.
///
/// ```compile_fail
/// fn needs_serialize<T: serde::Serialize>() {}
/// needs_serialize::<netparc::secrets::Secret>();
/// ```
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Wrap a cleartext value. The copy made here is exactly sized, so no unzeroed
    /// reallocation is left behind; the caller remains responsible for its own buffer.
    pub fn new(value: &str) -> Self {
        // `to_owned` allocates exactly `len` bytes, so `into_boxed_str` inside secrecy does
        // not reallocate (a shrinking reallocation would leave an unzeroed copy).
        Secret(SecretString::from(value.to_owned()))
    }

    /// The cleartext. The only way to it: grep for `expose(` to audit every use.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Length in characters (not bytes), e.g. for strength checks and "empty" errors.
    pub fn char_count(&self) -> usize {
        self.expose().chars().count()
    }

    /// True when the value is the empty string.
    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }
}

impl From<String> for Secret {
    /// Takes ownership of `value` and zeroes it after copying it into the secret.
    fn from(value: String) -> Self {
        let value = Zeroizing::new(value);
        Secret::new(&value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let secret = Secret::new("hunter2-Sup3r");
        for text in [
            format!("{secret:?}"),
            format!("{secret:#?}"),
            format!("{secret}"),
            format!("{:?}", Some(&secret)),
            format!("{:?}", vec![secret.clone()]),
        ] {
            assert!(!text.contains("hunter2"), "leaked in {text}");
            assert!(text.contains("[redacted]"));
        }
        assert_eq!(secret.expose(), "hunter2-Sup3r");
        assert_eq!(Secret::from(String::from("abc")).expose(), "abc");
        assert_eq!(Secret::new("é!").char_count(), 2);
    }

    #[test]
    fn secret_is_not_serialize() {
        // Method resolution prefers the inherent method, whose bound needs `Serialize`; when
        // the bound does not hold, the trait's fallback answers.
        struct Probe<T>(std::marker::PhantomData<T>);
        trait Fallback {
            fn is_serialize(&self) -> bool {
                false
            }
        }
        impl<T> Fallback for Probe<T> {}
        impl<T: serde::Serialize> Probe<T> {
            fn is_serialize(&self) -> bool {
                true
            }
        }
        assert!(Probe::<String>(std::marker::PhantomData).is_serialize());
        assert!(!Probe::<Secret>(std::marker::PhantomData).is_serialize());
    }
}
