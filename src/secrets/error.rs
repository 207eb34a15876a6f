//! The one error type of the secrets module. Every message names the reference, the file or
//! the entry concerned, never a secret value: these messages end up in terminals, logs and
//! JSON reports, so a value in them would be a leak.

use crate::diag::{Diagnostic, SourceLocation};
use std::path::PathBuf;

/// Everything that can go wrong while parsing a reference, resolving a secret or using the
/// encrypted store. `Clone` so the resolver can cache a failed store opening and report it
/// for every `vault:` reference without retrying the decryption.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// A secret field holds something that is not a reference (most likely a password). The
    /// value is deliberately not part of the error.
    #[error(
        "secrets must be references, not inline values: write `env:VARIABLE`, `file:PATH` or \
         `vault:NAME`"
    )]
    NotAReference,

    /// A reference with a known prefix whose rest is unusable.
    #[error("secret reference `{reference}` is invalid: {reason}")]
    BadReference {
        /// The reference as written.
        reference: String,
        /// What is wrong with it.
        reason: String,
    },

    /// `env:VAR` names a variable that is not set.
    #[error("environment variable `{var}` is not set (secret `env:{var}`)")]
    EnvMissing {
        /// The variable name.
        var: String,
    },

    /// `env:VAR` names a variable whose value is not UTF-8.
    #[error("environment variable `{var}` is not valid UTF-8 (secret `env:{var}`)")]
    EnvNotUnicode {
        /// The variable name.
        var: String,
    },

    /// The reference resolved to an empty value; no device accepts an empty credential on
    /// purpose, so this is almost always a mistake (an exported but unset variable).
    #[error("secret `{reference}` is empty")]
    Empty {
        /// The reference as written.
        reference: String,
    },

    /// `file:PATH` names a file that does not exist.
    #[error("secret file `{}` does not exist (secret `{reference}`)", path.display())]
    FileMissing {
        /// The reference as written.
        reference: String,
        /// The path after resolution against the inventory root.
        path: PathBuf,
    },

    /// `file:PATH` names a file that cannot be read (not a regular file, I/O error, not UTF-8,
    /// too large).
    #[error("cannot read secret file `{}` (secret `{reference}`): {reason}", path.display())]
    FileUnreadable {
        /// The reference as written.
        reference: String,
        /// The path after resolution against the inventory root.
        path: PathBuf,
        /// Why.
        reason: String,
    },

    /// A file holding a secret (a `file:` secret or an identity) is readable or writable by
    /// group or others.
    #[error(
        "`{path}` is readable or writable by group or others (mode {mode:04o}); a file holding \
         a secret must be private to its owner: run `chmod 600 {path}`",
        path = path.display()
    )]
    LoosePermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits as found.
        mode: u32,
    },

    /// A `vault:` reference was met but the inventory has no store configured.
    #[error(
        "secret `{reference}` names an entry of the encrypted store, but this inventory has no store configured"
    )]
    NoStore {
        /// The reference as written.
        reference: String,
    },

    /// The encrypted store file does not exist.
    #[error("secret store `{}` does not exist", path.display())]
    StoreMissing {
        /// Where it was expected.
        path: PathBuf,
    },

    /// `init` found a store already there; it never overwrites one.
    #[error("secret store `{}` already exists", path.display())]
    StoreExists {
        /// The existing store.
        path: PathBuf,
    },

    /// The recipients file does not exist (needed to encrypt).
    #[error("recipients file `{}` does not exist", path.display())]
    RecipientsMissing {
        /// Where it was expected.
        path: PathBuf,
    },

    /// A line of the recipients file is not an age X25519 public key.
    #[error("recipients file `{}` line {line} is not an age X25519 public key (`age1…`)", path.display())]
    RecipientInvalid {
        /// The recipients file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
    },

    /// The recipients file lists nobody: the store would be unreadable by anyone.
    #[error("recipients file `{}` lists no recipient", path.display())]
    NoRecipients {
        /// The recipients file.
        path: PathBuf,
    },

    /// Saving would encrypt the store to recipients that do not include the identity that
    /// opened it, locking its user out.
    #[error(
        "recipients file `{}` does not list your public key {public_key}; saving would lock you \
         out of the store",
        path.display()
    )]
    SelfLockout {
        /// The recipients file.
        path: PathBuf,
        /// The public key of the identity in use.
        public_key: String,
    },

    /// No identity file where one was looked for.
    #[error("no age identity at `{}` ({origin})", path.display())]
    NoIdentity {
        /// Where it was looked for.
        path: PathBuf,
        /// Why that place (environment variable, inventory settings, default).
        origin: String,
    },

    /// The identity file holds something other than age X25519 secret keys.
    #[error("identity file `{}` is invalid: {reason}", path.display())]
    IdentityInvalid {
        /// The identity file.
        path: PathBuf,
        /// What is wrong, by line number (never the line itself: it may be a key).
        reason: String,
    },

    /// The identity is not among the store's recipients.
    #[error(
        "secret store `{}` is undecryptable with identity `{}` (public key {public_key}): that key \
         is not one of the store's recipients",
        store.display(),
        identity.display()
    )]
    Undecryptable {
        /// The store.
        store: PathBuf,
        /// The identity file used.
        identity: PathBuf,
        /// The identity's public key(s), to compare with `secrets.recipients`.
        public_key: String,
    },

    /// The store is not a valid age file, or was truncated or tampered with.
    #[error("secret store `{}` is corrupt or not an age file: {reason}", path.display())]
    Corrupt {
        /// The store.
        path: PathBuf,
        /// What the decryption reported.
        reason: String,
    },

    /// The decrypted store (or an edited copy of it) is not a YAML mapping of name → text.
    #[error(
        "invalid YAML in the decrypted text of `{}` at line {line} column {column}: {message}",
        path.display()
    )]
    InvalidYaml {
        /// The store the text belongs to.
        path: PathBuf,
        /// 1-based line in the decrypted text.
        line: usize,
        /// 1-based column in the decrypted text.
        column: usize,
        /// What the parser reported (scrubbed of values).
        message: String,
    },

    /// A `vault:` name or a store command names an entry the store does not have.
    #[error(
        "no entry `{name}` in secret store `{}`{}",
        store.display(),
        suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default()
    )]
    EntryMissing {
        /// The entry asked for.
        name: String,
        /// The store.
        store: PathBuf,
        /// The closest existing entry name, if one is close.
        suggestion: Option<String>,
    },

    /// An entry name that cannot be used (empty, bad characters).
    #[error("invalid secret name `{name}`: {reason}")]
    InvalidName {
        /// The name as given.
        name: String,
        /// What is wrong.
        reason: String,
    },

    /// A value given to `secrets set` that cannot be stored (empty, not UTF-8, too large).
    #[error("invalid value for `{name}`: {reason}")]
    InvalidValue {
        /// The entry name.
        name: String,
        /// What is wrong (never the value).
        reason: String,
    },

    /// The store changed on disk since it was opened; saving would lose someone's change.
    #[error("secret store `{}` changed on disk since it was opened", path.display())]
    ConcurrentChange {
        /// The store.
        path: PathBuf,
    },

    /// A file system operation failed.
    #[error("cannot {action} `{}`: {reason}", path.display())]
    Io {
        /// What was being done ("read", "write", "create folder").
        action: &'static str,
        /// The path concerned.
        path: PathBuf,
        /// The system's reason.
        reason: String,
    },

    /// age refused to encrypt (e.g. incompatible recipients).
    #[error("cannot encrypt secret store `{}`: {reason}", path.display())]
    Encrypt {
        /// The store.
        path: PathBuf,
        /// What age reported.
        reason: String,
    },

    /// The editor of `secrets edit` could not be run or failed.
    #[error("editor `{command}` failed: {reason}; the store is unchanged")]
    Editor {
        /// The editor command.
        command: String,
        /// Why.
        reason: String,
    },
}

impl SecretError {
    /// Stable machine-readable code, `secrets.*`, for CI filters and the audit policy.
    pub fn code(&self) -> &'static str {
        match self {
            SecretError::NotAReference => "secrets.inline-value",
            SecretError::BadReference { .. } => "secrets.bad-reference",
            SecretError::EnvMissing { .. } => "secrets.env-missing",
            SecretError::EnvNotUnicode { .. } => "secrets.env-not-unicode",
            SecretError::Empty { .. } => "secrets.empty",
            SecretError::FileMissing { .. } => "secrets.file-missing",
            SecretError::FileUnreadable { .. } => "secrets.file-unreadable",
            SecretError::LoosePermissions { .. } => "secrets.loose-permissions",
            SecretError::NoStore { .. } => "secrets.no-store",
            SecretError::StoreMissing { .. } => "secrets.store-missing",
            SecretError::StoreExists { .. } => "secrets.store-exists",
            SecretError::RecipientsMissing { .. } => "secrets.recipients-missing",
            SecretError::RecipientInvalid { .. } => "secrets.recipient-invalid",
            SecretError::NoRecipients { .. } => "secrets.no-recipients",
            SecretError::SelfLockout { .. } => "secrets.self-lockout",
            SecretError::NoIdentity { .. } => "secrets.no-identity",
            SecretError::IdentityInvalid { .. } => "secrets.identity-invalid",
            SecretError::Undecryptable { .. } => "secrets.undecryptable",
            SecretError::Corrupt { .. } => "secrets.corrupt",
            SecretError::InvalidYaml { .. } => "secrets.invalid-yaml",
            SecretError::EntryMissing { .. } => "secrets.entry-missing",
            SecretError::InvalidName { .. } => "secrets.invalid-name",
            SecretError::InvalidValue { .. } => "secrets.invalid-value",
            SecretError::ConcurrentChange { .. } => "secrets.concurrent-change",
            SecretError::Io { .. } => "secrets.io",
            SecretError::Encrypt { .. } => "secrets.encrypt",
            SecretError::Editor { .. } => "secrets.editor",
        }
    }

    /// This error as a [`Diagnostic`], with the file concerned and a hint. The caller adds
    /// where the reference was written (`.at()`, `.asset()`, `.field()`), which only it knows.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::error(self.code(), self.to_string());
        match self {
            SecretError::NotAReference => d
                .expected("`env:VARIABLE`, `file:PATH` or `vault:NAME`")
                .hint(
                    "put the value in the encrypted store with `netparc secrets set NAME` \
                     (it reads the value from stdin) and write `vault:NAME` here",
                ),
            SecretError::BadReference { .. } => {
                d.expected("`env:VARIABLE`, `file:PATH` or `vault:NAME`")
            }
            SecretError::EnvMissing { var } | SecretError::EnvNotUnicode { var } => {
                d.hint(format!("export {var} before running netparc"))
            }
            SecretError::Empty { .. } => d.hint("give the secret a value"),
            SecretError::FileMissing { path, .. } => d
                .at(SourceLocation::file(path))
                .hint("file paths are relative to the inventory folder, or absolute"),
            SecretError::FileUnreadable { path, .. } => d.at(SourceLocation::file(path)),
            SecretError::LoosePermissions { path, .. } => d
                .at(SourceLocation::file(path))
                .hint(format!("chmod 600 {}", path.display())),
            SecretError::NoStore { .. } => d.hint(
                "create the inventory's store with `netparc secrets init`, or use `env:` or `file:`",
            ),
            SecretError::StoreMissing { path } => d
                .at(SourceLocation::file(path))
                .hint("create it with `netparc secrets init`"),
            SecretError::StoreExists { path } => d
                .at(SourceLocation::file(path))
                .hint("use `netparc secrets set` or `netparc secrets edit` to change it"),
            SecretError::RecipientsMissing { path } | SecretError::NoRecipients { path } => d
                .at(SourceLocation::file(path))
                .hint("list one age public key (`age1…`) per line; `#` starts a comment"),
            SecretError::RecipientInvalid { path, line } => d
                .at(SourceLocation::new(path, *line as u32, 1))
                .expected("an age X25519 public key (`age1…`), a comment (`#`) or a blank line"),
            SecretError::SelfLockout { path, .. } => d
                .at(SourceLocation::file(path))
                .hint("add your public key to the recipients file, or let another recipient save the store"),
            SecretError::NoIdentity { .. } => d.hint(
                "create one with `netparc secrets init`, or set NETPARC_IDENTITY to your age \
                 identity file",
            ),
            SecretError::IdentityInvalid { path, .. } => d
                .at(SourceLocation::file(path))
                .expected("age X25519 secret keys (`AGE-SECRET-KEY-1…`), one per line"),
            SecretError::Undecryptable { .. } => d.hint(
                "ask someone who can open the store to add your public key to secrets.recipients \
                 and save the store again (`netparc secrets set` or `rm` does), which re-encrypts \
                 it to every listed recipient",
            ),
            SecretError::Corrupt { path, .. } => d
                .at(SourceLocation::file(path))
                .hint("restore the store from version control or a backup"),
            SecretError::InvalidYaml { .. } => {
                d.expected("a YAML mapping of `name: value`, one entry per line")
            }
            SecretError::EntryMissing {
                suggestion: Some(suggestion),
                ..
            } => d.hint(format!("did you mean `{suggestion}`?")),
            SecretError::EntryMissing { .. } => d.hint(
                "list the entries with `netparc secrets list`, add one with `netparc secrets set NAME`",
            ),
            SecretError::InvalidName { .. } => d.expected(
                "letters, digits, `_`, `-`, `.` and `/` between parts, like `devices/netadmin`",
            ),
            SecretError::InvalidValue { .. } => d,
            SecretError::ConcurrentChange { path } => d
                .at(SourceLocation::file(path))
                .hint("run the command again; it will start from the current store"),
            SecretError::Io { path, .. } | SecretError::Encrypt { path, .. } => {
                d.at(SourceLocation::file(path))
            }
            SecretError::Editor { .. } => {
                d.hint("set EDITOR (or VISUAL) to an editor that waits until you close the file")
            }
        }
    }

    /// An I/O failure on `path`, keeping only the system's message.
    pub(crate) fn io(action: &'static str, path: &std::path::Path, error: &std::io::Error) -> Self {
        SecretError::Io {
            action,
            path: path.to_path_buf(),
            reason: error.to_string(),
        }
    }
}

impl From<SecretError> for Diagnostic {
    fn from(error: SecretError) -> Self {
        error.to_diagnostic()
    }
}
