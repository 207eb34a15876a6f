#!/bin/sh
# Run netparc's push_speed benchmark with its Nornir + Netmiko peer. Not part of CI.
#
# Creates benches/.venv (Python venv with nornir, nornir-netmiko and netmiko; shared with
# run.sh's jinja2) on first use, builds the benchmark in release, and runs it; the figures
# (Markdown rows for docs/benchmarks.md) go to stdout.
# Environment knobs (see benches/push_speed.rs): NETPARC_PUSH_DEVICES (default 100,1000),
# NETPARC_PUSH_REPS (default 3), NETPARC_PUSH_FORKS (default: the number of devices),
# NETPARC_PUSH_FORKS_SWEEP (default 5,20,100,250),
# NETPARC_PUSH_NORNIR=0, NETPARC_PUSH_NORNIR_MAX (default 100: Nornir at 1,000 devices adds
# about 30 s against the twins; set 1000 to include it), NETPARC_PUSH_WORKERS (default 20),
# NETPARC_PUSH_BREAKDOWN=0, NETPARC_PUSH_PYTHON, NETPARC_PUSH_KEEP=1.
set -eu
cd "$(dirname "$0")/.."

venv=benches/.venv
if [ -z "${NETPARC_PUSH_PYTHON:-}" ] && ! "$venv/bin/python" -c 'import nornir, nornir_netmiko, netmiko' 2>/dev/null; then
    echo "creating $venv with nornir, nornir-netmiko and netmiko" >&2
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet nornir nornir-netmiko netmiko
fi

# 1,000 twins hold about 3,000 file descriptors, the Nornir run's connections more.
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 20000 ] || ulimit -n 20000 2>/dev/null || true

cargo bench --bench push_speed --no-run
cargo bench --bench push_speed
