//! `netparc secrets init|edit|set|get|list|rm` as plain functions the command-line layer
//! calls: it parses arguments and picks the store; these do the work and write their output
//! to the writer given. Values come in on stdin (never argv, which lands in shell history and
//! `ps`) and go out only through `get`, whose purpose that is.

use super::error::SecretError;
use super::secret::Secret;
use super::store::{self, InitReport, SecretStore};
use super::strength::{self, Assessment, SecretClass};
use secrecy::zeroize::Zeroizing;
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::Command;

/// Largest value `set` accepts: a key or a certificate fits easily; more is a wrong file
/// piped in.
const MAX_VALUE: u64 = 1024 * 1024;

/// Name of the decrypted copy `edit` opens (the extension gives editors YAML highlighting).
const EDIT_FILE: &str = "secrets.yml";

/// Shown at the top of the decrypted copy.
const EDIT_HEADER: &str = "\
# netparc secrets: decrypted copy. One entry per line: `name: value`.
# Quote values with special characters ('like: this'); `|` starts a multi-line value.
# Comments are not kept. Save and close the editor to encrypt the store again; this file is
# deleted afterwards. An empty mapping is written `{}`.
";

/// `netparc secrets init`: create the store in the inventory folder `dir`, the identity if
/// needed, and the recipients file; print what was done.
pub fn init(
    dir: &Path,
    identity: Option<&Path>,
    out: &mut dyn Write,
) -> Result<InitReport, SecretError> {
    let (_, report) = SecretStore::init(dir, identity)?;
    let print = |out: &mut dyn Write| -> io::Result<()> {
        if report.identity_created {
            writeln!(
                out,
                "created identity {} (back it up: without it the store cannot be opened)",
                report.identity.display()
            )?;
        } else {
            writeln!(out, "using identity {}", report.identity.display())?;
        }
        writeln!(out, "public key: {}", report.public_key)?;
        if report.recipient_added {
            writeln!(out, "listed it in {}", report.recipients.display())?;
        }
        writeln!(out, "created empty store {}", report.store.display())
    };
    print(out).map_err(output_error)?;
    Ok(report)
}

/// What `set` did.
#[derive(Debug, Clone, PartialEq)]
pub struct SetOutcome {
    /// True when an existing entry was replaced.
    pub replaced: bool,
    /// The value's strength, assessed as an administration secret (the store holds
    /// equipment credentials); the command shows its warning, if any.
    pub assessment: Assessment,
}

/// `netparc secrets set NAME`: read the value from `value_from` (stdin), minus one trailing
/// newline (`echo` adds one), store it under `name` and save.
pub fn set(
    store: &mut SecretStore,
    name: &str,
    value_from: impl Read,
) -> Result<SetOutcome, SecretError> {
    store::validate_name(name)?;
    let invalid = |reason: &str| SecretError::InvalidValue {
        name: name.to_string(),
        reason: reason.to_string(),
    };
    let mut raw = Zeroizing::new(Vec::new());
    value_from
        .take(MAX_VALUE + 1)
        .read_to_end(&mut raw)
        .map_err(|e| invalid(&format!("cannot read it from stdin: {e}")))?;
    if raw.len() as u64 > MAX_VALUE {
        return Err(invalid("larger than 1 MiB"));
    }
    let text = std::str::from_utf8(&raw).map_err(|_| invalid("it is not UTF-8 text"))?;
    let text = text
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(text);
    if text.is_empty() {
        return Err(invalid("the value is empty (nothing was read from stdin)"));
    }
    let assessment = strength::assess(text, SecretClass::Administrator);
    let replaced = store.set(name, Secret::new(text))?;
    store.save()?;
    Ok(SetOutcome {
        replaced,
        assessment,
    })
}

/// `netparc secrets get NAME`: print the value, followed by a newline. Printing it is the
/// command's purpose; nothing else in netparc does.
pub fn get(store: &SecretStore, name: &str, out: &mut dyn Write) -> Result<(), SecretError> {
    let value = store.get(name)?;
    out.write_all(value.expose().as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(output_error)
}

/// `netparc secrets list`: print the entry names, one per line, sorted. Never values.
pub fn list(store: &SecretStore, out: &mut dyn Write) -> Result<(), SecretError> {
    for name in store.names() {
        writeln!(out, "{name}").map_err(output_error)?;
    }
    Ok(())
}

/// `netparc secrets rm NAME`: remove the entry and save.
pub fn rm(store: &mut SecretStore, name: &str) -> Result<(), SecretError> {
    store.remove(name)?;
    store.save()
}

/// Re-encrypt the store, unchanged, to the recipients listed now (after adding or removing
/// someone in `secrets.recipients`). The command layer may expose it as
/// `netparc secrets rekey`.
pub fn rekey(store: &mut SecretStore) -> Result<(), SecretError> {
    store.save()
}

/// What `edit` changed, by entry name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditOutcome {
    /// Entries that did not exist before.
    pub added: Vec<String>,
    /// Entries that were deleted.
    pub removed: Vec<String>,
    /// Entries whose value changed.
    pub changed: Vec<String>,
}

impl EditOutcome {
    /// True when the edit changed nothing (the store was not rewritten).
    pub fn is_unchanged(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// The editor to use: `$VISUAL`, else `$EDITOR`, else `vi` (the usual Unix order).
pub fn editor_command() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|var| std::env::var(var).ok())
        .find(|value| !value.trim().is_empty())
        .unwrap_or_else(|| String::from("vi"))
}

/// `netparc secrets edit`: decrypt into a private tempfile, run `editor_cmd` on it (through
/// `sh`, so `code --wait` works), parse the result, and save the store if it changed. On a
/// YAML error (reported with line and column), an editor failure, or any other error, the
/// store is unchanged. The decrypted copy is removed in every case.
///
/// The copy lives in a fresh 0700 folder (in `/dev/shm` when there is one, so it stays in
/// memory): editors that save by writing a new file and renaming it would not keep a file's
/// 0600 mode, but cannot escape the folder's.
pub fn edit(store: &mut SecretStore, editor_cmd: &str) -> Result<EditOutcome, SecretError> {
    let folder = private_tempdir()?;
    let path = folder.path().join(EDIT_FILE);
    write_private(&path, store)?;
    run_editor(editor_cmd, &path)?;
    let edited = read_edited(&path, editor_cmd)?;
    let text = std::str::from_utf8(&edited).map_err(|_| SecretError::InvalidYaml {
        path: store.path().to_path_buf(),
        line: 0,
        column: 0,
        message: String::from("the edited text is not UTF-8"),
    })?;
    let entries = store::parse_entries(text, store.path())?;
    drop(folder); // The cleartext copy is no longer needed: remove it before encrypting.

    let outcome = compare(store.entries(), &entries);
    if outcome.is_unchanged() {
        return Ok(outcome);
    }
    let previous = store.entries().clone();
    store.replace_entries(entries);
    if let Err(error) = store.save() {
        // Keep the handle consistent with the file, which still holds the old entries.
        store.replace_entries(previous);
        return Err(error);
    }
    Ok(outcome)
}

/// A fresh folder only the current user can enter, preferably on a RAM file system.
fn private_tempdir() -> Result<tempfile::TempDir, SecretError> {
    let shm = Path::new("/dev/shm");
    let builder = {
        let mut b = tempfile::Builder::new();
        b.prefix("netparc-secrets-");
        b
    };
    let folder = if shm.is_dir() {
        builder.tempdir_in(shm).or_else(|_| builder.tempdir())
    } else {
        builder.tempdir()
    }
    .map_err(|e| SecretError::io("create a private folder in", &std::env::temp_dir(), &e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(folder.path(), fs::Permissions::from_mode(0o700))
            .map_err(|e| SecretError::io("restrict", folder.path(), &e))?;
    }
    Ok(folder)
}

/// Write the header and the decrypted entries to `path`, created 0600 and new.
fn write_private(path: &Path, store: &SecretStore) -> Result<(), SecretError> {
    let yaml = store.to_yaml()?;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| SecretError::io("create", path, &e))?;
    file.write_all(EDIT_HEADER.as_bytes())
        .and_then(|()| file.write_all(yaml.as_bytes()))
        .and_then(|()| file.sync_all())
        .map_err(|e| SecretError::io("write", path, &e))
}

fn run_editor(editor_cmd: &str, path: &Path) -> Result<(), SecretError> {
    let failed = |reason: String| SecretError::Editor {
        command: editor_cmd.to_string(),
        reason,
    };
    if editor_cmd.trim().is_empty() {
        return Err(failed(String::from("no editor command")));
    }
    // As git does: the command is shell text (it may hold arguments), the file is "$1".
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{editor_cmd} \"$@\""))
        .arg("netparc-secrets-edit")
        .arg(path)
        .status()
        .map_err(|e| failed(format!("cannot start it: {e}")))?;
    if !status.success() {
        return Err(failed(match status.code() {
            Some(code) => format!("it exited with status {code}"),
            None => String::from("it was killed by a signal"),
        }));
    }
    Ok(())
}

fn read_edited(path: &Path, editor_cmd: &str) -> Result<Zeroizing<Vec<u8>>, SecretError> {
    let mut content = Zeroizing::new(Vec::new());
    fs::File::open(path)
        .and_then(|file| file.take(MAX_VALUE * 16).read_to_end(&mut content))
        .map_err(|e| SecretError::Editor {
            command: editor_cmd.to_string(),
            reason: format!("cannot read the edited file back: {e}"),
        })?;
    Ok(content)
}

fn compare(before: &BTreeMap<String, Secret>, after: &BTreeMap<String, Secret>) -> EditOutcome {
    let mut outcome = EditOutcome::default();
    for (name, value) in after {
        match before.get(name) {
            None => outcome.added.push(name.clone()),
            Some(old) if old.expose() != value.expose() => outcome.changed.push(name.clone()),
            Some(_) => {}
        }
    }
    outcome.removed = before
        .keys()
        .filter(|name| !after.contains_key(*name))
        .cloned()
        .collect();
    outcome
}

fn output_error(error: io::Error) -> SecretError {
    SecretError::io("write", Path::new("<stdout>"), &error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::store::tests::Fixture;
    use crate::secrets::strength::Strength;
    use std::path::PathBuf;

    /// An "editor": a shell script that records the file it was given, then runs `body`
    /// with the file as `$1`.
    fn editor(dir: &Path, body: &str) -> (String, PathBuf) {
        let script = dir.join("editor.sh");
        let seen = dir.join("seen-path");
        fs::write(
            &script,
            format!(
                "#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n{body}\n",
                seen.display()
            ),
        )
        .expect("script");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&script, fs::Permissions::from_mode(0o700)).expect("chmod");
        }
        (script.display().to_string(), seen)
    }

    fn seen_file(seen: &Path) -> PathBuf {
        PathBuf::from(fs::read_to_string(seen).expect("editor ran"))
    }

    #[test]
    fn init_set_get_list_rm() {
        let dir = tempfile::tempdir().expect("tempdir");
        let identity = dir.path().join("id/identity.txt");
        let mut out = Vec::new();
        // NETPARC_IDENTITY may be set where tests run; the report says which file was used.
        let report = init(dir.path(), Some(&identity), &mut out).expect("init");
        let printed = String::from_utf8(out).expect("utf8");
        assert!(printed.contains(&report.public_key), "{printed}");
        assert!(printed.contains("created empty store"), "{printed}");
        let location = store::IdentityLocation {
            path: report.identity.clone(),
            origin: store::IdentityOrigin::Explicit,
        };
        let mut store =
            SecretStore::open_with_identity(&report.store, &report.recipients, &location)
                .expect("open");

        let outcome = set(&mut store, "devices/netadmin", &b"cisco\n"[..]).expect("set");
        assert!(!outcome.replaced);
        assert!(outcome.assessment.known_default);
        assert_eq!(outcome.assessment.strength, Strength::VeryWeak);
        let outcome = set(
            &mut store,
            "devices/netadmin",
            &b"k7#Qv9!mZ2$pL8@wR4^x\n"[..],
        )
        .expect("set");
        assert!(outcome.replaced && outcome.assessment.is_acceptable());
        set(&mut store, "vpn/psk", &b"line one\nline two\n"[..]).expect("set");
        assert!(matches!(
            set(&mut store, "empty", &b"\n"[..]),
            Err(SecretError::InvalidValue { .. })
        ));
        assert!(matches!(
            set(&mut store, "bad", &[0xff, 0xfe][..]),
            Err(SecretError::InvalidValue { .. })
        ));

        let reopened =
            SecretStore::open_with_identity(&report.store, &report.recipients, &location)
                .expect("reopen");
        let mut out = Vec::new();
        get(&reopened, "devices/netadmin", &mut out).expect("get");
        assert_eq!(out, b"k7#Qv9!mZ2$pL8@wR4^x\n");
        let mut out = Vec::new();
        get(&reopened, "vpn/psk", &mut out).expect("get");
        assert_eq!(out, b"line one\nline two\n");

        let mut out = Vec::new();
        list(&reopened, &mut out).expect("list");
        assert_eq!(
            String::from_utf8(out).expect("utf8"),
            "devices/netadmin\nvpn/psk\n"
        );

        let mut store = reopened;
        rm(&mut store, "vpn/psk").expect("rm");
        let error = rm(&mut store, "vpn/pks").unwrap_err();
        assert!(matches!(error, SecretError::EntryMissing { .. }));
        let reopened =
            SecretStore::open_with_identity(&report.store, &report.recipients, &location)
                .expect("reopen");
        assert_eq!(reopened.names(), vec!["devices/netadmin"]);
    }

    #[test]
    fn edit_applies_changes_and_removes_the_copy() {
        let fixture = Fixture::new();
        let mut store = fixture.open().expect("open");
        store.set("keep", Secret::new("same")).expect("set");
        store.set("change", Secret::new("old")).expect("set");
        store.set("drop", Secret::new("gone")).expect("set");
        store.save().expect("save");

        let tools = tempfile::tempdir().expect("tempdir");
        let (cmd, seen) = editor(
            tools.path(),
            "printf 'keep: same\\nchange: \"new: value\"\\nadded: \"0123\"\\n' > \"$1\"",
        );
        let outcome = edit(&mut store, &cmd).expect("edit");
        assert_eq!(
            outcome,
            EditOutcome {
                added: vec!["added".into()],
                removed: vec!["drop".into()],
                changed: vec!["change".into()],
            }
        );
        let copy = seen_file(&seen);
        assert!(!copy.exists(), "{} left behind", copy.display());
        assert!(copy.parent().is_some_and(|folder| !folder.exists()));

        let reopened = fixture.open().expect("reopen");
        assert_eq!(
            reopened.get("change").expect("change").expose(),
            "new: value"
        );
        assert_eq!(reopened.get("added").expect("added").expose(), "0123");
        assert!(!reopened.contains("drop"));
    }

    #[test]
    fn edit_shows_private_yaml_and_unchanged_edit_does_not_save() {
        let fixture = Fixture::new();
        let mut store = fixture.open().expect("open");
        store.set("a", Secret::new("true")).expect("set");
        store.save().expect("save");
        let before = fs::read(fixture.store_path()).expect("read");

        let tools = tempfile::tempdir().expect("tempdir");
        let snapshot = tools.path().join("snapshot");
        let mode_file = tools.path().join("mode");
        let (cmd, seen) = editor(
            tools.path(),
            &format!(
                "cp \"$1\" '{}'; stat -c %a \"$1\" > '{}'; stat -c %a \"$(dirname \"$1\")\" >> '{}'",
                snapshot.display(),
                mode_file.display(),
                mode_file.display()
            ),
        );
        let outcome = edit(&mut store, &cmd).expect("edit");
        assert!(outcome.is_unchanged());
        assert_eq!(fs::read(fixture.store_path()).expect("read"), before);
        let shown = fs::read_to_string(&snapshot).expect("snapshot");
        assert!(shown.starts_with("# netparc secrets"), "{shown}");
        assert!(shown.contains("a: \"true\""), "{shown}");
        assert_eq!(fs::read_to_string(&mode_file).expect("modes"), "600\n700\n");
        assert!(!seen_file(&seen).exists());
    }

    #[test]
    fn edit_with_invalid_yaml_leaves_store_unchanged() {
        let fixture = Fixture::new();
        let mut store = fixture.open().expect("open");
        store.set("a", Secret::new("value-a")).expect("set");
        store.save().expect("save");
        let before = fs::read(fixture.store_path()).expect("read");

        let tools = tempfile::tempdir().expect("tempdir");
        let (cmd, seen) = editor(
            tools.path(),
            "printf 'a: value-a\\nb: [hunter2\\n' > \"$1\"",
        );
        let error = edit(&mut store, &cmd).unwrap_err();
        match &error {
            SecretError::InvalidYaml { line, column, .. } => {
                assert!(*line >= 2 && *column > 0, "{error}");
            }
            other => panic!("{other:?}"),
        }
        assert!(!error.to_string().contains("hunter2"), "{error}");
        assert!(error.to_string().contains("line"), "{error}");
        assert_eq!(fs::read(fixture.store_path()).expect("read"), before);
        assert_eq!(store.names(), vec!["a"]);
        assert!(!seen_file(&seen).exists());
    }

    #[test]
    fn failing_editor_leaves_store_unchanged_and_no_copy() {
        let fixture = Fixture::new();
        let mut store = fixture.open().expect("open");
        store.set("a", Secret::new("value-a")).expect("set");
        store.save().expect("save");
        let before = fs::read(fixture.store_path()).expect("read");
        let tools = tempfile::tempdir().expect("tempdir");
        let (cmd, seen) = editor(tools.path(), "printf 'a: other\\n' > \"$1\"; exit 3");
        let error = edit(&mut store, &cmd).unwrap_err();
        assert!(matches!(error, SecretError::Editor { .. }), "{error:?}");
        assert!(error.to_string().contains("status 3"), "{error}");
        assert_eq!(fs::read(fixture.store_path()).expect("read"), before);
        assert!(!seen_file(&seen).exists());
        assert!(matches!(
            edit(&mut store, "/nonexistent/editor"),
            Err(SecretError::Editor { .. })
        ));
    }

    #[test]
    fn edit_that_cannot_save_restores_the_handle() {
        let fixture = Fixture::new();
        let mut store = fixture.open().expect("open");
        store.set("a", Secret::new("value-a")).expect("set");
        store.save().expect("save");
        // Someone else saves meanwhile.
        let mut other = fixture.open().expect("open");
        other.set("b", Secret::new("value-b")).expect("set");
        other.save().expect("save");
        let tools = tempfile::tempdir().expect("tempdir");
        let (cmd, _) = editor(tools.path(), "printf 'a: changed\\n' > \"$1\"");
        assert!(matches!(
            edit(&mut store, &cmd),
            Err(SecretError::ConcurrentChange { .. })
        ));
        assert_eq!(store.get("a").expect("a").expose(), "value-a");
    }
}
