"""A model of musl 1.2.3's getaddrinfo over DNS (also 1.2.0-1.2.2: the same resolver code).

Follows, from musl v1.2.3:
- `src/network/res_msend.c`, `__res_msend_rc`: one socket; every unanswered query is sent to
  every nameserver at once, again every `retry_interval = timeout / attempts` ms, until `timeout`
  ms have passed since the first send (`t2 - t0 < timeout`, CLOCK_REALTIME milliseconds). Replies
  from addresses that are not nameservers, or shorter than 4 bytes, are ignored. A reply is
  matched to a query by its two ID bytes only, searching from `next` (the first empty slot), and
  is stored in the slot it matched, or ignored when that slot is full. Only rcode 0 and 3 are
  stored; SERVFAIL (2) is re-sent at once to the same server, at most `2 * nqueries` times per
  round, and never stored; anything else (REFUSED, ...) is ignored. It returns when every slot is
  full. Answers are read into a 512-byte buffer (`name_from_dns`: `abuf[2][512]`), no TCP.
- `src/network/lookup_name.c`, `name_from_dns`: A is slot 0, AAAA slot 1. For each slot in order:
  empty or SERVFAIL -> EAI_AGAIN, NXDOMAIN -> "not found here" (0), other non-zero rcode ->
  EAI_FAIL. Then every A/AAAA record of both slots is taken (no question check, whatever the
  slot). No address -> EAI_NONAME (NODATA is not EAI_NODATA in musl).
- `name_from_dns_search`: each search domain while the result is 0 (NXDOMAIN), then the name; any
  other result ends the search; all NXDOMAIN -> EAI_NONAME.

Not modelled: the 512-byte cut of a larger UDP answer (the capture engine does not keep the size,
so an answer over 512 bytes without TC is taken whole), /etc/hosts, AI_ADDRCONFIG.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from dnsdoctor.evidence.dns_message import TYPE_A, TYPE_AAAA
from dnsdoctor.replay.outcome import AppResult, Discard, split_families
from dnsdoctor.replay.settings import ResolverSettings
from dnsdoctor.replay.steps import Call, NameStep, ReplyEvent

LIBRARY = "musl 1.2.3"
MAXADDRS = 48
_TYPE_NAME = {TYPE_A: "A", TYPE_AAAA: "AAAA"}
_NOT_FOUND = 0  # name_from_dns returned 0: NXDOMAIN, try the next name


@dataclass(slots=True)
class _StepOutcome:
    code: int | str  # address count > 0, _NOT_FOUND, or an EAI name
    end: float
    addresses: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    discarded: list[Discard] = field(default_factory=list)
    wrong: list[int] = field(default_factory=list)
    used: list[int] = field(default_factory=list)


def replay(call: Call, settings: ResolverSettings) -> AppResult:
    notes: list[str] = []
    outcome = _StepOutcome(_NOT_FOUND, call.start)
    for index, step in enumerate(call.steps):
        outcome = _name_from_dns(step, settings)
        notes += outcome.notes
        if outcome.code != _NOT_FOUND:
            if index + 1 < len(call.steps):
                notes.append(
                    f"musl stops at {step.name} ({_code_text(outcome.code)}), yet the capture "
                    f"shows {call.steps[index + 1].name} asked next: is this client musl?"
                )
            break
        notes.append(f"{step.name}: NXDOMAIN, musl tries the next name")
    ok = isinstance(outcome.code, int) and outcome.code > 0
    eai = None if ok else (outcome.code if isinstance(outcome.code, str) else "EAI_NONAME")
    v4, v6 = split_families(outcome.addresses if ok else [])
    return AppResult(
        LIBRARY,
        ok,
        eai,
        v4,
        v6,
        call.start,
        outcome.end,
        tuple(notes),
        tuple(outcome.discarded),
        tuple(outcome.wrong),
        tuple(outcome.used),
    )


def _code_text(code: int | str) -> str:
    return f"{code} addresses" if isinstance(code, int) else code


def deadline(start: float, settings: ResolverSettings) -> float:
    """The loop runs while t2 - t0 < timeout, waking every retry interval."""
    timeout_ms = settings.timeout * 1000
    interval = max(timeout_ms // settings.attempts, 1)
    rounds = math.ceil(timeout_ms / interval) if timeout_ms else 0
    return start + rounds * interval / 1000.0


def _res_msend(step: NameStep, settings: ResolverSettings) -> tuple[list[ReplyEvent | None], float]:
    qtypes = step.qtypes
    slots: list[ReplyEvent | None] = [None] * len(qtypes)
    ids = [step.qids[t] for t in qtypes]
    nameservers = set(settings.nameservers or step.servers)
    end = deadline(step.start, settings)
    for reply in step.replies:
        if reply.ts >= end:
            break
        if reply.transport != "udp" or reply.server not in nameservers:
            continue
        nxt = next((i for i, s in enumerate(slots) if s is None), len(slots))
        slot = next((i for i in range(nxt, len(slots)) if ids[i] == reply.id), None)
        if slot is None or slots[slot] is not None:
            continue
        if reply.header_rcode not in (0, 3):
            continue  # SERVFAIL is re-sent, REFUSED and the rest ignored: never stored
        slots[slot] = reply
        if all(s is not None for s in slots):
            return slots, reply.ts
    return slots, end


def _name_from_dns(step: NameStep, settings: ResolverSettings) -> _StepOutcome:
    qtypes = step.qtypes
    if not qtypes:
        return _StepOutcome("EAI_NONAME", step.start, notes=[f"{step.name}: no UDP query"])
    slots, end = _res_msend(step, settings)
    outcome = _StepOutcome(_NOT_FOUND, end)
    outcome.used = [s.frame for s in slots if s is not None]
    _explain_slots(step, qtypes, slots, outcome)
    for slot in slots:
        if slot is None or slot.header_rcode == 2:
            outcome.code = "EAI_AGAIN"
            return outcome
        if slot.header_rcode == 3:
            return outcome
        if slot.header_rcode != 0:
            outcome.code = "EAI_FAIL"
            return outcome
    for slot in slots:
        assert slot is not None
        outcome.addresses.extend(slot.addresses)
        if slot.answers is None:
            outcome.wrong.append(slot.frame)
            outcome.notes.append(
                f"musl took frame {slot.frame} (ID 0x{slot.id:04x}, another question) as an answer "
                f"for {step.name}"
            )
    del outcome.addresses[MAXADDRS:]
    outcome.code = len(outcome.addresses) or "EAI_NONAME"
    return outcome


def _explain_slots(
    step: NameStep, qtypes: list[int], slots: list[ReplyEvent | None], outcome: _StepOutcome
) -> None:
    """Say which answer went where, and which answers never reached the application."""
    held = {s.answers for s in slots if s is not None}
    for i, slot in enumerate(slots):
        if slot is not None and slot.answers not in (qtypes[i], None):
            outcome.notes.append(
                f"musl filed the {_TYPE_NAME.get(slot.answers or 0, '?')} answer (frame "
                f"{slot.frame}) in the {_TYPE_NAME[qtypes[i]]} query's slot: both queries had "
                f"ID 0x{slot.id:04x}"
            )
    if None in slots:
        return
    for qtype in qtypes:
        if qtype in held:
            continue
        own = [r for r in step.replies if r.answers == qtype and r.header_rcode in (0, 3)]
        if not own:
            continue
        first = own[0]
        filler = [s for s in slots if s is not None and s.answers != qtype]
        frames = " and ".join(str(s.frame) for s in filler)
        when = "after musl had returned" if first.ts >= outcome.end else "while its slot was full"
        reason = (
            f"both slots already held {_TYPE_NAME.get(filler[0].answers or 0, 'other')} answers "
            f"(frames {frames}) with the same ID; the {_TYPE_NAME[qtype]} answer arrived {when}"
        )
        outcome.discarded.append(Discard(first.frame, _TYPE_NAME[qtype], first.addresses, reason))
