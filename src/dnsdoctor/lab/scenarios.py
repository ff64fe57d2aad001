"""Lab scenarios as data: resolv.conf, fault-injecting servers, clients and what each must get.

Addresses in answers come from documentation ranges (192.0.2.0/24, 2001:db8::/32) and are
never contacted: the clients only resolve. Every packet in a lab capture is between
127.0.0.0/8 addresses (or ::1).

Clients (see `dnsdoctor.lab.build`): ``gai-musl`` (musl 1.2.3, static), ``gai-musl-coarse``
(the same with CLOCK_REALTIME quantized to 4 ms, so A and AAAA share one query ID),
``gai-glibc`` (the host's glibc) and ``gai-go`` (Go's pure-Go resolver).

Each scenario is the one source of truth for what it shows: per client the exact result
(addresses by family, or the EAI code) and the timeout step it lands on (`Step`), and per
analysis rule whether it must fire (at warning or above, citing at least one frame of the
declared roles) or must stay below warning. Frames are declared by role (`Role`: "queries to
127.0.0.10", "resent queries", "SERVFAIL responses", ...), never by number: a fresh
recording has other query IDs and can order racing packets (a late answer and its ICMP error,
two servers' answers) differently from the bundled sample, so `dnsdoctor.lab.frames`
recomputes the frames of each role from whichever capture is checked. ``samples/expected.json``
is generated from these declarations and the bundled samples
(``python -m dnsdoctor.lab.runner --write-expected samples/expected.json``); its frame lists
equal the ones checked by hand with tshark.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from dnsdoctor.lab.server import ServerConfig

NS1 = "127.0.0.10"
NS2 = "127.0.0.11"
OTHER = "127.0.0.12"

V4 = "192.0.2.10"
V6 = "2001:db8::10"
DUAL = "dual.lab.test"
V4ONLY = "v4only.lab.test"
BIG = "big.lab.test"
BIG_A = [f"192.0.2.{i}" for i in range(100, 140)]  # 40 A records: ~680 bytes, over 512
WRONG_A = "192.0.2.66"
WRONG_AAAA = "2001:db8::66"
EXTERNAL = "api.example.com"
EXTERNAL_A = "192.0.2.80"
EXTERNAL_AAAA = "2001:db8::80"

BASE_ZONE: dict[str, dict[str, list[str]]] = {
    DUAL: {"A": [V4], "AAAA": [V6]},
    V4ONLY: {"A": ["192.0.2.20"]},
    BIG: {"A": BIG_A},
    EXTERNAL: {"A": [EXTERNAL_A], "AAAA": [EXTERNAL_AAAA]},
}

HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
NSSWITCH = "hosts: files dns\n"


def resolv(*nameservers: str, extra: str = "", options: str = "timeout:1 attempts:2") -> str:
    lines = [f"nameserver {ns}" for ns in nameservers]
    if extra:
        lines.append(extra)
    if options:
        lines.append(f"options {options}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Step:
    """The timeout step a client run must land on: a label and the window it means, in ms."""

    label: str
    lo_ms: int
    hi_ms: int


AT_ONCE = Step("~0 s", 0, 300)
BEFORE_LATE_A = Step("~0 s (before the A answer, 50 ms late)", 0, 45)
MUSL_RETRY = Step("0.5 s (musl retry interval timeout:1/attempts:2)", 450, 800)
ONE_TIMEOUT = Step("1 s (timeout:1)", 950, 1400)
TWO_TIMEOUTS = Step("2 s (timeout:1 x attempts:2)", 1900, 2600)
GLIBC_ONE_SERVER_TWO_TRIES = Step(
    "3 s (timeout:1 three times: after a timeout with one of two answers glibc retries in "
    "single-request mode, then single-request-reopen)",
    2900,
    3600,
)
SERVER_DELAY_2S = Step("2 s (the server's 2 s delay, under timeout:3)", 1950, 2600)
DEFAULT_TIMEOUT = Step("5 s (default timeout:5)", 4900, 5800)


@dataclass(frozen=True)
class Expect:
    """What one client run must get. Address lists are compared as sorted lists."""

    result: str  # "ok" | "error"
    eai: str | None = None
    ipv4: tuple[str, ...] = ()
    ipv6: tuple[str, ...] = ()
    step: Step = AT_ONCE

    @property
    def elapsed_ms(self) -> tuple[int, int]:
        return (self.step.lo_ms, self.step.hi_ms)

    def describe(self) -> str:
        """One line: "ok v4 [..] v6 [..]" or the EAI code, then the timeout step."""
        if self.result == "ok":
            got = f"ok v4 {list(self.ipv4)} v6 {list(self.ipv6)}"
        else:
            got = str(self.eai)
        return f"{got} @ {self.step.label}"

    def check(self, got: dict[str, Any]) -> list[str]:
        problems = []
        if got.get("result") != self.result:
            problems.append(f"result {got.get('result')!r} != {self.result!r}")
        if got.get("eai") != self.eai:
            problems.append(f"eai {got.get('eai')!r} != {self.eai!r}")
        for fam in ("ipv4", "ipv6"):
            want = sorted(getattr(self, fam))
            have = sorted(got.get(fam) or [])
            if have != want:
                problems.append(f"{fam} {have} != {want}")
        elapsed = got.get("elapsed_ms", -1)
        lo, hi = self.elapsed_ms
        if not lo <= elapsed <= hi:
            problems.append(f"elapsed_ms {elapsed} not in [{lo}, {hi}] ({self.step.label})")
        return problems


@dataclass(frozen=True)
class ClientRun:
    client: str  # gai-musl | gai-musl-coarse | gai-glibc | gai-go
    name: str
    expect: Expect
    flags: tuple[str, ...] = ()


# ---- rule expectations -------------------------------------------------------------------

# The analysis rules the lab constrains. A rule in none of a scenario's lists must produce no
# finding at warning or above on its capture.
RULES: tuple[str, ...] = (
    "query-id-collision",
    "answer-question-mismatch",
    "server-not-responding",
    "unanswered-query",
    "retransmission-stall",
    "upstream-error-rcode",
    "search-path-amplification",
    "truncated-without-tcp-retry",
    "slow-server",
    "malformed-message",
    "response-from-unexpected-address",
    "duplicate-response",
    "orphan-response",
)


@dataclass(frozen=True)
class Role:
    """Frames picked by what they are, not by number, so every recording gives the right set.

    A fresh recording can order racing packets differently from the bundled sample and carries
    other IDs; a role is recomputed from each capture by `dnsdoctor.lab.frames.select`.
    ``kind`` is "query" (client to server: `server` is the destination), "response" (server
    to client: `server` is the source) or "icmp" (an ICMP error sent from `server`). DNS over
    TCP counts too (each length-prefixed message in a segment).
    """

    kind: str
    server: str | None = None
    qname_suffix: str | None = None  # e.g. "cluster.local." or WRONG_QNAME
    rcode: str | None = None  # responses: "SERVFAIL", "REFUSED", ...
    truncated: bool | None = None  # responses: TC bit
    got_truncated: bool = False  # queries: answered by a TC=1 response (same id and qtype)
    resent: bool = False  # queries: the same (id, qname, qtype) was sent more than once
    shares_id: bool = False  # queries: a query of another qtype left the same socket, same id
    unanswered: bool = False  # queries: no response with the same id, qname and qtype

    def describe(self) -> str:
        words = [
            "resent" if self.resent else "",
            "unanswered" if self.unanswered else "",
            "same-ID" if self.shares_id else "",
            self.rcode or "",
            "TC=1" if self.truncated else "",
            {"query": "queries", "response": "responses", "icmp": "ICMP errors"}[self.kind],
        ]
        if self.got_truncated:
            words.append("answered with TC=1")
        if self.qname_suffix:
            words.append(f"for *{self.qname_suffix}")
        if self.server:
            words.append(("to " if self.kind == "query" else "from ") + self.server)
        return " ".join(w for w in words if w)


@dataclass(frozen=True)
class Fires:
    """`rule` must produce a finding at warning or above citing at least one frame of `roles`."""

    rule: str
    roles: tuple[Role, ...]


@dataclass(frozen=True)
class Scenario:
    """One reproducible failure.

    ``must_fire``: the rules that must report it (at warning or above) and the frames, by
    role, of which each must cite at least one. ``unconstrained``: rules this scenario says
    nothing about. Every other rule in `RULES` must stay below warning (`must_not_fire`).
    ``sample_clients``: the bundled sample holds the traffic of only the first N clients
    (clients added after it was recorded); `record_samples` re-records exactly those.
    """

    name: str
    purpose: str
    resolv_conf: str
    servers: tuple[ServerConfig, ...]
    clients: tuple[ClientRun, ...]
    must_fire: tuple[Fires, ...] = ()
    unconstrained: tuple[str, ...] = ()
    sample: str | None = None  # file name under samples/ when recorded as a bundled sample
    sample_clients: int | None = None
    gap_s: float = 0.2  # pause between two client runs
    hosts: str = HOSTS
    nsswitch: str = NSSWITCH

    @property
    def must_not_fire(self) -> tuple[str, ...]:
        fired = {f.rule for f in self.must_fire}
        return tuple(r for r in RULES if r not in fired and r not in self.unconstrained)

    @property
    def is_control(self) -> bool:
        return not self.must_fire

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["must_not_fire"] = list(self.must_not_fire)
        return data


def _server(address: str, **faults: Any) -> ServerConfig:
    return ServerConfig(address=address, zone=BASE_ZONE, **faults)


BOTH = Expect("ok", ipv4=(V4,), ipv6=(V6,), step=AT_ONCE)
WRONG_QNAME = "wrong.example.test."

_q = Role("query")
_SAME_ID = Role("query", shares_id=True)
_RESENT = Role("query", resent=True)

_SCENARIOS: list[Scenario] = [
    Scenario(
        name="same-id-dup-aaaa",
        purpose="coarse clock: A and AAAA share an ID; AAAA answered twice, A 50 ms late "
        "-> musl files both AAAA answers and returns only IPv6 (the harmful order)",
        resolv_conf=resolv(NS1),
        servers=(_server(NS1, delay_ms={"A": 50}, duplicate=["AAAA"], duplicate_gap_ms=5),),
        clients=(
            ClientRun("gai-musl-coarse", DUAL, Expect("ok", ipv6=(V6, V6), step=BEFORE_LATE_A)),
        ),
        must_fire=(Fires("query-id-collision", (_SAME_ID,)),),
        # the duplicate AAAA answer and the late A answer after the client left
        unconstrained=("duplicate-response", "orphan-response", "response-from-unexpected-address"),
        sample="musl-same-id-ipv6-only.pcap",
    ),
    Scenario(
        name="same-id-harmless",
        purpose="coarse clock: A and AAAA share an ID, single answers, AAAA first "
        "-> musl swaps the slots but still returns both families",
        resolv_conf=resolv(NS1),
        servers=(_server(NS1, delay_ms={"A": 50}),),
        clients=(ClientRun("gai-musl-coarse", DUAL, BOTH),),
        must_fire=(Fires("query-id-collision", (_SAME_ID,)),),
        unconstrained=("response-from-unexpected-address",),
        sample="musl-same-id-harmless.pcap",
    ),
    Scenario(
        name="same-id-two-servers",
        purpose="coarse clock, two healthy servers, A 50 ms late: both AAAA answers fill "
        "both slots -> IPv6 only; a name without AAAA -> EAI_NONAME; Go (random IDs, one "
        "socket per query) gets both families: the fix",
        resolv_conf=resolv(NS1, NS2),
        servers=(_server(NS1, delay_ms={"A": 50}), _server(NS2, delay_ms={"A": 50})),
        clients=(
            ClientRun("gai-musl-coarse", DUAL, Expect("ok", ipv6=(V6, V6), step=BEFORE_LATE_A)),
            ClientRun(
                "gai-musl-coarse", V4ONLY, Expect("error", eai="EAI_NONAME", step=BEFORE_LATE_A)
            ),
            ClientRun("gai-go", DUAL, BOTH),
        ),
        must_fire=(Fires("query-id-collision", (_SAME_ID,)),),
        unconstrained=("orphan-response", "response-from-unexpected-address"),
        sample="musl-same-id-two-servers.pcap",
        sample_clients=2,
    ),
    Scenario(
        name="fine-clock-control",
        purpose="control: normal musl (distinct IDs), two healthy servers, A 50 ms late "
        "-> both families",
        resolv_conf=resolv(NS1, NS2),
        servers=(_server(NS1, delay_ms={"A": 50}), _server(NS2, delay_ms={"A": 50})),
        clients=(
            ClientRun("gai-musl", DUAL, BOTH),
            ClientRun("gai-musl", V4ONLY, Expect("ok", ipv4=("192.0.2.20",), step=AT_ONCE)),
        ),
        sample="musl-fine-clock-control.pcap",
    ),
    Scenario(
        name="dead-server-musl",
        purpose="first nameserver blackholed, second healthy: musl asks both at once and "
        "answers at once",
        resolv_conf=resolv(NS1, NS2),
        servers=(_server(NS1, blackhole=True), _server(NS2)),
        # twice, 1 s apart, so the capture shows the first server silent for over a second
        clients=(ClientRun("gai-musl", DUAL, BOTH), ClientRun("gai-musl", DUAL, BOTH)),
        must_fire=(Fires("server-not-responding", (Role("query", server=NS1),)),),
        unconstrained=("unanswered-query",),
        gap_s=1.0,
        sample="dead-nameserver-musl.pcap",
    ),
    Scenario(
        name="dead-server-glibc",
        purpose="first nameserver blackholed, second healthy: glibc and Go wait timeout:1 "
        "on the first before asking the second, then get both families",
        resolv_conf=resolv(NS1, NS2),
        servers=(_server(NS1, blackhole=True), _server(NS2)),
        clients=(
            ClientRun("gai-glibc", DUAL, Expect("ok", ipv4=(V4,), ipv6=(V6,), step=ONE_TIMEOUT)),
            ClientRun("gai-go", DUAL, Expect("ok", ipv4=(V4,), ipv6=(V6,), step=ONE_TIMEOUT)),
        ),
        must_fire=(
            Fires("server-not-responding", (Role("query", server=NS1),)),
            Fires("unanswered-query", (Role("query", server=NS1),)),
            Fires("retransmission-stall", (_RESENT,)),
        ),
        sample="dead-nameserver-glibc.pcap",
        sample_clients=1,
    ),
    Scenario(
        name="dead-server-defaults",
        purpose="first nameserver blackholed, resolver defaults (no options line): musl asks "
        "both at once (~0 s; its 2.5 s retry interval never matters), glibc waits 5 s",
        resolv_conf=resolv(NS1, NS2, options=""),
        servers=(_server(NS1, blackhole=True), _server(NS2)),
        clients=(
            ClientRun("gai-musl", DUAL, BOTH),
            ClientRun(
                "gai-glibc", DUAL, Expect("ok", ipv4=(V4,), ipv6=(V6,), step=DEFAULT_TIMEOUT)
            ),
        ),
        must_fire=(
            Fires("server-not-responding", (Role("query", server=NS1),)),
            Fires("unanswered-query", (Role("query", server=NS1),)),
            Fires("retransmission-stall", (_RESENT,)),
        ),
    ),
    Scenario(
        name="nothing-listening",
        purpose="first nameserver has no server (ICMP port unreachable), second healthy: "
        "glibc moves on at once",
        resolv_conf=resolv(NS1, NS2),
        servers=(_server(NS2),),
        clients=(ClientRun("gai-glibc", DUAL, BOTH),),
        must_fire=(Fires("server-not-responding", (Role("query", server=NS1), Role("icmp", NS1))),),
        unconstrained=("unanswered-query",),
        sample="nothing-listening.pcap",
    ),
    Scenario(
        name="wrong-question",
        purpose="server answers with the right ID but another question (and never the "
        "right answer): glibc ignores it and times out",
        resolv_conf=resolv(NS1),
        servers=(_server(NS1, wrong_question=["A", "AAAA"]),),
        clients=(
            ClientRun("gai-glibc", DUAL, Expect("error", eai="EAI_AGAIN", step=TWO_TIMEOUTS)),
        ),
        must_fire=(
            Fires("answer-question-mismatch", (Role("response", qname_suffix=WRONG_QNAME),)),
            Fires("retransmission-stall", (_RESENT,)),
        ),
        unconstrained=("unanswered-query", "orphan-response"),
        sample="wrong-question.pcap",
    ),
    Scenario(
        name="wrong-question-musl",
        purpose="server answers with the right ID but another question: musl 1.2.3 does not "
        "check the question and takes the other name's addresses",
        resolv_conf=resolv(NS1),
        servers=(_server(NS1, wrong_question=["A", "AAAA"]),),
        clients=(
            ClientRun(
                "gai-musl", DUAL, Expect("ok", ipv4=(WRONG_A,), ipv6=(WRONG_AAAA,), step=AT_ONCE)
            ),
        ),
        must_fire=(
            Fires("answer-question-mismatch", (Role("response", qname_suffix=WRONG_QNAME),)),
        ),
        unconstrained=("unanswered-query", "orphan-response"),
        sample="wrong-question-musl.pcap",
    ),
    Scenario(
        name="reply-from-other-address",
        purpose="the server answers from another 127.0.0.x address than the one asked: "
        "glibc's connected socket never sees it and the lookup times out",
        resolv_conf=resolv(NS1),
        servers=(_server(NS1, reply_from=OTHER),),
        clients=(
            ClientRun("gai-glibc", DUAL, Expect("error", eai="EAI_AGAIN", step=TWO_TIMEOUTS)),
        ),
        must_fire=(
            Fires("retransmission-stall", (_RESENT,)),
            Fires("response-from-unexpected-address", (Role("response", server=OTHER),)),
        ),
        unconstrained=(
            "server-not-responding",
            "unanswered-query",
            "answer-question-mismatch",
            "orphan-response",
        ),
        sample="reply-from-other-address.pcap",
    ),
    Scenario(
        name="dropped-first-query",
        purpose="the server silently drops its first query: musl resends after "
        "timeout/attempts = 500 ms and succeeds",
        resolv_conf=resolv(NS1),
        servers=(_server(NS1, drop_nth=[1]),),
        clients=(
            ClientRun("gai-musl", DUAL, Expect("ok", ipv4=(V4,), ipv6=(V6,), step=MUSL_RETRY)),
        ),
        must_fire=(Fires("retransmission-stall", (_RESENT,)),),
        unconstrained=("unanswered-query",),
        sample="dropped-query-resent-musl.pcap",
    ),
    Scenario(
        name="truncated-tcp-glibc",
        purpose="answer over 512 bytes: TC=1 over UDP, glibc retries over TCP and gets 40 A",
        resolv_conf=resolv(NS1),
        servers=(_server(NS1),),
        clients=(ClientRun("gai-glibc", BIG, Expect("ok", ipv4=tuple(BIG_A), step=AT_ONCE)),),
        unconstrained=("orphan-response",),  # the late UDP AAAA answer after the socket closed
        sample="truncated-then-tcp-glibc.pcap",
    ),
    Scenario(
        name="truncated-tcp-musl",
        purpose="answer over 512 bytes: TC=1 over UDP, musl 1.2.3 never retries over TCP",
        resolv_conf=resolv(NS1),
        servers=(_server(NS1),),
        clients=(ClientRun("gai-musl", BIG, Expect("error", eai="EAI_NONAME", step=AT_ONCE)),),
        must_fire=(
            Fires(
                "truncated-without-tcp-retry",
                (Role("query", got_truncated=True), Role("response", truncated=True)),
            ),
        ),
        sample="truncated-no-tcp-musl.pcap",
    ),
    Scenario(
        name="servfail",
        purpose="the only server answers SERVFAIL to A and AAAA",
        resolv_conf=resolv(NS1),
        servers=(_server(NS1, rcode={"A": "SERVFAIL", "AAAA": "SERVFAIL"}),),
        clients=(ClientRun("gai-glibc", DUAL, Expect("error", eai="EAI_AGAIN", step=AT_ONCE)),),
        must_fire=(Fires("upstream-error-rcode", (Role("response", rcode="SERVFAIL"),)),),
        sample="servfail.pcap",
    ),
    Scenario(
        name="refused-one-server",
        purpose="first nameserver answers REFUSED to everything, second healthy: glibc moves "
        "on at once, musl ignores REFUSED and takes the second server's answers",
        resolv_conf=resolv(NS1, NS2),
        servers=(_server(NS1, rcode={"A": "REFUSED", "AAAA": "REFUSED"}), _server(NS2)),
        clients=(ClientRun("gai-glibc", DUAL, BOTH), ClientRun("gai-musl", DUAL, BOTH)),
        must_fire=(Fires("upstream-error-rcode", (Role("response", rcode="REFUSED"),)),),
        unconstrained=("orphan-response",),
    ),
    Scenario(
        name="ndots5-amplification",
        purpose="search list of 3 domains + ndots:5: an external name walks NXDOMAIN x3 "
        "(A and AAAA each) before the absolute name answers",
        resolv_conf=resolv(
            NS1,
            extra="search default.svc.cluster.local svc.cluster.local cluster.local",
            options="ndots:5 timeout:1 attempts:2",
        ),
        servers=(_server(NS1),),
        clients=(
            ClientRun(
                "gai-glibc",
                EXTERNAL,
                Expect("ok", ipv4=(EXTERNAL_A,), ipv6=(EXTERNAL_AAAA,), step=AT_ONCE),
            ),
        ),
        must_fire=(
            Fires("search-path-amplification", (Role("query", qname_suffix="cluster.local."),)),
        ),
        sample="ndots5-amplification.pcap",
    ),
    Scenario(
        name="aaaa-dropped",
        purpose="the server answers A but never AAAA: glibc waits out both tries and returns "
        "IPv4 only, musl gives up after timeout:1 with EAI_AGAIN",
        resolv_conf=resolv(NS1),
        servers=(_server(NS1, drop_qtypes=["AAAA"]),),
        clients=(
            ClientRun("gai-glibc", DUAL, Expect("ok", ipv4=(V4,), step=GLIBC_ONE_SERVER_TWO_TRIES)),
            ClientRun("gai-musl", DUAL, Expect("error", eai="EAI_AGAIN", step=ONE_TIMEOUT)),
        ),
        must_fire=(
            Fires("unanswered-query", (Role("query", unanswered=True),)),
            Fires("retransmission-stall", (_RESENT,)),
        ),
        unconstrained=("server-not-responding",),
    ),
    Scenario(
        name="aaaa-nxdomain",
        purpose="the server answers A but NXDOMAIN to AAAA (a broken server or filter): glibc "
        "returns IPv4 only, musl 1.2.3 takes NXDOMAIN for the name -> EAI_NONAME; "
        "no rule reports it yet (every rule must stay silent)",
        resolv_conf=resolv(NS1),
        servers=(_server(NS1, rcode={"AAAA": "NXDOMAIN"}),),
        clients=(
            ClientRun("gai-glibc", DUAL, Expect("ok", ipv4=(V4,), step=AT_ONCE)),
            ClientRun("gai-musl", DUAL, Expect("error", eai="EAI_NONAME", step=AT_ONCE)),
        ),
    ),
    Scenario(
        name="slow-upstream-2s",
        purpose="the server answers every query after 2 s (a timeout behind it), timeout:3: "
        "glibc and Go wait 2 s and succeed",
        resolv_conf=resolv(NS1, options="timeout:3 attempts:2"),
        servers=(_server(NS1, delay_ms={"A": 2000, "AAAA": 2000}),),
        clients=(
            ClientRun(
                "gai-glibc", DUAL, Expect("ok", ipv4=(V4,), ipv6=(V6,), step=SERVER_DELAY_2S)
            ),
            ClientRun("gai-go", DUAL, Expect("ok", ipv4=(V4,), ipv6=(V6,), step=SERVER_DELAY_2S)),
        ),
        must_fire=(Fires("slow-server", (Role("response", server=NS1),)),),
    ),
    Scenario(
        name="addrconfig-loopback-only",
        purpose="control: AI_ADDRCONFIG with only loopback configured: glibc and musl still ask "
        "A and AAAA and return both families (Go has no AI_ADDRCONFIG)",
        resolv_conf=resolv(NS1),
        servers=(_server(NS1),),
        clients=(
            ClientRun("gai-glibc", DUAL, BOTH, flags=("-a",)),
            ClientRun("gai-musl", DUAL, BOTH, flags=("-a",)),
            ClientRun("gai-go", DUAL, BOTH, flags=("-a",)),
        ),
    ),
]

SCENARIOS: dict[str, Scenario] = {s.name: s for s in _SCENARIOS}


def get(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise KeyError(f"unknown lab scenario {name!r}; known: {', '.join(SCENARIOS)}") from None


__all__ = ["RULES", "SCENARIOS", "ClientRun", "Expect", "Fires", "Role", "Scenario", "Step", "get"]
