"""The musl >= 1.2.4 model on hand-built packet sequences, one behaviour each, beside 1.2.3.

The sequences mirror what the lab captured (tests/replay/musl_1_2_4_data/ and the matrix); here
each one isolates a single difference from musl 1.2.3 so a regression names its cause.
"""

from __future__ import annotations

from dataclasses import replace

from dnsdoctor.evidence.dns_message import TYPE_A, TYPE_AAAA
from dnsdoctor.replay import musl_1_2_3, musl_1_2_4
from dnsdoctor.replay.settings import ResolverSettings
from dnsdoctor.replay.steps import Call, NameStep, ReplyEvent

NS = "127.0.0.10"
SETTINGS = ResolverSettings(nameservers=(NS,), timeout=1, attempts=2)
A_ID, AAAA_ID = 0x1234, 0x1334  # the +0x100 bump of a coarse clock


def answer(ts: float, qid: int, answers: int, addresses: tuple[str, ...], **extra) -> ReplyEvent:
    base = ReplyEvent(
        ts=ts,
        frame=int(ts * 1000) + 1,
        server=NS,
        sport=53,
        cport=40000,
        transport="udp",
        id=qid,
        qtype=answers,
        header_rcode=0,
        rcode=0,
        addresses=addresses,
        tc=False,
        aa=True,
        ra=True,
        ancount=len(addresses),
        arcount=0,
        answers=answers,
        unexpected_source=False,
    )
    return replace(base, **extra)


def call_with(*replies: ReplyEvent, qids: dict[int, int] | None = None) -> Call:
    step = NameStep("dual.lab.test.", 0.0, qids or {TYPE_A: A_ID, TYPE_AAAA: AAAA_ID}, [NS])
    step.replies = sorted(replies, key=lambda r: r.ts)
    return Call("127.0.0.1", 1, [step])


def test_both_answers_give_both_families_when_both_slots_fill() -> None:
    got = musl_1_2_4.replay(
        call_with(
            answer(0.001, A_ID, TYPE_A, ("192.0.2.10",)),
            answer(0.002, AAAA_ID, TYPE_AAAA, ("2001:db8::10",)),
        ),
        SETTINGS,
    )
    assert (got.ok, got.ipv4, got.ipv6) == (True, ("192.0.2.10",), ("2001:db8::10",))
    assert abs(got.elapsed - 0.002) < 1e-9


def test_records_of_the_other_type_are_ignored_where_1_2_3_takes_them() -> None:
    # an A answer that also carries an AAAA record (a broken server or a shared ID)
    mixed = answer(0.001, A_ID, TYPE_A, ("192.0.2.10", "2001:db8::99"))
    call = call_with(mixed, answer(0.002, AAAA_ID, TYPE_AAAA, ("2001:db8::10",)))
    new = musl_1_2_4.replay(call, SETTINGS)
    old = musl_1_2_3.replay(call, SETTINGS)
    assert new.ipv6 == ("2001:db8::10",)
    assert new.discarded[0].addresses == ("2001:db8::99",)
    assert "2001:db8::99" in old.ipv6


def test_no_address_is_eai_nodata_not_eai_noname() -> None:
    call = call_with(answer(0.001, A_ID, TYPE_A, ()), answer(0.002, AAAA_ID, TYPE_AAAA, ()))
    assert musl_1_2_4.replay(call, SETTINGS).eai == "EAI_NODATA"
    assert musl_1_2_3.replay(call, SETTINGS).eai == "EAI_NONAME"


def test_truncated_answer_is_taken_from_tcp() -> None:
    big = tuple(f"192.0.2.{i}" for i in range(100, 140))
    call = call_with(
        answer(0.001, A_ID, TYPE_A, (), tc=True),
        answer(0.002, AAAA_ID, TYPE_AAAA, ("2001:db8::10",)),
        answer(0.004, A_ID, TYPE_A, big, transport="tcp", cport=40001),
    )
    new = musl_1_2_4.replay(call, SETTINGS)
    assert (new.ok, new.ipv4, new.ipv6) == (True, big, ("2001:db8::10",))
    assert abs(new.elapsed - 0.004) < 1e-9
    old = musl_1_2_3.replay(call, SETTINGS)
    assert old.ipv4 == ()  # 1.2.3 keeps the empty truncated answer


def test_tcp_never_completed_waits_out_the_timeout() -> None:
    call = call_with(
        answer(0.001, A_ID, TYPE_A, (), tc=True),
        answer(0.002, AAAA_ID, TYPE_AAAA, ("2001:db8::10",)),
    )
    got = musl_1_2_4.replay(call, SETTINGS)
    assert (got.ok, got.eai) == (False, "EAI_AGAIN")
    assert abs(got.elapsed - 1.0) < 1e-9


def test_servfail_over_tcp_ends_the_exchange_at_once() -> None:
    call = call_with(
        answer(0.001, A_ID, TYPE_A, (), tc=True),
        answer(0.002, AAAA_ID, TYPE_AAAA, ("2001:db8::10",)),
        answer(0.003, A_ID, TYPE_A, (), transport="tcp", header_rcode=2, rcode=2),
    )
    got = musl_1_2_4.replay(call, SETTINGS)
    assert (got.eai, round(got.elapsed, 3)) == ("EAI_AGAIN", 0.003)


def test_nxdomain_for_either_type_is_not_found_and_refused_is_ignored() -> None:
    nx = call_with(
        answer(0.001, A_ID, TYPE_A, ("192.0.2.10",)),
        answer(0.002, AAAA_ID, TYPE_AAAA, (), header_rcode=3, rcode=3),
    )
    assert musl_1_2_4.replay(nx, SETTINGS).eai == "EAI_NONAME"
    refused = call_with(
        answer(0.001, A_ID, TYPE_A, ("192.0.2.10",)),
        answer(0.002, AAAA_ID, TYPE_AAAA, (), header_rcode=5, rcode=5),
    )
    got = musl_1_2_4.replay(refused, SETTINGS)
    assert (got.eai, got.elapsed) == ("EAI_AGAIN", 1.0)


def test_af_inet_asks_only_a() -> None:
    call = call_with(answer(0.001, A_ID, TYPE_A, ("192.0.2.10",)), qids={TYPE_A: A_ID})
    got = musl_1_2_4.replay(call, SETTINGS)
    assert (got.ipv4, got.ipv6, round(got.elapsed, 3)) == (("192.0.2.10",), (), 0.001)
