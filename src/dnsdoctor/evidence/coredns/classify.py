"""What a CoreDNS error line's Go error text means, and which upstream it names.

CoreDNS never says "upstream X is down": the errors plugin prints the Go error of the last
upstream exchange that failed (`plugin/errors: 2 name. A: read udp a->b:53: i/o timeout`). The
error text is the evidence, so it is classified by its exact Go wording:

- `read udp A->B: i/o timeout`: the query left and no answer came back within `read_timeout`
  (the upstream ignored it, or a firewall dropped the query or the reply).
- `dial udp|tcp B: i/o timeout`: no connection could be set up in time (TCP, or the dial step).
- `connection refused`: UDP got ICMP port unreachable (nothing listens on B:53), TCP got a RST.
- `network is unreachable`: no route at all (e.g. an IPv6 upstream on an IPv4-only pod).
- `no route to host`: ICMP host unreachable or ARP/ND failure for B.
- `no such host`: a name used as an address did not resolve.
- `dns: overflow ...`, `dns: bad rdata`, `dns: short read`, `overflowing header size`: the
  upstream's reply could not be unpacked (a malformed reply).
- `no healthy proxies` (forward) / `no upstream host` (old proxy): every upstream was marked down.
- `concurrent queries exceeded maximum N`: forward's `max_concurrent` refused the query.

The old `proxy` plugin prefixed causes with `unreachable backend: `; that wording is recorded and
stripped before classification.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

READ_TIMEOUT = "read-timeout"
DIAL_TIMEOUT = "dial-timeout"
CONNECTION_REFUSED = "connection-refused"
NETWORK_UNREACHABLE = "network-unreachable"
HOST_UNREACHABLE = "host-unreachable"
NO_SUCH_HOST = "no-such-host"
MALFORMED_REPLY = "malformed-reply"
NO_HEALTHY_UPSTREAMS = "no-healthy-upstreams"
MAX_CONCURRENT = "max-concurrent"
CONNECTION_CLOSED = "connection-closed"
OTHER = "other"

# Classes where the upstream did not answer at all: what a failure rate counts.
NETWORK_FAILURES = frozenset(
    {
        READ_TIMEOUT,
        DIAL_TIMEOUT,
        CONNECTION_REFUSED,
        NETWORK_UNREACHABLE,
        HOST_UNREACHABLE,
        CONNECTION_CLOSED,
    }
)
# Classes that name one upstream's failure (the rest are CoreDNS-side or all-upstream errors).
UPSTREAM_FAILURES = NETWORK_FAILURES | {MALFORMED_REPLY}

CLASS_MEANING = {
    READ_TIMEOUT: "query sent, no reply before the read timeout",
    DIAL_TIMEOUT: "could not connect in time",
    CONNECTION_REFUSED: "ICMP port unreachable (UDP) or RST (TCP): nothing listens there",
    NETWORK_UNREACHABLE: "no route to that network from the CoreDNS pod",
    HOST_UNREACHABLE: "ICMP host unreachable: no route to that host",
    NO_SUCH_HOST: "a name used as an address did not resolve",
    MALFORMED_REPLY: "the reply could not be unpacked (malformed or oversized)",
    NO_HEALTHY_UPSTREAMS: "every upstream was marked down",
    MAX_CONCURRENT: "refused by forward's max_concurrent limit",
    CONNECTION_CLOSED: "the upstream closed the (TCP/TLS) connection",
    OTHER: "not classified",
}

_ADDR = r"(\[[0-9a-fA-F:.%\w]+\]:\d+|[0-9a-zA-Z.\-_]+:\d+)"
_READ = re.compile(r"\bread (udp|tcp)\S* \S+->" + _ADDR)
_DIAL = re.compile(r"\bdial (udp|tcp)\S* " + _ADDR)
_WRITE = re.compile(r"\bwrite (udp|tcp)\S* \S+->" + _ADDR)
_LOOKUP_ON = re.compile(r"\blookup \S+ on " + _ADDR)
_PROXY_PREFIX = "unreachable backend"

_RULES: tuple[tuple[str, str], ...] = (
    ("concurrent queries exceeded maximum", MAX_CONCURRENT),
    ("no healthy proxies", NO_HEALTHY_UPSTREAMS),
    ("no upstream host", NO_HEALTHY_UPSTREAMS),
    ("connection refused", CONNECTION_REFUSED),
    ("network is unreachable", NETWORK_UNREACHABLE),
    ("no route to host", HOST_UNREACHABLE),
    ("host is unreachable", HOST_UNREACHABLE),
    ("no such host", NO_SUCH_HOST),
    ("dns: overflow", MALFORMED_REPLY),
    ("overflowing header size", MALFORMED_REPLY),
    ("dns: bad rdata", MALFORMED_REPLY),
    ("dns: short read", MALFORMED_REPLY),
    ("dns: buffer size too small", MALFORMED_REPLY),
    ("cached connection was closed by peer", CONNECTION_CLOSED),
    ("connection reset by peer", CONNECTION_CLOSED),
)


@dataclass(frozen=True, slots=True)
class ErrorCause:
    cls: str  # one of the constants above
    upstream: str | None  # "10.0.0.2:53" or "[2001:db8::1]:53" as CoreDNS printed it
    transport: str | None  # "udp" | "tcp"
    proxy_wording: bool  # the old proxy plugin's "unreachable backend" prefix


def classify_error(error: str) -> ErrorCause:
    """Classify one Go error string as CoreDNS logged it after `NAME TYPE: `."""
    text = error.strip()
    proxy = text.startswith(_PROXY_PREFIX)
    upstream, transport = _upstream_of(text)
    lowered = text.lower()
    cls = next((c for needle, c in _RULES if needle in lowered), None)
    if cls is None:
        if "i/o timeout" in lowered:
            cls = DIAL_TIMEOUT if _DIAL.search(text) and not _READ.search(text) else READ_TIMEOUT
        elif lowered in {"eof", "unexpected eof"} or lowered.endswith(": eof"):
            cls = CONNECTION_CLOSED
        else:
            cls = OTHER
    return ErrorCause(cls, upstream, transport, proxy)


def _upstream_of(text: str) -> tuple[str | None, str | None]:
    for pattern in (_READ, _DIAL, _WRITE):
        match = pattern.search(text)
        if match:
            return match.group(2), match.group(1)
    match = _LOOKUP_ON.search(text)
    if match:
        return match.group(1), None
    return None, None


def host_of(address: str) -> str:
    """ "10.0.0.2:53" -> "10.0.0.2"; "[2001:db8::1]:53" -> "2001:db8::1"."""
    if address.startswith("["):
        return address[1 : address.find("]")] if "]" in address else address.strip("[")
    host, sep, port = address.rpartition(":")
    return host if sep and port.isdigit() and host.count(":") == 0 else address
