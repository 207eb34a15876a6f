//! `netparc verify` end to end: the real binary against the twin lab of the test inventory
//! (table, JSON, exit codes, faults), and the library call the playbook engine uses.

use crate::util::Fixture;
use netparc::access::{Access, AccessOptions};
use netparc::check::open_resolver;
use netparc::inventory::{Asset, Inventory, Located, Selector};
use netparc::probe::verdict::{ConfigSync, Verdict};
use netparc::verify::{VerifyOptions, verify_assets};

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn every_twin_passes_and_the_table_says_so() {
    let fixture = Fixture::new();
    let output = fixture.run(&[
        "verify",
        "-i",
        ".",
        "--lab",
        "--limit",
        "sw1,ap1",
        "--skip-config",
    ]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("ASSET  REACHABLE   RTT")
            && lines[0].ends_with("SNMP NAME  UPTIME    IFS UP/DOWN  CONFIG   VERDICT"),
        "{text}"
    );
    for asset in ["ap1", "sw1"] {
        let line = lines
            .iter()
            .find(|l| l.starts_with(&format!("{asset} ")))
            .unwrap_or_else(|| panic!("no line for {asset}: {text}"));
        assert!(line.contains("yes (icmp)"), "{line}");
        assert!(line.contains(" ms "), "{line}");
        assert!(
            line.contains(&format!("  {asset}  ")),
            "SNMP name column: {line}"
        );
        assert!(line.ends_with("passed"), "{line}");
    }
    assert!(
        text.ends_with("2 passed, 0 failed, 0 unreachable\n"),
        "{text}"
    );
    // Written back into the inventory's verified state, nothing else touched.
    let store = netparc::state::StateStore::open(fixture.path());
    for asset in ["ap1", "sw1"] {
        let section = store.section(asset, "verification").unwrap().unwrap();
        assert_eq!(section["verdict"], serde_json::json!("passed"), "{asset}");
        assert_eq!(
            section["snmp"]["system"]["name"],
            serde_json::json!(asset),
            "{section}"
        );
    }
    assert!(store.section("pc1", "verification").unwrap().is_none());
}

#[test]
fn faults_fail_the_run_with_their_reasons() {
    let fixture = Fixture::new();
    let output = fixture.run(&[
        "verify",
        "-i",
        ".",
        "--lab",
        "--limit",
        "sw1,ap1",
        "--skip-config",
        "--fault",
        "sw1:wrong-sysname=core-9",
        "--fault",
        "sw1:interface-down=GigabitEthernet1/0/2",
        "--fault",
        "ap1:snmp-timeout",
    ]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}{}", stderr(&output));
    assert!(
        text.contains("sw1: sys_name: sysName is `core-9`, expected `sw1`\n"),
        "{text}"
    );
    assert!(
        text.contains("sw1: interface_up: Gi1/0/2 is down (admin up), expected up\n"),
        "{text}"
    );
    let ap1 = text.lines().find(|l| l.starts_with("ap1: snmp: ")).unwrap();
    assert!(
        ap1.starts_with("ap1: snmp: SNMP timeout: no valid answer from 127.")
            && ap1.ends_with(
                "within 2000 ms (1 retries): the device is down or filtered (not even engine \
                 discovery was answered)"
            ),
        "{ap1}"
    );
    assert!(
        text.ends_with("0 passed, 2 failed, 0 unreachable\n"),
        "{text}"
    );
}

#[test]
fn json_holds_every_measurement_and_no_secret() {
    let fixture = Fixture::new();
    let output = fixture.run(&[
        "verify",
        "-i",
        ".",
        "--lab",
        "--limit",
        "sw1",
        "--format",
        "json",
        "--probe",
        "icmp,snmp,tcp",
        "--skip-config",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    for (_, secret) in crate::util::SECRETS {
        assert!(!text.contains(secret), "a secret in the report");
    }
    let states: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let sw1 = &states[0];
    assert_eq!(sw1["asset"], "sw1");
    assert_eq!(sw1["verdict"], "passed");
    assert_eq!(sw1["ping"]["sent"], 3);
    assert_eq!(sw1["ping"]["received"], 3);
    assert_eq!(sw1["tcp"]["connected"], true, "the twin's SSH port");
    assert_eq!(sw1["snmp"]["system"]["name"], "sw1");
    assert_eq!(sw1["snmp"]["serial"], "FOC0001");
    assert!(sw1["checked_at"].as_str().unwrap().ends_with('Z'));
    let checks: Vec<&str> = sw1["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        checks,
        [
            "reachable",
            "sys_name",
            "interface_up",
            "interface_up",
            "interface_up",
            "object_id",
            "serial"
        ]
    );
    assert_eq!(sw1["config"]["state"], "unknown");
    assert_eq!(sw1["config"]["reason"], "not compared (--skip-config)");
}

/// The config column through the real drivers: a factory twin has drifted from its intent;
/// after the plan is applied it is in sync; a line changed by hand makes it drift again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_is_drifted_then_in_sync_once_pushed() {
    use netparc::driver::{self, DriverOptions, Mode};
    let fixture = Fixture::new();
    // What the device shows back as written (full interface names, no secrets: a running
    // configuration shows secrets hashed, so an intent holding them in clear never
    // compares equal).
    fixture.write(
        "templates/ios/access-switch.tera",
        "hostname {{ asset.name }}\n{% for name, vlan in vlans %}vlan {{ vlan.id }}\n name {{ vlan.name }}\n{% endfor %}interface GigabitEthernet1/0/1\n description desk 1\n",
    );
    let inventory = Inventory::load(fixture.path()).inventory.unwrap();
    let resolver = open_resolver(&inventory);
    let selector = Selector::parse("sw1").unwrap();
    let access = Access::open(
        &inventory,
        &resolver,
        &selector,
        &AccessOptions {
            lab: true,
            faults: Vec::new(),
            accept_new: true,
        },
    )
    .await
    .expect("lab");
    let templates = netparc::check::load_templates(&inventory).expect("templates");
    let (intents, found) =
        netparc::intent::render_selected(&inventory, &templates, &resolver, &selector);
    assert!(found.is_empty(), "{found}");
    let assets: Vec<&Located<Asset>> = vec![inventory.asset("sw1").unwrap()];
    let options = VerifyOptions {
        ping: None,
        snmp: false,
        ..VerifyOptions::default()
    };
    let verify = || verify_assets(&inventory, &resolver, &access, &assets, &intents, &options);

    let (states, problems) = verify().await;
    assert!(problems.is_empty(), "{problems}");
    let ConfigSync::Drifted { differences } = states[0].config else {
        panic!("a factory twin is not in sync: {:?}", states[0].config);
    };
    assert!(differences > 0);
    assert_eq!(states[0].verdict, Verdict::Unreachable, "no probe ran");

    let endpoint = access.endpoint(&inventory, assets[0], &resolver).unwrap();
    let mut device = driver::connect(
        "ios",
        "sw1",
        endpoint.address.unwrap(),
        &endpoint.ssh,
        DriverOptions {
            enable: endpoint.enable.clone(),
            secrets: endpoint.secrets.clone(),
            ..DriverOptions::default()
        },
    )
    .await
    .expect("driver");
    let running = device.running_config().await.unwrap();
    let plan = device
        .plan(&intents[0].text, &running, Mode::Merge)
        .unwrap();
    device.apply(&plan).await.expect("push");
    let (states, _) = verify().await;
    assert_eq!(states[0].config, ConfigSync::InSync);

    device
        .configure(&[String::from("hostname sw1-renamed")])
        .await
        .unwrap();
    device.close().await;
    let (states, _) = verify().await;
    assert_eq!(states[0].config, ConfigSync::Drifted { differences: 1 });
    let drift = states[0].failures().find(|c| c.name == "config").unwrap();
    assert_eq!(
        drift.reason,
        "the running configuration differs from the intended one (1 change(s) to make)"
    );
    access.close().await;
}

#[test]
fn bad_invocations_are_explained() {
    let fixture = Fixture::new();
    let output = fixture.run(&["verify", "-i", ".", "--fault", "sw1:down"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("--fault `sw1:down` needs --lab: faults exist only on twins"),
        "{}",
        stderr(&output)
    );
    let output = fixture.run(&["verify", "-i", ".", "--lab", "--limit", "nothing-*"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--limit `nothing-*` selects no asset"),
        "{}",
        stderr(&output)
    );
    let output = fixture.run(&["verify", "-i", ".", "--lab", "--probe", "smtp"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("invalid value 'smtp' for '--probe <PROBE>'"),
        "{}",
        stderr(&output)
    );
}

/// The library call the playbook engine's `verify` step makes: a restart since the previous
/// verification (a smaller uptime) and a playbook's own list of interfaces.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_library_call_checks_uptime_and_a_playbooks_interfaces() {
    let fixture = Fixture::new();
    let inventory = Inventory::load(fixture.path()).inventory.unwrap();
    let resolver = open_resolver(&inventory);
    let selector = Selector::parse("sw1").unwrap();
    let access = Access::open(
        &inventory,
        &resolver,
        &selector,
        &AccessOptions {
            lab: true,
            faults: Vec::new(),
            accept_new: true,
        },
    )
    .await
    .expect("lab");
    let assets: Vec<&Located<Asset>> = inventory
        .assets
        .iter()
        .filter(|a| selector.matches(&a.value))
        .collect();
    let mut options = VerifyOptions {
        config: false,
        ..VerifyOptions::default()
    };
    options
        .previous_uptime
        .insert(String::from("sw1"), u32::MAX);
    options.interfaces_up = Some(vec![String::from("Gi1/0/48"), String::from("Te1/1/1")]);
    let (states, problems) =
        verify_assets(&inventory, &resolver, &access, &assets, &[], &options).await;
    // The single-asset call the playbook engine makes gives the same verdict.
    let probes = netparc::verify::Probes::new();
    let single = netparc::verify::verify_asset(
        &probes, &inventory, &resolver, &access, assets[0], None, &options,
    )
    .await
    .expect("sw1 can be probed");
    access.close().await;
    assert!(problems.is_empty(), "{problems}");
    let state = &states[0];
    assert_eq!(single.asset, "sw1");
    assert_eq!(single.verdict, state.verdict);
    assert_eq!(
        single
            .failures()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["interface_up", "uptime"]
    );
    assert_eq!(state.verdict, Verdict::Failed);
    assert_eq!(
        state.config,
        ConfigSync::Unknown {
            reason: String::from("not compared (--skip-config)")
        }
    );
    let failures: Vec<(&str, &str)> = state
        .failures()
        .map(|c| (c.name.as_str(), c.reason.as_str()))
        .collect();
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert_eq!(failures[0].0, "interface_up");
    assert_eq!(
        failures[0].1,
        "interface Te1/1/1 is not reported by the device"
    );
    assert_eq!(failures[1].0, "uptime");
    assert!(
        failures[1]
            .1
            .starts_with("uptime went back from 497d 02:27:52 to 0d 00:00:0")
            && failures[1]
                .1
                .ends_with(": the device restarted since the last verification"),
        "{}",
        failures[1].1
    );
}

/// The restart check reads the uptime of the previous verification from the state store;
/// a state file hand-edited into invalid YAML is reported and left alone.
#[test]
fn a_restart_since_the_stored_verification_fails_and_a_broken_state_file_is_reported() {
    let fixture = Fixture::new();
    let store = netparc::state::StateStore::open(fixture.path());
    store
        .update(
            "sw1",
            netparc::verify::STATE_SECTION,
            serde_json::json!({"snmp": {"system": {"uptime_ticks": 4_000_000_000u32}}}),
        )
        .unwrap();
    fixture.write("state/assets/ap1.yml", "verification: [unclosed\n");
    let output = fixture.run(&[
        "verify",
        "-i",
        ".",
        "--lab",
        "--limit",
        "sw1,ap1",
        "--skip-config",
    ]);
    let text = stdout(&output);
    let errors = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}{errors}");
    assert!(
        text.contains("sw1: uptime: uptime went back from 462d 23:06:40 to 0d 00:00:0"),
        "{text}"
    );
    assert!(
        errors.contains("previous verification of `ap1` unreadable: ")
            && errors.contains("ap1.yml:")
            && errors.contains("the state file is not valid YAML"),
        "{errors}"
    );
    assert!(text.contains("ap1 "), "ap1 is still verified: {text}");
    assert_eq!(
        std::fs::read_to_string(fixture.file("state/assets/ap1.yml")).unwrap(),
        "verification: [unclosed\n",
        "never overwritten"
    );
}

#[test]
fn a_hand_broken_state_file_is_reported_and_not_overwritten() {
    let fixture = Fixture::new();
    let broken = "asset: sw1\nverification: {verdict: passed\n";
    fixture.write("state/assets/sw1.yml", broken);
    let output = fixture.run(&[
        "verify",
        "-i",
        ".",
        "--lab",
        "--limit",
        "sw1,ap1",
        "--skip-config",
    ]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{}{err}", stdout(&output));
    assert!(
        err.contains("not recorded") && err.contains("sw1.yml"),
        "{err}"
    );
    assert!(
        err.contains("is not valid YAML") && err.contains("leaves it untouched"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(fixture.file("state/assets/sw1.yml")).unwrap(),
        broken
    );
    // The other asset's state is written all the same.
    let store = netparc::state::StateStore::open(fixture.path());
    assert!(store.section("ap1", "verification").unwrap().is_some());
}

#[test]
fn a_playbook_asking_for_an_unknown_probe_is_refused_with_its_place() {
    let fixture = Fixture::new();
    fixture.edit(
        "playbooks/users.yml",
        "  - verify: {}",
        "  - verify: {probes: [icmp, smnp]}",
    );
    let diagnostics = fixture.check().diagnostics;
    let found = crate::util::expect(
        &diagnostics,
        "playbook.unknown-probe",
        "step 5 asks for an unknown probe `smnp`",
        "playbooks/users.yml:22:29",
    );
    assert_eq!(found.hint.as_deref(), Some("did you mean `snmp`?"));
    assert_eq!(found.expected.as_deref(), Some("icmp, snmp, tcp"));
}

/// The daemon's scope reads the interfaces' states and no inventory facts: the port states
/// match a full poll's, nothing is said of the serial, and the verdict does not miss it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_monitoring_scope_reads_states_not_inventory_facts() {
    let fixture = Fixture::new();
    let inventory = Inventory::load(fixture.path()).inventory.unwrap();
    let resolver = open_resolver(&inventory);
    let selector = Selector::parse("sw1").unwrap();
    let access = Access::open(
        &inventory,
        &resolver,
        &selector,
        &AccessOptions {
            lab: true,
            faults: Vec::new(),
            accept_new: true,
        },
    )
    .await
    .expect("lab");
    let assets: Vec<&Located<Asset>> = vec![inventory.asset("sw1").unwrap()];
    let full = VerifyOptions {
        config: false,
        ..VerifyOptions::default()
    };
    let states_only = VerifyOptions {
        snmp_scope: netparc::verify::SnmpScope::States,
        ..full.clone()
    };
    let (full, _) = verify_assets(&inventory, &resolver, &access, &assets, &[], &full).await;
    let (light, problems) =
        verify_assets(&inventory, &resolver, &access, &assets, &[], &states_only).await;
    access.close().await;
    assert!(problems.is_empty(), "{problems}");
    let (full, light) = (&full[0], &light[0]);
    let (full_facts, light_facts) = (full.snmp.as_ref().unwrap(), light.snmp.as_ref().unwrap());
    assert!(full_facts.serial.is_some());
    assert_eq!(light_facts.serial, None);
    assert_eq!(full_facts.system.name, light_facts.system.name);
    let states = |facts: &netparc::probe::snmp::SnmpFacts| -> Vec<(String, String, String)> {
        facts
            .interfaces
            .iter()
            .map(|i| {
                (
                    i.name.clone(),
                    i.admin_status.clone(),
                    i.oper_status.clone(),
                )
            })
            .collect()
    };
    assert_eq!(states(full_facts), states(light_facts));
    assert!(!light_facts.interfaces.is_empty());
    assert!(
        light_facts
            .interfaces
            .iter()
            .all(|i| i.alias.is_empty() && i.speed_mbps.is_none())
    );
    assert_eq!(
        light.verdict,
        full.verdict,
        "{:?}",
        light.failures().collect::<Vec<_>>()
    );
    assert!(!light.checks.iter().any(|c| c.name == "serial"));
}
