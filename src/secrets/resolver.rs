//! Turning references into values: the one place that reads environment variables, secret
//! files and (through [`SecretStore`]) the encrypted store on behalf of a run. The store is
//! decrypted at most once per resolver, and only when a `vault:` reference is resolved, so a
//! run that uses `env:` only never needs an identity.

use super::error::SecretError;
use super::reference::SecretRef;
use super::secret::Secret;
use super::store::{self, RECIPIENTS_FILE, STORE_FILE, SecretStore};
use crate::fsutil::{self, PrivateReadError};
use secrecy::zeroize::Zeroizing;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

/// How the resolver reads the environment. A function rather than `std::env` directly so
/// tests (and embedders) can give their own without mutating the process environment.
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<OsString> + Send + Sync>;

/// Where an inventory's encrypted store is, and which identity opens it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorePaths {
    /// The `secrets.age` file.
    pub store: PathBuf,
    /// The `secrets.recipients` file.
    pub recipients: PathBuf,
    /// The identity file named by the inventory settings, if any; `NETPARC_IDENTITY` wins
    /// over it, the default location is used without either.
    pub identity: Option<PathBuf>,
}

impl StorePaths {
    /// The usual layout: `secrets.age` and `secrets.recipients` in the inventory folder.
    pub fn in_inventory(root: impl AsRef<Path>, identity: Option<PathBuf>) -> StorePaths {
        let root = root.as_ref();
        StorePaths {
            store: root.join(STORE_FILE),
            recipients: root.join(RECIPIENTS_FILE),
            identity,
        }
    }
}

/// Resolves [`SecretRef`]s for one inventory. `Sync`: one resolver serves every task of a
/// run.
pub struct SecretResolver {
    /// The inventory folder; `file:` paths are relative to it.
    root: PathBuf,
    /// The encrypted store, if the inventory has one.
    store: Option<StorePaths>,
    /// The environment, for `env:` and `NETPARC_IDENTITY`.
    env: EnvLookup,
    /// The store, decrypted on first use. A failure is kept too: every `vault:` reference
    /// then reports it without decrypting again.
    vault: OnceLock<Result<SecretStore, SecretError>>,
}

impl fmt::Debug for SecretResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretResolver")
            .field("root", &self.root)
            .field("store", &self.store)
            .field("vault_opened", &self.vault.get().is_some())
            .finish_non_exhaustive()
    }
}

impl SecretResolver {
    /// A resolver for the inventory at `root`, with its store if it has one.
    pub fn new(root: impl Into<PathBuf>, store: Option<StorePaths>) -> SecretResolver {
        SecretResolver {
            root: root.into(),
            store,
            env: Arc::new(|name| std::env::var_os(name)),
            vault: OnceLock::new(),
        }
    }

    /// A resolver whose `vault:` references use a store already opened (e.g. by a command
    /// that just changed it).
    pub fn with_open_store(root: impl Into<PathBuf>, store: SecretStore) -> SecretResolver {
        let paths = StorePaths {
            store: store.path().to_path_buf(),
            recipients: store.recipients_path().to_path_buf(),
            identity: None,
        };
        let resolver = SecretResolver::new(root, Some(paths));
        // A fresh OnceLock: setting cannot fail.
        let _ = resolver.vault.set(Ok(store));
        resolver
    }

    /// Read the environment through `lookup` instead of the process environment.
    pub fn with_env(mut self, lookup: EnvLookup) -> SecretResolver {
        self.env = lookup;
        self
    }

    /// The value a reference points to. Errors name the reference, never a value.
    pub fn resolve(&self, reference: &SecretRef) -> Result<Secret, SecretError> {
        let secret = match reference {
            SecretRef::Env(var) => self.resolve_env(var)?,
            SecretRef::File(path) => self.resolve_file(reference, path)?,
            SecretRef::Vault(name) => self.resolve_vault(reference, name)?,
        };
        if secret.is_empty() {
            return Err(SecretError::Empty {
                reference: reference.to_string(),
            });
        }
        Ok(secret)
    }

    /// Parse then resolve, for callers holding the reference as text.
    pub fn resolve_str(&self, reference: &str) -> Result<Secret, SecretError> {
        self.resolve(&SecretRef::from_str(reference)?)
    }

    fn resolve_env(&self, var: &str) -> Result<Secret, SecretError> {
        let value = (self.env)(var).ok_or_else(|| SecretError::EnvMissing {
            var: var.to_string(),
        })?;
        let value =
            Zeroizing::new(
                value
                    .into_string()
                    .map_err(|_| SecretError::EnvNotUnicode {
                        var: var.to_string(),
                    })?,
            );
        Ok(Secret::new(&value))
    }

    fn resolve_file(&self, reference: &SecretRef, path: &Path) -> Result<Secret, SecretError> {
        // `join` keeps an absolute path as it is.
        let path = self.root.join(path);
        let content = fsutil::read_private(&path).map_err(|e| match e {
            PrivateReadError::Missing => SecretError::FileMissing {
                reference: reference.to_string(),
                path: path.clone(),
            },
            PrivateReadError::Loose(mode) => SecretError::LoosePermissions {
                path: path.clone(),
                mode,
            },
            PrivateReadError::Other(reason) => SecretError::FileUnreadable {
                reference: reference.to_string(),
                path: path.clone(),
                reason,
            },
        })?;
        let text = std::str::from_utf8(&content).map_err(|_| SecretError::FileUnreadable {
            reference: reference.to_string(),
            path: path.clone(),
            reason: String::from("it is not UTF-8 text"),
        })?;
        // Editors end files with a newline; it is never part of the secret. One only: a
        // value may legitimately end with whitespace.
        let text = text
            .strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t))
            .unwrap_or(text);
        Ok(Secret::new(text))
    }

    fn resolve_vault(&self, reference: &SecretRef, name: &str) -> Result<Secret, SecretError> {
        let Some(paths) = &self.store else {
            return Err(SecretError::NoStore {
                reference: reference.to_string(),
            });
        };
        let opened = self.vault.get_or_init(|| {
            let location = store::locate_identity_for_inventory(
                &self.root,
                paths.identity.as_deref(),
                &*self.env,
            )?;
            SecretStore::open_with_identity(&paths.store, &paths.recipients, &location)
        });
        match opened {
            Ok(store) => store.get(name).cloned(),
            Err(error) => Err(error.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::store::tests::Fixture;
    use std::collections::HashMap;
    use std::fs;

    fn env(pairs: &[(&str, &str)]) -> EnvLookup {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        Arc::new(move |name| map.get(name).cloned())
    }

    #[cfg(unix)]
    fn write_mode(path: &Path, content: &str, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        fs::write(path, content).expect("write");
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
    }

    #[test]
    fn env_references() {
        let resolver = SecretResolver::new("/nowhere", None)
            .with_env(env(&[("SW_PASS", "Xk9#mPq2$vLw8!Rt"), ("EMPTY", "")]));
        assert_eq!(
            resolver.resolve_str("env:SW_PASS").expect("set").expose(),
            "Xk9#mPq2$vLw8!Rt"
        );
        let missing = resolver.resolve_str("env:NOT_SET_HERE").unwrap_err();
        assert_eq!(
            missing.to_string(),
            "environment variable `NOT_SET_HERE` is not set (secret `env:NOT_SET_HERE`)"
        );
        assert_eq!(missing.code(), "secrets.env-missing");
        assert!(matches!(
            resolver.resolve_str("env:EMPTY"),
            Err(SecretError::Empty { .. })
        ));
        // The process environment by default.
        let real = SecretResolver::new("/nowhere", None);
        assert!(matches!(
            real.resolve_str("env:NETPARC_TEST_SURELY_NOT_SET_4242"),
            Err(SecretError::EnvMissing { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn file_references() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::create_dir(dir.path().join("keys")).expect("mkdir");
        write_mode(&dir.path().join("keys/wg.key"), "c2VjcmV0a2V5\n", 0o600);
        write_mode(&dir.path().join("keys/crlf"), "value\r\n", 0o400);
        write_mode(&dir.path().join("keys/two"), "value\n\n", 0o600);
        let resolver = SecretResolver::new(dir.path(), None);
        assert_eq!(
            resolver
                .resolve_str("file:keys/wg.key")
                .expect("read")
                .expose(),
            "c2VjcmV0a2V5"
        );
        assert_eq!(
            resolver
                .resolve_str("file:keys/crlf")
                .expect("read")
                .expose(),
            "value"
        );
        assert_eq!(
            resolver
                .resolve_str("file:keys/two")
                .expect("read")
                .expose(),
            "value\n"
        );
        let absolute = format!("file:{}", dir.path().join("keys/wg.key").display());
        assert!(resolver.resolve_str(&absolute).is_ok());

        let missing = resolver.resolve_str("file:keys/none").unwrap_err();
        assert!(matches!(missing, SecretError::FileMissing { .. }));
        assert!(missing.to_string().contains("keys/none"));
        assert!(missing.to_string().contains("file:keys/none"));

        assert!(matches!(
            resolver.resolve_str("file:keys"),
            Err(SecretError::FileUnreadable { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn file_readable_by_others_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("enable.txt");
        write_mode(&path, "Xk9#mPq2$vLw8!Rt\n", 0o644);
        let resolver = SecretResolver::new(dir.path(), None);
        let error = resolver.resolve_str("file:enable.txt").unwrap_err();
        let text = error.to_string();
        assert!(text.contains("0644"), "{text}");
        assert!(
            text.contains(&format!("chmod 600 {}", path.display())),
            "{text}"
        );
        assert!(!text.contains("Xk9#"), "{text}");
        assert_eq!(error.code(), "secrets.loose-permissions");
        let diagnostic = error.to_diagnostic().to_string();
        assert!(
            diagnostic.starts_with("error[secrets.loose-permissions]"),
            "{diagnostic}"
        );
        for mode in [0o640, 0o604, 0o620, 0o660] {
            write_mode(&path, "x", mode);
            assert!(matches!(
                resolver.resolve_str("file:enable.txt"),
                Err(SecretError::LoosePermissions { mode: m, .. }) if m == mode
            ));
        }
    }

    #[test]
    fn vault_references_decrypt_once_and_lazily() {
        let fixture = Fixture::new();
        let mut store = fixture.open().expect("open");
        store
            .set("devices/netadmin", Secret::new("Xk9#mPq2$vLw8!Rt"))
            .expect("set");
        store.save().expect("save");

        let identity = fixture.identity.path.to_string_lossy().into_owned();
        let resolver = SecretResolver::new(
            fixture.dir.path(),
            Some(StorePaths::in_inventory(fixture.dir.path(), None)),
        )
        .with_env(env(&[("NETPARC_IDENTITY", &identity), ("SW", "from-env")]));
        // env: alone never touches the store.
        resolver.resolve_str("env:SW").expect("env");
        assert!(resolver.vault.get().is_none());

        assert_eq!(
            resolver
                .resolve_str("vault:devices/netadmin")
                .expect("vault")
                .expose(),
            "Xk9#mPq2$vLw8!Rt"
        );
        // Decrypted once: removing the store now changes nothing for this resolver.
        fs::remove_file(fixture.store_path()).expect("rm");
        assert!(resolver.resolve_str("vault:devices/netadmin").is_ok());
        let typo = resolver.resolve_str("vault:devices/netadmn").unwrap_err();
        assert!(
            typo.to_string()
                .contains("did you mean `devices/netadmin`?"),
            "{typo}"
        );
    }

    #[test]
    fn vault_errors() {
        let resolver = SecretResolver::new("/nowhere", None);
        assert!(matches!(
            resolver.resolve_str("vault:x"),
            Err(SecretError::NoStore { .. })
        ));

        let fixture = Fixture::new();
        let resolver = SecretResolver::new(
            fixture.dir.path(),
            Some(StorePaths::in_inventory(fixture.dir.path(), None)),
        )
        .with_env(env(&[("NETPARC_IDENTITY", "/nonexistent/identity.txt")]));
        let error = resolver.resolve_str("vault:x").unwrap_err();
        assert!(matches!(error, SecretError::NoIdentity { .. }), "{error:?}");
        // The failure is cached and reported again, identically.
        assert_eq!(resolver.resolve_str("vault:y").unwrap_err(), error);

        let resolver = SecretResolver::new(
            fixture.dir.path(),
            Some(StorePaths::in_inventory(
                fixture.dir.path().join("sub"),
                None,
            )),
        )
        .with_env(env(&[(
            "NETPARC_IDENTITY",
            &fixture.identity.path.to_string_lossy(),
        )]));
        assert!(matches!(
            resolver.resolve_str("vault:x"),
            Err(SecretError::StoreMissing { .. })
        ));
    }

    #[test]
    fn with_open_store_uses_it() {
        let fixture = Fixture::new();
        let mut store = fixture.open().expect("open");
        store.set("a", Secret::new("in-memory")).expect("set");
        let resolver = SecretResolver::with_open_store(fixture.dir.path(), store);
        assert_eq!(
            resolver.resolve_str("vault:a").expect("a").expose(),
            "in-memory"
        );
        let debug = format!("{resolver:?}");
        assert!(!debug.contains("in-memory"), "{debug}");
    }

    #[test]
    fn resolver_is_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<SecretResolver>();
        assert_send_sync::<Secret>();
    }
}
