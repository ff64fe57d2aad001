"""What each nameserver does to a lookup: glibc, musl, and a CoreDNS `forward` inheriting the file.

glibc asks the servers in order (resolv/res_send.c): the second and third only after the first
timed out or failed, so a dead first server costs every lookup `timeout` seconds; `rotate`
spreads the starting server. musl sends every query to all servers at once (res_msend.c) and takes
the first answer: a dead server is harmless, but two live servers give two answers to one query,
which is what musl < 1.2.4's same-ID A/AAAA queries need to lose an answer. CoreDNS's `forward`
plugin picks an upstream per query with its default `policy random`: about 1/N of the forwarded
queries each, and it reads every `nameserver` line, not only the first 3.
"""

from __future__ import annotations

from dataclasses import dataclass

from dnsdoctor.evidence.node.resolv_conf import ResolvConf


@dataclass(frozen=True, slots=True)
class NameserverEffect:
    address: str
    line: int
    glibc: str
    musl: str
    coredns: str

    def to_dict(self) -> dict[str, object]:
        return {
            "address": self.address,
            "line": self.line,
            "glibc": self.glibc,
            "musl": self.musl,
            "coredns": self.coredns,
        }


def nameserver_effects(conf: ResolvConf) -> list[NameserverEffect]:
    glibc = [s.value for s in conf.glibc.nameservers]
    musl = [s.value for s in conf.musl.nameservers]
    timeout = conf.glibc.setting("timeout")
    rotate = bool(conf.glibc.options.get("rotate"))
    declared = conf.declared_nameservers()
    every = list(dict.fromkeys(s.value for s in declared))
    effects = []
    for setting in declared:
        address = setting.value
        effects.append(
            NameserverEffect(
                address,
                setting.line,
                _glibc(address, glibc, timeout, rotate),
                _musl(address, musl),
                _coredns(address, every),
            )
        )
    return effects


def _glibc(address: str, used: list[str], timeout: int | bool, rotate: bool) -> str:
    if address not in used:
        return "ignored (only the first 3 nameservers count)"
    if rotate and len(used) > 1:
        return f"rotate: starts about 1 in {len(used)} queries; the others try it after a failure"
    position = used.index(address)
    if position == 0:
        return (
            f"asked first by every query; if it does not answer, each lookup waits {timeout} s "
            "before the next server"
        )
    return f"asked only after server {position} failed or timed out ({timeout} s each)"


def _musl(address: str, used: list[str]) -> str:
    if address not in used:
        return "ignored (only the first 3 nameservers count)"
    if len(used) == 1:
        return "the only server: every query goes to it"
    return (
        f"queried at once with the other {len(used) - 1}; the first answer wins, so a dead one "
        "is harmless, but two live ones answer every query twice (the second answer is what "
        "makes musl < 1.2.4 drop an A or AAAA answer with a shared ID)"
    )


def _coredns(address: str, used: list[str]) -> str:
    # CoreDNS reads every nameserver line (miekg/dns ClientConfigFromFile), not just three.
    if address.startswith("127.") or address == "::1":
        return "loopback inside the CoreDNS pod: CoreDNS forwards to itself (a loop)"
    share = round(100 / len(used))
    return f"policy random: about {share}% of forwarded queries (1/{len(used)}) go to it"
