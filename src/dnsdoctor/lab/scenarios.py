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

from typing import Any

from dnsdoctor.lab.scenario_model import (
    AT_ONCE,
    BASE_ZONE,
    BEFORE_LATE_A,
    BIG,
    BIG_A,
    DEFAULT_TIMEOUT,
    DUAL,
    EXTERNAL,
    EXTERNAL_A,
    EXTERNAL_AAAA,
    GLIBC_ONE_SERVER_TWO_TRIES,
    HOSTS,
    MUSL_RETRY,
    NS1,
    NS2,
    NSSWITCH,
    ONE_TIMEOUT,
    OTHER,
    RULES,
    SERVER_DELAY_2S,
    TWO_TIMEOUTS,
    V4,
    V4ONLY,
    V6,
    WRONG_A,
    WRONG_AAAA,
    ClientRun,
    Expect,
    Fires,
    Role,
    Scenario,
    Step,
    resolv,
)
from dnsdoctor.lab.server import ServerConfig


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


__all__ = [
    "AT_ONCE",
    "BASE_ZONE",
    "BEFORE_LATE_A",
    "BIG",
    "BIG_A",
    "DEFAULT_TIMEOUT",
    "DUAL",
    "EXTERNAL",
    "EXTERNAL_A",
    "EXTERNAL_AAAA",
    "GLIBC_ONE_SERVER_TWO_TRIES",
    "HOSTS",
    "MUSL_RETRY",
    "NS1",
    "NS2",
    "NSSWITCH",
    "ONE_TIMEOUT",
    "OTHER",
    "RULES",
    "SCENARIOS",
    "SERVER_DELAY_2S",
    "TWO_TIMEOUTS",
    "V4",
    "V4ONLY",
    "V6",
    "WRONG_A",
    "WRONG_AAAA",
    "ClientRun",
    "Expect",
    "Fires",
    "Role",
    "Scenario",
    "Step",
    "get",
    "resolv",
]
