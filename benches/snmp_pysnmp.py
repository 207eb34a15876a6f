#!/usr/bin/env python3
"""The pysnmp peer of netparc's probe_speed benchmark: the SNMP v2c system group (6 objects in
one GET) from every agent listed in the file given (lines: `name host port`), all at once
with asyncio, one SnmpEngine. Checks each sysName against the name. Prints `ok N seconds S`,
S timed after the imports. The community comes from SNMP_COMMUNITY (not argv).

At most PYSNMP_CONCURRENCY requests (default 100) are in flight: pysnmp reads every answer
through one socket with the kernel's default buffer, and with 1,000 at once about half the
answers overflow it (RcvbufErrors) and time out; bounded, every answer arrives."""

import asyncio
import os
import sys
import time

from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    get_cmd,
)

OIDS = [f"1.3.6.1.2.1.1.{i}.0" for i in range(1, 7)]


async def poll(limit, engine, community, name, host, port):
    async with limit:
        return await poll_one(engine, community, name, host, port)


async def poll_one(engine, community, name, host, port):
    target = await UdpTransportTarget.create((host, int(port)), timeout=2, retries=1)
    error, status, _, binds = await get_cmd(
        engine,
        CommunityData(community),
        target,
        ContextData(),
        *[ObjectType(ObjectIdentity(oid)) for oid in OIDS],
    )
    if error or status:
        return False
    return str(binds[4][1]) == name


async def main():
    community = os.environ["SNMP_COMMUNITY"]
    with open(sys.argv[1]) as f:
        targets = [line.split() for line in f if line.strip()]
    engine = SnmpEngine()
    limit = asyncio.Semaphore(int(os.environ.get("PYSNMP_CONCURRENCY", "100")))
    started = time.perf_counter()
    results = await asyncio.gather(
        *[poll(limit, engine, community, n, h, p) for n, h, p in targets]
    )
    elapsed = time.perf_counter() - started
    engine.close_dispatcher()
    print(f"ok {sum(results)} seconds {elapsed:.4f}")


asyncio.run(main())
