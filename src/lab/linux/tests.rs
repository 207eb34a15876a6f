//! End-to-end tests of the Linux twin through the surface the SSH layer uses: a `Device`
//! holding a `LinuxState`, driven by a `LinuxSession` over exec and interactively.

use super::crypto::{hex, sha256};
use super::{LinuxState, new_session, new_state, wg_keypair, wg_public_key};
use crate::inventory::AssetKind;
use crate::lab::device::{CliSession, Device, DeviceSpec, Platform, PlatformState};
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr};

fn spec(name: &str, kind: AssetKind, user: &str) -> DeviceSpec {
    DeviceSpec {
        name: name.into(),
        kind,
        platform: Platform::Linux,
        address: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 10)),
        real_address: Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10))),
        model: "x86 VM".into(),
        serial: "SN123".into(),
        username: user.into(),
        password: "secret".into(),
        enable_secret: None,
        authorized_keys: Vec::new(),
        snmp: None,
        contact: "noc@example.com".into(),
        location: "Paris".into(),
        ports: Vec::new(),
        management_vlan: None,
        management_prefix: Some((IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)), 24)),
    }
}

fn device(name: &str, kind: AssetKind, user: &str) -> Device {
    let s = spec(name, kind, user);
    let state = new_state(&s);
    Device::new(s, Box::new(state))
}

fn gateway() -> Device {
    device("gw1", AssetKind::VpnGateway, "root")
}

fn access_point() -> Device {
    device("ap1", AssetKind::AccessPoint, "root")
}

/// Run over an exec channel: (stdout, stderr, status).
fn exec(dev: &Device, cmd: &str) -> (String, String, u32) {
    let out = new_session().exec(dev, cmd);
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status,
    )
}

/// Run over exec and insist on success; returns stdout.
fn ok(dev: &Device, cmd: &str) -> String {
    let (out, err, status) = exec(dev, cmd);
    assert_eq!(status, 0, "{cmd}\nstdout: {out}\nstderr: {err}");
    out
}

fn with_state<T>(dev: &Device, f: impl FnOnce(&LinuxState) -> T) -> T {
    let state = dev.state();
    let st = state
        .platform
        .as_any()
        .downcast_ref::<LinuxState>()
        .expect("a Linux twin");
    f(st)
}

fn peer_block(public: &str, ip: &str, psk: Option<&str>) -> String {
    let mut s = format!("\n[Peer]\n# {ip}\nPublicKey = {public}\n");
    if let Some(psk) = psk {
        s.push_str(&format!("PresharedKey = {psk}\n"));
    }
    s.push_str(&format!("AllowedIPs = {ip}/32\n"));
    s
}

fn server_conf(peers: &str) -> String {
    let (private, _) = wg_keypair("server", 1);
    format!(
        "[Interface]\nPrivateKey = {private}\nListenPort = 51820\nAddress = 10.10.200.1/24\n{peers}"
    )
}

/// The driver's atomic write: here-document to a temporary file, move over, hash.
fn atomic_write(path: &str, content: &str) -> String {
    format!(
        "set -e\numask 077\ncat > {path}.tmp <<'NETPARC_EOF'\n{content}NETPARC_EOF\nmv {path}.tmp {path}\nsha256sum {path}\n"
    )
}

#[test]
fn quoting_and_expansion() {
    let dev = gateway();
    for (cmd, want) in [
        (r#"echo 'a  b' "c  d" e\ f"#, "a  b c  d e f\n"),
        (r#"x=hello; echo "$x ${x}!" '$x'"#, "hello hello! $x\n"),
        ("echo $HOME $USER $HOSTNAME", "/root root gw1\n"),
        (
            r#"echo "${UNSET:-def}" ${#HOME} ${UNSET:+alt}x"#,
            "def 5 x\n",
        ),
        ("false; echo $?", "1\n"),
        ("echo \"$(echo inner) `echo back`\"", "inner back\n"),
        (
            "f=/etc/wireguard/wg0.conf.tmp; echo ${f%.tmp} ${f##*/}",
            "/etc/wireguard/wg0.conf wg0.conf.tmp\n",
        ),
        ("echo $((2+3*4)) $((7/2))", "14 3\n"),
        (r#"a="x  y"; printf '[%s]' $a; echo"#, "[x][y]\n"),
        (r#"a="x  y"; printf '[%s]' "$a"; echo"#, "[x  y]\n"),
        (r"printf '%s-%d\n' a 1 b 2", "a-1\nb-2\n"),
        (r#"echo \$HOME "\$HOME" "a\"b""#, "$HOME $HOME a\"b\n"),
        ("echo ~ ~/x", "/root /root/x\n"),
        (r"echo $'tab\there'", "tab\there\n"),
        (
            "cd /etc/wireguard && ls && pwd",
            "wg0.conf\n/etc/wireguard\n",
        ),
        (
            "echo /etc/wireguard/*.conf /nope/*",
            "/etc/wireguard/wg0.conf /nope/*\n",
        ),
        ("echo '*'", "*\n"),
        ("printf 'a\\nb\\n' | grep -c .", "2\n"),
        ("case wg0 in wg*) echo yes;; *) echo no;; esac", "yes\n"),
        ("for i in 1 2 3; do printf $i; done; echo", "123\n"),
        (
            "i=0; while [ $i -lt 3 ]; do i=$((i+1)); done; echo $i",
            "3\n",
        ),
        ("[[ -f /etc/hostname && $HOME == /ro* ]] && echo ok", "ok\n"),
        (
            "if [ -d /etc ]; then echo d; elif true; then echo e; else echo f; fi",
            "d\n",
        ),
        ("{ echo a; echo b; } | tail -n 1", "b\n"),
        ("echo one two | { read a b; echo $b $a; }", "two one\n"),
        ("x=1; (x=2; echo $x); echo $x", "2\n1\n"),
        ("echo a >&2 2>/dev/null", ""),
        ("echo $0", "bash\n"),
        (
            "env -i A=1 | cat; env -u HOME | grep -c ^HOME= || true",
            "A=1\n0\n",
        ),
        (
            "printf 'a\\nb c\\n' > /tmp/l; while read x; do echo \"<$x>\"; done < /tmp/l",
            "<a>\n<b c>\n",
        ),
        (
            "printf '1\\n2\\n' | while read n; do echo $((n*10)); done",
            "10\n20\n",
        ),
        ("cat <<< 'here string'", "here string\n"),
        ("echo ${HOME:1:2}x", ""),
    ] {
        if cmd.contains("${HOME:1:2}") {
            // Substring expansion is outside the subset: bash's "bad substitution".
            let (_, err, status) = exec(&dev, cmd);
            assert_eq!(status, 1, "{cmd}");
            assert!(err.contains("bad substitution"), "{cmd}: {err}");
            continue;
        }
        assert_eq!(ok(&dev, cmd), want, "{cmd}");
    }
}

#[test]
fn exit_codes_of_lists_and_errors() {
    let dev = gateway();
    for (cmd, status, stdout, stderr) in [
        ("true && echo a || echo b", 0, "a\n", ""),
        ("false && echo a || echo b", 0, "b\n", ""),
        ("false; echo x", 0, "x\n", ""),
        ("false || false", 1, "", ""),
        ("true; false", 1, "", ""),
        ("exit 3", 3, "", ""),
        ("exit 300", 44, "", ""),
        ("(exit 4); echo $?", 0, "4\n", ""),
        ("! true", 1, "", ""),
        ("set -e; false; echo no", 1, "", ""),
        ("set -e; false || true; echo yes", 0, "yes\n", ""),
        ("set -e; if false; then :; fi; echo yes", 0, "yes\n", ""),
        ("set -o pipefail; false | true", 1, "", ""),
        ("false | true", 0, "", ""),
        ("foo", 127, "", "bash: foo: command not found\n"),
        (
            "foo || echo fallback",
            0,
            "fallback\n",
            "bash: foo: command not found\n",
        ),
        (
            "cat /nope",
            1,
            "",
            "cat: /nope: No such file or directory\n",
        ),
        ("cat /etc", 1, "", "cat: /etc: Is a directory\n"),
        ("sh -c 'exit 7'", 7, "", ""),
        ("bash -c 'echo $0 $1' me arg", 0, "me arg\n", ""),
        (
            "echo x > /nope/file",
            1,
            "",
            "bash: /nope/file: No such file or directory\n",
        ),
        (
            "rm /nope",
            1,
            "",
            "rm: cannot remove '/nope': No such file or directory\n",
        ),
        ("rm -f /nope", 0, "", ""),
        (
            "mv /nope /tmp/x",
            1,
            "",
            "mv: cannot stat '/nope': No such file or directory\n",
        ),
        (
            "mkdir /etc",
            1,
            "",
            "mkdir: cannot create directory '/etc': File exists\n",
        ),
        ("test -f /etc/hostname", 0, "", ""),
        ("[ -z \"\" ] && [ -n x ] && [ a != b ]", 0, "", ""),
        (
            "[ 1 -lt x ]",
            2,
            "",
            "bash: [: x: integer expression expected\n",
        ),
        ("[ -f /etc/hostname", 2, "", "bash: [: missing `]'\n"),
        ("cmp -s /etc/hostname /etc/hostname", 0, "", ""),
        ("cmp -s /etc/hostname /etc/hosts", 1, "", ""),
        ("diff /etc/hostname /etc/hostname", 0, "", ""),
        ("grep -q gw1 /etc/hostname", 0, "", ""),
        ("grep -q nothing /etc/hostname", 1, "", ""),
        (
            "grep x /nope",
            2,
            "",
            "grep: /nope: No such file or directory\n",
        ),
        (
            "echo 'unterminated",
            2,
            "",
            "bash: -c: line 1: unexpected EOF while looking for matching `''\n",
        ),
        (
            "echo a ;; b",
            2,
            "",
            "bash: -c: line 1: syntax error near unexpected token `;;'\n",
        ),
        (
            "systemctl restart nope",
            5,
            "",
            "Failed to restart nope.service: Unit nope.service not found.\n",
        ),
        ("systemctl is-active hostapd", 3, "inactive\n", ""),
        ("systemctl is-active wg-quick@wg0", 0, "active\n", ""),
        (
            "ip link show wg9",
            1,
            "",
            "Device \"wg9\" does not exist.\n",
        ),
        (
            "wg show wg9",
            1,
            "",
            "Unable to access interface: No such device\n",
        ),
        ("echo ${a b}", 1, "", "bash: ${a b}: bad substitution\n"),
        (
            "set -u; echo $NOPE; echo after",
            1,
            "",
            "bash: NOPE: unbound variable\n",
        ),
    ] {
        let (out, err, got) = exec(&dev, cmd);
        assert_eq!(
            (got, out.as_str(), err.as_str()),
            (status, stdout, stderr),
            "{cmd}"
        );
    }
}

#[test]
fn atomic_write_over_exec_with_quoted_heredoc() {
    let dev = gateway();
    let content = server_conf("") + "# $HOME stays literal\n";
    let out = ok(&dev, &atomic_write("/etc/wireguard/wg0.conf", &content));
    assert_eq!(
        out,
        format!(
            "{}  /etc/wireguard/wg0.conf\n",
            hex(&sha256(content.as_bytes()))
        )
    );
    with_state(&dev, |st| {
        assert_eq!(st.file("/etc/wireguard/wg0.conf"), Some(content.as_bytes()));
        assert_eq!(st.file_mode("/etc/wireguard/wg0.conf"), Some(0o600));
        assert!(st.file("/etc/wireguard/wg0.conf.tmp").is_none());
    });
    // Read-back and compare, as the driver does.
    assert_eq!(ok(&dev, "cat /etc/wireguard/wg0.conf"), content);
    assert_eq!(ok(&dev, "stat -c '%a' /etc/wireguard/wg0.conf"), "600\n");
}

#[test]
fn driver_style_script_changes_once_then_reports_unchanged() {
    let dev = gateway();
    let (_, alice) = wg_keypair("alice", 1);
    let content = server_conf(&peer_block(&alice, "10.10.200.10", None));
    let script = format!(
        r#"set -eu
conf=/etc/wireguard/wg0.conf
cp -p "$conf" "/var/backups/wg0.conf.$(date +%Y%m%d%H%M%S)"
tmp=$(mktemp /etc/wireguard/.wg0.conf.XXXXXX)
trap 'rm -f "$tmp"' EXIT
cat > "$tmp" <<'NETPARC_EOF'
{content}NETPARC_EOF
chmod 600 "$tmp"
if cmp -s "$tmp" "$conf"; then
  echo unchanged
else
  mv -f "$tmp" "$conf"
  wg syncconf wg0 <(wg-quick strip wg0)
  echo changed
fi
[ "$(sha256sum < "$conf" | cut -d' ' -f1)" = "{hash}" ] && echo verified
"#,
        hash = hex(&sha256(content.as_bytes()))
    );
    assert_eq!(ok(&dev, &script), "changed\nverified\n");
    assert_eq!(ok(&dev, &script), "unchanged\nverified\n");
    assert_eq!(ok(&dev, "ls -a /etc/wireguard"), ".\n..\nwg0.conf\n");
    assert_eq!(ok(&dev, "ls /var/backups | wc -l"), "2\n");
    assert_eq!(ok(&dev, "wg show wg0 peers"), format!("{alice}\n"));
}

#[test]
fn heredoc_variants() {
    let dev = gateway();
    assert_eq!(
        ok(&dev, "cat <<EOF\nuser=$USER $((1+1))\n\\$HOME\nEOF\n"),
        "user=root 2\n$HOME\n"
    );
    assert_eq!(ok(&dev, "cat <<-EOF\n\tindented\n\tEOF\n"), "indented\n");
    assert_eq!(ok(&dev, "cat <<\"EOF\"\n$USER\nEOF"), "$USER\n");
    assert_eq!(ok(&dev, "cat <<A; cat <<B\none\nA\ntwo\nB\n"), "one\ntwo\n");
    // An unterminated here-document ends at end of input with bash's warning.
    let (out, err, status) = exec(&dev, "cat <<EOF\nlast line");
    assert_eq!((out.as_str(), status), ("last line\n", 0));
    assert_eq!(
        err,
        "bash: warning: here-document at line 1 delimited by end-of-file (wanted `EOF')\n"
    );
}

#[test]
fn interactive_heredoc_and_continuations() {
    let dev = gateway();
    let mut s = new_session();
    assert_eq!(s.prompt(&dev), "root@gw1:~# ");
    assert!(s.greeting(&dev).starts_with("Linux gw1 6.1.0-netparc-twin"));
    for line in [
        "cat > /tmp/peer.conf <<'EOF'",
        "[Peer]",
        "AllowedIPs = 10.10.200.10/32",
    ] {
        let out = s.execute(&dev, line);
        assert_eq!(out.text, "");
        assert_eq!(s.prompt(&dev), "> ");
    }
    assert_eq!(s.execute(&dev, "EOF\r").text, "");
    assert_eq!(s.prompt(&dev), "root@gw1:~# ");
    assert_eq!(
        s.execute(&dev, "cat /tmp/peer.conf").text,
        "[Peer]\nAllowedIPs = 10.10.200.10/32\n"
    );
    // Quotes and trailing operators continue too; the output is stdout+stderr merged.
    assert_eq!(s.execute(&dev, "echo \"a").text, "");
    assert_eq!(s.execute(&dev, "b\"").text, "a\nb\n");
    assert_eq!(s.execute(&dev, "true &&").text, "");
    assert_eq!(
        s.execute(&dev, "echo next; nope").text,
        "next\nbash: nope: command not found\n"
    );
    assert_eq!(s.execute(&dev, "echo $?").text, "127\n");
    // State persists between lines: directory and variables.
    s.execute(&dev, "cd /etc/wireguard; X=1");
    assert_eq!(s.prompt(&dev), "root@gw1:/etc/wireguard# ");
    assert_eq!(s.execute(&dev, "echo $X $PWD").text, "1 /etc/wireguard\n");
    assert_eq!(
        s.execute(&dev, ")").text,
        "bash: syntax error near unexpected token `)'\n"
    );
    // An empty line or comment keeps `$?`; a stopped runaway loop keeps the session.
    s.execute(&dev, "false");
    s.execute(&dev, "");
    s.execute(&dev, "# comment");
    assert_eq!(s.execute(&dev, "echo $?").text, "1\n");
    let out = s.execute(&dev, "while :; do :; done");
    assert!(!out.close && out.text.contains("command budget exhausted"));
    let out = s.execute(&dev, "exit");
    assert!(out.close && !out.reload);
    assert_eq!(out.text, "logout\n");
}

#[test]
fn syncconf_adds_peers_without_dropping_or_disrupting_others() {
    let dev = gateway();
    let (_, alice) = wg_keypair("alice", 1);
    let (_, bob) = wg_keypair("bob", 1);
    let (psk, _) = wg_keypair("psk", 1);
    let epoch = with_state(&dev, |st| st.wg_epoch("wg0").expect("wg0 up"));
    assert_eq!(ok(&dev, "wg show wg0 peers"), "");

    let one = server_conf(&peer_block(&alice, "10.10.200.10", Some(&psk)));
    ok(&dev, &atomic_write("/etc/wireguard/wg0.conf", &one));
    // Written, not loaded: the running peers change only on syncconf.
    assert_eq!(ok(&dev, "wg show wg0 peers"), "");
    ok(&dev, "bash -c 'wg syncconf wg0 <(wg-quick strip wg0)'");
    assert_eq!(ok(&dev, "wg show wg0 peers"), format!("{alice}\n"));
    let show = ok(&dev, "wg show wg0");
    let server_pub = wg_public_key(&wg_keypair("server", 1).0).unwrap();
    assert_eq!(
        show,
        format!(
            "interface: wg0\n  public key: {server_pub}\n  private key: (hidden)\n  listening port: 51820\n\npeer: {alice}\n  preshared key: (hidden)\n  allowed ips: 10.10.200.10/32\n"
        )
    );

    let two = format!("{one}{}", peer_block(&bob, "10.10.200.11", None));
    ok(&dev, &atomic_write("/etc/wireguard/wg0.conf", &two));
    ok(
        &dev,
        "wg-quick strip wg0 > /tmp/wg0.stripped && wg syncconf wg0 /tmp/wg0.stripped",
    );
    assert_eq!(ok(&dev, "wg show wg0 peers"), format!("{alice}\n{bob}\n"));
    with_state(&dev, |st| {
        let peers = st.loaded_peers("wg0");
        assert_eq!(peers.len(), 2);
        assert!(peers[0].preshared && !peers[1].preshared);
        assert_eq!(peers[1].allowed_ips, vec!["10.10.200.11/32"]);
        assert_eq!(
            st.wg_epoch("wg0"),
            Some(epoch),
            "syncconf must not recreate wg0"
        );
    });

    // A peer removed from the file goes on the next reload (the unit's ExecReload).
    ok(
        &dev,
        &atomic_write(
            "/etc/wireguard/wg0.conf",
            &server_conf(&peer_block(&bob, "10.10.200.11", None)),
        ),
    );
    ok(&dev, "systemctl reload wg-quick@wg0");
    assert_eq!(ok(&dev, "wg show wg0 peers"), format!("{bob}\n"));
    assert_eq!(with_state(&dev, |st| st.wg_epoch("wg0")), Some(epoch));
    // A restart re-creates the interface.
    ok(&dev, "systemctl restart wg-quick@wg0");
    assert_ne!(with_state(&dev, |st| st.wg_epoch("wg0")), Some(epoch));
    assert_eq!(ok(&dev, "wg show wg0 peers"), format!("{bob}\n"));
}

#[test]
fn bad_config_leaves_loaded_peers_unchanged() {
    let dev = gateway();
    let (_, alice) = wg_keypair("alice", 1);
    ok(
        &dev,
        &atomic_write(
            "/etc/wireguard/wg0.conf",
            &server_conf(&peer_block(&alice, "10.10.200.10", None)),
        ),
    );
    ok(&dev, "systemctl reload wg-quick@wg0");
    let before = with_state(&dev, |st| st.loaded_peers("wg0"));
    assert_eq!(before.len(), 1);

    let broken = server_conf(&peer_block(&alice, "10.10.200.10", None)) + "Bogus = 1\n";
    ok(&dev, &atomic_write("/etc/wireguard/wg0.conf", &broken));
    let (out, err, status) = exec(&dev, "wg syncconf wg0 <(wg-quick strip wg0)");
    assert_eq!(
        (out.as_str(), err.as_str(), status),
        (
            "",
            "Line unrecognized: `Bogus=1'\nConfiguration parsing error\n",
            1
        )
    );
    let (_, err, status) = exec(&dev, "systemctl reload wg-quick@wg0");
    assert_eq!(status, 1);
    assert!(
        err.starts_with("Job for wg-quick@wg0.service failed"),
        "{err}"
    );
    assert!(err.contains("Line unrecognized: `Bogus=1'"), "{err}");
    let journal = ok(&dev, "journalctl -u wg-quick@wg0 --no-pager");
    assert!(journal.contains("Configuration parsing error"), "{journal}");
    with_state(&dev, |st| {
        assert_eq!(st.loaded_peers("wg0"), before);
        assert!(
            st.service_active("wg-quick@wg0"),
            "a failed reload keeps the unit up"
        );
    });
    // wg-quick keys are rejected by wg(8) itself, with the line stripped of blanks.
    let (_, err, status) = exec(&dev, "wg syncconf wg0 /etc/wireguard/wg0.conf");
    assert_eq!(status, 1);
    assert_eq!(
        err,
        "Line unrecognized: `Address=10.10.200.1/24'\nConfiguration parsing error\n"
    );
    // A restart with a broken file fails the unit and takes the tunnel down.
    let (_, err, status) = exec(&dev, "systemctl restart wg-quick@wg0");
    assert_eq!(status, 1, "{err}");
    assert_eq!(ok(&dev, "systemctl is-failed wg-quick@wg0"), "failed\n");
    assert!(with_state(&dev, |st| st.loaded_peers("wg0").is_empty()));
}

#[test]
fn syncconf_takes_the_file_as_the_whole_truth_for_the_interface() {
    let dev = gateway();
    // A partial file (no PrivateKey, no ListenPort) is a classic driver mistake: the real
    // tool then drops the key and lets the kernel pick a port.
    ok(
        &dev,
        "printf '[Interface]\\n' > /tmp/partial && wg syncconf wg0 /tmp/partial",
    );
    assert_eq!(ok(&dev, "wg show wg0 public-key"), "(none)\n");
    let port: u16 = ok(&dev, "wg show wg0 listen-port").trim().parse().unwrap();
    assert_ne!(port, 51820);
    assert!(with_state(&dev, |st| st.wg_public_key("wg0")).is_none());
}

#[test]
fn reboot_clears_tmp_keeps_files_and_reloads_services_from_disk() {
    let dev = gateway();
    let (_, alice) = wg_keypair("alice", 1);
    let (_, manual) = wg_keypair("manual", 1);
    ok(
        &dev,
        "echo scratch > /tmp/x; mkdir -p /etc/netparc; echo kept > /etc/netparc/state; echo gw1-new > /etc/hostname",
    );
    ok(
        &dev,
        &atomic_write(
            "/etc/wireguard/wg0.conf",
            &server_conf(&peer_block(&alice, "10.10.200.10", None)),
        ),
    );
    ok(
        &dev,
        &format!("wg set wg0 peer {manual} allowed-ips 10.10.200.99/32"),
    );
    assert_eq!(ok(&dev, "wg show wg0 peers"), format!("{manual}\n"));
    ok(&dev, &format!("wg set wg0 peer {manual} remove"));
    assert_eq!(ok(&dev, "wg show wg0 peers"), "");
    ok(
        &dev,
        &format!(
            "wg set wg0 peer {manual} allowed-ips 10.10.200.99/32,10.10.250.0/24 persistent-keepalive 25"
        ),
    );
    assert_eq!(
        ok(&dev, "wg show wg0 allowed-ips"),
        format!("{manual}\t10.10.200.99/32 10.10.250.0/24\n")
    );
    assert_eq!(ok(&dev, "hostname"), "gw1\n");
    dev.reboot();
    assert_eq!(ok(&dev, "ls /tmp"), "");
    assert_eq!(ok(&dev, "cat /etc/netparc/state"), "kept\n");
    assert_eq!(ok(&dev, "hostname"), "gw1-new\n");
    assert_eq!(ok(&dev, "wg show wg0 peers"), format!("{alice}\n"));
    with_state(&dev, |st| {
        assert!(st.service_active("wg-quick@wg0"));
        assert_eq!(st.facts(&dev.spec).name, "gw1-new");
    });
    // A disabled unit stays down after a reboot.
    ok(&dev, "systemctl disable --now wg-quick@wg0");
    dev.reboot();
    assert_eq!(
        ok(&dev, "systemctl is-enabled wg-quick@wg0 || true"),
        "disabled\n"
    );
    assert!(with_state(&dev, |st| st.loaded_peers("wg0").is_empty()
        && st.wg_epoch("wg0").is_none()));
}

#[test]
fn reboot_over_exec_and_interactive() {
    let dev = gateway();
    ok(&dev, "echo x > /tmp/x");
    let boots = dev.state().boots;
    ok(&dev, "reboot");
    assert_eq!(dev.state().boots, boots + 1);
    assert_eq!(ok(&dev, "ls /tmp"), "");
    let mut s = new_session();
    let out = s.execute(&dev, "systemctl reboot");
    assert!(out.close && out.reload);
}

#[test]
fn hostapd_reload_validates_and_loads_ssids() {
    let dev = access_point();
    with_state(&dev, |st| {
        assert_eq!(st.loaded_ssids(), vec!["ap1-setup"]);
        assert!(st.service_active("hostapd"));
    });
    let conf = "interface=wlan0\ndriver=nl80211\nssid=Staff\nhw_mode=g\nchannel=11\nwpa=2\nwpa_key_mgmt=WPA-PSK\nwpa_passphrase=correct horse battery\nrsn_pairwise=CCMP\nbss=wlan0_1\nssid=Guest\n";
    ok(&dev, &atomic_write("/etc/hostapd/hostapd.conf", conf));
    assert_eq!(
        with_state(&dev, LinuxState::loaded_ssids),
        vec!["ap1-setup"]
    );
    ok(&dev, "systemctl reload hostapd");
    assert_eq!(
        with_state(&dev, LinuxState::loaded_ssids),
        vec!["Staff", "Guest"]
    );
    assert_eq!(
        ok(&dev, "hostapd_cli -i wlan0 status | grep ^ssid"),
        "ssid[0]=Staff\nssid[1]=Guest\n"
    );

    ok(
        &dev,
        &atomic_write(
            "/etc/hostapd/hostapd.conf",
            "interface=wlan0\nssid\nwpa=2\n",
        ),
    );
    let (_, err, status) = exec(&dev, "systemctl reload hostapd");
    assert_eq!(status, 1);
    assert!(err.contains("ap1 hostapd["), "{err}");
    assert!(err.contains("Line 2: invalid line 'ssid'"), "{err}");
    assert!(
        err.contains("errors found in configuration file '/etc/hostapd/hostapd.conf'"),
        "{err}"
    );
    with_state(&dev, |st| {
        assert_eq!(st.loaded_ssids(), vec!["Staff", "Guest"]);
        assert!(st.service_active("hostapd"));
    });
    // A restart with the broken file fails and the radio goes quiet.
    let (_, _, status) = exec(&dev, "systemctl restart hostapd");
    assert_eq!(status, 1);
    with_state(&dev, |st| {
        assert!(st.loaded_ssids().is_empty());
        let wlan = st
            .facts(&dev.spec)
            .interfaces
            .into_iter()
            .find(|i| i.name == "wlan0")
            .unwrap();
        assert!(!wlan.oper_up);
    });
}

#[test]
fn facts_follow_the_live_state() {
    let dev = gateway();
    let facts = with_state(&dev, |st| st.facts(&dev.spec));
    assert_eq!(facts.descr, "Linux gw1 6.1.0-netparc-twin #1 SMP x86_64");
    assert_eq!(facts.object_id, "1.3.6.1.4.1.8072.3.2.10");
    assert_eq!(facts.name, "gw1");
    assert_eq!(
        (facts.contact.as_str(), facts.location.as_str()),
        ("noc@example.com", "Paris")
    );
    let kinds: Vec<(&str, u32, u32)> = facts
        .interfaces
        .iter()
        .map(|i| (i.name.as_str(), i.if_type, i.index))
        .collect();
    assert_eq!(kinds, vec![("lo", 24, 1), ("eth0", 6, 2), ("wg0", 131, 3)]);
    assert!(
        facts
            .interfaces
            .iter()
            .all(|i| i.admin_up && i.oper_up && i.alias.is_empty())
    );
    ok(&dev, "systemctl stop wg-quick@wg0");
    let names: Vec<String> = with_state(&dev, |st| st.facts(&dev.spec))
        .interfaces
        .into_iter()
        .map(|i| i.name)
        .collect();
    assert_eq!(names, vec!["lo", "eth0"]);
    assert_eq!(
        ok(&dev, "ip -br addr"),
        "lo               UNKNOWN        127.0.0.1/8 ::1/128 \neth0             UP             192.0.2.10/24 \n"
    );

    let ap = access_point();
    let facts = with_state(&ap, |st| st.facts(&ap.spec));
    let kinds: Vec<(&str, u32)> = facts
        .interfaces
        .iter()
        .map(|i| (i.name.as_str(), i.if_type))
        .collect();
    assert_eq!(kinds, vec![("lo", 24), ("eth0", 6), ("wlan0", 71)]);
}

#[test]
fn non_root_login_uses_sudo_transparently() {
    let dev = device("gw2", AssetKind::VpnGateway, "admin");
    let mut s = new_session();
    assert_eq!(s.prompt(&dev), "admin@gw2:~$ ");
    assert_eq!(
        s.execute(&dev, "id -u; sudo id -u; whoami; echo $HOME")
            .text,
        "1000\n0\nadmin\n/home/admin\n"
    );
    assert_eq!(
        ok(
            &dev,
            "echo new | sudo tee /etc/motd >/dev/null && sudo cat /etc/motd"
        ),
        "new\n"
    );
    assert_eq!(ok(&dev, "sudo sh -c 'echo $USER; id -un'"), "admin\nroot\n");
}

#[test]
fn keys_from_genkey_and_pubkey_are_real_x25519() {
    let dev = gateway();
    let out = ok(&dev, "umask 077; wg genkey | tee /tmp/priv | wg pubkey");
    let private = ok(&dev, "cat /tmp/priv");
    assert_eq!(Some(out.trim().to_string()), wg_public_key(&private));
    assert_eq!(ok(&dev, "stat -c %a /tmp/priv"), "600\n");
    let (_, err, _) = exec(&dev, "wg genkey > /tmp/loose");
    assert_eq!(
        err,
        "Warning: writing to world accessible file.\nConsider setting the umask to 077 and trying again.\n"
    );
    let (_, err, status) = exec(&dev, "echo short | wg pubkey");
    assert_eq!(
        (err.as_str(), status),
        ("wg: Key is not the correct length or format\n", 1)
    );
    // Two keys differ.
    assert_ne!(ok(&dev, "wg genkey"), ok(&dev, "wg genkey"));
}

#[test]
fn wg_quick_up_down_and_showconf() {
    let dev = gateway();
    let (_, alice) = wg_keypair("alice", 1);
    ok(
        &dev,
        &atomic_write(
            "/etc/wireguard/wg1.conf",
            &server_conf(&peer_block(&alice, "10.10.201.10", None)).replace("51820", "51821"),
        ),
    );
    let (_, err, status) = exec(&dev, "wg-quick up wg1");
    assert_eq!(status, 0, "{err}");
    assert_eq!(
        err,
        "[#] ip link add wg1 type wireguard\n[#] wg setconf wg1 /dev/fd/63\n[#] ip -4 address add 10.10.200.1/24 dev wg1\n[#] ip link set mtu 1420 up dev wg1\n"
    );
    assert_eq!(ok(&dev, "wg show interfaces"), "wg0 wg1\n");
    let conf = ok(&dev, "wg showconf wg1");
    assert!(
        conf.starts_with("[Interface]\nListenPort = 51821\nPrivateKey = "),
        "{conf}"
    );
    assert!(
        conf.ends_with(&format!(
            "[Peer]\nPublicKey = {alice}\nAllowedIPs = 10.10.201.10/32\n"
        )),
        "{conf}"
    );
    let (_, err, status) = exec(&dev, "wg-quick up wg1");
    assert_eq!(
        (err.as_str(), status),
        ("wg-quick: `wg1' already exists\n", 1)
    );
    ok(&dev, "wg-quick down wg1");
    let (_, err, status) = exec(&dev, "wg-quick down wg1");
    assert_eq!(
        (err.as_str(), status),
        ("wg-quick: `wg1' is not a WireGuard interface\n", 1)
    );
    let (_, err, status) = exec(&dev, "wg-quick up wg7");
    assert_eq!(
        (err.as_str(), status),
        ("wg-quick: `/etc/wireguard/wg7.conf' does not exist\n", 1)
    );
}

#[test]
fn file_tools_behave_like_coreutils() {
    let dev = gateway();
    for (cmd, want) in [
        (
            "printf 'a\\nb\\nc\\n' > /tmp/f; head -n 2 /tmp/f; tail -n 1 /tmp/f; wc -l < /tmp/f",
            "a\nb\nc\n3\n",
        ),
        (
            "printf 'x\\n' > /tmp/a; printf 'y\\n' > /tmp/b; diff -u /tmp/a /tmp/b; echo $?",
            "--- /tmp/a\n+++ /tmp/b\n@@ -1 +1 @@\n-x\n+y\n1\n",
        ),
        (
            "cp /etc/hostname /tmp/h && cmp /etc/hostname /tmp/h && echo same",
            "same\n",
        ),
        (
            "echo a > /tmp/m; chmod 640 /tmp/m; stat -c '%a %s %F' /tmp/m",
            "640 2 regular file\n",
        ),
        (
            "mkdir -p /tmp/d/e && touch /tmp/d/e/f && ls /tmp/d/e && rm -r /tmp/d && ls /tmp | grep -c d || true",
            "f\n0\n",
        ),
        (
            "echo 'ssid=Old' > /tmp/c; sed -i 's/^ssid=.*/ssid=New/' /tmp/c; cat /tmp/c",
            "ssid=New\n",
        ),
        (
            "echo 'a b c' | awk '{print $2}'; echo 'k=v' | cut -d= -f2",
            "b\nv\n",
        ),
        ("echo hello | tr a-z A-Z", "HELLO\n"),
        ("printf 'b\\na\\nb\\n' | sort -u", "a\nb\n"),
        (
            "echo -n abc | sha256sum",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  -\n",
        ),
        (
            "sha256sum /etc/hostname > /tmp/sum && sha256sum -c /tmp/sum",
            "/etc/hostname: OK\n",
        ),
        (
            "ls -l /etc/wireguard",
            "total 4\n-rw------- 1 root root 151 Jan  1 00:00 wg0.conf\n",
        ),
        (
            "uname -a",
            "Linux gw1 6.1.0-netparc-twin #1 SMP x86_64 GNU/Linux\n",
        ),
        ("id", "uid=0(root) gid=0(root) groups=0(root)\n"),
        ("command -v wg; which ip", "/usr/bin/wg\n/usr/bin/ip\n"),
        (
            "install -m 600 /etc/hostname /tmp/i && stat -c %a /tmp/i",
            "600\n",
        ),
        ("t=$(mktemp) && test -f $t && stat -c %a $t", "600\n"),
        (
            "echo 'echo from script $1' > /tmp/s.sh; sh /tmp/s.sh x; chmod +x /tmp/s.sh; /tmp/s.sh y",
            "from script x\nfrom script y\n",
        ),
    ] {
        assert_eq!(ok(&dev, cmd), want, "{cmd}");
    }
}

#[test]
fn runaway_input_is_stopped() {
    let dev = gateway();
    let (_, err, status) = exec(&dev, "while :; do :; done");
    assert_eq!(status, super::shell::ABORT_STATUS);
    assert!(err.contains("command budget exhausted"), "{err}");
    let (_, err, status) = exec(&dev, "echo 'sh /tmp/r' > /tmp/r; sh /tmp/r");
    assert_eq!(status, super::shell::ABORT_STATUS);
    assert!(err.contains("nesting limit"), "{err}");
    let (_, _, status) = exec(&dev, "a=x; while :; do a=$a$a; done");
    assert_ne!(status, 0);
    // The twin still answers afterwards.
    assert_eq!(ok(&dev, "echo alive"), "alive\n");
}

#[test]
fn deep_nesting_stays_within_a_small_stack() {
    // The SSH layer runs sessions on runtime threads (2 MiB stacks); check with half that.
    let handle = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let dev = gateway();
            for depth in [10, 30, 39, 41, 200] {
                let groups = format!("{}echo deep{}", "{ ".repeat(depth), "; }".repeat(depth));
                let subshells = format!("{}echo deep{}", "(".repeat(depth), ")".repeat(depth));
                let substs = format!("echo {}x{}", "$(echo ".repeat(depth), ")".repeat(depth));
                let ifs = format!(
                    "{}echo deep{}",
                    "if true; then ".repeat(depth),
                    "; fi".repeat(depth)
                );
                let params = format!("echo {}x{}", "${a:-".repeat(depth), "}".repeat(depth));
                let arith = format!("echo $(({}1{}))", "(".repeat(depth), ")".repeat(depth));
                let nots = format!("[ {}x ]", "! ".repeat(depth));
                let brackets = format!("[[ {}x{} ]]", "( ".repeat(depth), " )".repeat(depth));
                let evals = format!(
                    "{}echo deep{}",
                    "eval '".repeat(depth.min(12)),
                    "'".repeat(depth.min(12))
                );
                for cmd in [
                    groups, subshells, substs, ifs, params, evals, arith, nots, brackets,
                ] {
                    let (out, _, status) = exec(&dev, &cmd);
                    assert!(status <= 2 || status == 124, "{depth}: {status} {out}");
                }
            }
        })
        .unwrap();
    handle.join().unwrap();
}

#[test]
fn interactive_paste_of_a_long_heredoc_stays_linear() {
    let dev = gateway();
    let mut s = new_session();
    s.execute(&dev, "cat > /tmp/big <<'EOF'");
    for i in 0..20_000 {
        assert_eq!(s.execute(&dev, &format!("line {i} $HOME")).text, "");
    }
    s.execute(&dev, "EOF");
    assert_eq!(s.execute(&dev, "wc -l < /tmp/big").text, "20000\n");
}

fn arbitrary_line() -> impl Strategy<Value = String> {
    let atoms = prop_oneof![
        Just("echo".to_string()),
        Just("cat".to_string()),
        Just("wg".to_string()),
        Just("syncconf".to_string()),
        Just("wg-quick strip wg0".to_string()),
        Just("systemctl".to_string()),
        Just("reload".to_string()),
        Just("/etc/wireguard/wg0.conf".to_string()),
        Just("printf".to_string()),
        Just("%s%d%5.2f%q".to_string()),
        Just("sed".to_string()),
        Just("s/a*/b/g".to_string()),
        Just("grep".to_string()),
        Just("[[".to_string()),
        Just("]]".to_string()),
        Just("<<EOF".to_string()),
        Just("<<'E'".to_string()),
        Just("EOF".to_string()),
        Just("${x:-${y#*}}".to_string()),
        Just("$((1/0))".to_string()),
        Just("$(".to_string()),
        Just("`".to_string()),
        Just("<(".to_string()),
        Just("2>&1".to_string()),
        Just("exit".to_string()),
        Just("reboot".to_string()),
        Just("rm -rf /".to_string()),
        Just("mv /etc /tmp/x".to_string()),
        Just("while".to_string()),
        Just("do".to_string()),
        Just("done".to_string()),
        Just("if".to_string()),
        Just("then".to_string()),
        Just("fi".to_string()),
        Just("case".to_string()),
        Just("in".to_string()),
        Just("esac".to_string()),
        Just("${#".to_string()),
        Just("$((".to_string()),
        Just("))".to_string()),
        Just("<<-".to_string()),
        Just("|&".to_string()),
        Just("&>".to_string()),
        Just(";;".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("\\".to_string()),
        Just("'".to_string()),
        Just("\"".to_string()),
        Just("$'\\x".to_string()),
        Just("~".to_string()),
        Just("ip -br addr".to_string()),
        Just("hostapd_cli".to_string()),
        Just("test".to_string()),
        Just("-eq".to_string()),
        Just("é€".to_string()),
        "[ -~\\n\\t]{0,12}",
    ];
    prop::collection::vec(atoms, 0..14).prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_command_lines_never_panic(line in arbitrary_line(), raw in "\\PC{0,60}") {
        let dev = gateway();
        let _ = new_session().exec(&dev, &line);
        let _ = new_session().exec(&dev, &raw);
        let mut s = new_session();
        for part in line.split('\n').chain(raw.split('\n')) {
            let _ = s.execute(&dev, part);
            let _ = s.prompt(&dev);
        }
        // The twin keeps working after whatever ran.
        let out = new_session().exec(&dev, "echo ok");
        prop_assert_eq!(out.stdout, b"ok\n".to_vec());
    }
}

#[test]
fn sysctl_reads_writes_and_loads_kernel_parameters_like_procps() {
    let gw = gateway();
    // A WireGuard gateway boots with forwarding on (its sysctl.d file applied at boot).
    assert_eq!(
        ok(&gw, "sysctl net.ipv4.ip_forward"),
        "net.ipv4.ip_forward = 1\n"
    );
    let ap = access_point();
    assert_eq!(ok(&ap, "sysctl -n net.ipv4.ip_forward"), "0\n");
    assert_eq!(
        ok(&ap, "sysctl -w net.ipv4.ip_forward=1"),
        "net.ipv4.ip_forward = 1\n"
    );
    assert_eq!(ok(&ap, "cat /proc/sys/net/ipv4/ip_forward"), "1\n");
    let (out, err, status) = exec(&ap, "sysctl net.ipv4.nope");
    assert_eq!((out.as_str(), status), ("", 255));
    assert_eq!(
        err,
        "sysctl: cannot stat /proc/sys/net/ipv4/nope: No such file or directory\n"
    );
    ok(
        &ap,
        "printf 'net.ipv6.conf.all.forwarding = 1\\n' > /etc/sysctl.d/90-v6.conf",
    );
    assert!(ok(&ap, "sysctl --system").contains("net.ipv6.conf.all.forwarding = 1"));
    let (_, err, status) = exec(&ap, "sysctl -p /etc/nope.conf");
    assert_eq!(status, 255);
    assert!(err.contains("cannot open \"/etc/nope.conf\""), "{err}");
}

// ---- What the twin keeps across lab runs -----------------------------------------------

/// A twin rebuilt from factory and booted from what `dev` persisted.
fn rebooted_from(dev: &Device) -> LinuxState {
    let saved = dev
        .state()
        .platform
        .persisted()
        .expect("Linux twins persist");
    let mut fresh = new_state(&dev.spec);
    fresh
        .boot_from(&saved, &dev.spec)
        .expect("boots from its own file");
    fresh
}

#[test]
fn a_factory_twin_persists_no_difference() {
    let dev = gateway();
    let saved = dev.state().platform.persisted().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&saved).unwrap();
    assert_eq!(json, serde_json::json!({"platform": "linux", "version": 1}));
}

#[test]
fn etc_changes_removals_modes_and_units_survive_and_the_rest_does_not() {
    let dev = gateway();
    ok(
        &dev,
        "mkdir -m 0750 /etc/netparc && echo hello > /etc/netparc/motd && chmod 0604 /etc/netparc/motd",
    );
    ok(&dev, "rm /etc/sysctl.d/99-wireguard.conf");
    ok(&dev, "echo gw-renamed > /etc/hostname");
    ok(
        &dev,
        "systemctl disable wg-quick@wg0 && systemctl enable hostapd",
    );
    ok(&dev, "echo scratch > /tmp/scratch && echo x > /root/notes");
    let before = dev.state().platform.persisted().unwrap();
    let booted = rebooted_from(&dev);
    assert_eq!(booted.file("/etc/netparc/motd"), Some(&b"hello\n"[..]));
    assert_eq!(booted.file_mode("/etc/netparc/motd"), Some(0o604));
    assert_eq!(booted.file_mode("/etc/netparc"), Some(0o750));
    assert!(booted.file("/etc/sysctl.d/99-wireguard.conf").is_none());
    assert_eq!(
        booted.hostname(),
        "gw-renamed",
        "read from /etc/hostname at boot"
    );
    assert!(
        !booted.service_active("wg-quick@wg0"),
        "disabled: not started at boot"
    );
    assert!(booted.file("/tmp/scratch").is_none());
    assert!(booted.file("/root/notes").is_none(), "only /etc is kept");
    assert_eq!(
        booted.persisted().unwrap(),
        before,
        "the same state gives the same bytes"
    );
    let dev = Device::new(dev.spec.clone(), Box::new(booted));
    assert_eq!(ok(&dev, "sysctl -n net.ipv4.ip_forward").trim(), "0");
    assert!(ok(&dev, "systemctl is-enabled hostapd").contains("enabled"));
}

#[test]
fn a_saved_file_that_is_not_a_linux_twins_is_refused_and_changes_nothing() {
    let dev = gateway();
    let spec = dev.spec.clone();
    let cases: [(&str, &str); 6] = [
        ("hostname sw1\nend\n", "not JSON"),
        (
            r#"{"platform": "ios", "version": 1}"#,
            "saved by a `ios` twin",
        ),
        (r#"{"platform": "linux", "version": 7}"#, "format version 7"),
        (
            r#"{"platform": "linux", "version": 1, "files": [{"path": "/root/x", "mode": "0600", "content": ""}]}"#,
            "`/root/x` is not a path under /etc",
        ),
        (
            r#"{"platform": "linux", "version": 1, "files": [{"path": "/etc/x", "mode": "0999", "content": ""}]}"#,
            "not octal",
        ),
        (
            r#"{"platform": "linux", "version": 1, "units": {"nginx.service": true}}"#,
            "not one this twin has",
        ),
    ];
    for (saved, expected) in cases {
        let mut state = new_state(&spec);
        let error = state.boot_from(saved.as_bytes(), &spec).unwrap_err();
        assert!(error.contains(expected), "{saved}: {error}");
        assert_eq!(
            state.persisted(),
            new_state(&spec).persisted(),
            "{saved}: left as it was"
        );
    }
}
