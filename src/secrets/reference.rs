//! Secret references: what an inventory holds in place of a secret. `env:VAR`, `file:PATH`
//! or `vault:NAME`; anything else (a password typed inline) is refused, without repeating it.

use super::error::SecretError;
use super::store::validate_name;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Where a secret comes from. Inventories hold this, never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SecretRef {
    /// `env:VAR`: the value of an environment variable (CI pipelines, one-off runs).
    Env(String),
    /// `file:PATH`: a file's content minus one trailing newline; relative paths are relative
    /// to the inventory folder. The file must not be accessible by group or others.
    File(PathBuf),
    /// `vault:NAME`: an entry of the inventory's encrypted store (`secrets.age`).
    Vault(String),
}

impl SecretRef {
    /// The prefix naming this kind of reference, without the colon.
    pub fn kind(&self) -> &'static str {
        match self {
            SecretRef::Env(_) => "env",
            SecretRef::File(_) => "file",
            SecretRef::Vault(_) => "vault",
        }
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Env(var) => write!(f, "env:{var}"),
            SecretRef::File(path) => write!(f, "file:{}", path.display()),
            SecretRef::Vault(name) => write!(f, "vault:{name}"),
        }
    }
}

impl FromStr for SecretRef {
    type Err = SecretError;

    /// Parse `env:VAR`, `file:PATH` or `vault:NAME`. The error for anything else never
    /// contains the input, since it is most likely a password typed inline.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let Some((prefix, rest)) = text.split_once(':') else {
            return Err(SecretError::NotAReference);
        };
        let bad = |reason: &str| SecretError::BadReference {
            reference: text.to_string(),
            reason: reason.to_string(),
        };
        match prefix {
            "env" => {
                if rest.is_empty() {
                    return Err(bad("`env:` needs a variable name"));
                }
                if !is_env_name(rest) {
                    return Err(bad(
                        "a variable name has letters, digits and `_`, and does not start with a digit",
                    ));
                }
                Ok(SecretRef::Env(rest.to_string()))
            }
            "file" => {
                if rest.is_empty() {
                    return Err(bad("`file:` needs a path"));
                }
                Ok(SecretRef::File(PathBuf::from(rest)))
            }
            "vault" => match validate_name(rest) {
                Ok(()) => Ok(SecretRef::Vault(rest.to_string())),
                Err(SecretError::InvalidName { reason, .. }) => Err(bad(&reason)),
                Err(other) => Err(other),
            },
            // A reference with the wrong case is still clearly a reference: say so, quoting
            // it (it holds a name, not a value).
            other if ["env", "file", "vault"].contains(&other.to_ascii_lowercase().as_str()) => {
                Err(bad(
                    "the prefix is written in lowercase: `env:`, `file:` or `vault:`",
                ))
            }
            // Anything else may be a password that happens to contain a colon: do not echo.
            _ => Err(SecretError::NotAReference),
        }
    }
}

/// POSIX-portable environment variable names: `[A-Za-z_][A-Za-z0-9_]*`.
fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Serialize for SecretRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SecretRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // `any`, not `string`: a format asked for a string may itself reject a number with a
        // message quoting it (serde_json does); the visitor sees the real type instead.
        deserializer.deserialize_any(RefVisitor)
    }
}

/// Visitor that accepts strings only and, for every other type, fails with the "must be a
/// reference" message rather than serde's default, which would quote the value
/// (``invalid type: integer `123456` ``).
struct RefVisitor;

impl RefVisitor {
    fn refuse<E: de::Error>() -> E {
        E::custom(SecretError::NotAReference)
    }
}

impl<'de> Visitor<'de> for RefVisitor {
    type Value = SecretRef;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a secret reference: `env:VARIABLE`, `file:PATH` or `vault:NAME`")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<SecretRef, E> {
        v.parse().map_err(E::custom)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<SecretRef, E> {
        Err(Self::refuse())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<SecretRef, E> {
        Err(Self::refuse())
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<SecretRef, E> {
        Err(Self::refuse())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<SecretRef, E> {
        Err(Self::refuse())
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> Result<SecretRef, E> {
        Err(Self::refuse())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<SecretRef, E> {
        Err(Self::refuse())
    }
    fn visit_char<E: de::Error>(self, _: char) -> Result<SecretRef, E> {
        Err(Self::refuse())
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<SecretRef, E> {
        Err(Self::refuse())
    }
    fn visit_unit<E: de::Error>(self) -> Result<SecretRef, E> {
        Err(Self::refuse())
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<SecretRef, A::Error> {
        Err(Self::refuse())
    }
    fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<SecretRef, A::Error> {
        Err(Self::refuse())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(
            "env:NETPARC_SW_PASS".parse::<SecretRef>(),
            Ok(SecretRef::Env("NETPARC_SW_PASS".into()))
        );
        assert_eq!(
            "file:keys/wg-hq.key".parse::<SecretRef>(),
            Ok(SecretRef::File("keys/wg-hq.key".into()))
        );
        assert_eq!(
            "file:/etc/netparc/enable".parse::<SecretRef>(),
            Ok(SecretRef::File("/etc/netparc/enable".into()))
        );
        assert_eq!(
            "vault:devices/netadmin".parse::<SecretRef>(),
            Ok(SecretRef::Vault("devices/netadmin".into()))
        );
        for text in ["env:A_1", "file:x", "vault:snmp/v3.auth-key"] {
            assert_eq!(
                text.parse::<SecretRef>().map(|r| r.to_string()),
                Ok(text.into())
            );
        }
    }

    #[test]
    fn inline_values_are_refused_without_echo() {
        for value in [
            "Cisco123!",
            "hunter2",
            "p:ss:w0rd",
            "",
            "https://example.net",
        ] {
            let error = value.parse::<SecretRef>().unwrap_err();
            assert_eq!(error, SecretError::NotAReference);
            let text = error.to_string();
            assert!(text.contains("env:VARIABLE") && text.contains("file:PATH"));
            assert!(text.contains("vault:NAME"));
            if !value.is_empty() {
                assert!(!text.contains(value));
            }
        }
    }

    #[test]
    fn malformed_references_say_why() {
        for (text, reason) in [
            ("env:", "needs a variable name"),
            ("env:1ABC", "variable name"),
            ("env:MY-VAR", "variable name"),
            ("file:", "needs a path"),
            ("vault:", "empty"),
            ("vault:devices//x", "empty part"),
            ("vault:dev ices", "character"),
            ("ENV:X", "lowercase"),
        ] {
            match text.parse::<SecretRef>() {
                Err(SecretError::BadReference {
                    reference,
                    reason: r,
                }) => {
                    assert_eq!(reference, text);
                    assert!(r.contains(reason), "{text}: {r}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn serde_uses_the_string_form_and_never_echoes_values() {
        #[derive(Deserialize, Serialize, Debug)]
        struct Device {
            password: SecretRef,
        }
        let device: Device =
            serde_saphyr::from_str("password: vault:devices/netadmin\n").expect("valid reference");
        assert_eq!(device.password, SecretRef::Vault("devices/netadmin".into()));
        let yaml = serde_saphyr::to_string(&device).expect("serialisable");
        assert!(yaml.contains("vault:devices/netadmin"), "{yaml}");
        let json = serde_json::to_string(&device).expect("serialisable");
        assert_eq!(json, r#"{"password":"vault:devices/netadmin"}"#);

        for inline in [
            "password: Sup3rS3cret\n",
            "password: 918273645\n",
            "password: 3.1415926\n",
            "password: true\n",
            "password: [hunter2]\n",
        ] {
            let error = serde_saphyr::from_str::<Device>(inline).unwrap_err();
            let text = error.to_string();
            assert!(text.contains("must be references"), "{text}");
            let without = error.without_snippet().to_string();
            for secret in ["Sup3rS3cret", "918273645", "3.1415926", "hunter2"] {
                assert!(!without.contains(secret), "{without}");
            }
            let json = serde_json::from_str::<Device>(r#"{"password": 918273645}"#)
                .unwrap_err()
                .to_string();
            assert!(!json.contains("918273645"), "{json}");
        }
    }
}
