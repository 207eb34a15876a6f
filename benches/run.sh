#!/bin/sh
# Run netparc's check_speed benchmark with its Jinja2 peer. Not part of CI.
#
# Creates benches/.venv (Python venv with jinja2) on first use, builds the benchmark in
# release, and runs it; the figures (Markdown rows for docs/benchmarks.md) go to stdout.
# Environment knobs (see benches/check_speed.rs): NETPARC_BENCH_MIX (heavy, the default, or
# fleet), NETPARC_BENCH_ASSETS (default 10000), NETPARC_BENCH_REPS, NETPARC_BENCH_RUNS,
# NETPARC_BENCH_PY_REPS, NETPARC_BENCH_SAMPLE_EVERY, NETPARC_BENCH_KEEP=1,
# NETPARC_BENCH_BREAKDOWN=0, NETPARC_BENCH_PYTHON, NETPARC_BENCH_BIN.
set -eu
cd "$(dirname "$0")/.."

venv=benches/.venv
if [ -z "${NETPARC_BENCH_PYTHON:-}" ] && ! "$venv/bin/python" -c 'import jinja2' 2>/dev/null; then
    echo "creating $venv with jinja2" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet jinja2
fi

cargo bench --bench check_speed --no-run
cargo bench --bench check_speed
