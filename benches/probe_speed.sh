#!/bin/sh
# Run netparc's probe_speed benchmark with its peers (fping, pysnmp, net-snmp's snmpget).
# Not part of CI. Needs root (ICMP sockets, a private network namespace, `fping -i 0`).
#
# Installs fping and snmp (apt) when missing, creates benches/.venv with pysnmp 7 on first
# use, builds the benchmark in release and runs it; the figures (Markdown for
# docs/benchmarks.md) go to stdout. Knobs: NETPARC_PROBE_TARGETS (default 1000),
# NETPARC_PROBE_RUNS (default 5), NETPARC_BENCH_PYTHON.
set -eu
cd "$(dirname "$0")/.."

if ! command -v fping >/dev/null || ! command -v snmpget >/dev/null; then
    apt-get update -qq && apt-get install -y -qq fping snmp >/dev/null
fi
venv=benches/.venv
if [ -z "${NETPARC_BENCH_PYTHON:-}" ] && ! "$venv/bin/python" -c 'import pysnmp' 2>/dev/null; then
    echo "creating $venv with pysnmp" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet 'pysnmp==7.1.21'
fi
ulimit -n 65536 2>/dev/null || true
cargo bench --bench probe_speed --no-run
cargo bench --bench probe_speed
