//! Test helpers: a small but complete inventory written to a temporary folder, edited per
//! test, loaded through the library or driven through the real `netparc` binary.

use netparc::check::{CheckReport, check};
use netparc::diag::{Diagnostic, Diagnostics};
use netparc::inventory::{Inventory, Selector};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

pub const NETPARC_YML: &str =
    "name: lab\ndescription: test inventory\ntemplates: templates\nplaybooks: playbooks\n";

pub const PLAN_HQ: &str = "\
site: hq
name: Head office
routing_domain: corp
dns: [10.0.100.10]
ntp: [10.0.100.11]
syslog: [10.0.100.12]
policy:
  snmp: v3
  wifi: [wpa3-sae, wpa2-wpa3]
vlans:
  - id: 10
    name: users
    purpose: data
    subnets:
      - prefix: 10.0.10.0/24
        gateway: 10.0.10.1
        dhcp: [10.0.10.100-10.0.10.199]
        reserved:
          - range: 10.0.10.2-10.0.10.9
            reason: infrastructure
      - prefix: 2001:db8:10::/64
        gateway: 2001:db8:10::1
  - id: 30
    name: wifi-staff
    purpose: wifi
    subnets:
      - prefix: 10.0.30.0/24
        gateway: 10.0.30.1
        dhcp: [10.0.30.50-10.0.30.250]
  - id: 99
    name: management
    purpose: management
    subnets:
      - prefix: 10.0.99.0/24
        gateway: 10.0.99.1
  - id: 100
    name: servers
    purpose: servers
    subnets:
      - prefix: 10.0.100.0/24
        gateway: 10.0.100.1
";

pub const DEFAULTS: &str = "\
credentials:
  username: netadmin
  password: file:secrets/admin
  enable: file:secrets/enable
snmp:
  version: v3
  user: netparc
  auth: sha256
  auth_password: file:secrets/snmp-auth
  privacy: aes
  priv_password: file:secrets/snmp-priv
";

pub const GROUPS: &str = "\
switches:
  description: every switch
  vars:
    timezone: CET
    syslog_level: informational
core:
  vars:
    timezone: UTC
";

pub const SWITCH: &str = "\
name: sw1
kind: switch
platform: ios
role: access-switch
site: hq
address: 10.0.99.11
vlan: management
groups: [switches]
serial: FOC0001
interfaces:
  - name: Gi1/0/1
    description: desk 1
    vlan: users
  - name: Gi1/0/2
    description: desk 2
    vlan: users
  - name: Gi1/0/48
    mode: trunk
    allowed_vlans: [users, management]
    native_vlan: management
";

pub const ACCESS_POINT: &str = "\
name: ap1
kind: access_point
platform: ios
role: access-point
site: hq
address: 10.0.99.21
vlan: management
ssids:
  - name: Staff
    vlan: wifi-staff
    security: wpa3-sae
    psk: file:secrets/wifi-staff
";

pub const WORKSTATIONS: &str = "\
- name: pc1
  kind: workstation
  site: hq
  address: 10.0.10.20
  vlan: users
  mac: aa:bb:cc:00:00:01
  user: Jeanne Martin
  connected_to: {switch: sw1, port: Gi1/0/1}
- name: printer1
  kind: printer
  site: hq
  address: 10.0.10.30
";

pub const SWITCH_TEMPLATE: &str = "\
hostname {{ asset.name }}
{% for name, vlan in vlans %}vlan {{ vlan.id }}
 name {{ vlan.name }}
{% endfor %}{% for port in asset.interfaces %}interface {{ port.name }}
{% if port.description %} description {{ port.description }}
{% endif %}{% if port.mode == \"access\" %} switchport mode access
 switchport access vlan {{ vlans[port.vlan].id }}
{% endif %}{% endfor %}interface Vlan{{ vlans[asset.vlan].id }}
 ip address {{ asset.address }} {{ vlans[asset.vlan].ipv4.prefix | netmask }}
username {{ asset.credentials.username }} secret {{ asset.credentials.password }}
snmp-server user {{ asset.snmp.user }} netparc v3 auth sha {{ asset.snmp.auth_password }} priv aes 128 {{ asset.snmp.priv_password }}
line vty 0 15
 transport input ssh
clock timezone {{ vars.timezone }}
";

pub const AP_TEMPLATE: &str = "\
hostname {{ asset.name }}
{% for ssid in asset.ssids %}dot11 ssid {{ ssid.name }}
 vlan {{ vlans[ssid.vlan].id }}
 wpa-psk ascii {{ ssid.psk }}
{% endfor %}";

pub const PLAYBOOK: &str = "\
name: Roll out the users VLAN
targets: \"kind:switch\"
change:
  requested_by: Jeanne Martin
  reason: new floor
  expected_return: desks connected
  risks: port flaps during push
  resources: one technician, 30 minutes
  responsible: Paul Durand
  relations: []
rollout:
  forks: 5
  serial: [1, \"50%\"]
  max_fail_percentage: 20
  pause: 30s
steps:
  - backup: {}
  - render: {}
  - push: {mode: merge}
  - name: Check VLANs
    command: {run: show vlan brief, expect: [\"users\"]}
  - verify: {}
";

/// Strong random-looking secrets (ANSSI: 100+ bits) so the base fixture audits clean.
pub const SECRETS: [(&str, &str); 5] = [
    ("admin", "u7#Kq2!mZr9$Lx4@Tw8pVd"),
    ("enable", "Hb3%Ny6^Qs1&Jc5*Ge9wRk"),
    ("snmp-auth", "Pf2@Wm7!Xa4#Lz8$Kt3qYe"),
    ("snmp-priv", "Dr6^Vn1&Bq5*Hs9%Cj2uMo"),
    ("wifi-staff", "Tg8!Ry3@Ek7#Ua2$Iw6zNp"),
];

/// A temporary inventory folder.
pub struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    /// The base inventory: valid, renders, audits clean.
    pub fn new() -> Fixture {
        let fixture = Fixture {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        fixture.write("netparc.yml", NETPARC_YML);
        fixture.write("plan/hq.yml", PLAN_HQ);
        fixture.write("defaults.yml", DEFAULTS);
        fixture.write("groups.yml", GROUPS);
        fixture.write("assets/sw1.yml", SWITCH);
        fixture.write("assets/ap1.yml", ACCESS_POINT);
        fixture.write("assets/workstations.yml", WORKSTATIONS);
        fixture.write("templates/ios/access-switch.tera", SWITCH_TEMPLATE);
        fixture.write("templates/ios/access-point.tera", AP_TEMPLATE);
        fixture.write("playbooks/users.yml", PLAYBOOK);
        for (name, value) in SECRETS {
            fixture.write_secret(&format!("secrets/{name}"), value);
        }
        fixture
    }

    /// The inventory folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Write (or overwrite) a file of the inventory.
    pub fn write(&self, relative: &str, content: &str) {
        let path = self.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, content).expect("write");
    }

    /// Write a secret file with mode 0600.
    pub fn write_secret(&self, relative: &str, content: &str) {
        self.write(relative, content);
        let path = self.path().join(relative);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }

    /// Replace `from` by `to` in a file; panics when `from` is absent so a test cannot pass
    /// by editing nothing.
    pub fn edit(&self, relative: &str, from: &str, to: &str) {
        let path = self.path().join(relative);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(from), "{relative} does not contain {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
    }

    /// Load through the library.
    pub fn load(&self) -> (Option<Inventory>, Diagnostics) {
        let outcome = Inventory::load(self.path());
        (outcome.inventory, outcome.diagnostics)
    }

    /// Every diagnostic of loading and validation (no rendering).
    pub fn validate(&self) -> Diagnostics {
        let (inventory, mut diagnostics) = self.load();
        if let Some(inventory) = inventory {
            diagnostics.extend(netparc::inventory::validate::validate(&inventory));
        }
        diagnostics
    }

    /// The whole `check`.
    pub fn check(&self) -> CheckReport {
        check(self.path(), &Selector::all())
    }

    /// Run the real binary with the inventory as `-i` when `with_inventory`.
    pub fn run(&self, args: &[&str]) -> Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_netparc"))
            .args(args)
            .env_remove("NETPARC_INVENTORY")
            .env_remove("NETPARC_IDENTITY")
            .current_dir(self.path())
            .output()
            .expect("run netparc")
    }

    /// A path inside the inventory.
    pub fn file(&self, relative: &str) -> PathBuf {
        self.path().join(relative)
    }
}

/// Find the diagnostic with `code`, and check its message contains `text` and its location
/// is `file:line:column` (file as a suffix of the path). Returns it for further checks.
pub fn expect<'a>(
    diagnostics: &'a Diagnostics,
    code: &str,
    text: &str,
    at: &str,
) -> &'a Diagnostic {
    let found: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.code == code).collect();
    assert!(
        !found.is_empty(),
        "no `{code}` diagnostic in:\n{diagnostics}"
    );
    let matching = found.iter().find(|d| {
        let location = d
            .location
            .as_ref()
            .map(|l| format!("{}:{}:{}", l.file.display(), l.line, l.column))
            .unwrap_or_default();
        d.message.contains(text) && (at.is_empty() || location.ends_with(at))
    });
    match matching {
        Some(diagnostic) => diagnostic,
        None => panic!(
            "no `{code}` diagnostic with {text:?} at {at:?}; found:\n{}",
            found
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

/// Assert there is no error at all.
pub fn assert_clean(diagnostics: &Diagnostics) {
    assert!(
        !diagnostics.has_errors(),
        "unexpected errors:\n{diagnostics}"
    );
}

/// An IOS-style twin's shell in privileged mode: log in, answer `enable` if the session
/// starts at `>`, and stop at the `#` prompt.
pub async fn privileged_shell(
    name: &str,
    address: std::net::SocketAddr,
    options: &netparc::transport::ssh::SshOptions,
) -> (
    netparc::transport::ssh::SshSession,
    netparc::transport::ssh::Shell,
) {
    use regex::Regex;
    use std::time::Duration;
    let session = netparc::transport::ssh::SshSession::connect(name, address, options)
        .await
        .unwrap();
    let mut shell = session.shell().await.unwrap();
    let any_prompt = Regex::new(r"(?m)^[\w.-]+(\([\w-]+\))?[>#]\s*$").unwrap();
    let first = shell
        .read_until(&any_prompt, Duration::from_secs(5))
        .await
        .unwrap();
    if first.trim_end().ends_with('>') {
        shell.send("enable\n").await.unwrap();
        shell
            .read_until(&Regex::new("Password:").unwrap(), Duration::from_secs(5))
            .await
            .unwrap();
        shell.send(&format!("{}\n", SECRETS[1].1)).await.unwrap();
        shell
            .read_until(
                &Regex::new(r"(?m)^[\w.-]+#\s*$").unwrap(),
                Duration::from_secs(5),
            )
            .await
            .unwrap();
    }
    (session, shell)
}

/// A third-party server started by a test (sshd, snmpd), killed when dropped.
pub struct ServerProcess {
    child: std::process::Child,
}

impl ServerProcess {
    /// Spawn `command` with its log on stderr and wait until a line of it satisfies
    /// `ready` (the server says it listens): no sleep stands in for that. Its log is drained
    /// afterwards, so it never blocks on a full pipe. Panics with what it said if it stops
    /// first.
    pub fn start(mut command: std::process::Command, ready: impl Fn(&str) -> bool) -> Self {
        use std::io::{BufRead, BufReader};
        use std::process::Stdio;
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {command:?}: {error}"));
        let Some(stderr) = child.stderr.take() else {
            panic!("{command:?}: no stderr");
        };
        let mut lines = BufReader::new(stderr).lines();
        let mut said = Vec::new();
        loop {
            match lines.next() {
                Some(Ok(line)) => {
                    let done = ready(&line);
                    said.push(line);
                    if done {
                        break;
                    }
                }
                _ => panic!(
                    "{command:?} stopped before it was ready:\n{}",
                    said.join("\n")
                ),
            }
        }
        std::thread::spawn(move || for _ in lines {});
        ServerProcess { child }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
