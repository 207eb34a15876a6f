//! The parse cache (`state/cache/`): a load served from it gives exactly what a load that
//! parsed gives, an edit invalidates just the edited file, anything wrong with the cache
//! only means parsing again, and it never holds a secret.

use crate::util::{Fixture, SECRETS, expect};
use netparc::diag::Diagnostics;
use netparc::inventory::cache::cache_file;
use netparc::inventory::load::CacheUse;
use netparc::inventory::{Inventory, LoadOutcome, Located};
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The fixture's human-owned files besides netparc.yml: plan/hq, groups, defaults and three
/// asset files.
const FILES: usize = 6;

fn load(root: &Path) -> LoadOutcome {
    Inventory::load(root)
}

fn uses(hits: usize, parsed: usize, written: bool) -> CacheUse {
    CacheUse {
        hits,
        parsed,
        written,
    }
}

/// Everything loading produced, as JSON: every value with where it came from.
fn snapshot(outcome: &LoadOutcome) -> Value {
    fn one<T: serde::Serialize>(located: &Located<T>) -> Value {
        json!({
            "value": serde_json::to_value(&located.value).expect("json"),
            "file": located.origin.file.path.display().to_string(),
            "path": format!("{:?}", located.origin.path),
        })
    }
    let Some(inventory) = &outcome.inventory else {
        return Value::Null;
    };
    json!({
        "settings": one(&inventory.settings),
        "sites": inventory.sites.iter().map(one).collect::<Vec<_>>(),
        "groups": inventory.groups.iter().map(|(name, g)| json!([name, one(g)])).collect::<Vec<_>>(),
        "defaults": one(&inventory.defaults),
        "assets": inventory.assets.iter().map(one).collect::<Vec<_>>(),
    })
}

/// Load, then validate: every diagnostic with its location, including those of checks that
/// run after loading and find positions from the file's text when they report.
fn load_and_validate(root: &Path) -> (LoadOutcome, Diagnostics) {
    let outcome = load(root);
    let mut diagnostics = outcome.diagnostics.clone();
    if let Some(inventory) = &outcome.inventory {
        diagnostics.extend(netparc::inventory::validate::validate(inventory));
    }
    (outcome, diagnostics)
}

/// The fixture with a finding of each kind a parse produces, plus one found after loading.
fn fixture_with_findings() -> Fixture {
    let fixture = Fixture::new();
    // An unknown key (with a suggestion) and a newline smuggled into a port description.
    fixture.edit(
        "assets/sw1.yml",
        "serial: FOC0001\n",
        "serial: FOC0001\nseriall: x\n",
    );
    fixture.edit(
        "assets/sw1.yml",
        "description: desk 2\n",
        "description: \"desk 2\\nshutdown\"\n",
    );
    // A reference the validation reports, at a position in a list file.
    fixture.edit("assets/workstations.yml", "vlan: users", "vlan: userz");
    fixture
}

fn expect_findings(diagnostics: &Diagnostics) {
    let unknown = expect(
        diagnostics,
        "yaml.unknown-field",
        "unknown field `seriall`",
        "assets/sw1.yml:10:1",
    );
    assert_eq!(unknown.hint.as_deref(), Some("did you mean `serial`?"));
    expect(
        diagnostics,
        "inventory.injection",
        "contains a newline",
        "assets/sw1.yml:16:18",
    );
    expect(
        diagnostics,
        "inventory.unknown-vlan",
        "userz",
        "assets/workstations.yml:5:9",
    );
}

#[test]
fn a_load_from_the_cache_reports_exactly_what_a_parse_reports() {
    let fixture = fixture_with_findings();
    let (cold, cold_diagnostics) = load_and_validate(fixture.path());
    assert_eq!(cold.cache, uses(0, FILES, true));
    expect_findings(&cold_diagnostics);

    let (warm, warm_diagnostics) = load_and_validate(fixture.path());
    assert_eq!(warm.cache, uses(FILES, 0, false));
    assert_eq!(snapshot(&warm), snapshot(&cold));
    assert_eq!(warm_diagnostics, cold_diagnostics);
    expect_findings(&warm_diagnostics);
    // The whole `check` too, text and all.
    assert_eq!(
        format!("{}", fixture.check().diagnostics),
        format!("{}", fixture.check().diagnostics)
    );
}

#[test]
fn the_cache_follows_the_inventory_to_another_path() {
    let fixture = fixture_with_findings();
    let (_, at_first_path) = load_and_validate(fixture.path());
    // The same folder through a symbolic link: entries are keyed inside the inventory, and
    // messages name the files under the path used this time.
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let link = elsewhere.path().join("hq");
    std::os::unix::fs::symlink(fixture.path(), &link).expect("symlink");
    let (outcome, diagnostics) = load_and_validate(&link);
    assert_eq!(outcome.cache, uses(FILES, 0, false));
    assert_eq!(diagnostics.iter().count(), at_first_path.iter().count());
    for diagnostic in diagnostics.iter() {
        let file = &diagnostic.location.as_ref().expect("located").file;
        assert!(file.starts_with(&link), "{}", file.display());
    }
    expect_findings(&diagnostics);
}

#[test]
fn editing_a_file_invalidates_that_file_only() {
    let fixture = Fixture::new();
    assert_eq!(load(fixture.path()).cache, uses(0, FILES, true));
    fixture.edit(
        "assets/sw1.yml",
        "description: desk 2",
        "description: desk 22",
    );
    let outcome = load(fixture.path());
    assert_eq!(outcome.cache, uses(FILES - 1, 1, true));
    let inventory = outcome.inventory.expect("loads");
    let sw1 = inventory.asset("sw1").expect("sw1");
    assert_eq!(
        sw1.value.interfaces[1].description.as_deref(),
        Some("desk 22")
    );
    assert_eq!(load(fixture.path()).cache, uses(FILES, 0, false));
    assert_eq!(
        snapshot(&load(fixture.path())),
        snapshot(&outcome_of(&fixture))
    );

    // A file removed: its entry is dropped from the cache at the next load.
    std::fs::remove_file(fixture.file("assets/ap1.yml")).expect("remove");
    assert_eq!(load(fixture.path()).cache, uses(FILES - 1, 0, true));
    assert_eq!(load(fixture.path()).cache, uses(FILES - 1, 0, false));
    let text = std::fs::read_to_string(cache_file(fixture.path())).expect("cache");
    assert!(!text.contains("ap1.yml"));
}

/// A cold load of the fixture as it is now (the cache moved aside and put back).
fn outcome_of(fixture: &Fixture) -> LoadOutcome {
    let cache = cache_file(fixture.path());
    let aside = cache.with_extension("aside");
    std::fs::rename(&cache, &aside).expect("move the cache aside");
    let outcome = load(fixture.path());
    assert_eq!(outcome.cache.hits, 0);
    std::fs::rename(&aside, &cache).expect("put the cache back");
    outcome
}

#[test]
fn a_broken_cache_is_ignored_and_replaced() {
    let fixture = fixture_with_findings();
    let (cold, cold_diagnostics) = load_and_validate(fixture.path());
    let reference = snapshot(&cold);
    let path = cache_file(fixture.path());
    let good = std::fs::read(&path).expect("cache");

    let mut cut = good.clone();
    cut.truncate(good.len() * 2 / 3);
    // Same-length edits, so the entry is found and fails only when decoded.
    let edit = |from: &str, to: &str| {
        assert_eq!(from.len(), to.len());
        let text = String::from_utf8(good.clone()).expect("utf-8");
        assert!(text.contains(from), "{from}");
        text.replacen(from, to, 1).into_bytes()
    };
    let breakages: [(&str, Vec<u8>, Option<CacheUse>); 6] = [
        (
            "garbage",
            b"\x00\xff not a cache \xfe".to_vec(),
            Some(uses(0, FILES, true)),
        ),
        ("empty", Vec::new(), Some(uses(0, FILES, true))),
        ("truncated", cut, None),
        (
            "an entry of the wrong kind",
            edit("{\"document\":{\"Asset\":", "{\"document\": {\"Site\":"),
            Some(uses(FILES - 1, 1, true)),
        ),
        (
            "an entry that does not decode",
            edit("\"diagnostics\":[]", "\"diagnostics\":{}"),
            Some(uses(FILES - 1, 1, true)),
        ),
        (
            "a stored diagnostic with an unknown code",
            edit(
                "\"code\":\"yaml.unknown-field\"",
                "\"code\":\"yaml.unknown-fielD\"",
            ),
            Some(uses(FILES - 1, 1, true)),
        ),
    ];
    for (what, bytes, expected) in breakages {
        std::fs::write(&path, &bytes).expect("break the cache");
        let (outcome, diagnostics) = load_and_validate(fixture.path());
        assert_eq!(snapshot(&outcome), reference, "{what}");
        assert_eq!(diagnostics, cold_diagnostics, "{what}");
        match expected {
            Some(expected) => assert_eq!(outcome.cache, expected, "{what}"),
            None => assert!(
                outcome.cache.hits > 0 && outcome.cache.parsed > 0 && outcome.cache.written,
                "{what}: {:?}",
                outcome.cache
            ),
        }
        assert_eq!(std::fs::read(&path).expect("cache"), good, "{what}");
    }

    // Absurdly large (a sparse file): refused by its size, without being read.
    let file = std::fs::File::create(&path).expect("create");
    file.set_len(1 << 34).expect("sparse file");
    drop(file);
    let outcome = load(fixture.path());
    assert_eq!(outcome.cache, uses(0, FILES, true));
    assert_eq!(std::fs::read(&path).expect("cache"), good);

    // Unreadable and unwritable (a folder in its place): still no error.
    std::fs::remove_file(&path).expect("remove");
    std::fs::create_dir(&path).expect("a folder in the way");
    let (outcome, diagnostics) = load_and_validate(fixture.path());
    assert_eq!(outcome.cache, uses(0, FILES, false));
    assert_eq!(snapshot(&outcome), reference);
    assert_eq!(diagnostics, cold_diagnostics);
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().expect("folder"))
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_new_netparc_or_new_multiline_fields_invalidate_every_entry() {
    let fixture = fixture_with_findings();
    load(fixture.path());
    let path = cache_file(fixture.path());
    let text = std::fs::read_to_string(&path).expect("cache");
    let version = format!("\"netparc\":\"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(
        text.starts_with(&format!("{{{version},\"schema\":")),
        "{text:.80}"
    );
    std::fs::write(&path, text.replacen(&version, "\"netparc\":\"0.0.1\"", 1)).expect("write");
    assert_eq!(load(fixture.path()).cache, uses(0, FILES, true));

    // Descriptions become multi-line fields: the cached injection finding must not come
    // back.
    fixture.edit(
        "netparc.yml",
        "templates:",
        "multiline_fields: [banner, motd, description]\ntemplates:",
    );
    let outcome = load(fixture.path());
    assert_eq!(outcome.cache, uses(0, FILES, true));
    assert!(
        !outcome
            .diagnostics
            .iter()
            .any(|d| d.code == "inventory.injection"),
        "{}",
        outcome.diagnostics
    );
    assert_eq!(load(fixture.path()).cache, uses(FILES, 0, false));
}

#[test]
fn files_that_do_not_parse_are_never_cached() {
    let fixture = Fixture::new();
    fixture.edit("assets/workstations.yml", "kind: printer", "kind: [printer");
    let outcome = load(fixture.path());
    assert!(outcome.inventory.is_none());
    assert!(!outcome.cache.written);
    assert!(!cache_file(fixture.path()).exists());

    // With a cache in place, a broken file leaves it as it was; once the file is fixed,
    // only that file is parsed.
    fixture.edit("assets/workstations.yml", "kind: [printer", "kind: printer");
    assert_eq!(load(fixture.path()).cache, uses(0, FILES, true));
    let before = std::fs::read(cache_file(fixture.path())).expect("cache");
    fixture.edit("assets/sw1.yml", "kind: switch", "kind: swtich");
    let outcome = load(fixture.path());
    assert!(outcome.inventory.is_none());
    assert_eq!(outcome.cache, uses(FILES - 1, 1, false));
    assert_eq!(
        std::fs::read(cache_file(fixture.path())).expect("cache"),
        before
    );
    fixture.edit("assets/sw1.yml", "kind: swtich", "kind: switch");
    assert_eq!(load(fixture.path()).cache, uses(FILES, 0, false));
}

#[test]
fn the_cache_holds_no_secret_and_is_private() {
    let fixture = Fixture::new();
    // `check` resolves every secret to render and audit; the binary too.
    let report = fixture.check();
    assert_eq!(report.errors, 0, "{}", report.diagnostics);
    let output = fixture.run(&["check", "-i", "."]);
    assert!(output.status.success(), "{output:?}");
    let path = cache_file(fixture.path());
    let text = std::fs::read_to_string(&path).expect("cache");
    for (name, value) in SECRETS {
        assert!(!text.contains(value), "secret {name} in the cache");
        assert!(text.contains(&format!("file:secrets/{name}")), "{name}");
    }
    let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // The folder keeps itself out of git, since inventories live in repositories.
    let ignore = path.parent().expect("folder").join(".gitignore");
    let ignore = std::fs::read_to_string(ignore).expect(".gitignore");
    assert!(ignore.lines().any(|line| line == "*"));
}
