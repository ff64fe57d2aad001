"""A model of musl 1.2.4 and later (1.2.5: the same resolver code) getaddrinfo over DNS.

Follows musl v1.2.5 as bundled with the `ziglang` wheel (`lib/libc/musl`, version.h "1.2.5"),
the sources the lab's `gai-musl-new` client is compiled from:
- `src/network/lookup_name.c`, `name_from_dns`: A is asked first, then AAAA; when both query IDs
  have the same high byte, the AAAA query's high byte is incremented ("Ensure query IDs are
  distinct"), so on a coarse clock the AAAA ID is the A ID + 0x100: a fingerprint of >= 1.2.4.
  For each slot in order: no answer or SERVFAIL -> EAI_AGAIN, NXDOMAIN -> 0 (next search name),
  another non-zero rcode -> EAI_FAIL. Then each slot is parsed with `ctx.rrtype` set to its own
  query's type: records of the other type are ignored (`dns_parse_callback`), at most 48
  addresses. No address at all -> EAI_NODATA (1.2.3 said EAI_NONAME), which ends the search.
- `src/network/res_msend.c`, `__res_msend_rc`: the 1.2.3 loop (one UDP socket, every unanswered
  query to every nameserver each `timeout/attempts`, answers matched by the two ID bytes from
  `next`, only rcode 0/3 stored, SERVFAIL re-sent, REFUSED ignored) with three changes: the
  clock is CLOCK_MONOTONIC (the deadline no longer moves with the wall clock; in a capture it is
  the same arithmetic); answers are read into 4800-byte buffers; an accepted answer with TC=1
  (or cut by the buffer) marks its slot "TCP pending" and opens a TCP connection to the server
  that sent it; the TCP answer, when complete before the deadline, fills the slot; a TCP answer
  whose rcode is not 0/3 ends the whole exchange (`goto out`). UDP is no longer read once every
  slot is filled or pending. Incomplete TCP at the deadline leaves the slot empty (EAI_AGAIN).

Not modelled: /etc/hosts, AI_ADDRCONFIG, a TCP connection the server refuses (`goto out` on a
failed read), TCP answers split over segments that never complete.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dnsdoctor.evidence.dns_message import TYPE_A, TYPE_AAAA
from dnsdoctor.replay.musl_1_2_3 import MAXADDRS, deadline
from dnsdoctor.replay.outcome import AppResult, Discard, split_families
from dnsdoctor.replay.settings import ResolverSettings
from dnsdoctor.replay.steps import Call, NameStep, ReplyEvent

LIBRARY = "musl 1.2.4"
_TYPE_NAME = {TYPE_A: "A", TYPE_AAAA: "AAAA"}
_NOT_FOUND = 0


@dataclass(slots=True)
class _Exchange:
    """What `__res_msend_rc` ended with: one accepted answer (or None) per query slot."""

    slots: list[ReplyEvent | None]
    end: float
    notes: list[str] = field(default_factory=list)


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
                    f"musl stops at {step.name} ({outcome.code}), yet the capture shows "
                    f"{call.steps[index + 1].name} asked next: is this client musl?"
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


def _res_msend(step: NameStep, settings: ResolverSettings) -> _Exchange:
    ids = [step.qids[t] for t in step.qtypes]
    done = _Exchange([None] * len(ids), deadline(step.start, settings))
    pending: dict[int, ReplyEvent] = {}  # slot -> the TC=1 answer that sent it to TCP
    nameservers = set(settings.nameservers or step.servers)
    for reply in step.replies:
        if reply.ts >= done.end:
            break
        if reply.transport == "tcp":
            slot = next(
                (
                    i
                    for i, tc in pending.items()
                    if tc.server == reply.server and ids[i] == reply.id
                ),
                None,
            )
            if slot is None or reply.ts < pending[slot].ts:
                continue
            del pending[slot]
            if reply.header_rcode not in (0, 3):
                done.notes.append(
                    f"{step.name}: rcode {reply.header_rcode} over TCP ends musl's wait"
                )
                done.end = reply.ts
                return done
            done.slots[slot] = reply
        elif not _take_udp(step, reply, ids, nameservers, done, pending):
            continue
        if all(s is not None for s in done.slots):
            done.end = reply.ts
            return done
    for tc in pending.values():
        done.notes.append(
            f"{step.name}: no complete TCP answer from {tc.server} before the timeout "
            f"(after TC=1 in frame {tc.frame})"
        )
    return done


def _take_udp(
    step: NameStep,
    reply: ReplyEvent,
    ids: list[int],
    nameservers: set[str],
    done: _Exchange,
    pending: dict[int, ReplyEvent],
) -> bool:
    """Store one UDP answer as musl would; True when a slot was filled."""
    if reply.server not in nameservers:
        return False
    free = [i for i, s in enumerate(done.slots) if s is None and i not in pending]
    nxt = free[0] if free else len(ids)
    slot = next((i for i in range(nxt, len(ids)) if ids[i] == reply.id), None)
    if slot is None or done.slots[slot] is not None or slot in pending:
        return False
    if reply.header_rcode not in (0, 3):
        return False  # SERVFAIL is re-sent, REFUSED and the rest ignored: never stored
    if reply.tc:
        pending[slot] = reply
        done.notes.append(
            f"{step.name}: TC=1 in frame {reply.frame}, musl >= 1.2.4 retries over TCP "
            f"to {reply.server}"
        )
        return False
    done.slots[slot] = reply
    return True


def _family_of(qtype: int) -> bool:
    """True for IPv6 records (AAAA)."""
    return qtype == TYPE_AAAA


def _name_from_dns(step: NameStep, settings: ResolverSettings) -> _StepOutcome:
    qtypes = step.qtypes
    if not qtypes:
        return _StepOutcome("EAI_NONAME", step.start, notes=[f"{step.name}: no UDP query"])
    sent = _res_msend(step, settings)
    outcome = _StepOutcome(_NOT_FOUND, sent.end, notes=sent.notes)
    outcome.used = [s.frame for s in sent.slots if s is not None]
    for slot in sent.slots:
        if slot is None or slot.header_rcode == 2:
            outcome.code = "EAI_AGAIN"
            return outcome
        if slot.header_rcode == 3:
            return outcome
        if slot.header_rcode != 0:
            outcome.code = "EAI_FAIL"
            return outcome
    for qtype, slot in reversed(list(zip(qtypes, sent.slots, strict=True))):
        assert slot is not None
        want_v6 = _family_of(qtype)
        own = [a for a in slot.addresses if (":" in a) == want_v6]
        other = [a for a in slot.addresses if (":" in a) != want_v6]
        outcome.addresses.extend(own[: max(MAXADDRS - len(outcome.addresses), 0)])
        if other:
            name = _TYPE_NAME[qtype]
            outcome.discarded.append(
                Discard(
                    slot.frame,
                    _TYPE_NAME[TYPE_A if want_v6 else TYPE_AAAA],
                    tuple(other),
                    f"musl >= 1.2.4 takes only {name} records from the {name} query's answer",
                )
            )
        if slot.answers is None:
            outcome.wrong.append(slot.frame)
            outcome.notes.append(
                f"musl took frame {slot.frame} (ID 0x{slot.id:04x}, another question) as an answer "
                f"for {step.name}"
            )
    outcome.code = len(outcome.addresses) or "EAI_NODATA"
    return outcome
