"""Record the Go lab runs kept here (root: the lab needs a private network namespace).

    .venv/bin/python tests/replay/data/go/record.py [NAME ...]

Runs the declared lab scenarios that have a `gai-go` client, plus the Go-specific scenarios
below, one at a time, each writing NAME.pcap and NAME.json next to this file. The expectations
below are what Go 1.19's source says (net/dnsclient_unix.go); the tests compare the replay with
what the real binary returned (`got` in each record), not with these.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dnsdoctor.lab.runner import run_scenario
from dnsdoctor.lab.scenarios import (
    AT_ONCE,
    BASE_ZONE,
    BIG,
    BIG_A,
    DUAL,
    EXTERNAL,
    EXTERNAL_A,
    EXTERNAL_AAAA,
    NS1,
    NS2,
    ONE_TIMEOUT,
    OTHER,
    TWO_TIMEOUTS,
    V4,
    V4ONLY,
    V6,
    ClientRun,
    Expect,
    Scenario,
    resolv,
)
from dnsdoctor.lab.server import ServerConfig

HERE = Path(__file__).parent
DECLARED = ("same-id-two-servers", "dead-server-glibc", "addrconfig-loopback-only")
BOTH = Expect("ok", ipv4=(V4,), ipv6=(V6,))
V4_ONLY = Expect("ok", ipv4=(V4,))
AGAIN_2S = Expect("error", eai="EAI_AGAIN", step=TWO_TIMEOUTS)


def _server(address: str, **faults: object) -> ServerConfig:
    return ServerConfig(address=address, zone=BASE_ZONE, **faults)  # type: ignore[arg-type]


def _go(name: str, expect: Expect) -> ClientRun:
    return ClientRun("gai-go", name, expect)


def _scenario(
    name: str, servers: tuple[ServerConfig, ...], *clients: ClientRun, **kw: str
) -> Scenario:
    conf = kw.get("resolv_conf") or resolv(*[s.address for s in servers])
    return Scenario(name, f"Go replay check: {name}", conf, servers, clients)


GO_SCENARIOS = (
    _scenario(
        "go-names",
        (_server(NS1),),
        _go(DUAL, BOTH),
        _go(V4ONLY, Expect("ok", ipv4=("192.0.2.20",))),
        _go("nx.lab.test", Expect("error", eai="EAI_NONAME")),
        ClientRun("gai-glibc", V4ONLY, Expect("ok", ipv4=("192.0.2.20",))),
        ClientRun("gai-musl", V4ONLY, Expect("ok", ipv4=("192.0.2.20",))),
    ),
    _scenario(
        "go-search-ndots5",
        (_server(NS1),),
        _go(EXTERNAL, Expect("ok", ipv4=(EXTERNAL_A,), ipv6=(EXTERNAL_AAAA,))),
        ClientRun("gai-musl", EXTERNAL, Expect("ok", ipv4=(EXTERNAL_A,), ipv6=(EXTERNAL_AAAA,))),
        resolv_conf=resolv(
            NS1,
            extra="search default.svc.cluster.local svc.cluster.local cluster.local",
            options="ndots:5 timeout:1 attempts:2",
        ),
    ),
    _scenario(
        "go-servfail",
        (_server(NS1, rcode={"A": "SERVFAIL", "AAAA": "SERVFAIL"}),),
        _go(DUAL, Expect("error", eai="EAI_AGAIN", step=AT_ONCE)),
    ),
    _scenario(
        "go-refused-one-server",
        (_server(NS1, rcode={"A": "REFUSED", "AAAA": "REFUSED"}), _server(NS2)),
        _go(DUAL, BOTH),
    ),
    _scenario("go-aaaa-nxdomain", (_server(NS1, rcode={"AAAA": "NXDOMAIN"}),), _go(DUAL, V4_ONLY)),
    _scenario(
        "go-aaaa-dropped",
        (_server(NS1, drop_qtypes=["AAAA"]),),
        _go(DUAL, Expect("ok", ipv4=(V4,), step=TWO_TIMEOUTS)),
    ),
    _scenario("go-truncated", (_server(NS1),), _go(BIG, Expect("ok", ipv4=tuple(BIG_A)))),
    _scenario(
        "go-wrong-question", (_server(NS1, wrong_question=["A", "AAAA"]),), _go(DUAL, AGAIN_2S)
    ),
    _scenario(
        "go-reply-from-other-address",
        (_server(NS1, reply_from=OTHER),),
        _go(DUAL, AGAIN_2S),
        resolv_conf=resolv(NS1),
    ),
    _scenario(
        "go-nothing-listening",
        (_server(NS2),),
        _go(DUAL, BOTH),
        resolv_conf=resolv(NS1, NS2),
    ),
    _scenario(
        "go-dead-server-one-try",
        (_server(NS1, blackhole=True), _server(NS2)),
        _go(DUAL, Expect("ok", ipv4=(V4,), ipv6=(V6,), step=ONE_TIMEOUT)),
        ClientRun("gai-musl", DUAL, BOTH),
    ),
)


def main(names: list[str]) -> int:
    wanted = [*DECLARED, *(s.name for s in GO_SCENARIOS)]
    by_name = {s.name: s for s in GO_SCENARIOS}
    for name in names or wanted:
        record = run_scenario(by_name.get(name, name), HERE)  # type: ignore[arg-type]
        got = [
            (c["client"], c["name"], c["got"]["result"], c["got"]["eai"]) for c in record["clients"]
        ]
        print(name, got, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
