//! The encrypted store seen from an inventory: `vault:` references in `check`, a missing or
//! undecryptable secret, and `netparc secrets` through the real binary.

use crate::util::{Fixture, assert_clean, expect};
use netparc::secrets::{Secret, SecretStore};
use std::io::Write;
use std::process::{Command, Stdio};

/// Move the fixture's device credentials into an age store opened by `identity.txt`.
fn with_store(f: &Fixture) {
    let identity = f.file("identity.txt");
    let (mut store, _) = SecretStore::init(f.path(), Some(&identity)).unwrap();
    for (name, value) in crate::util::SECRETS {
        store
            .set(&format!("devices/{name}"), Secret::new(value))
            .unwrap();
    }
    store.save().unwrap();
    f.write(
        "netparc.yml",
        &format!(
            "{}secrets:\n  identity: identity.txt\n",
            crate::util::NETPARC_YML
        ),
    );
    f.edit(
        "defaults.yml",
        "password: file:secrets/admin",
        "password: vault:devices/admin",
    );
    f.edit(
        "defaults.yml",
        "enable: file:secrets/enable",
        "enable: vault:devices/enable",
    );
}

#[test]
fn vault_references_resolve_through_the_store() {
    let f = Fixture::new();
    with_store(&f);
    let report = f.check();
    assert_clean(&report.diagnostics);
    expect(
        &report.diagnostics,
        "audit.identity-in-inventory",
        "kept inside the inventory",
        "netparc.yml:6:13",
    );
    let out = f.run(&["render", "-i", ".", "--limit", "sw1"]);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains(&format!("secret {}", crate::util::SECRETS[0].1))
    );
}

#[test]
fn missing_store_entry_suggests_the_close_name() {
    let f = Fixture::new();
    with_store(&f);
    f.edit(
        "defaults.yml",
        "vault:devices/enable",
        "vault:devices/enabel",
    );
    let d = f.check().diagnostics;
    let e = expect(
        &d,
        "secrets.entry-missing",
        "no entry `devices/enabel`",
        "defaults.yml:4:11",
    );
    assert!(
        e.to_string().contains("did you mean `devices/enable`?"),
        "{e}"
    );
    assert_eq!(e.field.as_deref(), Some("credentials.enable"));
}

#[test]
fn a_foreign_identity_cannot_decrypt_the_store() {
    let f = Fixture::new();
    with_store(&f);
    let other = tempfile::tempdir().unwrap();
    let other_identity = other.path().join("someone-else.txt");
    SecretStore::init(other.path(), Some(&other_identity)).unwrap();
    f.write(
        "netparc.yml",
        &format!(
            "{}secrets:\n  identity: {}\n",
            crate::util::NETPARC_YML,
            other_identity.display()
        ),
    );
    let d = f.check().diagnostics;
    expect(
        &d,
        "secrets.undecryptable",
        "is undecryptable with identity",
        "defaults.yml:3:13",
    );
}

#[test]
fn a_corrupt_store_is_reported_not_panicked_on() {
    let f = Fixture::new();
    with_store(&f);
    f.write(
        "secrets.age",
        "-----BEGIN AGE ENCRYPTED FILE-----\nnot age at all\n-----END AGE ENCRYPTED FILE-----\n",
    );
    let d = f.check().diagnostics;
    expect(
        &d,
        "secrets.corrupt",
        "is corrupt or not an age file",
        "defaults.yml:3:13",
    );
}

fn secrets_cmd(f: &Fixture, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_netparc"))
        .arg("secrets")
        .arg("-i")
        .arg(f.path())
        .args(args)
        .env("NETPARC_IDENTITY", f.file("identity.txt"))
        .env_remove("NETPARC_INVENTORY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn secrets_command_init_set_get_list_rm() {
    let f = Fixture::new();
    let out = secrets_cmd(&f, &["init"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(f.file("secrets.age").exists() && f.file("secrets.recipients").exists());
    let value = "Xq7!vR2@mT9#kL4$wZ8pNe";
    let out = secrets_cmd(&f, &["set", "wifi/staff"], &format!("{value}\n"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = secrets_cmd(&f, &["get", "wifi/staff"], "");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), value);
    let out = secrets_cmd(&f, &["list"], "");
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        listing.contains("wifi/staff") && !listing.contains(value),
        "{listing}"
    );
    // the file on disk never holds the value in clear
    assert!(
        !std::fs::read_to_string(f.file("secrets.age"))
            .unwrap()
            .contains(value)
    );
    let out = secrets_cmd(&f, &["set", "wifi/guest"], "short\n");
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("wifi/guest"),
        "a weak value is warned about"
    );
    let out = secrets_cmd(&f, &["rm", "wifi/staff"], "");
    assert!(out.status.success());
    let out = secrets_cmd(&f, &["get", "wifi/staff"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no entry `wifi/staff`"));
}

#[test]
fn a_demo_identity_inside_the_inventory_survives_a_checkout_but_an_outside_one_must_be_private() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new();
    with_store(&f);
    // git keeps no mode bits: a fresh checkout gives 0644
    std::fs::set_permissions(
        f.file("identity.txt"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let report = f.check();
    assert_clean(&report.diagnostics);
    expect(&report.diagnostics, "audit.identity-in-inventory", "", "");
    let outside = tempfile::tempdir().unwrap();
    let identity = outside.path().join("identity.txt");
    std::fs::copy(f.file("identity.txt"), &identity).unwrap();
    std::fs::set_permissions(&identity, std::fs::Permissions::from_mode(0o644)).unwrap();
    f.write(
        "netparc.yml",
        &format!(
            "{}secrets:\n  identity: {}\n",
            crate::util::NETPARC_YML,
            identity.display()
        ),
    );
    let d = f.check().diagnostics;
    let e = expect(&d, "secrets.loose-permissions", "", "defaults.yml:3:13");
    assert!(e.to_string().contains("chmod 600"));
    let store_errors = d
        .iter()
        .filter(|x| x.code == "secrets.loose-permissions")
        .count();
    assert_eq!(
        store_errors, 1,
        "one store problem is reported once, not per reference:\n{d}"
    );
}
