#!/bin/sh
# The daemon at scale against blackbox_exporter + snmp_exporter (benches/daemon_scale.rs).
# Not part of .ci/run: it takes several minutes, wants root (twins on ports 22/161, raw
# ICMP for blackbox_exporter) and thousands of file descriptors.
#
#   benches/daemon_scale.sh                      # 10,000 assets, 60 s warm-up, 300 s measured (each side)
#   NETPARC_SCALE_ASSETS=2000 NETPARC_SCALE_DURATION=60 benches/daemon_scale.sh
#
# Every destination is a loopback twin; the exporters listen on 127.0.0.1 only.
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
    echo "run as root: the twins listen on ports 22 and 161, blackbox_exporter pings" >&2
    exit 1
fi
if ! command -v prometheus-blackbox-exporter >/dev/null || ! command -v prometheus-snmp-exporter >/dev/null; then
    # Debian starts packaged services on install unless policy-rc.d forbids it; the
    # benchmark runs its own instances on 127.0.0.1, so none is started here.
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        prometheus-blackbox-exporter prometheus-snmp-exporter
fi
# Each twin holds about three descriptors (SSH listener, SNMP socket, ...).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
exec cargo bench --bench daemon_scale
