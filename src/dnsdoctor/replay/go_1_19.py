"""A model of Go 1.19's pure-Go resolver (CGO_ENABLED=0, as Debian's golang-1.19 builds it).

Follows, from Go 1.19.8 (`/usr/lib/go-1.19/src/net/` in Debian's golang-1.19-src):
- `dnsclient_unix.go`, `goLookupIPCNAMEOrder`: per name of `nameList`, A and AAAA each in its
  own goroutine (`tryOneName`), in parallel; with `single-request` (or `-reopen`) one after the
  other. The call waits for both. A name with any address ends the walk; any error (NXDOMAIN,
  NODATA, SERVFAIL, timeout) goes on to the next name. With no address, the error kept is the
  first one, replaced by any error for the absolute (unsuffixed) name.
- `tryOneName`: for each attempt, each server in resolv.conf order: `exchange`. NXDOMAIN, or a
  NOERROR answer without a record of the asked type (`skipToAnswer`), ends the query as "not
  found" at once. A lame referral (NOERROR, no answer, no AA, no RA), SERVFAIL, REFUSED and any
  other rcode, a timeout and a socket error (ICMP unreachable on the connected socket) move to
  the next server.
- `exchange`: a new random ID and a new connected socket per exchange (so replies from other
  addresses never arrive); waits `timeout` for a reply whose ID *and* question match
  (`checkResponse`), ignoring others; TC=1 -> the same query over TCP to the same server, with
  a fresh `timeout`.
- `dnsconfig_unix.go`, `dnsReadConfig`: at most 3 nameservers; `timeout:` and `attempts:` at
  least 1 and no upper limit; `ndots:` 0-15; `rotate`, `single-request(-reopen)`, `use-vc`.
- The lab's client (`lab/clients/gai.go`) maps the error: not found -> EAI_NONAME, timeout or
  temporary (SERVFAIL, socket error) -> EAI_AGAIN, anything else (REFUSED, lame) -> EAI_FAIL.

Not modelled: `rotate` (its offset is per process and per query type), /etc/hosts,
`StrictErrors`, the 1232-byte receive buffer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dnsdoctor.engine.lookups import Lookup
from dnsdoctor.engine.transaction import Transaction
from dnsdoctor.evidence.dns_message import TYPE_A, TYPE_AAAA
from dnsdoctor.evidence.node.resolv_conf import leading_digits
from dnsdoctor.replay.outcome import AppResult, split_families
from dnsdoctor.replay.settings import ResolvConf, ResolverSettings
from dnsdoctor.replay.steps import Call, NameStep, ReplyEvent, split_calls

LIBRARY = "Go 1.19"
_TYPE_NAME = {TYPE_A: "A", TYPE_AAAA: "AAAA"}
_SLACK = 0.05  # an exchange starts this long after the model's clock says it should, at most


@dataclass(frozen=True, slots=True)
class Exchange:
    """One socket, one ID, one question: what Go's `exchange` sent and heard."""

    qname: str
    qtype: int
    id: int
    server: str
    transport: str
    sent: float
    replies: tuple[ReplyEvent, ...]  # ID and question match, from the server asked
    icmp: tuple[float, ...]


@dataclass(slots=True)
class GoCall(Call):
    """A call with a per-socket view, which Go needs: every retry is a new socket and ID."""

    exchanges: list[Exchange] = field(default_factory=list)


@dataclass(slots=True)
class _Query:
    end: float
    addresses: tuple[str, ...] = ()
    error: str | None = None  # "not found" | "timeout" | "temporary" | "misbehaving"
    notes: list[str] = field(default_factory=list)


def go_settings(conf: ResolvConf) -> ResolverSettings:
    """resolv.conf as `dnsReadConfig` reads it; a bad number reads as 0, then the minimum."""
    ndots, attempts, timeout = 1, 2, 5
    flags: set[str] = set()
    for key, value in conf.options:
        number = leading_digits(value or "") or 0  # Go: a bad number reads as 0
        if key == "ndots":
            ndots = min(max(number, 0), 15)
        elif key == "timeout":
            timeout = max(number, 1)
        elif key == "attempts":
            attempts = max(number, 1)
        elif key == "rotate":
            flags.add("rotate")
        elif key in ("single-request", "single-request-reopen"):
            flags.add("single-request")
        elif key in ("use-vc", "usevc", "tcp"):
            flags.add("use-vc")
    servers = conf.nameservers[:3] or ("127.0.0.1", "::1")
    return ResolverSettings(
        servers, conf.search, ndots, attempts, timeout, frozenset(flags), conf.path
    )


def go_call(lookup: Lookup, txs: list[Transaction]) -> GoCall:
    """One call from its transactions (several `split_calls` calls when Go retried)."""
    parts = split_calls(lookup, txs)
    steps: dict[str, NameStep] = {}
    for part in parts:
        for step in part.steps:
            if step.name not in steps:
                steps[step.name] = step
                continue
            merged = steps[step.name]
            merged.replies = sorted([*merged.replies, *step.replies], key=lambda r: (r.ts, r.frame))
            merged.icmp = sorted([*merged.icmp, *step.icmp], key=lambda e: (e.ts, e.frame))
            merged.servers += [s for s in step.servers if s not in merged.servers]
            merged.last_send = max(merged.last_send, step.last_send)
    ordered = sorted(steps.values(), key=lambda s: s.start)
    by_frame = {r.frame: r for step in ordered for r in step.replies}
    exchanges = [_exchange(tx, by_frame) for tx in txs if tx.sends]
    return GoCall(lookup.client, lookup.uid, ordered, exchanges)


def _exchange(tx: Transaction, by_frame: dict[int, ReplyEvent]) -> Exchange:
    send = tx.sends[0]
    replies = tuple(
        by_frame[r.frame]
        for r in tx.replies
        if r.frame in by_frame and not r.unexpected_source and r.server == send.server
    )
    icmp = tuple(n.ts for n in tx.icmp)
    return Exchange(tx.qname, tx.qtype, tx.id, send.server, tx.transport, send.ts, replies, icmp)


def replay(call: Call, settings: ResolverSettings) -> AppResult:
    if not isinstance(call, GoCall):
        raise TypeError("the Go model needs a GoCall (go_1_19.go_call)")
    notes: list[str] = []
    addresses: tuple[str, ...] = ()
    errors: list[tuple[float, str, str]] = []  # (end, name, error) in completion order
    now = call.start
    original = _absolute_name(call.names)
    for step in call.steps:
        queries = _name(call, step, now, settings)
        for qtype, query in queries:
            notes += query.notes
            if query.error is not None:
                errors.append((query.end, step.name, query.error))
                notes.append(f"{step.name} {_TYPE_NAME[qtype]}: {query.error}")
            addresses += query.addresses
        now = max((q.end for _, q in queries), default=now)
        if addresses:
            break
    kept: str | None = None
    for _, name, error in sorted(errors):
        if kept is None or name == original:
            kept = error
    v4, v6 = split_families(list(addresses))
    ok = bool(addresses)
    eai = None if ok else _eai(kept)
    return AppResult(LIBRARY, ok, eai, v4, v6, call.start, now, tuple(notes))


def _eai(error: str | None) -> str:
    if error == "not found":
        return "EAI_NONAME"
    if error in ("timeout", "temporary"):
        return "EAI_AGAIN"
    return "EAI_FAIL"


def _absolute_name(names: list[str]) -> str:
    """The unsuffixed name: the one every other name of the search walk extends."""
    shortest = min(names, key=len)
    if all(n == shortest or n.startswith(shortest) for n in names):
        return shortest
    return names[-1]


def _name(
    call: GoCall, step: NameStep, start: float, settings: ResolverSettings
) -> list[tuple[int, _Query]]:
    qtypes = [t for t in (TYPE_A, TYPE_AAAA) if any(_is(ex, step.name, t) for ex in call.exchanges)]
    servers = list(settings.nameservers or step.servers)
    results = []
    begin = start
    for qtype in qtypes:
        exchanges = [ex for ex in call.exchanges if _is(ex, step.name, qtype)]
        query = _try_one_name(exchanges, servers, begin, settings)
        results.append((qtype, query))
        if "single-request" in settings.flags:
            begin = query.end
    return results


def _is(ex: Exchange, name: str, qtype: int) -> bool:
    return ex.qname == name and ex.qtype == qtype


def _try_one_name(
    exchanges: list[Exchange], servers: list[str], start: float, settings: ResolverSettings
) -> _Query:
    now = start
    error = "timeout"
    notes: list[str] = []
    used: set[int] = set()
    first = "tcp" if "use-vc" in settings.flags else "udp"
    for _attempt in range(settings.attempts):
        for server in servers:
            ex = _next_exchange(exchanges, server, first, now, used)
            if ex is None:
                notes.append(f"no query to {server} in the capture at +{now - start:.3f} s")
                now += settings.timeout
                error = "timeout"
                continue
            used.add(id(ex))
            query = _exchange_result(ex, exchanges, used, settings)
            notes += query.notes
            now = query.end
            if query.error in (None, "not found"):
                return _Query(now, query.addresses, query.error, notes)
            error = query.error or error
    return _Query(now, error=error, notes=notes)


def _next_exchange(
    exchanges: list[Exchange], server: str, transport: str, now: float, used: set[int]
) -> Exchange | None:
    for ex in exchanges:
        fits = ex.server == server and ex.transport == transport and ex.sent >= now - _SLACK
        if fits and id(ex) not in used:
            return ex
    return None


def _exchange_result(
    ex: Exchange, exchanges: list[Exchange], used: set[int], settings: ResolverSettings
) -> _Query:
    deadline = ex.sent + settings.timeout
    icmp = [ts for ts in ex.icmp if ts < deadline]
    reply = next((r for r in ex.replies if r.ts < deadline), None)
    if icmp and (reply is None or icmp[0] < reply.ts):
        return _Query(icmp[0], error="temporary", notes=[f"ICMP error from {ex.server}"])
    if reply is None:
        return _Query(deadline, error="timeout")
    if reply.tc and ex.transport == "udp":
        tcp = _next_exchange(
            [e for e in exchanges if e.id == ex.id], ex.server, "tcp", reply.ts, used
        )
        if tcp is None:
            note = f"TC=1 in frame {reply.frame}, no TCP retry in the capture"
            return _Query(reply.ts + settings.timeout, error="timeout", notes=[note])
        used.add(id(tcp))
        return _exchange_result(tcp, exchanges, used, settings)
    return _check(reply, ex.qtype)


def _check(reply: ReplyEvent, qtype: int) -> _Query:
    """checkHeader, then skipToAnswer."""
    if reply.tc:
        return _Query(reply.ts, error="misbehaving", notes=[f"TC=1 over TCP (frame {reply.frame})"])
    if reply.header_rcode == 3:
        return _Query(reply.ts, error="not found")
    if reply.header_rcode == 0 and not reply.aa and not reply.ra and reply.ancount == 0:
        return _Query(reply.ts, error="misbehaving", notes=[f"lame referral (frame {reply.frame})"])
    if reply.header_rcode == 2:
        return _Query(reply.ts, error="temporary")
    if reply.header_rcode != 0:
        return _Query(reply.ts, error="misbehaving")
    wanted_v6 = qtype == TYPE_AAAA
    if not any((":" in a) == wanted_v6 for a in reply.addresses):
        return _Query(reply.ts, error="not found")
    return _Query(reply.ts, reply.addresses)
