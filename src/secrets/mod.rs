//! TEMPORARY stand-in until the secrets branch lands (replaced on merge).
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::str::FromStr;

/// A reference to a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// `env:VAR`
    Env(String),
    /// `file:PATH`
    File(PathBuf),
    /// `vault:NAME`
    Vault(String),
}
impl FromStr for SecretRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(v) = s.strip_prefix("env:") {
            Ok(SecretRef::Env(v.into()))
        } else if let Some(v) = s.strip_prefix("file:") {
            Ok(SecretRef::File(v.into()))
        } else if let Some(v) = s.strip_prefix("vault:") {
            Ok(SecretRef::Vault(v.into()))
        } else {
            Err("secrets must be references".into())
        }
    }
}
impl<'de> Deserialize<'de> for SecretRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}
impl Serialize for SecretRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            SecretRef::Env(v) => s.collect_str(&format!("env:{v}")),
            SecretRef::File(v) => s.collect_str(&format!("file:{}", v.display())),
            SecretRef::Vault(v) => s.collect_str(&format!("vault:{v}")),
        }
    }
}
