#!/usr/bin/env python3
"""The Nornir + Netmiko peer of benches/push_speed.rs: push 20 configuration lines to every
host of a SimpleInventory and read the running configuration back.

Usage:
    nornir_push.py FOLDER
    FOLDER holds hosts.yaml, groups.yaml and defaults.yaml (a Nornir SimpleInventory of the
    bench's twins: address, port, platform cisco_ios, the username) and lines.json (the 20
    lines). The password and the enable secret come from NETPARC_PUSH_PASSWORD and
    NETPARC_PUSH_SECRET, so they never show in a process list or a file written here;
    NETPARC_PUSH_WORKERS sets num_workers (default 20).

The job, for each host, on Nornir's threaded runner: nornir_netmiko's netmiko_send_config
with the lines, then netmiko_send_command("show running-config"). Netmiko keeps its
defaults (cisco_ios, fast_cli, no host key check). The connection is opened first with
host.get_connection, exactly as netmiko_send_config would on its first use, only so that its
time is measured apart.

Output: one JSON object on stdout: the timings (imports, InitNornir, the run, closing the
connections), per-host durations of each part, the hosts that passed, and problems (a failed
host, or a read-back lacking a pushed line). Exit status 0 when every host passed, 1
otherwise, 2 when Nornir or nornir_netmiko cannot be imported, 64 for bad usage.
"""

import time

STARTED = time.monotonic()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402


def usage(message):
    print(json.dumps({"ok": False, "stage": "usage", "error": message}))
    sys.exit(64)


def main(argv):
    if len(argv) != 2:
        usage("expected FOLDER")
    folder = argv[1]
    password = os.environ.get("NETPARC_PUSH_PASSWORD")
    secret = os.environ.get("NETPARC_PUSH_SECRET", "")
    if password is None:
        usage("no password: set NETPARC_PUSH_PASSWORD")
    try:
        workers = int(os.environ.get("NETPARC_PUSH_WORKERS", "20"))
    except ValueError:
        usage("NETPARC_PUSH_WORKERS is not a number")
    with open(os.path.join(folder, "lines.json"), encoding="utf-8") as f:
        lines = json.load(f)

    try:
        import netmiko
        from importlib.metadata import version
        from nornir import InitNornir
        from nornir.core.inventory import ConnectionOptions
        from nornir.core.task import Result
        from nornir_netmiko.connections import CONNECTION_NAME
        from nornir_netmiko.tasks import netmiko_send_command, netmiko_send_config
    except ImportError as error:
        print(
            json.dumps(
                {
                    "ok": False,
                    "stage": "import",
                    "error": f"{error}; run benches/push.sh, which creates benches/.venv "
                    "with nornir, nornir-netmiko and netmiko",
                }
            )
        )
        return 2
    imported = time.monotonic()

    nr = InitNornir(
        runner={"plugin": "threaded", "options": {"num_workers": workers}},
        inventory={
            "plugin": "SimpleInventory",
            "options": {
                "host_file": os.path.join(folder, "hosts.yaml"),
                "group_file": os.path.join(folder, "groups.yaml"),
                "defaults_file": os.path.join(folder, "defaults.yaml"),
            },
        },
        # No nornir.log in the working folder: the bench reads results, not logs.
        logging={"enabled": False},
    )
    nr.inventory.defaults.password = password
    nr.inventory.defaults.connection_options[CONNECTION_NAME] = ConnectionOptions(
        extras={"secret": secret}
    )
    initialised = time.monotonic()

    timings = {}
    lock = threading.Lock()

    def push_and_read(task):
        began = time.monotonic()
        task.host.get_connection(CONNECTION_NAME, task.nornir.config)
        connected = time.monotonic()
        task.run(task=netmiko_send_config, config_commands=lines)
        configured = time.monotonic()
        running = task.run(
            task=netmiko_send_command, command_string="show running-config"
        ).result
        done = time.monotonic()
        with lock:
            timings[task.host.name] = {
                "task": done - began,
                "connect": connected - began,
                "config": configured - connected,
                "read_back": done - configured,
            }
        return Result(host=task.host, result=running)

    results = nr.run(task=push_and_read)
    ran = time.monotonic()
    nr.close_connections()
    closed = time.monotonic()

    problems = []
    hosts_ok = 0
    wanted = [line.strip() for line in lines]
    for name, multi in results.items():
        if multi.failed:
            error = next((r.exception for r in multi if r.exception is not None), None)
            text = f"{type(error).__name__}: {error}" if error else "failed"
            problems.append(f"{name}: {text.splitlines()[0] if text else 'failed'}")
            continue
        present = {line.strip() for line in str(multi[0].result).splitlines()}
        missing = [line for line in wanted if line not in present]
        if missing:
            problems.append(f"{name}: the read-back lacks `{missing[0]}`")
            continue
        hosts_ok += 1

    per_host = {key: [] for key in ("task", "connect", "config", "read_back")}
    for figures in timings.values():
        for key, value in figures.items():
            per_host[key].append(value)
    report = {
        "ok": not problems and hosts_ok == len(nr.inventory.hosts),
        "versions": {
            "nornir": version("nornir"),
            "nornir_netmiko": version("nornir-netmiko"),
            "netmiko": netmiko.__version__,
            "python": sys.version.split()[0],
        },
        "workers": workers,
        "hosts": len(nr.inventory.hosts),
        "hosts_ok": hosts_ok,
        "seconds": {
            "imports": imported - STARTED,
            "init": initialised - imported,
            "run": ran - initialised,
            "close": closed - ran,
        },
        "per_host": per_host,
        "problems": problems,
    }
    print(json.dumps(report))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
