"""`--probe`: ask the configured (or given) nameservers, over UDP and TCP, and measure them.

Opt-in, and it queries nothing else: only the servers passed in, only the names and types asked
(by default `.` NS, which every resolver answers without a cluster or a chosen domain). Each
(server, transport, name, type) is asked `count` times, with a timeout, at most `concurrency`
queries in flight. The result per server and transport: sent, answered, lost (timeouts), errors
(refused, bad answers), rcodes, latency percentiles and clusters near 1, 2 and 5 s.

The library never prints: `on_result` is called in the caller's thread for every answer or
loss as it comes (the CLI prints dnsping-style lines with it).
"""

from __future__ import annotations

import ipaddress
import math
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

from dnsdoctor.errors import UsageError

MAX_QUERIES = 20_000
TIMEOUT_MODES = (1.0, 2.0, 5.0)  # a cluster here is a timeout behind the server


@dataclass(frozen=True, slots=True)
class ProbeTarget:
    address: str
    port: int = 53

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


def parse_target(text: str) -> ProbeTarget:
    """`10.0.0.2`, `10.0.0.2:5353`, `::1`, `[::1]:5353` -> ProbeTarget; else UsageError."""
    host, port = text.strip(), 53
    if host.startswith("["):
        host, _, rest = host[1:].partition("]")
        port = _port(rest.removeprefix(":"), text) if rest else 53
    elif host.count(":") == 1:
        host, _, rest = host.partition(":")
        port = _port(rest, text)
    try:
        address = str(ipaddress.ip_address(host.split("%")[0]))
    except ValueError:
        raise UsageError(
            f"--probe-server: {text!r} is not an IP address",
            hint="give ADDR or ADDR:PORT, e.g. 10.96.0.10 or 127.0.0.1:5353 or [::1]:53",
        ) from None
    return ProbeTarget(address, port)


def _port(text: str, whole: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise UsageError(f"--probe-server: bad port in {whole!r}", hint="a port is 1-65535")
    return int(text)


@dataclass(frozen=True)
class ProbeOptions:
    servers: tuple[str, ...] = ()  # empty: the nameservers of the audited resolv.conf
    names: tuple[str, ...] = ()  # empty: "." (asked for NS)
    qtypes: tuple[str, ...] = ()  # empty: A and AAAA for chosen names, NS for "."
    count: int = 3
    timeout: float = 2.0
    transports: tuple[str, ...] = ("udp", "tcp")
    concurrency: int = 4

    def plan(self) -> list[tuple[str, str]]:
        """(name, type) pairs to ask; validates them (UsageError)."""
        names = self.names or (".",)
        qtypes = self.qtypes or (("A", "AAAA") if self.names else ("NS",))
        for qtype in qtypes:
            try:
                dns.rdatatype.from_text(qtype)
            except dns.rdatatype.UnknownRdatatype:
                raise UsageError(
                    f"--probe-type: unknown type {qtype!r}", hint="e.g. A, AAAA, NS"
                ) from None
        pairs: list[tuple[str, str]] = []
        for name in names:
            try:
                text = dns.name.from_text(name).to_text()
            except dns.exception.DNSException as exc:
                raise UsageError(f"--probe-name: {name!r}: {exc}", hint="a DNS name") from None
            pairs.extend((text, qtype.upper()) for qtype in qtypes)
        return pairs

    def validate(self, targets: int) -> None:
        if not 1 <= self.count <= 10_000:
            raise UsageError("--probe-count must be 1-10000")
        if not 0 < self.timeout <= 60:
            raise UsageError("--probe-timeout must be between 0 and 60 seconds")
        if not 1 <= self.concurrency <= 64:
            raise UsageError("--probe-concurrency must be 1-64")
        total = targets * len(self.transports) * len(self.plan()) * self.count
        if total > MAX_QUERIES:
            raise UsageError(
                f"--probe would send {total} queries (at most {MAX_QUERIES})",
                hint="lower --probe-count or ask fewer names, types or servers",
            )


@dataclass(frozen=True, slots=True)
class ProbeResult:
    server: str
    transport: str
    qname: str
    qtype: str
    seq: int
    rtt: float | None  # seconds; None when lost or failed
    rcode: str | None = None
    answers: int = 0
    truncated: bool = False
    error: str = ""  # "timeout", "refused", "bad response: ..."

    def line(self) -> str:
        """A dnsping-style live line."""
        head = f"{self.server} {self.transport} {self.qtype} {self.qname} seq={self.seq}"
        if self.rtt is None:
            return f"{head}: {self.error}"
        tc = " TC" if self.truncated else ""
        return f"{head}: {self.rcode}{tc} {self.answers} answer(s) time={self.rtt * 1000:.3f} ms"


@dataclass(slots=True)
class ProbeStats:
    server: str
    transport: str
    sent: int = 0
    answered: int = 0
    lost: int = 0  # timeouts
    errors: Counter[str] = field(default_factory=Counter)  # refused, bad responses
    rcodes: Counter[str] = field(default_factory=Counter)
    rtts: list[float] = field(default_factory=list)
    truncated: int = 0

    def add(self, result: ProbeResult) -> None:
        self.sent += 1
        if result.rtt is not None:
            self.answered += 1
            self.rtts.append(result.rtt)
            self.rcodes[result.rcode or "?"] += 1
            self.truncated += result.truncated
        elif result.error == "timeout":
            self.lost += 1
        else:
            self.errors[result.error] += 1

    @property
    def failed(self) -> int:
        return self.sent - self.answered

    def percentile(self, q: float) -> float | None:
        """Nearest-rank percentile of the answered queries' times (seconds)."""
        if not self.rtts:
            return None
        ordered = sorted(self.rtts)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    def modes(self) -> dict[float, int]:
        """Answers clustered near each timeout (0.9x-1.15x), as in DD109."""
        return {c: sum(0.9 * c <= r <= 1.15 * c for r in self.rtts) for c in TIMEOUT_MODES}

    def to_dict(self) -> dict[str, Any]:
        pct = {f"p{int(q * 100)}_s": self.percentile(q) for q in (0.5, 0.9, 0.99)}
        return {
            "server": self.server,
            "transport": self.transport,
            "sent": self.sent,
            "answered": self.answered,
            "lost": self.lost,
            "errors": dict(self.errors),
            "rcodes": dict(self.rcodes),
            "truncated": self.truncated,
            **pct,
            "max_s": max(self.rtts) if self.rtts else None,
            "near_timeouts": {f"{c:g}s": n for c, n in self.modes().items()},
        }


@dataclass(slots=True)
class ProbeReport:
    options: ProbeOptions
    targets: list[str] = field(default_factory=list)
    targets_from: str = ""  # "--probe-server" or the resolv.conf path
    stats: list[ProbeStats] = field(default_factory=list)
    skipped: str = ""

    def get(self, server: str, transport: str) -> ProbeStats | None:
        return next((s for s in self.stats if (s.server, s.transport) == (server, transport)), None)

    def to_dict(self) -> dict[str, Any]:
        opts = self.options
        return {
            "targets": self.targets,
            "targets_from": self.targets_from,
            "questions": [f"{n} {t}" for n, t in opts.plan()] if not self.skipped else [],
            "count": opts.count,
            "timeout_s": opts.timeout,
            "transports": list(opts.transports),
            "stats": [s.to_dict() for s in self.stats],
            "skipped": self.skipped,
        }


def ask(
    target: ProbeTarget, transport: str, qname: str, qtype: str, seq: int, timeout: float
) -> ProbeResult:
    """One query; every outcome is a ProbeResult (never raises for network trouble)."""
    query = dns.message.make_query(qname, qtype)
    server = str(target)
    try:
        if transport == "udp":
            response, elapsed = _udp(query, target, timeout)
        else:
            response = dns.query.tcp(query, target.address, timeout=timeout, port=target.port)
            elapsed = response.time
    except dns.exception.Timeout:
        return ProbeResult(server, transport, qname, qtype, seq, None, error="timeout")
    except ConnectionRefusedError:
        return ProbeResult(server, transport, qname, qtype, seq, None, error="refused")
    except (OSError, EOFError) as exc:
        return ProbeResult(server, transport, qname, qtype, seq, None, error=_short(exc))
    except dns.exception.DNSException as exc:
        error = f"bad response: {_short(exc)}"
        return ProbeResult(server, transport, qname, qtype, seq, None, error=error)
    return ProbeResult(
        server,
        transport,
        qname,
        qtype,
        seq,
        elapsed,
        rcode=dns.rcode.to_text(response.rcode()),
        answers=sum(len(rrset) for rrset in response.answer),
        truncated=bool(response.flags & dns.flags.TC),
    )


def _udp(query: dns.message.Message, target: ProbeTarget, timeout: float) -> tuple[Any, float]:
    response = dns.query.udp(
        query, target.address, timeout=timeout, port=target.port, ignore_unexpected=True
    )
    return response, response.time


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def run_probe(
    targets: Iterable[ProbeTarget],
    options: ProbeOptions,
    on_result: Callable[[ProbeResult], None] | None = None,
    targets_from: str = "--probe-server",
) -> ProbeReport:
    """Ask every target; rounds in order, at most `concurrency` queries in flight."""
    targets = list(dict.fromkeys(targets))
    report = ProbeReport(options, [str(t) for t in targets], targets_from)
    if not targets:
        report.skipped = f"no nameserver to probe in {targets_from}"
        return report
    options.validate(len(targets))
    jobs = [
        (target, transport, qname, qtype, seq)
        for seq in range(options.count)
        for target in targets
        for transport in options.transports
        for qname, qtype in options.plan()
    ]
    stats = {(str(t), tr): ProbeStats(str(t), tr) for t in targets for tr in options.transports}
    report.stats = list(stats.values())
    with ThreadPoolExecutor(max_workers=options.concurrency) as pool:
        pending: set[Future[ProbeResult]] = set()
        queue = iter(jobs)
        for job in queue:
            pending.add(pool.submit(ask, *job, options.timeout))
            if len(pending) >= options.concurrency:
                pending = _drain(pending, stats, on_result, FIRST_COMPLETED)
        _drain(pending, stats, on_result, "ALL_COMPLETED")
    return report


def _drain(
    pending: set[Future[ProbeResult]],
    stats: dict[tuple[str, str], ProbeStats],
    on_result: Callable[[ProbeResult], None] | None,
    until: str,
) -> set[Future[ProbeResult]]:
    done, still = wait(pending, return_when=until)
    for result in sorted((f.result() for f in done), key=lambda r: (r.seq, r.server)):
        stats[(result.server, result.transport)].add(result)
        if on_result is not None:
            on_result(result)
    return still
