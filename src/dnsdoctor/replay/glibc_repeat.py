"""glibc's getaddrinfo asks again when the answer does not fit its buffer (glibc 2.36).

`gaih_inet` (sysdeps/posix/getaddrinfo.c) calls the NSS `gethostbyname4_r` with a 1024-byte
scratch buffer; `_nss_dns_gethostbyname4_r` (resolv/nss_dns/dns-host.c) stores every address
as a `struct gaih_addrtuple` (40 bytes on 64-bit) in that buffer, plus the name. When they do
not fit it returns NSS_STATUS_TRYAGAIN with ERANGE, and getaddrinfo grows the buffer and runs
the whole lookup again, new query IDs, dead-server timeouts and all. On the wire that is a
second, identical call starting the moment the first one ends; for the application it is one
getaddrinfo call that ends with the second round.

Seen in the lab: 40 A records with the first nameserver blackholed took 2,012 ms, not 1,006.
"""

from __future__ import annotations

import dataclasses
from typing import Any

GLIBC = "glibc-2.36"
SCRATCH_BUFFER = 1024  # bytes: struct scratch_buffer's inline space
ADDRTUPLE = 40  # bytes: struct gaih_addrtuple on 64-bit (next, name, family, addr[4], scopeid)
REPEAT_WITHIN_S = 0.005  # the second round starts at once; an application's own retry is slower


def overflows(addresses: int, name: str) -> bool:
    """Whether glibc's first buffer cannot hold this many addresses and the name."""
    return addresses * ADDRTUPLE + len(name) + 1 > SCRATCH_BUFFER


def merge_repeats(calls: list[Any]) -> list[Any]:
    """Fold each glibc buffer-growth repeat into the call it repeats (only the glibc result).

    `calls` are ReplayedCall objects of one lookup in order. A call whose only result was
    glibc's and that was folded into its predecessor is dropped.
    """
    merged: list[Any] = []
    for call in calls:
        previous = merged[-1] if merged else None
        if previous is not None and _is_repeat(previous, call):
            first, second = previous.results[GLIBC], call.results[GLIBC]
            note = (
                f"glibc grew its buffer for {len(first.ipv4) + len(first.ipv6)} addresses and "
                "asked again (ERANGE); the application waited for both rounds"
            )
            previous.results[GLIBC] = dataclasses.replace(
                second, started=first.started, notes=(*second.notes, note)
            )
            rest = {k: v for k, v in call.results.items() if k != GLIBC}
            if not rest:
                continue
            call.results = rest
        merged.append(call)
    return merged


def _is_repeat(previous: Any, call: Any) -> bool:
    first = previous.results.get(GLIBC)
    second = call.results.get(GLIBC)
    if first is None or second is None or not first.ok:
        return False
    if previous.call.client != call.call.client or previous.call.names != call.call.names:
        return False
    if not 0 <= call.call.start - first.returned_at <= REPEAT_WITHIN_S:
        return False
    return overflows(len(first.ipv4) + len(first.ipv6), previous.call.names[-1])
