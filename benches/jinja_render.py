#!/usr/bin/env python3
"""The Jinja2 peer of netparc's `check_speed` benchmark.

Renders the exact contexts netparc rendered (dumped by the Rust side as one JSON file) with a
Jinja2 translation of the same templates (benches/templates/jinja), with the network filters
netparc has (`netmask`, `wildcard`, `nth_host`, `mac`...) written with `ipaddress`.

Timed separately: loading the JSON, compiling the templates, and the rendering loop (every
context, `--reps` times). Prints one JSON object on stdout:

    {"python": "3.11.7", "jinja2": "3.1.6", "renders": 8000, "json_load_s": 0.8,
     "compile_s": 0.01, "render_s": [1.4, 1.39, 1.41], "bytes": 52000000}

and, with `--samples FILE --sample-every K`, writes the output of every K-th context (and the
last) as {"asset name": "rendered text"} so the Rust side can check both engines wrote the
same text.

Usage: jinja_render.py CONTEXTS.json TEMPLATE_DIR [--reps N] [--samples FILE --sample-every K]
"""

import argparse
import ipaddress
import json
import os
import platform
import sys
import time

try:
    import jinja2
except ImportError:  # The Rust side checks for this message.
    print("jinja2 is not installed in this Python; run benches/run.sh to create the venv",
          file=sys.stderr)
    sys.exit(3)


def _network(prefix):
    # Host bits are kept by netparc's parser and cleared where the filter needs it.
    return ipaddress.ip_interface(prefix).network


def netmask(prefix):
    return str(_network(prefix).netmask)


def wildcard(prefix):
    return str(_network(prefix).hostmask)


def prefix_len(prefix):
    return _network(prefix).prefixlen


def network(prefix):
    return str(_network(prefix).network_address)


def broadcast(prefix):
    net = _network(prefix)
    if net.version == 6:
        raise ValueError(f"filter `broadcast`: `{prefix}` is IPv6, which has no broadcast address")
    return str(net.broadcast_address)


def _usable(net):
    host_bits = net.max_prefixlen - net.prefixlen
    last = (1 << host_bits) - 1
    if host_bits <= 1:
        return 0, last
    if net.version == 4:
        return 1, last - 1
    return 1, last


def nth_host(prefix, n):
    net = _network(prefix)
    first, last = _usable(net)
    offset = n if n >= 0 else last - (-n - 1)
    if not first <= offset <= last:
        raise ValueError(f"filter `nth_host`: `{prefix}` has no host n={n}")
    return str(net.network_address + offset)


def _address(value):
    return ipaddress.ip_interface(value).ip if "/" in value else ipaddress.ip_address(value)


def ip_in(address, prefix):
    addr = _address(address)
    net = _network(prefix)
    return addr.version == net.version and addr in net


def ip_address(value):
    return str(_address(value))


def with_prefix(address, prefix):
    addr = ipaddress.ip_address(address)
    prefix = str(prefix)
    bare = prefix.lstrip("/")
    if bare.isdigit():
        return f"{addr}/{int(bare)}"
    net = _network(prefix)
    if addr.version != net.version or addr not in net:
        raise ValueError(f"filter `with_prefix`: `{address}` is not inside {net}")
    return f"{addr}/{net.prefixlen}"


def mac(value, format="colon", upper=False):
    digits = "".join(c for c in value if c not in ":-.")
    if len(digits) != 12:
        raise ValueError(f"filter `mac`: `{value}` is not a MAC address")
    digits = digits.upper() if upper else digits.lower()
    pairs = [digits[i:i + 2] for i in range(0, 12, 2)]
    if format == "cisco":
        return ".".join(digits[i:i + 4] for i in range(0, 12, 4))
    if format == "colon":
        return ":".join(pairs)
    if format == "dash":
        return "-".join(pairs)
    if format == "bare":
        return digits
    raise ValueError(f"filter `mac`: `{format}` is not a MAC format")


FILTERS = {
    "netmask": netmask,
    "wildcard": wildcard,
    "prefix_len": prefix_len,
    "network": network,
    "broadcast": broadcast,
    "nth_host": nth_host,
    "ip_in": ip_in,
    "ip_address": ip_address,
    "with_prefix": with_prefix,
    "mac": mac,
}


def environment(template_dir):
    """Configured like netparc's Tera: strict undefined, no autoescape (device configs, not
    HTML), and the file's final newline kept (Tera keeps it; Jinja drops it by default)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    env.tests["ip_in"] = ip_in
    return env


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contexts")
    parser.add_argument("template_dir")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--samples")
    parser.add_argument("--sample-every", type=int, default=0)
    args = parser.parse_args()

    start = time.perf_counter()
    with open(args.contexts, encoding="utf-8") as handle:
        renders = json.load(handle)["renders"]
    json_load_s = time.perf_counter() - start

    start = time.perf_counter()
    env = environment(args.template_dir)
    names = sorted({item["template"] for item in renders})
    templates = {name: env.get_template(name.removesuffix(".tera") + ".j2") for name in names}
    jobs = [(templates[item["template"]], item["context"]) for item in renders]
    compile_s = time.perf_counter() - start

    render_s = []
    total = 0
    for _ in range(max(args.reps, 1)):
        total = 0
        start = time.perf_counter()
        for template, context in jobs:
            total += len(template.render(context))
        render_s.append(time.perf_counter() - start)

    if args.samples and args.sample_every > 0:
        picked = {}
        for index, item in enumerate(renders):
            if index % args.sample_every == 0 or index == len(renders) - 1:
                picked[item["asset"]] = templates[item["template"]].render(item["context"])
        # Rendered configurations hold secrets in clear: owner-only, like netparc's.
        descriptor = os.open(args.samples, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(descriptor, "w", encoding="utf-8") as handle:
            json.dump(picked, handle)

    json.dump(
        {
            "python": platform.python_version(),
            "jinja2": jinja2.__version__,
            "renders": len(renders),
            "json_load_s": json_load_s,
            "compile_s": compile_s,
            "render_s": render_s,
            "chars": total,
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()
