"""DD202 libc-dependent-outcome.

What it detects:
Lookups whose packets give the application different results under different resolver
libraries: replayed through musl 1.2.3 and glibc 2.36, one library succeeds and the other fails,
or they return different address families or addresses. It runs when the client library is not
named with `--client` (then there is one model and nothing to compare).

Why it matters:
It explains "only the Alpine pods fail": the same network behaviour is harmless to one library and
fatal to another. Typical causes: same-ID A/AAAA queries plus a second answer (musl <= 1.2.3 drops
one family), an NXDOMAIN for AAAA only (musl: the name does not exist; glibc: IPv4 addresses), a
REFUSED or SERVFAIL answer (glibc moves to the next server, musl waits out its timeout), answers
for another question (musl takes them, glibc times out).

Evidence:
A capture where the client's packets are visible; the client's resolv.conf (`--resolv-conf`)
makes the timings exact.

Example:
dual.lab.test.: under musl 1.2.3 only 2001:db8::10, 2001:db8::10 after 5 ms; under glibc 2.36
192.0.2.10 + 2001:db8::10 after 50 ms.

Fix:
Fix the network behaviour the finding names (duplicate answers, a server answering NXDOMAIN or
REFUSED for one type); or move the client to the library that copes (a glibc-based image, musl
1.2.4+).

False positives:
The replay holds the packets fixed: a library that would have sent differently (musl asks every
nameserver at once, glibc one after another) might have got other packets. Both results are
what the application would have seen given exactly these packets.

References:
docs/replay.md (the models and what they follow); musl v1.2.3 src/network/res_msend.c and
lookup_name.c; glibc 2.36 resolv/res_send.c, res_query.c, sysdeps/posix/getaddrinfo.c.
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.engine.lookups import Lookup
from dnsdoctor.model import CountEvidence, Finding, FrameEvidence, Severity
from dnsdoctor.replay.driver import ReplayedCall
from dnsdoctor.replay.outcome import AppResult
from dnsdoctor.replay.rule_support import ReplayRule, find_reply, reply_frame
from dnsdoctor.rules.base import SAMPLE_FRAMES, CaptureContext


def differs(results: list[AppResult]) -> bool:
    """Different classes (error / IPv4 only / IPv6 only / both), or other address sets."""
    classes = {r.outcome_class for r in results}
    addresses = {(frozenset(r.ipv4), frozenset(r.ipv6)) for r in results if r.ok}
    return len(classes) > 1 or len(addresses) > 1


class LibcDependentOutcome(ReplayRule):
    code = "DD202"
    name = "libc-dependent-outcome"
    severity = Severity.WARNING

    def __init__(self) -> None:
        super().__init__()
        self._total = 0
        self._by_pattern: dict[str, int] = {}
        self._samples: list[ReplayedCall] = []

    def on_lookup(self, lookup: Lookup) -> None:
        for replayed in self.replayer.replay(lookup):
            results = list(replayed.results.values())
            if len(results) < 2 or not differs(results):
                continue
            self._total += 1
            pattern = " vs ".join(f"{r.library}: {_word(r)}" for r in results)
            self._by_pattern[pattern] = self._by_pattern.get(pattern, 0) + 1
            if len(self._samples) < SAMPLE_FRAMES:
                self._samples.append(replayed)

    def finish(self, ctx: CaptureContext) -> Iterable[Finding]:
        if not self._samples:
            return []
        first = self._samples[0]
        summary = f"{first.call.names[-1]} {_verdict(list(first.results.values()))}"
        if first.verdict is not None:  # why every library was replayed
            summary += f"; {first.verdict.describe()}"
        if self._total > 1:
            summary += f"; {self._total} call(s) in all"
        frames: list[FrameEvidence] = []
        for replayed in self._samples[:3]:
            frames += _frames(replayed)
        counts = CountEvidence(
            "calls by outcome",
            tuple(sorted(self._by_pattern.items(), key=lambda kv: -kv[1])[:8]),
        )
        fix = (
            "Fix what the replay names (duplicate or one-type NXDOMAIN/REFUSED answers), or run "
            "the client on the library that copes; see `dnsdoctor explain DD202`."
        )
        return [
            Finding(
                self.code, self.name, self.severity, summary, (*frames, counts), self._total, fix
            )
        ]


def _word(result: AppResult) -> str:
    return result.eai or result.outcome_class if not result.ok else result.outcome_class


def _verdict(results: list[AppResult]) -> str:
    failing = [r for r in results if not r.ok]
    working = [r for r in results if r.ok]
    if failing and working:
        fails = ", ".join(f"{r.library} ({r.describe()})" for r in failing)
        works = ", ".join(f"{r.library} ({r.describe()})" for r in working)
        return f"fails under {fails}, succeeds under {works}"
    return "gives different results: " + "; ".join(f"{r.library}: {r.describe()}" for r in results)


def _frames(replayed: ReplayedCall) -> list[FrameEvidence]:
    call = replayed.call
    frames: list[FrameEvidence] = []
    seen: set[int] = set()
    for step in call.steps[-1:]:
        for reply in step.replies[:4]:
            if reply.frame not in seen and find_reply(call, reply.frame) is not None:
                seen.add(reply.frame)
                frames.append(reply_frame(call, reply, "answer the libraries read differently"))
    return frames
