//! `netparc check` and `netparc render` end to end: templates, secrets, the audit and
//! playbooks, through the library and the real binary.

use crate::util::{Fixture, assert_clean, expect};
use std::os::unix::fs::PermissionsExt;

#[test]
fn base_fixture_checks_clean_and_renders() {
    let f = Fixture::new();
    let report = f.check();
    assert_clean(&report.diagnostics);
    assert_eq!(report.rendered, 2, "sw1 and ap1 have templates");
    assert_eq!(report.playbooks, 1);
    let out = f.run(&["check", "-i", "."]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("check ok: 4 assets (4 selected), 2 rendered")
    );
}

#[test]
fn template_syntax_error_is_located() {
    let f = Fixture::new();
    f.edit(
        "templates/ios/access-point.tera",
        "{% endfor %}",
        "{% endfo %}",
    );
    let report = f.check();
    let e = expect(
        &report.diagnostics,
        "render.template-syntax",
        "",
        "templates/ios/access-point.tera:5:4",
    );
    assert!(e.is_error());
}

#[test]
fn undefined_variable_names_variable_template_line_and_asset() {
    let f = Fixture::new();
    f.edit(
        "templates/ios/access-switch.tera",
        "clock timezone {{ vars.timezone }}",
        "clock timezone {{ vars.time_zone }}",
    );
    let report = f.check();
    let e = expect(
        &report.diagnostics,
        "render.undefined-variable",
        "time_zone",
        "templates/ios/access-switch.tera:14:24",
    );
    assert!(e.message.contains("ios/access-switch.tera"), "{e}");
    assert!(e.message.contains("line 14"), "{e}");
    assert_eq!(e.asset.as_deref(), Some("sw1"));
}

#[test]
fn leftover_markup_after_rendering_is_an_error() {
    let f = Fixture::new();
    f.edit(
        "assets/sw1.yml",
        "description: desk 1",
        "description: \"desk {{ 1 }}\"",
    );
    let report = f.check();
    let e = expect(&report.diagnostics, "render.leftover-markup", "", "");
    assert_eq!(e.asset.as_deref(), Some("sw1"));
}

#[test]
fn unknown_template_is_reported_at_the_asset() {
    let f = Fixture::new();
    f.edit(
        "assets/sw1.yml",
        "role: access-switch",
        "role: acess-switch",
    );
    let report = f.check();
    let e = expect(
        &report.diagnostics,
        "inventory.unknown-template",
        "template `ios/acess-switch.tera` does not exist",
        "assets/sw1.yml:4:7",
    );
    assert_eq!(
        e.hint.as_deref(),
        Some("did you mean `ios/access-switch.tera`?")
    );
}

#[test]
fn secret_file_with_loose_permissions_is_refused() {
    let f = Fixture::new();
    std::fs::set_permissions(
        f.file("secrets/admin"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let report = f.check();
    let e = expect(
        &report.diagnostics,
        "secrets.loose-permissions",
        "",
        "defaults.yml:3:13",
    );
    let text = e.to_string();
    assert!(text.contains("644"), "{text}");
    assert!(text.contains("chmod 600"), "{text}");
    assert!(!text.contains(crate::util::SECRETS[0].1));
}

#[test]
fn missing_secret_file_and_env_var() {
    let f = Fixture::new();
    std::fs::remove_file(f.file("secrets/wifi-staff")).unwrap();
    f.edit(
        "defaults.yml",
        "enable: file:secrets/enable",
        "enable: env:NETPARC_TEST_SURELY_UNSET",
    );
    let report = f.check();
    expect(
        &report.diagnostics,
        "secrets.file-missing",
        "",
        "assets/ap1.yml:12:10",
    );
    expect(
        &report.diagnostics,
        "secrets.env-missing",
        "NETPARC_TEST_SURELY_UNSET",
        "defaults.yml:4:11",
    );
}

#[test]
fn weak_secrets_are_flagged_by_the_audit() {
    let f = Fixture::new();
    f.write_secret("secrets/wifi-staff", "bonjour2024");
    f.write_secret("secrets/enable", "cisco");
    let report = f.check();
    let d = &report.diagnostics;
    let e = expect(
        d,
        "audit.password-too-short",
        "`ssids[0].psk` (file:secrets/wifi-staff) is 11 characters long; ANSSI asks at least 12 for user secrets",
        "assets/ap1.yml:12:10",
    );
    assert_eq!(e.asset.as_deref(), Some("ap1"));
    expect(
        d,
        "audit.password-very-weak",
        "`ssids[0].psk`",
        "assets/ap1.yml:12:10",
    );
    let e = expect(
        d,
        "audit.default-password",
        "`credentials.enable` (file:secrets/enable) is a well-known default password",
        "defaults.yml:4:11",
    );
    assert_eq!(
        e.asset.as_deref(),
        Some("ap1 and 1 more"),
        "one finding for the shared default"
    );
    assert!(!d.to_string().contains("bonjour2024"));
    let out = f.run(&["check", "-i", ".", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["errors"].as_u64().unwrap() >= 3);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("bonjour2024"));
}

#[test]
fn policy_rules_snmp_wifi_and_telnet() {
    let f = Fixture::new();
    f.edit(
        "defaults.yml",
        "version: v3",
        "version: v2c\n  community: file:secrets/community",
    );
    f.write_secret("secrets/community", "public");
    f.edit("assets/ap1.yml", "security: wpa3-sae", "security: wpa2-psk");
    f.edit(
        "templates/ios/access-switch.tera",
        "transport input ssh",
        "transport input telnet ssh",
    );
    let d = f.check().diagnostics;
    expect(
        &d,
        "audit.snmp-version",
        "snmp v2c is used where site `hq` requires v3",
        "defaults.yml:6:12",
    );
    expect(
        &d,
        "audit.snmp-default-community",
        "factory default",
        "defaults.yml:7:14",
    );
    let e = expect(
        &d,
        "audit.wifi-security",
        "SSID `Staff` uses wpa2-psk, which site `hq` does not allow",
        "assets/ap1.yml:11:15",
    );
    assert_eq!(e.expected.as_deref(), Some("one of: wpa3-sae, wpa2-wpa3"));
    expect(
        &d,
        "audit.telnet-enabled",
        "enables telnet for `sw1`",
        "templates/ios/access-switch.tera:0:0",
    );
}

#[test]
fn legacy_ssh_algorithms_are_flagged_once_where_they_are_set() {
    let f = Fixture::new();
    assert!(
        !f.check()
            .diagnostics
            .iter()
            .any(|d| d.code == "audit.ssh-legacy-algorithms")
    );
    f.edit(
        "defaults.yml",
        "credentials:",
        "ssh:\n  algorithms: legacy\ncredentials:",
    );
    let d = f.check().diagnostics;
    let found: Vec<_> = d
        .iter()
        .filter(|d| d.code == "audit.ssh-legacy-algorithms")
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one finding for the place, not per asset: {d}"
    );
    let e = expect(
        &d,
        "audit.ssh-legacy-algorithms",
        "SHA-1 key exchange and signatures, CBC ciphers and HMAC-SHA1",
        "defaults.yml:2:15",
    );
    assert!(
        e.asset.as_deref().is_some_and(|a| a.contains("more")),
        "{e:?}"
    );
}

#[test]
fn severities_are_configurable_per_code() {
    let f = Fixture::new();
    f.write_secret("secrets/wifi-staff", "bonjourbonjou");
    let before = f.check();
    assert!(
        before
            .diagnostics
            .iter()
            .any(|d| d.code.starts_with("audit.password") && d.is_error()),
        "{}",
        before.diagnostics
    );
    f.write("netparc.yml", &format!("{}policy:\n  severity:\n    audit.password-very-weak: warning\n    audit.password-weak: note\n", crate::util::NETPARC_YML));
    let after = f.check();
    assert!(
        !after
            .diagnostics
            .iter()
            .any(|d| d.code.starts_with("audit.password") && d.is_error()),
        "{}",
        after.diagnostics
    );
    f.write(
        "netparc.yml",
        &format!(
            "{}policy:\n  severity:\n    audit.password-weak: loud\n",
            crate::util::NETPARC_YML
        ),
    );
    expect(
        &f.check().diagnostics,
        "inventory.bad-severity",
        "unknown severity `loud`",
        "netparc.yml:7:26",
    );
}

#[test]
fn playbooks_are_validated_against_the_inventory() {
    let f = Fixture::new();
    f.edit("playbooks/users.yml", "  - verify: {}", "  - verfy: {}");
    f.edit(
        "playbooks/users.yml",
        "targets: \"kind:switch\"",
        "targets: \"kind:router\"",
    );
    let d = f.check().diagnostics;
    let e = expect(
        &d,
        "yaml.unknown-field",
        "unknown field `verfy`",
        "playbooks/users.yml:22:5",
    );
    assert_eq!(e.hint.as_deref(), Some("did you mean `verify`?"));
    expect(
        &d,
        "playbook.step-without-action",
        "step 5 has no action",
        "playbooks/users.yml:22:5",
    );
    expect(
        &d,
        "playbook.no-targets",
        "targets `kind:router` match no asset",
        "playbooks/users.yml:2:10",
    );
}

#[test]
fn a_changing_playbook_needs_its_change_record() {
    let f = Fixture::new();
    f.write("playbooks/push.yml", "name: push\ntargets: sw1\nsteps:\n  - push: {}\n  - render: {}\n    backup: {}\nrollout:\n  serial: [\"0%\"]\n  pause: soon\n");
    let d = f.check().diagnostics;
    let e = expect(
        &d,
        "playbook.change-record-missing",
        "changes devices but has no change record",
        "playbooks/push.yml:1:1",
    );
    assert!(e.expected.as_deref().unwrap().contains("requested_by"));
    expect(
        &d,
        "playbook.step-several-actions",
        "step 2 has several actions: render, backup",
        "playbooks/push.yml:5:5",
    );
    expect(
        &d,
        "playbook.bad-rollout",
        "serial: `0%` is not a batch size",
        "playbooks/push.yml:8:3",
    );
    expect(
        &d,
        "playbook.bad-rollout",
        "pause: `soon` is not a duration",
        "playbooks/push.yml:9:10",
    );
}

#[test]
fn render_writes_private_files_or_nothing() {
    let f = Fixture::new();
    let out = f.run(&["render", "-i", ".", "--out", "out"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = std::fs::read_to_string(f.file("out/sw1.cfg")).unwrap();
    assert!(config.contains("hostname sw1"));
    assert!(config.contains("ip address 10.0.99.11 255.255.255.0"));
    assert!(config.contains("switchport access vlan 10"));
    let mode = std::fs::metadata(f.file("out/sw1.cfg"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    // a failure on one asset writes nothing at all
    f.edit(
        "templates/ios/access-point.tera",
        "{{ ssid.psk }}",
        "{{ ssid.pks }}",
    );
    let out = f.run(&["render", "-i", ".", "--out", "out2"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!f.file("out2").exists());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pks"));
}

#[test]
fn limit_narrows_render_and_bad_limits_explain_themselves() {
    let f = Fixture::new();
    let out = f.run(&["render", "-i", ".", "--limit", "kind:access_point"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("hostname ap1") && !text.contains("hostname sw1"),
        "{text}"
    );
    let out = f.run(&["render", "-i", ".", "--limit", "kind:acces_point"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `access_point`?"));
    let out = f.run(&["check", "-i", ".", "--limit", "site:nowhere"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn lifecycle_dates_and_when_expressions_are_validated() {
    let f = Fixture::new();
    f.edit(
        "assets/sw1.yml",
        "serial: FOC0001",
        "serial: FOC0001\nlifecycle:\n  warranty_end: 2027-13-45",
    );
    f.edit(
        "playbooks/users.yml",
        "  - name: Check VLANs\n",
        "  - name: Check VLANs\n    when: \"vars.poe == = true\"\n",
    );
    let d = f.check().diagnostics;
    let e = expect(
        &d,
        "inventory.bad-date",
        "`2027-13-45` is not a date: month 13 does not exist",
        "assets/sw1.yml:11:17",
    );
    assert_eq!(e.field.as_deref(), Some("lifecycle.warranty_end"));
    expect(
        &d,
        "playbook.bad-when",
        "step 4 has an invalid `when` expression",
        "playbooks/users.yml:21:11",
    );
}

#[test]
fn named_secrets_reach_templates_and_the_audit() {
    let f = Fixture::new();
    f.edit(
        "groups.yml",
        "switches:\n  description: every switch\n",
        "switches:\n  description: every switch\n  secrets:\n    radius_key: file:secrets/radius\n",
    );
    f.write_secret("secrets/radius", "Jr4$Wq8!Lm2@Zx6#Vb9kTe");
    f.edit(
        "templates/ios/access-switch.tera",
        "line vty 0 15\n",
        "radius server nps\n key {{ secrets.radius_key }}\nline vty 0 15\n",
    );
    let out = f.run(&["render", "-i", ".", "--limit", "sw1"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(" key Jr4$Wq8!Lm2@Zx6#Vb9kTe"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    f.write_secret("secrets/radius", "radius");
    let d = f.check().diagnostics;
    let e = expect(
        &d,
        "audit.password-too-short",
        "`secrets.radius_key` (file:secrets/radius) is 6 characters long",
        "groups.yml:4:17",
    );
    assert_eq!(e.asset.as_deref(), Some("sw1"));
}
