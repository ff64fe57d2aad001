"""DD201 answer-discarded-by-client.

What it detects:
Lookups where, replayed through a model of the client's resolver library, the application got
less or other than the servers answered: an answer on the wire that the library never handed
over (musl <= 1.2.3 filed a second answer of one type in the other query's slot, so the other
type's answer was dropped), or another name's answer taken as this name's (musl does not check
the question). Each lookup that needs it (not a clean single-answer lookup) is replayed through
musl 1.2.3 and glibc 2.36, or only the library given with `--client`.

Why it matters:
The packets look fine: every answer is on the wire. But the application saw "Name does not
resolve" (EAI_NONAME), or only IPv6 addresses on a host without IPv6, or the addresses of another
name. Under musl <= 1.2.3 this follows from same-ID A/AAAA queries (coarse clock) plus a second
answer of one type (two nameservers, a duplicate, or a retransmission); glibc 2.36 matches
answers on ID and question and keeps both. The finding says what the application got.

Evidence:
A capture where the client's packets are visible (inside the pod's network namespace), and
ideally the client's resolv.conf (`--resolv-conf`) for its nameservers, timeout and attempts.

Example:
musl 1.2.3: dual.lab.test. A and AAAA left 127.0.0.1:41234 with ID 0x5f0f; the AAAA answers
(frames 3 and 4) filled both slots; the A answer 192.0.2.10 (frame 5) was discarded; the
application got only 2001:db8::10.

Fix:
Upgrade musl to 1.2.4 or later (Alpine 3.18+) or use a glibc-based image; remove the second
answer's source (one nameserver, no duplicating middlebox, a faster upstream so musl does not
retransmit); for wrong-question answers, fix the server or middlebox that sends them.

False positives:
Without `--client` every library is replayed: a finding under musl on a glibc client's traffic is
what musl would have made of the same packets, and says so (severity warning). The replay trusts
the arrival order in the capture: capture inside the pod, not on the node.

References:
musl v1.2.3 src/network/res_msend.c (`__res_msend_rc`) and lookup_name.c (`name_from_dns`);
musl commit "ensure distinct query id for parallel A and AAAA queries in resolver" (1.2.4);
glibc 2.36 resolv/res_send.c (`send_dg`); docs/replay.md; ../shared/seed/README.md.
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.engine.lookups import Lookup
from dnsdoctor.model import CountEvidence, Finding, FrameEvidence, Severity
from dnsdoctor.replay.driver import ReplayedCall
from dnsdoctor.replay.outcome import AppResult
from dnsdoctor.replay.rule_support import ReplayRule, find_reply, reply_frame
from dnsdoctor.rules.base import SAMPLE_FRAMES, CaptureContext


class AnswerDiscardedByClient(ReplayRule):
    code = "DD201"
    name = "answer-discarded-by-client"
    severity = Severity.ERROR

    def __init__(self) -> None:
        super().__init__()
        self._count: dict[str, int] = {}
        self._samples: list[tuple[ReplayedCall, str, AppResult]] = []

    def on_lookup(self, lookup: Lookup) -> None:
        for replayed in self.replayer.replay(lookup):
            for model, result in replayed.results.items():
                if not (result.discarded or result.wrong_question_frames):
                    continue
                self._count[model] = self._count.get(model, 0) + 1
                if len(self._samples) < SAMPLE_FRAMES:
                    self._samples.append((replayed, model, result))

    def finish(self, ctx: CaptureContext) -> Iterable[Finding]:
        if not self._samples:
            return []
        replayed, _model, result = self._samples[0]
        frames: list[FrameEvidence] = []
        for call_result in self._samples[:3]:
            frames += _frames(*call_result)
        counts = tuple(
            CountEvidence(f"library {m}", (("calls that lost or swapped an answer", n),))
            for m, n in sorted(self._count.items())
        )
        total = sum(self._count.values())
        inferred = replayed.verdict is not None and replayed.verdict.confident
        severity = Severity.ERROR if self.client_known or inferred else Severity.WARNING
        hedge = "" if self.client_known else " (if the client uses it)"
        if inferred and not self.client_known and replayed.verdict is not None:
            hedge = f", {replayed.verdict.describe()}"
        summary = f"{result.library}{hedge}: {_story(replayed, result)}"
        if total > 1:
            summary += f"; {total} call(s) in all"
        fix = (
            "Use musl >= 1.2.4 or a glibc image, and remove the second answer's source (one "
            "nameserver, no duplicates); see `dnsdoctor explain DD201`."
        )
        return [Finding(self.code, self.name, severity, summary, (*frames, *counts), total, fix)]


def _story(replayed: ReplayedCall, result: AppResult) -> str:
    call = replayed.call
    name = call.names[-1]
    parts = []
    for discard in result.discarded:
        addresses = ", ".join(discard.addresses) or "no addresses"
        parts.append(
            f"{name} {discard.reason}; the {discard.qtype} answer {addresses} (frame "
            f"{discard.frame}) was discarded"
        )
    if result.wrong_question_frames:
        frames = ", ".join(str(f) for f in result.wrong_question_frames)
        parts.append(f"{name} took the answer(s) in frame(s) {frames}, asked for another name")
    got = result.describe() if result.ok else f"{result.eai}"
    return "; ".join(parts) + f"; the application got {got}"


def _frames(replayed: ReplayedCall, model: str, result: AppResult) -> list[FrameEvidence]:
    call = replayed.call
    frames = []
    for frame in result.used_frames:
        reply = find_reply(call, frame)
        if reply is not None:
            role = "answer for another name" if reply.answers is None else f"kept by {model}"
            frames.append(reply_frame(call, reply, role))
    for discard in result.discarded:
        reply = find_reply(call, discard.frame)
        if reply is not None:
            frames.append(reply_frame(call, reply, f"discarded by {model}"))
    return frames
