#!/usr/bin/env python3
"""Drive an IOS twin with Netmiko's stock ``cisco_ios`` driver, unchanged.

The twin lab promises that its IOS-style CLI is faithful enough for Netmiko: this script is
that promise, checked. It logs in, enters enable mode, runs ``show version``, pushes a small
configuration (a voice VLAN and an access port), saves it, reads it back and disconnects,
all through Netmiko's public API with its default settings (prompt detection, paging and
width commands, config-mode checks, ``save_config`` confirmation handling).

Usage:
    netmiko_ios.py HOST PORT USERNAME
    with NETPARC_NETMIKO_PASSWORD and NETPARC_NETMIKO_SECRET in the environment, so that
    secrets never show in a process list. PASSWORD and SECRET may follow as positional
    arguments for use by hand. NETPARC_NETMIKO_SESSION_LOG=PATH writes Netmiko's session
    log (everything sent and received) there, for diagnosing a mismatch.

Output: one JSON object on stdout. ``ok`` is true when every step succeeded; otherwise the
failing ``stage``, the ``error`` and the output gathered so far are given, and the exit
status is 1 (2 when Netmiko is not importable, 64 for bad usage).
"""

import json
import os
import sys
import time
import traceback

# The configuration pushed; the Rust test asserts on the same values.
CONFIG_LINES = [
    "vlan 30",
    "name voice",
    "interface GigabitEthernet1/0/2",
    "description netmiko was here",
    "switchport access vlan 30",
]


def usage(message):
    print(json.dumps({"ok": False, "stage": "usage", "error": message}))
    sys.exit(64)


def arguments(argv):
    if len(argv) not in (4, 6):
        usage("expected HOST PORT USERNAME [PASSWORD SECRET]")
    host, port, username = argv[1], argv[2], argv[3]
    password = argv[4] if len(argv) == 6 else os.environ.get("NETPARC_NETMIKO_PASSWORD")
    secret = argv[5] if len(argv) == 6 else os.environ.get("NETPARC_NETMIKO_SECRET", "")
    if password is None:
        usage("no password: set NETPARC_NETMIKO_PASSWORD")
    try:
        port = int(port)
    except ValueError:
        usage(f"port {port!r} is not a number")
    return host, port, username, password, secret


def main(argv):
    host, port, username, password, secret = arguments(argv)
    try:
        import netmiko
    except ImportError as error:
        print(
            json.dumps(
                {
                    "ok": False,
                    "stage": "import",
                    "error": f"{error}; install with: python3 -m venv /opt/netparc-venv && "
                    "/opt/netparc-venv/bin/pip install netmiko",
                }
            )
        )
        return 2

    result = {"ok": False, "netmiko": netmiko.__version__, "timings_ms": {}}
    stage = "connect"
    started = time.monotonic()

    def step(name):
        # Records how long the previous step took, so a slow twin shows where.
        nonlocal stage, started
        now = time.monotonic()
        result["timings_ms"][stage] = round((now - started) * 1000)
        stage, started = name, now

    connection = None
    try:
        connection = netmiko.ConnectHandler(
            device_type="cisco_ios",
            host=host,
            port=port,
            username=username,
            password=password,
            secret=secret,
            # A loopback twin whose host key changes with each test's state folder: no
            # known_hosts check (paramiko's AutoAddPolicy, nothing read or written).
            ssh_strict=False,
            system_host_keys=False,
            alt_host_keys=False,
            allow_agent=False,
            use_keys=False,
            ssh_config_file=None,
            conn_timeout=10,
            session_log=os.environ.get("NETPARC_NETMIKO_SESSION_LOG") or None,
        )
        step("enable")
        result["prompt_before_enable"] = connection.find_prompt()
        connection.enable()
        result["prompt"] = connection.find_prompt()
        step("show_version")
        result["show_version"] = connection.send_command("show version")
        step("send_config_set")
        result["config_output"] = connection.send_config_set(CONFIG_LINES)
        step("save_config")
        result["save_output"] = connection.save_config()
        step("show_running_include")
        result["running_include"] = connection.send_command(
            "show running-config | include netmiko"
        )
        step("show_vlan_brief")
        result["vlan_brief"] = connection.send_command("show vlan brief")
        step("disconnect")
        connection.disconnect()
        connection = None
        step("done")
    except Exception as error:  # every failure becomes a JSON report, not a bare trace
        result["stage"] = stage
        result["error"] = f"{type(error).__name__}: {error}"
        result["traceback"] = traceback.format_exc()
        if connection is not None:
            try:
                connection.disconnect()
            except Exception:
                pass
        print(json.dumps(result, indent=2))
        return 1

    checks = {
        "enabled": result["prompt"].endswith("#"),
        "show_version": "Cisco IOS" in result["show_version"],
        "description": "description netmiko was here" in result["running_include"],
        "vlan_30": any(
            line.split()[:2] == ["30", "voice"] for line in result["vlan_brief"].splitlines()
        ),
    }
    result["checks"] = checks
    result["ok"] = all(checks.values())
    if not result["ok"]:
        result["stage"] = "checks"
        result["error"] = "failed: " + ", ".join(k for k, v in checks.items() if not v)
    print(json.dumps(result, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
