//! The encrypted store of an inventory, like Ansible Vault but with age: `secrets.age`
//! (ASCII-armored age) holds a YAML mapping `name: value`, encrypted to the X25519 public keys
//! listed in `secrets.recipients` beside it. It owns finding and reading identities, reading
//! recipients, decrypting, the entry names' rules, and saving atomically.
//!
//! Architecture invariant: cleartext values live only in [`Secret`]s and in zeroized
//! buffers; they are never part of an error, and never written anywhere but into the age
//! encryptor (and, for `secrets edit`, a private tempfile).

use super::error::SecretError;
use super::secret::Secret;
use crate::diag::did_you_mean;
use crate::fsutil::{self, PrivateReadError};
use age::armor::{ArmoredReader, ArmoredWriter, Format};
use age::x25519;
use secrecy::ExposeSecret;
use secrecy::zeroize::Zeroizing;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// File name of the encrypted store in an inventory folder.
pub const STORE_FILE: &str = "secrets.age";
/// File name of the recipients list beside the store.
pub const RECIPIENTS_FILE: &str = "secrets.recipients";
/// Environment variable naming the identity file; wins over every other choice, so a CI job
/// or a technician can point at their key without touching the inventory.
pub const IDENTITY_ENV: &str = "NETPARC_IDENTITY";
/// Default identity file, relative to the home folder.
pub const DEFAULT_IDENTITY: &str = ".config/netparc/identity.txt";
/// Longest entry name accepted; names are paths like `devices/netadmin`, not prose.
const MAX_NAME_LEN: usize = 128;

/// Why an identity file was looked for where it was; shown in "no identity" errors so the
/// technician knows which knob to turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityOrigin {
    /// From the `NETPARC_IDENTITY` environment variable.
    Env,
    /// Given by the caller (e.g. named in the inventory settings).
    Explicit,
    /// `~/.config/netparc/identity.txt`.
    Default,
    /// Named by the inventory settings and kept inside the inventory folder: a demo or lab
    /// arrangement, shared with whoever has the inventory (the audit reports it). Its file
    /// mode is not checked, since a checkout cannot keep it private anyway.
    Inventory,
}

impl fmt::Display for IdentityOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdentityOrigin::Env => "from NETPARC_IDENTITY",
            IdentityOrigin::Explicit => "the identity path given for this inventory",
            IdentityOrigin::Default => "the default location; NETPARC_IDENTITY is not set",
            IdentityOrigin::Inventory => "the demo identity kept inside the inventory",
        })
    }
}

/// Where the identity file is, and why there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityLocation {
    /// The identity file.
    pub path: PathBuf,
    /// Which rule chose it.
    pub origin: IdentityOrigin,
}

/// Choose the identity file: `NETPARC_IDENTITY`, else `explicit`, else
/// `~/.config/netparc/identity.txt`. Reads the process environment.
pub fn locate_identity(explicit: Option<&Path>) -> Result<IdentityLocation, SecretError> {
    locate_identity_with(explicit, &|name| std::env::var_os(name))
}

/// [`locate_identity`] for an inventory at `root`: an explicit identity inside the inventory
/// folder is marked [`IdentityOrigin::Inventory`].
pub fn locate_identity_for_inventory(
    root: &Path,
    explicit: Option<&Path>,
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<IdentityLocation, SecretError> {
    let mut location = locate_identity_with(explicit, env)?;
    if location.origin == IdentityOrigin::Explicit && inside(root, &location.path) {
        location.origin = IdentityOrigin::Inventory;
    }
    Ok(location)
}

/// True when `path` lies inside the folder `root` (both made absolute and normalised).
fn inside(root: &Path, path: &Path) -> bool {
    match (root.canonicalize(), path.canonicalize()) {
        (Ok(root), Ok(path)) => path.starts_with(root),
        _ => false,
    }
}

/// [`locate_identity`] with the environment given as a lookup function (tests, and the
/// resolver, which carries its own lookup).
pub(crate) fn locate_identity_with(
    explicit: Option<&Path>,
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<IdentityLocation, SecretError> {
    if let Some(path) = env(IDENTITY_ENV).filter(|v| !v.is_empty()) {
        return Ok(IdentityLocation {
            path: PathBuf::from(path),
            origin: IdentityOrigin::Env,
        });
    }
    if let Some(path) = explicit {
        return Ok(IdentityLocation {
            path: path.to_path_buf(),
            origin: IdentityOrigin::Explicit,
        });
    }
    match env("HOME").filter(|v| !v.is_empty()) {
        Some(home) => Ok(IdentityLocation {
            path: PathBuf::from(home).join(DEFAULT_IDENTITY),
            origin: IdentityOrigin::Default,
        }),
        None => Err(SecretError::NoIdentity {
            path: PathBuf::from("~").join(DEFAULT_IDENTITY),
            origin: String::from("HOME is not set and NETPARC_IDENTITY is not set"),
        }),
    }
}

/// Check an entry name: parts of letters, digits, `_`, `-`, `.` separated by `/`
/// (`devices/netadmin`, `snmp/v3.auth`). Names appear in references, YAML keys and command
/// lines, so they stay plain.
pub fn validate_name(name: &str) -> Result<(), SecretError> {
    let invalid = |reason: String| SecretError::InvalidName {
        name: name.to_string(),
        reason,
    };
    if name.is_empty() {
        return Err(invalid(String::from("the name is empty")));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(invalid(format!("longer than {MAX_NAME_LEN} characters")));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')))
    {
        return Err(invalid(format!("character {c:?} is not allowed")));
    }
    for part in name.split('/') {
        if part.is_empty() {
            return Err(invalid(String::from(
                "the name has an empty part (a leading, trailing or doubled `/`)",
            )));
        }
        if part == "." || part == ".." {
            return Err(invalid(String::from("`.` and `..` are not names")));
        }
    }
    Ok(())
}

/// Read the X25519 identities of an identity file (age's format: `AGE-SECRET-KEY-1…` lines,
/// `#` comments, blank lines). Refuses a file accessible by group or others.
pub fn load_identities(location: &IdentityLocation) -> Result<Vec<x25519::Identity>, SecretError> {
    let path = &location.path;
    let require_private = location.origin != IdentityOrigin::Inventory;
    let content = match fsutil::read_secret_file(path, require_private) {
        Ok(content) => content,
        Err(PrivateReadError::Missing) => {
            return Err(SecretError::NoIdentity {
                path: path.clone(),
                origin: location.origin.to_string(),
            });
        }
        Err(PrivateReadError::Loose(mode)) => {
            return Err(SecretError::LoosePermissions {
                path: path.clone(),
                mode,
            });
        }
        Err(PrivateReadError::Other(reason)) => {
            return Err(SecretError::IdentityInvalid {
                path: path.clone(),
                reason,
            });
        }
    };
    let invalid = |reason: String| SecretError::IdentityInvalid {
        path: path.clone(),
        reason,
    };
    let text =
        std::str::from_utf8(&content).map_err(|_| invalid(String::from("it is not UTF-8 text")))?;
    let mut identities = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // Only the line number is reported: the line may be a (mistyped) key.
        let identity = line.parse::<x25519::Identity>().map_err(|_| {
            invalid(format!(
                "line {} is not an age X25519 secret key (`AGE-SECRET-KEY-1…`)",
                index + 1
            ))
        })?;
        identities.push(identity);
    }
    if identities.is_empty() {
        return Err(invalid(String::from("it holds no key")));
    }
    Ok(identities)
}

/// Read a recipients file: one `age1…` public key per line; `#` starts a comment (whole line
/// or after the key); blank lines are ignored.
pub fn read_recipients(path: &Path) -> Result<Vec<x25519::Recipient>, SecretError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(SecretError::RecipientsMissing {
                path: path.to_path_buf(),
            });
        }
        Err(e) => return Err(SecretError::io("read", path, &e)),
    };
    let mut recipients = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let key = line.split('#').next().unwrap_or_default().trim();
        if key.is_empty() {
            continue;
        }
        let recipient =
            key.parse::<x25519::Recipient>()
                .map_err(|_| SecretError::RecipientInvalid {
                    path: path.to_path_buf(),
                    line: index + 1,
                })?;
        recipients.push(recipient);
    }
    if recipients.is_empty() {
        return Err(SecretError::NoRecipients {
            path: path.to_path_buf(),
        });
    }
    Ok(recipients)
}

/// What [`SecretStore::init`] did, for the command to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitReport {
    /// The identity file used.
    pub identity: PathBuf,
    /// True when the identity was created now (the technician must back it up).
    pub identity_created: bool,
    /// The identity's public key, as listed in the recipients file.
    pub public_key: String,
    /// The recipients file.
    pub recipients: PathBuf,
    /// True when the public key was added to the recipients file (created or appended).
    pub recipient_added: bool,
    /// The new, empty store.
    pub store: PathBuf,
}

/// An opened (decrypted) store: entry names and their values, and where to save them.
pub struct SecretStore {
    /// The `secrets.age` file.
    path: PathBuf,
    /// The recipients file read at each save, so a key added there takes effect on the next
    /// save.
    recipients_path: PathBuf,
    /// Entries by name; sorted so the decrypted text and `list` are stable.
    entries: BTreeMap<String, Secret>,
    /// Public keys of the identity that opened the store, to refuse a save that would lock
    /// its user out.
    public_keys: Vec<String>,
    /// The ciphertext as last read or written; a save first checks the file still holds it,
    /// so two technicians editing at once do not silently lose a change. None for a store
    /// that does not exist yet.
    on_disk: Option<Vec<u8>>,
}

/// Paths and entry names only: values are redacted anyway, and the ciphertext is noise.
impl fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretStore")
            .field("path", &self.path)
            .field("recipients_path", &self.recipients_path)
            .field("names", &self.names())
            .finish_non_exhaustive()
    }
}

impl SecretStore {
    /// Open and decrypt the store at `store_path`. The identity file is chosen by
    /// [`locate_identity`]: `NETPARC_IDENTITY`, else `identity`, else the default location.
    pub fn open(
        store_path: impl AsRef<Path>,
        recipients_path: impl AsRef<Path>,
        identity: Option<&Path>,
    ) -> Result<SecretStore, SecretError> {
        let location = locate_identity(identity)?;
        SecretStore::open_with_identity(store_path, recipients_path, &location)
    }

    /// Open and decrypt the store with the identity file at `location`, exactly.
    pub fn open_with_identity(
        store_path: impl AsRef<Path>,
        recipients_path: impl AsRef<Path>,
        location: &IdentityLocation,
    ) -> Result<SecretStore, SecretError> {
        let path = store_path.as_ref().to_path_buf();
        let ciphertext = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(SecretError::StoreMissing { path });
            }
            Err(e) => return Err(SecretError::io("read", &path, &e)),
        };
        let identities = load_identities(location)?;
        let public_keys: Vec<String> = identities
            .iter()
            .map(|i| i.to_public().to_string())
            .collect();
        let plaintext = decrypt(&ciphertext, &identities).map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => SecretError::Undecryptable {
                store: path.clone(),
                identity: location.path.clone(),
                public_key: public_keys.join(", "),
            },
            other => SecretError::Corrupt {
                path: path.clone(),
                reason: other.to_string(),
            },
        })?;
        let text = std::str::from_utf8(&plaintext).map_err(|_| SecretError::Corrupt {
            path: path.clone(),
            reason: String::from("the decrypted content is not UTF-8 text"),
        })?;
        let entries = parse_entries(text, &path)?;
        Ok(SecretStore {
            path,
            recipients_path: recipients_path.as_ref().to_path_buf(),
            entries,
            public_keys,
            on_disk: Some(ciphertext),
        })
    }

    /// Create a store in the inventory folder `dir`: the identity at the chosen location (see
    /// [`locate_identity`]) if there is none yet (mode 0600, folder 0700), the recipients file
    /// (or add the identity's key to an existing one), and an empty `secrets.age`. Never
    /// overwrites an existing store or identity.
    pub fn init(
        dir: &Path,
        identity: Option<&Path>,
    ) -> Result<(SecretStore, InitReport), SecretError> {
        let location = locate_identity(identity)?;
        SecretStore::init_with_identity(dir, &location)
    }

    /// [`SecretStore::init`] with the identity location already chosen.
    pub fn init_with_identity(
        dir: &Path,
        location: &IdentityLocation,
    ) -> Result<(SecretStore, InitReport), SecretError> {
        if !dir.is_dir() {
            return Err(SecretError::Io {
                action: "use inventory folder",
                path: dir.to_path_buf(),
                reason: String::from("not a folder"),
            });
        }
        let store_path = dir.join(STORE_FILE);
        let recipients_path = dir.join(RECIPIENTS_FILE);
        if store_path.exists() {
            return Err(SecretError::StoreExists { path: store_path });
        }

        let (public_keys, identity_created) = if location.path.exists() {
            let identities = load_identities(location)?;
            let keys = identities
                .iter()
                .map(|i| i.to_public().to_string())
                .collect::<Vec<_>>();
            (keys, false)
        } else {
            (vec![create_identity(&location.path)?], true)
        };
        // `load_identities` guarantees at least one key.
        let public_key = public_keys.first().cloned().unwrap_or_default();

        let recipient_added = ensure_recipient(&recipients_path, &public_keys, &public_key)?;

        let mut store = SecretStore {
            path: store_path.clone(),
            recipients_path: recipients_path.clone(),
            entries: BTreeMap::new(),
            public_keys,
            on_disk: None,
        };
        store.save()?;
        let report = InitReport {
            identity: location.path.clone(),
            identity_created,
            public_key,
            recipients: recipients_path,
            recipient_added,
            store: store_path,
        };
        Ok((store, report))
    }

    /// The `secrets.age` file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The recipients file.
    pub fn recipients_path(&self) -> &Path {
        &self.recipients_path
    }

    /// The value of entry `name`; a missing entry's error suggests the closest name.
    pub fn get(&self, name: &str) -> Result<&Secret, SecretError> {
        self.entries.get(name).ok_or_else(|| self.missing(name))
    }

    /// True when entry `name` exists.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// Add or replace entry `name` (in memory; call [`SecretStore::save`]). Returns true when
    /// an entry was replaced.
    pub fn set(&mut self, name: &str, value: Secret) -> Result<bool, SecretError> {
        validate_name(name)?;
        if value.is_empty() {
            return Err(SecretError::InvalidValue {
                name: name.to_string(),
                reason: String::from("the value is empty"),
            });
        }
        Ok(self.entries.insert(name.to_string(), value).is_some())
    }

    /// Remove entry `name` (in memory; call [`SecretStore::save`]).
    pub fn remove(&mut self, name: &str) -> Result<(), SecretError> {
        match self.entries.remove(name) {
            Some(_) => Ok(()),
            None => Err(self.missing(name)),
        }
    }

    /// Entry names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.entries.keys().map(String::as_str).collect()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the store has no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Encrypt the entries to the recipients listed now in the recipients file and replace
    /// `secrets.age` atomically (mode 0600). Refuses when the file changed since it was read
    /// (someone else saved) and when the recipients no longer include the opener.
    pub fn save(&mut self) -> Result<(), SecretError> {
        let recipients = read_recipients(&self.recipients_path)?;
        let listed: Vec<String> = recipients.iter().map(ToString::to_string).collect();
        if !self.public_keys.iter().any(|key| listed.contains(key)) {
            return Err(SecretError::SelfLockout {
                path: self.recipients_path.clone(),
                public_key: self.public_keys.first().cloned().unwrap_or_default(),
            });
        }
        let plaintext = render_entries(&self.entries, &self.path)?;
        let ciphertext =
            encrypt(plaintext.as_bytes(), &recipients).map_err(|reason| SecretError::Encrypt {
                path: self.path.clone(),
                reason,
            })?;

        let current = match fs::read(&self.path) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(SecretError::io("read", &self.path, &e)),
        };
        if current != self.on_disk {
            return Err(SecretError::ConcurrentChange {
                path: self.path.clone(),
            });
        }
        let replace = self.on_disk.is_some();
        fsutil::write_atomic(&self.path, 0o600, replace, |file| {
            file.write_all(&ciphertext)
        })
        .map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists if !replace => SecretError::ConcurrentChange {
                path: self.path.clone(),
            },
            _ => SecretError::io("write", &self.path, &e),
        })?;
        self.on_disk = Some(ciphertext);
        Ok(())
    }

    /// The decrypted text as `secrets edit` shows it (YAML, sorted by name).
    pub(crate) fn to_yaml(&self) -> Result<Zeroizing<String>, SecretError> {
        render_entries(&self.entries, &self.path)
    }

    /// The entries, for comparison after an edit.
    pub(crate) fn entries(&self) -> &BTreeMap<String, Secret> {
        &self.entries
    }

    /// Replace every entry at once (after an edit that parsed).
    pub(crate) fn replace_entries(&mut self, entries: BTreeMap<String, Secret>) {
        self.entries = entries;
    }

    fn missing(&self, name: &str) -> SecretError {
        SecretError::EntryMissing {
            name: name.to_string(),
            store: self.path.clone(),
            suggestion: did_you_mean(name, self.entries.keys().map(String::as_str))
                .map(str::to_string),
        }
    }
}

/// Generate an identity and write it at `path` (no clobber, mode 0600, missing folders
/// 0700). Returns its public key.
fn create_identity(path: &Path) -> Result<String, SecretError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fsutil::create_private_dir(parent)
            .map_err(|e| SecretError::io("create folder", parent, &e))?;
    }
    let identity = x25519::Identity::generate();
    let public_key = identity.to_public().to_string();
    let secret_key = identity.to_string();
    let content = Zeroizing::new(format!(
        "# netparc age identity: your private key. Keep it private (mode 0600) and backed up;\n\
         # without it the stores encrypted to you cannot be opened.\n\
         # public key: {public_key}\n{}\n",
        secret_key.expose_secret()
    ));
    fsutil::write_atomic(path, 0o600, false, |file| {
        file.write_all(content.as_bytes())
    })
    .map_err(|e| SecretError::io("write", path, &e))?;
    Ok(public_key)
}

/// Make sure the recipients file lists one of `public_keys`, creating it or appending
/// `public_key`. Returns true when the file was written.
fn ensure_recipient(
    path: &Path,
    public_keys: &[String],
    public_key: &str,
) -> Result<bool, SecretError> {
    let existing = match fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(SecretError::io("read", path, &e)),
    };
    let content = match existing {
        Some(text) => {
            // Validate what is there before adding to it.
            let listed: Vec<String> = match read_recipients(path) {
                Ok(recipients) => recipients.iter().map(ToString::to_string).collect(),
                Err(SecretError::NoRecipients { .. }) => Vec::new(),
                Err(other) => return Err(other),
            };
            if public_keys.iter().any(|key| listed.contains(key)) {
                return Ok(false);
            }
            let mut text = text;
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(public_key);
            text.push('\n');
            text
        }
        None => format!(
            "# age public keys of the people who can open secrets.age, one per line.\n\
             # To give a colleague access: add their key here, then save the store again\n\
             # (any `netparc secrets set` or `rm`) so it is re-encrypted to everyone listed.\n\
             {public_key}\n"
        ),
    };
    // Public keys only: readable by all, like any inventory file.
    fsutil::write_atomic(path, 0o644, true, |file| file.write_all(content.as_bytes()))
        .map_err(|e| SecretError::io("write", path, &e))?;
    Ok(true)
}

/// Encrypt to the recipients, ASCII-armored (diffs and mail survive it). Returns age's
/// message on failure.
fn encrypt(plaintext: &[u8], recipients: &[x25519::Recipient]) -> Result<Vec<u8>, String> {
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
            .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let write = |out: &mut Vec<u8>| -> io::Result<()> {
        let armored = ArmoredWriter::wrap_output(out, Format::AsciiArmor)?;
        let mut writer = encryptor.wrap_output(armored)?;
        writer.write_all(plaintext)?;
        writer.finish()?.finish()?;
        Ok(())
    };
    write(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Decrypt an age file (armored or binary) with any of `identities`.
fn decrypt(
    ciphertext: &[u8],
    identities: &[x25519::Identity],
) -> Result<Zeroizing<Vec<u8>>, age::DecryptError> {
    let decryptor = age::Decryptor::new(ArmoredReader::new(ciphertext))?;
    let mut reader = decryptor.decrypt(identities.iter().map(|i| i as &dyn age::Identity))?;
    let mut plaintext = Zeroizing::new(Vec::new());
    reader.read_to_end(&mut plaintext)?;
    Ok(plaintext)
}

/// Serialise the entries as YAML. serde-saphyr quotes every string that would otherwise read
/// back as another type (`"0123"`, `"true"`, `"~"`), and uses block scalars for multi-line
/// values (certificates, keys).
fn render_entries(
    entries: &BTreeMap<String, Secret>,
    store: &Path,
) -> Result<Zeroizing<String>, SecretError> {
    if entries.is_empty() {
        return Ok(Zeroizing::new(String::from("{}\n")));
    }
    let view: BTreeMap<&str, &str> = entries
        .iter()
        .map(|(name, value)| (name.as_str(), value.expose()))
        .collect();
    serde_saphyr::to_string(&view)
        .map(Zeroizing::new)
        // The serialiser's message is about types, never the content; keep it generic anyway.
        .map_err(|_| SecretError::Encrypt {
            path: store.to_path_buf(),
            reason: String::from("the entries cannot be written as YAML"),
        })
}

/// A store value while parsing: accepts any scalar verbatim as text (asked for a string,
/// serde-saphyr hands over the scalar as written, so `0123` stays `0123`).
struct StoreValue(Secret);

impl<'de> Deserialize<'de> for StoreValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = StoreValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("text")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StoreValue, E> {
                Ok(StoreValue(Secret::new(v)))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<StoreValue, E> {
                Ok(StoreValue(Secret::from(v)))
            }
            // Every other type ends here without its value in the message.
            fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<StoreValue, A::Error> {
                Err(de::Error::custom(NOT_TEXT))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<StoreValue, A::Error> {
                Err(de::Error::custom(NOT_TEXT))
            }
        }
        deserializer.deserialize_string(Text)
    }
}

const NOT_TEXT: &str = "an entry's value must be text, not a list or a mapping";

/// Parse decrypted (or edited) text into entries. Errors carry line and column of the text
/// and a message free of values.
pub(crate) fn parse_entries(
    text: &str,
    store: &Path,
) -> Result<BTreeMap<String, Secret>, SecretError> {
    let parsed: BTreeMap<String, StoreValue> = serde_saphyr::from_str(text).map_err(|error| {
        let (line, column) = error
            .location()
            .map(|l| (l.line() as usize, l.column() as usize))
            .unwrap_or((0, 0));
        SecretError::InvalidYaml {
            path: store.to_path_buf(),
            line,
            column,
            message: clean_yaml_message(&error.without_snippet().to_string()),
        }
    })?;
    let mut entries = BTreeMap::new();
    for (name, StoreValue(value)) in parsed {
        if let Err(SecretError::InvalidName { reason, .. }) = validate_name(&name) {
            // Locate the key for the technician; built only on this error path because the
            // index keeps a copy of every scalar (values included) in ordinary memory.
            let index = crate::yaml::PositionIndex::build(text);
            let (line, column) = index
                .position(&[crate::yaml::PathSegment::Key(name.clone())])
                .unwrap_or((0, 0));
            return Err(SecretError::InvalidYaml {
                path: store.to_path_buf(),
                line: line as usize,
                column: column as usize,
                message: format!("invalid secret name `{name}`: {reason}"),
            });
        }
        if value.is_empty() {
            let index = crate::yaml::PositionIndex::build(text);
            let (line, column) = index
                .position(&[crate::yaml::PathSegment::Key(name.clone())])
                .unwrap_or((0, 0));
            return Err(SecretError::InvalidYaml {
                path: store.to_path_buf(),
                line: line as usize,
                column: column as usize,
                message: format!("entry `{name}` is empty"),
            });
        }
        entries.insert(name, value);
    }
    Ok(entries)
}

/// Turn serde-saphyr's wording into a technician's, dropping the position (reported apart)
/// and the developer advice.
fn clean_yaml_message(message: &str) -> String {
    let message = match message.rfind(" at line ") {
        Some(cut) => &message[..cut],
        None => message,
    };
    if message.contains("null into string") {
        String::from("an entry has no value")
    } else if message.contains("expected string scalar") {
        String::from(NOT_TEXT)
    } else if message.contains("expected mapping") {
        String::from("the text must be a mapping of `name: value` lines")
    } else if let Some(cut) = message.find(", set DuplicateKeyPolicy") {
        message[..cut].to_string()
    } else {
        message.to_string()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::fsutil::tests::leftover_tempfiles;

    /// A fresh inventory folder with an identity and an initialised store.
    pub(crate) struct Fixture {
        pub dir: tempfile::TempDir,
        pub identity: IdentityLocation,
    }

    impl Fixture {
        pub fn new() -> Fixture {
            let dir = tempfile::tempdir().expect("tempdir");
            let identity = IdentityLocation {
                path: dir.path().join("home/.config/netparc/identity.txt"),
                origin: IdentityOrigin::Explicit,
            };
            SecretStore::init_with_identity(dir.path(), &identity).expect("init");
            Fixture { dir, identity }
        }

        pub fn store_path(&self) -> PathBuf {
            self.dir.path().join(STORE_FILE)
        }

        pub fn recipients_path(&self) -> PathBuf {
            self.dir.path().join(RECIPIENTS_FILE)
        }

        pub fn open(&self) -> Result<SecretStore, SecretError> {
            SecretStore::open_with_identity(
                self.store_path(),
                self.recipients_path(),
                &self.identity,
            )
        }
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).expect("metadata").permissions().mode() & 0o777
    }

    #[test]
    fn init_creates_identity_recipients_and_empty_store() {
        let dir = tempfile::tempdir().expect("tempdir");
        let identity = IdentityLocation {
            path: dir.path().join("home/.config/netparc/identity.txt"),
            origin: IdentityOrigin::Default,
        };
        let (store, report) = SecretStore::init_with_identity(dir.path(), &identity).expect("init");
        assert!(store.is_empty());
        assert!(report.identity_created && report.recipient_added);
        assert!(report.public_key.starts_with("age1"));
        let recipients = fs::read_to_string(&report.recipients).expect("recipients");
        assert!(recipients.contains(&report.public_key));
        let armored = fs::read_to_string(&report.store).expect("store");
        assert!(armored.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
        #[cfg(unix)]
        {
            assert_eq!(mode(&report.identity), 0o600);
            assert_eq!(mode(&dir.path().join("home/.config/netparc")), 0o700);
            assert_eq!(mode(&report.store), 0o600);
        }
        let identity_text = fs::read_to_string(&report.identity).expect("identity");
        assert!(identity_text.contains("AGE-SECRET-KEY-1"));

        // A second init refuses to overwrite; the identity is kept.
        assert!(matches!(
            SecretStore::init_with_identity(dir.path(), &identity),
            Err(SecretError::StoreExists { .. })
        ));
        assert_eq!(
            fs::read_to_string(&report.identity).expect("identity"),
            identity_text
        );
        assert!(leftover_tempfiles(dir.path()).is_empty());
    }

    #[test]
    fn init_reuses_an_identity_and_appends_to_recipients() {
        let first = Fixture::new();
        let other = tempfile::tempdir().expect("tempdir");
        // A recipients file already there, listing someone else.
        let someone = x25519::Identity::generate().to_public().to_string();
        fs::write(
            other.path().join(RECIPIENTS_FILE),
            format!("# team\n{someone}"),
        )
        .expect("w");
        let (_, report) =
            SecretStore::init_with_identity(other.path(), &first.identity).expect("init");
        assert!(!report.identity_created && report.recipient_added);
        let listed = read_recipients(&other.path().join(RECIPIENTS_FILE)).expect("read");
        assert_eq!(listed.len(), 2);
        assert!(listed.iter().any(|r| r.to_string() == someone));
    }

    #[test]
    fn round_trip_set_save_reopen_get() {
        let fixture = Fixture::new();
        let mut store = fixture.open().expect("open");
        let values = [
            ("devices/netadmin", "Xk9#mPq2$vLw8!Rt"),
            ("snmp/v3.auth", "0123"),
            ("tricky", "true"),
            ("null-ish", "~"),
            ("multi", "-----BEGIN KEY-----\nabc\n-----END KEY-----\n"),
            ("spaces", "  lead and trail  "),
            ("quotes", "it's \"quoted\" # not a comment: really"),
            ("unicode", "mötdepässe✓"),
            ("tabs", "a\tb"),
            ("blank", " "),
            ("newline", "\n"),
            ("cr", "x\r"),
            ("nul", "a\u{0}b"),
            ("bom", "\u{feff}x"),
            ("dash", "- "),
            ("leading-newlines", "\n\nx\n\n"),
            ("long", &"Zq9!".repeat(60)),
        ];
        for (name, value) in values {
            assert!(!store.set(name, Secret::new(value)).expect("set"));
        }
        assert!(store.set("tricky", Secret::new("true")).expect("set"));
        store.save().expect("save");
        let reopened = fixture.open().expect("reopen");
        for (name, value) in values {
            assert_eq!(reopened.get(name).expect("get").expose(), value, "{name}");
        }
        assert_eq!(reopened.names().len(), values.len());
        let debug = format!("{reopened:?}");
        assert!(
            debug.contains("devices/netadmin") && !debug.contains("Xk9#"),
            "{debug}"
        );
        assert!(reopened.names().windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn remove_and_missing_entries_suggest_names() {
        let fixture = Fixture::new();
        let mut store = fixture.open().expect("open");
        store
            .set("devices/netadmin", Secret::new("Xk9#mPq2$vLw8!Rt"))
            .expect("set");
        let error = store.get("devices/netadmn").unwrap_err();
        assert_eq!(
            error,
            SecretError::EntryMissing {
                name: "devices/netadmn".into(),
                store: fixture.store_path(),
                suggestion: Some("devices/netadmin".into()),
            }
        );
        assert!(
            error
                .to_string()
                .contains("did you mean `devices/netadmin`?")
        );
        assert!(
            error
                .to_diagnostic()
                .to_string()
                .contains("secrets.entry-missing")
        );
        assert!(store.remove("nothing-like-it").is_err());
        store.remove("devices/netadmin").expect("remove");
        assert!(store.is_empty());
    }

    #[test]
    fn set_refuses_bad_names_and_empty_values() {
        let fixture = Fixture::new();
        let mut store = fixture.open().expect("open");
        for name in ["", "/x", "x/", "a//b", "a b", "é", "../x", "a:b"] {
            assert!(matches!(
                store.set(name, Secret::new("v")),
                Err(SecretError::InvalidName { .. })
            ));
        }
        assert!(matches!(
            store.set("x", Secret::new("")),
            Err(SecretError::InvalidValue { .. })
        ));
    }

    #[test]
    fn wrong_identity_is_undecryptable() {
        let fixture = Fixture::new();
        let stranger = tempfile::tempdir().expect("tempdir");
        let location = IdentityLocation {
            path: stranger.path().join("id.txt"),
            origin: IdentityOrigin::Env,
        };
        create_identity(&location.path).expect("identity");
        let error = SecretStore::open_with_identity(
            fixture.store_path(),
            fixture.recipients_path(),
            &location,
        )
        .unwrap_err();
        assert!(
            matches!(error, SecretError::Undecryptable { .. }),
            "{error:?}"
        );
        let text = error.to_string();
        assert!(text.contains("undecryptable"), "{text}");
        assert!(text.contains("age1"), "{text}");
        assert_eq!(error.code(), "secrets.undecryptable");
    }

    #[test]
    fn missing_store_and_identity() {
        let fixture = Fixture::new();
        let missing = SecretStore::open_with_identity(
            fixture.dir.path().join("nope.age"),
            fixture.recipients_path(),
            &fixture.identity,
        )
        .unwrap_err();
        assert!(matches!(missing, SecretError::StoreMissing { .. }));
        let no_identity = SecretStore::open_with_identity(
            fixture.store_path(),
            fixture.recipients_path(),
            &IdentityLocation {
                path: fixture.dir.path().join("absent.txt"),
                origin: IdentityOrigin::Env,
            },
        )
        .unwrap_err();
        assert!(no_identity.to_string().contains("from NETPARC_IDENTITY"));
        assert_eq!(no_identity.code(), "secrets.no-identity");
    }

    #[cfg(unix)]
    #[test]
    fn identity_with_loose_permissions_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let fixture = Fixture::new();
        fs::set_permissions(&fixture.identity.path, fs::Permissions::from_mode(0o640))
            .expect("chmod");
        let error = fixture.open().unwrap_err();
        assert!(matches!(
            error,
            SecretError::LoosePermissions { mode: 0o640, .. }
        ));
        assert!(error.to_string().contains("chmod 600"));
    }

    #[test]
    fn invalid_identity_reports_line_not_content() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("id.txt");
        fs::write(&path, "# comment\nAGE-SECRET-KEY-1NOTAREALKEYATALL\n").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
        }
        let Err(error) = load_identities(&IdentityLocation {
            path,
            origin: IdentityOrigin::Explicit,
        }) else {
            panic!("invalid identity accepted");
        };
        let text = error.to_string();
        assert!(text.contains("line 2"), "{text}");
        assert!(!text.contains("NOTAREALKEY"), "{text}");
    }

    #[test]
    fn corrupt_store_is_reported() {
        let fixture = Fixture::new();
        for garbage in [
            &b"not an age file at all"[..],
            b"-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n",
            b"",
        ] {
            fs::write(fixture.store_path(), garbage).expect("write");
            let error = fixture.open().unwrap_err();
            assert!(matches!(error, SecretError::Corrupt { .. }), "{error:?}");
            assert_eq!(error.code(), "secrets.corrupt");
        }
        // A valid store cut short: the payload's authentication fails.
        let fixture = Fixture::new();
        let mut store = fixture.open().expect("open");
        store.set("a", Secret::new("value-a")).expect("set");
        store.save().expect("save");
        let text = fs::read_to_string(fixture.store_path()).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        let truncated = format!(
            "{}\n{}\n",
            lines[..lines.len() - 2].join("\n"),
            lines[lines.len() - 1]
        );
        fs::write(fixture.store_path(), truncated).expect("write");
        assert!(matches!(fixture.open(), Err(SecretError::Corrupt { .. })));
    }

    #[test]
    fn recipients_are_validated() {
        let fixture = Fixture::new();
        let mut store = fixture.open().expect("open");
        fs::write(fixture.recipients_path(), "# nobody\n\n").expect("write");
        assert!(matches!(
            store.save(),
            Err(SecretError::NoRecipients { .. })
        ));
        fs::write(fixture.recipients_path(), "# x\nage1notakey\n").expect("write");
        assert!(matches!(
            store.save(),
            Err(SecretError::RecipientInvalid { line: 2, .. })
        ));
        let someone = x25519::Identity::generate().to_public().to_string();
        fs::write(fixture.recipients_path(), format!("{someone} # alice\n")).expect("write");
        assert!(matches!(store.save(), Err(SecretError::SelfLockout { .. })));
        fs::remove_file(fixture.recipients_path()).expect("rm");
        assert!(matches!(
            store.save(),
            Err(SecretError::RecipientsMissing { .. })
        ));
    }

    #[test]
    fn a_store_saved_by_someone_else_is_not_overwritten() {
        let fixture = Fixture::new();
        let mut mine = fixture.open().expect("open");
        let mut theirs = fixture.open().expect("open");
        theirs
            .set("theirs", Secret::new("their-value"))
            .expect("set");
        theirs.save().expect("save");
        mine.set("mine", Secret::new("my-value")).expect("set");
        assert!(matches!(
            mine.save(),
            Err(SecretError::ConcurrentChange { .. })
        ));
        let now = fixture.open().expect("open");
        assert_eq!(now.names(), vec!["theirs"]);
        // Saving twice in a row from one handle is fine.
        let mut again = fixture.open().expect("open");
        again.set("x", Secret::new("1")).expect("set");
        again.save().expect("save");
        again.set("y", Secret::new("2")).expect("set");
        again.save().expect("save");
    }

    #[test]
    fn failed_write_keeps_the_old_store_and_no_tempfile() {
        let fixture = Fixture::new();
        let mut store = fixture.open().expect("open");
        store.set("kept", Secret::new("old-value")).expect("set");
        store.save().expect("save");
        let before = fs::read(fixture.store_path()).expect("read");
        // Fail in the middle of writing the new content, as a full disk would.
        let result = fsutil::write_atomic(&fixture.store_path(), 0o600, true, |file| {
            file.write_all(&before[..before.len() / 2])?;
            Err(io::Error::other("simulated failure mid-write"))
        });
        assert!(result.is_err());
        assert_eq!(fs::read(fixture.store_path()).expect("read"), before);
        assert!(leftover_tempfiles(fixture.dir.path()).is_empty());
        let reopened = fixture.open().expect("old store still opens");
        assert_eq!(reopened.get("kept").expect("kept").expose(), "old-value");
    }

    #[test]
    fn save_onto_a_folder_fails_cleanly() {
        // Tests run as root, where a read-only folder blocks nothing: a folder in the way
        // of the store does.
        let fixture = Fixture::new();
        let mut store = fixture.open().expect("open");
        fs::remove_file(fixture.store_path()).expect("rm");
        fs::create_dir(fixture.store_path()).expect("mkdir");
        fs::write(fixture.store_path().join("x"), b"x").expect("fill");
        store.set("new", Secret::new("new-value")).expect("set");
        assert!(store.save().is_err());
        assert!(fixture.store_path().join("x").is_file());
        assert!(leftover_tempfiles(fixture.dir.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn save_whose_final_rename_fails_leaves_no_tempfile() {
        // A store not written yet (as during init) whose name is taken by a dangling
        // symlink: the check sees no file, the no-clobber link then fails.
        let fixture = Fixture::new();
        fs::remove_file(fixture.store_path()).expect("rm");
        std::os::unix::fs::symlink("nowhere/x", fixture.store_path()).expect("symlink");
        let mut store = SecretStore {
            path: fixture.store_path(),
            recipients_path: fixture.recipients_path(),
            entries: BTreeMap::new(),
            public_keys: fixture.open_keys(),
            on_disk: None,
        };
        store.set("a", Secret::new("value")).expect("set");
        let error = store.save().unwrap_err();
        assert!(
            matches!(error, SecretError::ConcurrentChange { .. }),
            "{error:?}"
        );
        assert!(
            fs::symlink_metadata(fixture.store_path())
                .expect("link")
                .is_symlink()
        );
        assert!(leftover_tempfiles(fixture.dir.path()).is_empty());
    }

    impl Fixture {
        fn open_keys(&self) -> Vec<String> {
            load_identities(&self.identity)
                .expect("identity")
                .iter()
                .map(|i| i.to_public().to_string())
                .collect()
        }
    }

    #[test]
    fn locate_identity_precedence() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        let explicit = Path::new("/inv/id.txt");
        let both = env(&[("NETPARC_IDENTITY", "/env/id.txt"), ("HOME", "/home/t")]);
        assert_eq!(
            locate_identity_with(Some(explicit), &both).expect("env"),
            IdentityLocation {
                path: "/env/id.txt".into(),
                origin: IdentityOrigin::Env
            }
        );
        let home = env(&[("HOME", "/home/t")]);
        assert_eq!(
            locate_identity_with(Some(explicit), &home)
                .expect("explicit")
                .path,
            PathBuf::from("/inv/id.txt")
        );
        assert_eq!(
            locate_identity_with(None, &home).expect("default").path,
            PathBuf::from("/home/t/.config/netparc/identity.txt")
        );
        assert!(matches!(
            locate_identity_with(None, &env(&[])),
            Err(SecretError::NoIdentity { .. })
        ));
    }

    #[test]
    fn yaml_errors_have_positions_and_no_values() {
        let store = Path::new("inv/secrets.age");
        for (text, line, needle) in [
            ("a: x\nb: [hunter2]\n", 2, "must be text"),
            ("a: x\na: hunter2\n", 2, "duplicate"),
            ("a: x\nb hunter2\n", 2, ""),
            ("a: 'hunter2\n", 1, ""),
            ("a: x\nb:\n", 2, "no value"),
            ("- hunter2\n", 1, "mapping"),
            ("a: x\n\"bad name\": hunter2\n", 2, "invalid secret name"),
            ("a: x\nb: ''\n", 2, "empty"),
        ] {
            match parse_entries(text, store) {
                Err(error @ SecretError::InvalidYaml { .. }) => {
                    let SecretError::InvalidYaml {
                        line: l, message, ..
                    } = &error
                    else {
                        unreachable!()
                    };
                    assert_eq!(*l, line, "{text:?}: {error}");
                    assert!(message.contains(needle), "{text:?}: {message}");
                    assert!(!error.to_string().contains("hunter2"), "{error}");
                    assert!(!message.contains("Option<String>") && !message.contains("Policy"));
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
        assert!(parse_entries("", store).expect("empty").is_empty());
        assert!(
            parse_entries("# only a comment\n{}\n", store)
                .expect("empty")
                .is_empty()
        );
    }
}

#[cfg(test)]
mod roundtrip {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever a technician stores comes back byte for byte through the YAML text
        /// (the encryption around it is age's business).
        #[test]
        fn any_value_survives_yaml(value in any::<String>().prop_filter("non-empty", |v| !v.is_empty()),
                                   name in "[a-z][a-z0-9_-]{0,8}(/[a-z0-9_.-]{1,8}){0,2}") {
            prop_assume!(validate_name(&name).is_ok());
            let mut entries = BTreeMap::new();
            entries.insert(name.clone(), Secret::new(&value));
            entries.insert(String::from("other"), Secret::new("x"));
            let store = Path::new("s.age");
            let text = render_entries(&entries, store).expect("render");
            let back = parse_entries(&text, store).expect("parse");
            prop_assert_eq!(back.get(&name).map(Secret::expose), Some(value.as_str()));
        }
    }
}
