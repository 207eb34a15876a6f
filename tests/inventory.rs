//! Loading inventories: malformed YAML, wrong types, unknown keys, references, the
//! injection guard, precedence and selectors. Every bad input asserts its message and place.

use crate::util::{Fixture, assert_clean, expect};
use netparc::inventory::vars;

#[test]
fn malformed_yaml_names_file_line_and_column() {
    let f = Fixture::new();
    f.write("assets/sw1.yml", "name: sw1\nkind: switch\nsite: [hq\n");
    let (inventory, d) = f.load();
    assert!(inventory.is_none());
    let e = expect(&d, "yaml.invalid", "", "");
    let location = e.location.as_ref().unwrap();
    assert!(
        location.file.ends_with("assets/sw1.yml") && location.line >= 3,
        "{e}"
    );
}

#[test]
fn wrong_type_is_reported_with_position() {
    let f = Fixture::new();
    f.edit("plan/hq.yml", "id: 30", "id: thirty");
    let (_, d) = f.load();
    let e = expect(&d, "yaml.invalid", "", "plan/hq.yml:23:9");
    assert!(
        e.message.contains("invalid") || e.message.contains("expected"),
        "{e}"
    );
}

#[test]
fn unknown_enum_value_lists_the_accepted_ones() {
    let f = Fixture::new();
    f.edit("assets/sw1.yml", "kind: switch", "kind: swich");
    let (_, d) = f.load();
    let e = expect(&d, "yaml.invalid", "swich", "assets/sw1.yml:2:7");
    assert!(e.message.contains("access_point"), "{e}");
}

#[test]
fn every_unknown_key_is_reported_with_did_you_mean() {
    let f = Fixture::new();
    f.edit("plan/hq.yml", "gateway: 10.0.10.1", "gatway: 10.0.10.1");
    f.edit("assets/sw1.yml", "serial: FOC0001", "serail: FOC0001");
    f.edit("assets/sw1.yml", "description: desk 2", "colour: blue");
    let (inventory, d) = f.load();
    assert!(inventory.is_some(), "unknown keys do not stop the load");
    let e = expect(
        &d,
        "yaml.unknown-field",
        "unknown field `gatway`",
        "plan/hq.yml:16:9",
    );
    assert_eq!(e.hint.as_deref(), Some("did you mean `gateway`?"));
    assert_eq!(e.field.as_deref(), Some("vlans[0].subnets[0].gatway"));
    let e = expect(
        &d,
        "yaml.unknown-field",
        "unknown field `serail`",
        "assets/sw1.yml:9:1",
    );
    assert_eq!(e.hint.as_deref(), Some("did you mean `serial`?"));
    expect(
        &d,
        "yaml.unknown-field",
        "unknown field `colour`",
        "assets/sw1.yml:15:5",
    );
}

#[test]
fn unknown_references_suggest_the_known_names() {
    let f = Fixture::new();
    f.edit("assets/sw1.yml", "site: hq", "site: hg");
    f.edit("assets/ap1.yml", "vlan: wifi-staff", "vlan: wifi-staf");
    f.edit("assets/sw1.yml", "groups: [switches]", "groups: [switchs]");
    f.edit("assets/ap1.yml", "platform: ios", "platform: iso");
    let d = f.validate();
    let e = expect(
        &d,
        "inventory.unknown-site",
        "unknown site `hg`",
        "assets/sw1.yml:5:7",
    );
    assert!(
        e.hint.as_deref().unwrap().starts_with("did you mean `hq`?"),
        "{e}"
    );
    let e = expect(
        &d,
        "inventory.unknown-vlan",
        "site `hq` has no VLAN `wifi-staf`",
        "assets/ap1.yml:10:11",
    );
    assert!(
        e.hint
            .as_deref()
            .unwrap()
            .starts_with("did you mean `wifi-staff`?"),
        "{e}"
    );
    assert_eq!(e.field.as_deref(), Some("ssids[0].vlan"));
    expect(
        &d,
        "inventory.unknown-group",
        "unknown group `switchs`",
        "assets/sw1.yml:8:10",
    );
    expect(
        &d,
        "inventory.unknown-platform",
        "unknown platform `iso`",
        "assets/ap1.yml:3:11",
    );
}

#[test]
fn duplicate_asset_names() {
    let f = Fixture::new();
    f.edit("assets/workstations.yml", "name: printer1", "name: pc1");
    let d = f.validate();
    let e = expect(
        &d,
        "inventory.duplicate-asset",
        "asset name `pc1` is used twice",
        "assets/workstations.yml:9:9",
    );
    assert!(
        e.hint
            .as_deref()
            .unwrap()
            .contains("assets/workstations.yml:1:9")
    );
}

#[test]
fn end_devices_must_point_at_real_free_ports() {
    let f = Fixture::new();
    f.edit(
        "assets/workstations.yml",
        "port: Gi1/0/1}",
        "port: Gi1/0/9}",
    );
    expect(
        &f.validate(),
        "inventory.unknown-port",
        "switch `sw1` has no port `Gi1/0/9`",
        "assets/workstations.yml:8:37",
    );
    f.edit(
        "assets/workstations.yml",
        "port: Gi1/0/9}",
        "port: Gi1/0/1}",
    );
    f.edit(
        "assets/workstations.yml",
        "  address: 10.0.10.30\n",
        "  address: 10.0.10.30\n  connected_to: {switch: sw1, port: Gi1/0/1}\n",
    );
    expect(
        &f.validate(),
        "inventory.port-in-use",
        "port Gi1/0/1 of `sw1` is already used by `pc1`",
        "assets/workstations.yml:13:37",
    );
    f.edit(
        "assets/workstations.yml",
        "connected_to: {switch: sw1, port: Gi1/0/1}\n",
        "connected_to: {switch: sw9, port: Gi1/0/2}\n",
    );
    expect(
        &f.validate(),
        "inventory.unknown-switch",
        "`pc1` is connected to unknown switch `sw9`",
        "assets/workstations.yml:8:26",
    );
}

#[test]
fn injected_newline_is_rejected_with_its_location() {
    let f = Fixture::new();
    f.edit(
        "assets/sw1.yml",
        "description: desk 1",
        "description: \"desk 1\\n username evil privilege 15 secret x\"",
    );
    let (_, d) = f.load();
    let e = expect(
        &d,
        "inventory.injection",
        "`interfaces[0].description` contains a newline",
        "assets/sw1.yml:12:18",
    );
    assert_eq!(e.field.as_deref(), Some("interfaces[0].description"));
    assert!(e.hint.as_deref().unwrap().contains("smuggle"));
}

#[test]
fn injected_control_characters_and_block_scalars() {
    let f = Fixture::new();
    f.edit("assets/ap1.yml", "name: Staff", "name: \"Staff\\r\"");
    f.edit(
        "assets/workstations.yml",
        "user: Jeanne Martin",
        "user: |\n    Jeanne\n    end",
    );
    let (_, d) = f.load();
    expect(
        &d,
        "inventory.injection",
        "`ssids[0].name` contains a carriage return",
        "assets/ap1.yml:9:11",
    );
    expect(
        &d,
        "inventory.injection",
        "`[0].user` contains a newline",
        "assets/workstations.yml:8:5",
    );
}

#[test]
fn banners_may_span_lines() {
    let f = Fixture::new();
    f.write(
        "assets/sw1.yml",
        &format!(
            "{}banner: |\n  Authorised access only.\n  Disconnect now otherwise.\n",
            crate::util::SWITCH
        ),
    );
    assert_clean(&f.validate());
}

#[test]
fn inline_secrets_are_refused_without_echoing_them() {
    let f = Fixture::new();
    f.edit(
        "defaults.yml",
        "password: file:secrets/admin",
        "password: Sup3rS3cret!",
    );
    let (_, d) = f.load();
    let e = expect(
        &d,
        "yaml.invalid",
        "secrets must be references",
        "defaults.yml:3:13",
    );
    assert!(!d.to_string().contains("Sup3rS3cret"), "{d}");
    assert!(e.message.contains("vault:NAME"));
}

#[test]
fn precedence_asset_then_groups_in_order_then_defaults() {
    let f = Fixture::new();
    f.write(
        "defaults.yml",
        &format!(
            "{}vars:\n  timezone: Europe/Paris\n  domain: corp.example\n  level: 1\n",
            crate::util::DEFAULTS
        ),
    );
    f.edit(
        "assets/sw1.yml",
        "groups: [switches]",
        "groups: [core, switches]\nvars:\n  level: 3",
    );
    let (inventory, d) = f.load();
    assert!(!d.has_errors(), "{d}");
    let inventory = inventory.unwrap();
    let sw1 = inventory.asset("sw1").unwrap();
    let merged = vars::merged_vars(&inventory, sw1);
    assert_eq!(
        merged["timezone"], "UTC",
        "core is listed first, so it wins over switches"
    );
    assert_eq!(merged["syslog_level"], "informational", "from switches");
    assert_eq!(merged["domain"], "corp.example", "from defaults");
    assert_eq!(merged["level"], 3, "the asset wins");
    let credentials = vars::credentials(&inventory, sw1).unwrap();
    assert_eq!(credentials.value.username, "netadmin");
    assert!(credentials.locate(&[]).file.ends_with("defaults.yml"));
}

#[test]
fn ssh_settings_resolve_field_by_field() {
    use netparc::inventory::SshAlgorithms;
    let f = Fixture::new();
    f.edit(
        "groups.yml",
        "  description: every switch",
        "  description: every switch\n  ssh:\n    algorithms: legacy\n    port: 2222\n    timeout: 45s",
    );
    f.edit(
        "assets/sw1.yml",
        "groups: [switches]",
        "groups: [switches]\nssh:\n  port: 8022",
    );
    let (inventory, d) = f.load();
    assert!(!d.has_errors(), "{d}");
    let inventory = inventory.unwrap();
    let sw1 = inventory.asset("sw1").unwrap();
    assert_eq!(
        vars::ssh_port(&inventory, sw1),
        8022,
        "the asset's port wins"
    );
    let algorithms = vars::ssh_algorithms(&inventory, sw1).unwrap();
    assert_eq!(*algorithms.value, SshAlgorithms::Legacy, "from its group");
    assert!(algorithms.locate(&[]).file.ends_with("groups.yml"));
    assert_eq!(
        vars::ssh_timeout(&inventory, sw1),
        std::time::Duration::from_secs(45)
    );
    let ap1 = inventory.asset("ap1").unwrap();
    assert_eq!(vars::ssh_port(&inventory, ap1), 22);
    assert!(vars::ssh_algorithms(&inventory, ap1).is_none());
    assert_eq!(
        vars::ssh_timeout(&inventory, ap1),
        std::time::Duration::from_secs(10)
    );
}

#[test]
fn bad_ssh_settings_are_refused_at_their_place() {
    let f = Fixture::new();
    f.edit(
        "assets/sw1.yml",
        "groups: [switches]",
        "groups: [switches]\nssh:\n  port: 0",
    );
    let (inventory, d) = f.load();
    assert!(inventory.is_none());
    expect(
        &d,
        "yaml.invalid",
        "invalid value: integer `0`, expected a nonzero u16",
        "assets/sw1.yml:10:3",
    );
    f.edit("assets/sw1.yml", "port: 0", "algorithms: weak");
    let (inventory, d) = f.load();
    assert!(inventory.is_none());
    expect(
        &d,
        "yaml.invalid",
        "unknown variant `weak`, expected one of modern, legacy",
        "assets/sw1.yml:10:15",
    );
    f.edit("assets/sw1.yml", "algorithms: weak", "timeout: 0s");
    let (inventory, d) = f.load();
    assert!(inventory.is_none());
    expect(
        &d,
        "yaml.invalid",
        "a timeout of 0 fails every connection: give at least 1s",
        "assets/sw1.yml:10:12",
    );
    f.edit("assets/sw1.yml", "timeout: 0s", "timeout: soon");
    let (inventory, d) = f.load();
    assert!(inventory.is_none());
    expect(
        &d,
        "yaml.invalid",
        "`soon` is not a duration (expected e.g. 30s, 5m, 1h, 2d, 500ms)",
        "assets/sw1.yml:10:12",
    );
}

#[test]
fn one_asset_per_file_or_a_list_and_new_files_are_picked_up() {
    let f = Fixture::new();
    f.write(
        "assets/site-b/new-pc.yml",
        "name: pc-new\nkind: workstation\nsite: hq\naddress: 10.0.10.40\n",
    );
    let (inventory, d) = f.load();
    assert!(!d.has_errors(), "{d}");
    let inventory = inventory.unwrap();
    assert!(inventory.asset("pc-new").is_some());
    assert_eq!(inventory.assets.len(), 5);
}

#[test]
fn missing_settings_says_what_an_inventory_is() {
    let f = Fixture::new();
    std::fs::remove_file(f.file("netparc.yml")).unwrap();
    let (inventory, d) = f.load();
    assert!(inventory.is_none());
    expect(
        &d,
        "inventory.missing-settings",
        "is not an inventory: netparc.yml is missing",
        "netparc.yml:0:0",
    );
}

#[test]
fn loaders_never_panic_on_arbitrary_text() {
    use proptest::prelude::*;
    let f = Fixture::new();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(200));
    let seeds = [
        crate::util::PLAN_HQ,
        crate::util::SWITCH,
        crate::util::WORKSTATIONS,
    ];
    runner
        .run(
            &(
                0usize..3,
                any::<u64>(),
                "[ -~\n\t:{}\\[\\]&*!|>'\"%@`#,-]{0,40}",
                0usize..400,
            ),
            |(seed, _, junk, cut)| {
                let text = seeds[seed];
                let cut = cut.min(text.len());
                let cut = (0..=cut)
                    .rev()
                    .find(|c| text.is_char_boundary(*c))
                    .unwrap_or(0);
                let mutated = format!("{}{}{}", &text[..cut], junk, &text[cut..]);
                f.write(
                    "plan/hq.yml",
                    if seed == 0 {
                        &mutated
                    } else {
                        crate::util::PLAN_HQ
                    },
                );
                f.write(
                    "assets/sw1.yml",
                    if seed == 1 {
                        &mutated
                    } else {
                        crate::util::SWITCH
                    },
                );
                f.write(
                    "assets/workstations.yml",
                    if seed == 2 {
                        &mutated
                    } else {
                        crate::util::WORKSTATIONS
                    },
                );
                let _ = f.validate();
                Ok(())
            },
        )
        .unwrap();
}
