"""A model of glibc 2.36's getaddrinfo over DNS (Debian 12), AF_UNSPEC through nss_dns.

Follows, from glibc 2.36:
- `resolv/res_send.c`, `__res_context_send`: for each try (`attempts`), each nameserver in
  order; `send_dg`: one connected UDP socket per server (replies from other addresses never reach
  it; an ICMP error ends the server at once: `close_and_return_error`, next server); the wait is
  `seconds = retrans << ns`, divided by `nscount` when `ns > 0`, at least 1 s. A reply counts only
  when its ID *and* question match a query still waiting (`__libc_res_queriesmatch`). SERVFAIL,
  NOTIMP, REFUSED, and a NOERROR with no answer, no AA, no RA and no additional records
  (`next_ns`) mark that query done without data; when the other query is already done, send_dg
  returns what it has; when neither has data, the next server. TC=1: the same server over TCP
  (`send_vc`). A timeout after one good answer switches to single-request and tries the server
  again, then to single-request-reopen and again, then returns the one answer (`*resplen2 = 1`).
- `resolv/res_query.c`, `__res_context_query`: both answers failed or empty -> h_errno from the
  first failing rcode (NXDOMAIN: HOST_NOT_FOUND, SERVFAIL: TRY_AGAIN, NOERROR: NO_DATA, else
  NO_RECOVERY); a failed send is TRY_AGAIN. `__res_context_search`: HOST_NOT_FOUND, NO_DATA and
  SERVFAIL go on to the next name; anything else ends the chain; NO_DATA seen wins at the end.
- `resolv/nss_dns/dns-host.c` and `sysdeps/posix/getaddrinfo.c`: TRY_AGAIN -> EAI_AGAIN,
  NO_DATA -> EAI_NODATA, otherwise EAI_NONAME; addresses come from every good answer.

Not modelled: `rotate` (the offset is per process), the single-request state a long-running
process keeps after its first switch, /etc/hosts, AI_ADDRCONFIG.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dnsdoctor.replay.outcome import AppResult, split_families
from dnsdoctor.replay.settings import ResolverSettings
from dnsdoctor.replay.steps import Call, NameStep, ReplyEvent

LIBRARY = "glibc 2.36"
_FAILING_RCODES = (2, 4, 5)  # SERVFAIL, NOTIMP, REFUSED
HOST_NOT_FOUND, TRY_AGAIN, NO_RECOVERY, NO_DATA = 1, 2, 3, 4


@dataclass(slots=True)
class _Received:
    reply: ReplyEvent
    good: bool  # stored with its length (resplen > 0), not a next_ns failure


@dataclass(slots=True)
class _Send:
    kind: str  # "answers" | "tcp" | "next"
    end: float
    received: list[_Received] = field(default_factory=list)
    partial: bool = False  # answers after a timeout: the second buffer is garbage
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Query:
    ok: bool
    end: float
    herrno: int = 0
    servfail: bool = False
    addresses: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def replay(call: Call, settings: ResolverSettings) -> AppResult:
    notes: list[str] = []
    got_nodata = got_servfail = False
    result = _Query(False, call.start, TRY_AGAIN)
    for index, step in enumerate(call.steps):
        result = _res_query(step, settings)
        notes += result.notes
        if result.ok:
            break
        got_nodata |= result.herrno == NO_DATA
        got_servfail |= result.herrno == TRY_AGAIN and result.servfail
        go_on = result.herrno in (HOST_NOT_FOUND, NO_DATA) or (
            result.herrno == TRY_AGAIN and result.servfail
        )
        if not go_on:
            if index + 1 < len(call.steps):
                notes.append(f"glibc stops at {step.name}, yet the capture shows more names")
            break
    herrno = result.herrno
    if not result.ok:
        herrno = NO_DATA if got_nodata else TRY_AGAIN if got_servfail else herrno
    eai = None if result.ok else _eai(herrno)
    v4, v6 = split_families(result.addresses)
    ok = result.ok and bool(result.addresses)
    return AppResult(
        LIBRARY, ok, eai if not ok else None, v4, v6, call.start, result.end, tuple(notes)
    )


def _eai(herrno: int) -> str:
    return {TRY_AGAIN: "EAI_AGAIN", NO_DATA: "EAI_NODATA"}.get(herrno, "EAI_NONAME")


def _res_query(step: NameStep, settings: ResolverSettings) -> _Query:
    sent = _res_send(step, settings)
    if sent.kind != "answers":
        last = [r for r in step.replies if r.answers is not None and r.ts <= sent.end]
        servfail = bool(last) and last[-1].header_rcode == 2
        return _Query(False, sent.end, TRY_AGAIN, servfail, notes=sent.notes)
    first = sent.received[0].reply
    second = sent.received[1].reply if len(sent.received) > 1 and not sent.partial else first
    if _empty(first) and _empty(second):
        rcode = first.header_rcode if first.header_rcode != 0 else second.header_rcode
        herrno = {3: HOST_NOT_FOUND, 2: TRY_AGAIN, 0: NO_DATA}.get(rcode, NO_RECOVERY)
        return _Query(False, sent.end, herrno, rcode == 2, notes=sent.notes)
    usable = sent.received[:1] if sent.partial else sent.received
    addresses = [a for got in usable if got.good for a in got.reply.addresses]
    return _Query(True, sent.end, addresses=addresses, notes=sent.notes)


def _empty(reply: ReplyEvent) -> bool:
    return reply.header_rcode != 0 or reply.ancount == 0


def _res_send(step: NameStep, settings: ResolverSettings) -> _Send:
    servers = list(settings.nameservers or step.servers)
    now = step.start
    notes: list[str] = []
    for attempt in range(settings.attempts):
        for ns, server in enumerate(servers):
            seconds = settings.timeout << ns
            if ns > 0:
                seconds //= len(servers)
            sent = _send_dg(step, server, now, max(seconds, 1), settings)
            notes += sent.notes
            now = sent.end
            if sent.kind == "tcp":
                sent = _send_vc(step, server, now)
                notes += sent.notes
                now = sent.end
            if sent.kind == "answers":
                sent.notes = notes
                return sent
        if attempt + 1 < settings.attempts:
            notes.append(f"{step.name}: every server failed, glibc starts try {attempt + 2}")
    return _Send("next", now, notes=[*notes, f"{step.name}: no usable answer from any server"])


def _events(step: NameStep, server: str, start: float) -> list[ReplyEvent | float]:
    replies: list[ReplyEvent | float] = [
        r
        for r in step.replies
        if r.server == server
        and r.transport == "udp"
        and not r.unexpected_source
        and r.answers is not None
        and r.ts >= start
    ]
    replies += [e.ts for e in step.icmp if e.server == server and e.ts >= start]
    return sorted(replies, key=lambda e: e if isinstance(e, float) else e.ts)


def _send_dg(
    step: NameStep, server: str, start: float, seconds: int, settings: ResolverSettings
) -> _Send:
    single = bool(settings.flags & {"single-request", "single-request-reopen"})
    reopen = "single-request-reopen" in settings.flags
    events = _events(step, server, start)
    window_start, finish = start, start + seconds
    notes: list[str] = []
    while True:
        received: list[_Received] = []
        for event in events:
            ts = event if isinstance(event, float) else event.ts
            if ts < window_start or ts >= finish:
                continue
            if isinstance(event, float):
                notes.append(
                    f"{step.name}: ICMP error from {server}, glibc moves to the next server"
                )
                return _Send("next", ts, notes=notes)
            done = _receive(step, event, received)
            if done is not None:
                done.notes = notes + done.notes
                return done
        if not (received and received[0].good):
            notes.append(f"{step.name}: {server} timed out after {seconds} s")
            return _Send("next", finish, notes=notes)
        if single and reopen:
            notes.append(f"{step.name}: glibc returns the one answer it has")
            return _Send("answers", finish, received, partial=True, notes=notes)
        mode = "single-request-reopen" if single else "single-request"
        single, reopen = True, single
        notes.append(f"{step.name}: {server} timed out with one answer; glibc retries in {mode}")
        window_start, finish = finish, finish + seconds


def _receive(step: NameStep, reply: ReplyEvent, received: list[_Received]) -> _Send | None:
    if reply.answers in (r.reply.answers for r in received) or reply.answers not in step.qids:
        return None  # a duplicate, or an answer to nothing waiting: spurious, dropped
    referral = (
        reply.header_rcode == 0
        and reply.ancount == 0
        and not reply.aa
        and not reply.ra
        and reply.arcount == 0
    )
    if reply.header_rcode in _FAILING_RCODES or referral:
        if received:  # send_dg returns resplen: the first answer, or nothing (next server)
            kind = "answers" if received[0].good else "next"
            return _Send(kind, reply.ts, received)
        received.append(_Received(reply, False))
        return _complete(step, reply, received)
    if reply.tc:
        return _Send(
            "tcp",
            reply.ts,
            notes=[f"{step.name}: TC=1 in frame {reply.frame}, glibc retries over TCP"],
        )
    received.append(_Received(reply, True))
    return _complete(step, reply, received)


def _complete(step: NameStep, reply: ReplyEvent, received: list[_Received]) -> _Send | None:
    if len(received) < len(step.qids):
        return None
    if not any(r.good for r in received):
        return _Send(
            "next", reply.ts, notes=[f"{step.name}: no data from this server, next server"]
        )
    return _Send("answers", reply.ts, received)


def _send_vc(step: NameStep, server: str, start: float) -> _Send:
    """send_vc: both queries over one TCP connection; answers matched by ID."""
    got: dict[int, ReplyEvent] = {}
    for reply in step.replies:
        tcp = reply.transport == "tcp" and reply.server == server and reply.ts >= start
        if tcp and reply.answers is not None and reply.answers not in got:
            got[reply.answers] = reply
    if got and all(t in got for t in step.qids):
        ordered = sorted(got.values(), key=lambda r: r.ts)
        return _Send("answers", ordered[-1].ts, [_Received(r, True) for r in ordered])
    end = max((r.ts for r in got.values()), default=start)
    return _Send(
        "next", end, notes=[f"{step.name}: no complete TCP answer from {server} in the capture"]
    )
