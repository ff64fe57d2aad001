"""CoreDNS logs of one or more pods, parsed and classified: what `dnsdoctor coredns --logs` reads.

Input is a file, stdin (`-`), or `kubectl logs` of several pods (`-l k8s-app=kube-dns`), with or
without `--timestamps` and `--prefix`. Every line becomes one of:

- `ErrorLine`: the errors plugin (`plugin/errors: 2 name. A: <go error>`), its pre-1.3 form
  (`[ERROR] 2 name. A: unreachable backend: ...`), the 0.9 form (`[ERROR 2 name. A] ...`), and
  the 2018 forward `healtheck of ADDR failed with ...` line. Classified by `classify.py`; start-up
  loop probes (`HINFO <rand>.<rand>.`) and health checks (`. NS`) are marked `probe`, so they are
  told from real failures.
- `consolidate` summaries (`N errors like 'RE' occurred in last 30s`): counts without upstreams.
- loop detection (`plugin/loop: Loop (a -> b) detected ...`, older `Seen "HINFO IN ..." more than
  twice`): fatal, CoreDNS exits.
- the log plugin's query lines (common/combined, old with a time, new): counted by rcode; a `- - 0`
  answer means no reply was written (the forward deadline passed).
- start-up banners (`CoreDNS-1.11.1`, `.:53`), configuration and reload lines.
- anything else: counted as unrecognised, with samples.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from dnsdoctor.errors import InputError
from dnsdoctor.evidence.coredns.classify import ErrorCause, classify_error
from dnsdoctor.evidence.coredns.log_line import clf_time, unwrap
from dnsdoctor.model import LineEvidence

KUBECTL_RERUN = "kubectl logs -n kube-system -l k8s-app=kube-dns --timestamps --prefix"
_TEXT_LIMIT = 300
_SAMPLES = 5
MAX_CANDIDATES = 200_000  # failed-looking query lines kept for the join (bounded memory)

_ERRORS = re.compile(
    r"(?:plugin/errors: )?(?P<rcode>\d{1,3}) (?P<qname>\S+) (?P<qtype>[A-Z0-9]+): (?P<err>.+)"
)
_ERRORS_09 = re.compile(r"\[ERROR (?P<rcode>\d{1,3}) (?P<qname>\S+) (?P<qtype>\S+)\] (?P<err>.+)")
_CONSOLIDATED = re.compile(
    r"(?P<count>\d+) errors like '(?P<pattern>.*)' occurred in last (?P<window>\S+)"
)
_HEALTHCHECK = re.compile(
    r"(?:plugin/forward: )?(?:healtheck|healthcheck|health check) of (?P<addr>\S+) failed with (?P<err>.+)"
)
_LOOP = re.compile(
    r'plugin/loop: Loop \((?P<src>\S+) -> (?P<dst>\S+)\) detected for zone "(?P<zone>[^"]*)"'
)
_LOOP_OLD = re.compile(r'plugin/loop: Seen "HINFO IN (?P<name>\S+)" more than twice')
_LOOP_QUERY = re.compile(r'Query: "HINFO (?P<name>\S+)"')
_QUERY = re.compile(
    r"(?P<client>\[[^\]]+\]|[^\s\[\]]+?)(?::(?P<port>\d+))? - (?:\[(?P<when>[^\]]+)\] )?"
    r"(?:(?P<id>\d+) )?\"(?P<qtype>\S+) (?P<qclass>\S+) (?P<qname>\S+) (?P<proto>\S+) \d+ \S+ \d+\" "
    r"(?P<rcode>\S+) (?:(?P<rflags>\S+) )?(?P<rsize>\d+) (?P<duration>[\d.]+)(?P<unit>s|ms|µs|us|ns)"
)
_EVENTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"CoreDNS-(?P<detail>\d\S*)$"), "start"),
    (
        re.compile(r"plugin/reload: Running configuration (?P<detail>(?:MD5|SHA512) = \w+)"),
        "config",
    ),
    (re.compile(r"(?P<detail>Reloading(?: complete)?)$"), "reload"),
    (
        re.compile(
            r"(?P<detail>(?:plugin/health: )?Going into lameduck mode.*|SIG\w+: Shutting down.*)"
        ),
        "shutdown",
    ),
    (re.compile(r"(?P<detail>[\w.\-]*\.?:\d+(?: on \S+)?)$"), "listen"),
    (re.compile(r"(?P<detail>(?:linux|darwin|windows|freebsd)/\w+, go\S+.*)$"), "banner"),
)
_INNER_CLF = re.compile(r"\S+ - \[(?P<when>[^\]]+)\] ")
_PROBE_NAME = re.compile(r"\d+\.\d+\.(?:\S*)$")
_UNIT = {"s": 1.0, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "ns": 1e-9}

LOOP_PROBE = "loop-probe"
HEALTH_CHECK = "health-check"


@dataclass(frozen=True, slots=True)
class LogOrigin:
    source: str  # file name, or "-" for stdin
    line: int  # 1-based within its source
    pod: str | None  # from a `--prefix` wrapper
    ts: float | None
    text: str  # the raw line, trimmed

    def evidence(self, role: str = "") -> LineEvidence:
        path = f"pod {self.pod} ({self.source})" if self.pod else self.source
        return LineEvidence(path, self.line, self.text, role)


@dataclass(frozen=True, slots=True)
class ErrorLine:
    origin: LogOrigin
    rcode: int
    qname: str
    qtype: str
    error: str
    cause: ErrorCause
    probe: str | None  # LOOP_PROBE, HEALTH_CHECK, or None for a client's query


@dataclass(frozen=True, slots=True)
class ConsolidatedLine:
    origin: LogOrigin
    count: int
    pattern: str
    window: str


@dataclass(frozen=True, slots=True)
class LoopLine:
    origin: LogOrigin
    detail: str  # "127.0.0.1:55953 -> :1053 for zone ." or the probe name


@dataclass(frozen=True, slots=True)
class EventLine:
    origin: LogOrigin
    kind: str  # start | config | reload | shutdown | listen | banner
    detail: str


@dataclass(frozen=True, slots=True)
class QueryEntry:
    """One log-plugin line that may be a failed query (no reply written, or SERVFAIL): kept so
    that `querylog.py` can join it to the errors plugin's line for the same query."""

    origin: LogOrigin
    qname: str  # lowercased
    qtype: str
    rcode: str
    duration_s: float


@dataclass
class QueryStats:
    """The log plugin's lines, aggregated (they can be millions)."""

    total: int = 0
    by_rcode: Counter[str] = field(default_factory=Counter)
    no_reply: int = 0  # "- - 0": nothing written, the forward deadline passed
    slow: int = 0  # took 1 s or more
    samples: list[LogOrigin] = field(default_factory=list)  # no-reply and SERVFAIL lines first
    # Per pod ("" without a --prefix wrapper): lines that may have gone upstream, i.e. all but
    # authoritative answers (`aa`: the kubernetes/hosts/file plugins answered, forward never ran)
    forwardable_by_pod: Counter[str] = field(default_factory=Counter)
    first_ts: float | None = None
    last_ts: float | None = None
    candidates: list[QueryEntry] = field(default_factory=list)  # capped at MAX_CANDIDATES


@dataclass
class CorednsLogs:
    sources: list[str] = field(default_factory=list)
    lines: int = 0
    timestamped: int = 0
    pods: set[str] = field(default_factory=set)
    errors: list[ErrorLine] = field(default_factory=list)
    consolidated: list[ConsolidatedLine] = field(default_factory=list)
    loops: list[LoopLine] = field(default_factory=list)
    events: list[EventLine] = field(default_factory=list)
    queries: QueryStats = field(default_factory=QueryStats)
    unrecognised: int = 0
    unrecognised_samples: list[LogOrigin] = field(default_factory=list)

    @property
    def has_timestamps(self) -> bool:
        """True when every recognised line carries a time (rates over time are allowed)."""
        recognised = self.lines - self.unrecognised
        return recognised > 0 and self.timestamped >= recognised

    def real_errors(self) -> list[ErrorLine]:
        return [e for e in self.errors if e.probe is None]

    def probes(self) -> list[ErrorLine]:
        return [e for e in self.errors if e.probe is not None]


def parse_lines(lines: Iterable[str], source: str, into: CorednsLogs | None = None) -> CorednsLogs:
    """Parse one input's lines into `into` (a fresh CorednsLogs when None). Never raises."""
    logs = into if into is not None else CorednsLogs()
    logs.sources.append(source)
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        logs.lines += 1
        wrapped = unwrap(raw)
        ts = wrapped.ts
        if ts is None:  # the log plugin's old format carries its time inside the line
            inner = _INNER_CLF.match(wrapped.body)
            ts = clf_time(inner["when"]) if inner else None
        origin = LogOrigin(source, number, wrapped.pod, ts, raw.strip()[:_TEXT_LIMIT])
        if wrapped.pod:
            logs.pods.add(wrapped.pod)
        if not _parse_body(logs, origin, wrapped.level, wrapped.body):
            logs.unrecognised += 1
            if len(logs.unrecognised_samples) < _SAMPLES:
                logs.unrecognised_samples.append(origin)
        elif origin.ts is not None:
            logs.timestamped += 1
    return logs


def _parse_body(logs: CorednsLogs, origin: LogOrigin, level: str | None, body: str) -> bool:
    match = _CONSOLIDATED.match(body)
    if match:
        logs.consolidated.append(
            ConsolidatedLine(origin, int(match["count"]), match["pattern"], match["window"])
        )
        return True
    error = _error_line(origin, level, body)
    if error is not None:
        logs.errors.append(error)
        return True
    loop = _loop_line(origin, body)
    if loop is not None:
        logs.loops.append(loop)
        return True
    match = _QUERY.match(body)
    if match:
        _count_query(logs.queries, origin, match)
        return True
    for pattern, kind in _EVENTS:
        match = pattern.match(body)
        if match:
            logs.events.append(EventLine(origin, kind, match["detail"]))
            return True
    return False


def _error_line(origin: LogOrigin, level: str | None, body: str) -> ErrorLine | None:
    match = _ERRORS_09.match(body)
    if match is None and (
        level in {"ERROR", "WARNING", "INFO", "DEBUG"} or "plugin/errors" in body
    ):
        match = _ERRORS.match(body)
    if match is not None:
        qname, qtype = match["qname"], match["qtype"].upper()
        return ErrorLine(
            origin,
            int(match["rcode"]),
            qname,
            qtype,
            match["err"],
            classify_error(match["err"]),
            probe_kind(qname, qtype),
        )
    match = _HEALTHCHECK.match(body)
    if match is not None:
        cause = classify_error(match["err"])
        if cause.upstream is None:
            cause = ErrorCause(cause.cls, match["addr"], cause.transport, cause.proxy_wording)
        return ErrorLine(origin, 2, ".", "NS", match["err"], cause, HEALTH_CHECK)
    return None


def _loop_line(origin: LogOrigin, body: str) -> LoopLine | None:
    match = _LOOP.search(body)
    if match:
        query = _LOOP_QUERY.search(body)
        tail = f", probe {query['name']}" if query else ""
        return LoopLine(origin, f"{match['src']} -> {match['dst']} for zone {match['zone']}{tail}")
    match = _LOOP_OLD.search(body)
    if match:
        return LoopLine(origin, f"probe {match['name']} seen more than twice")
    return None


def _count_query(stats: QueryStats, origin: LogOrigin, match: re.Match[str]) -> None:
    stats.total += 1
    rcode = match["rcode"]
    stats.by_rcode[rcode] += 1
    try:
        seconds = float(match["duration"]) * _UNIT[match["unit"]]
    except ValueError:  # "1.2.3s" fits the pattern but is no number: count the line, not its time
        seconds = 0.0
    no_reply = rcode == "-"
    stats.no_reply += no_reply
    stats.slow += seconds >= 1.0
    if "aa" not in (match["rflags"] or "").split(","):
        stats.forwardable_by_pod[origin.pod or ""] += 1
    if origin.ts is not None:
        stats.first_ts = origin.ts if stats.first_ts is None else min(stats.first_ts, origin.ts)
        stats.last_ts = origin.ts if stats.last_ts is None else max(stats.last_ts, origin.ts)
    if not (no_reply or rcode == "SERVFAIL"):
        return
    if len(stats.samples) < _SAMPLES:
        stats.samples.append(origin)
    if len(stats.candidates) < MAX_CANDIDATES:
        entry = QueryEntry(origin, match["qname"].lower(), match["qtype"].upper(), rcode, seconds)
        stats.candidates.append(entry)


def probe_kind(qname: str, qtype: str) -> str | None:
    """CoreDNS's own queries: the loop plugin's start-up HINFO and forward's `. IN NS` check."""
    if qtype == "HINFO" and _PROBE_NAME.match(qname):
        return LOOP_PROBE
    if qname == "." and qtype == "NS":
        return HEALTH_CHECK
    return None


def load_logs(paths: Sequence[str], stdin: TextIO) -> CorednsLogs:
    """Read every `--logs` input (a path, or "-" for stdin) into one CorednsLogs.

    Raises InputError for a missing or unreadable file, and for an input with text in which not
    one line is a CoreDNS line (a wrong file is better named than silently ignored).
    """
    logs = CorednsLogs()
    for path in paths:
        before = (logs.lines, logs.unrecognised)
        if path == "-":
            parse_lines(stdin, "-", logs)
        else:
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    parse_lines(handle, path, logs)
            except OSError as exc:
                raise InputError(
                    f"cannot read logs {path}: {exc.strerror or exc}",
                    path=path,
                    hint="give a file saved from `kubectl logs`, or - for stdin",
                ) from exc
        lines, unrecognised = logs.lines - before[0], logs.unrecognised - before[1]
        if lines and lines == unrecognised:
            name = "stdin" if path == "-" else path
            raise InputError(
                f"{name}: none of its {lines} lines is a CoreDNS log line",
                path=path,
                hint=f"save the logs with `{KUBECTL_RERUN}`",
            )
    return logs
