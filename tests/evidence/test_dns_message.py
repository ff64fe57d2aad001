"""The fast DNS reader agrees with dnspython on what both read, and never raises past its header."""

from __future__ import annotations

import dns.message
import dns.name
import dns.rrset
from hypothesis import given, settings
from hypothesis import strategies as st

from dnsdoctor.evidence.dns_message import parse_message

labels = st.lists(st.binary(min_size=1, max_size=20), min_size=1, max_size=6)


@settings(deadline=None)
@given(labels=labels, qtype=st.sampled_from(["A", "AAAA", "TXT", "MX", "SRV"]))
def test_question_and_wire_case_match_dnspython(labels, qtype):
    name = dns.name.Name([*labels, b""])
    wire = dns.message.make_query(name, qtype).to_wire()
    msg = parse_message(wire)
    theirs = dns.message.from_wire(wire)
    assert msg.malformed is None
    assert msg.qname == theirs.question[0].name.to_text().lower()
    assert msg.qtype == theirs.question[0].rdtype
    assert (msg.qname_wire_case or msg.qname) == theirs.question[0].name.to_text()


@settings(deadline=None)
@given(count=st.integers(1, 5), ttl=st.integers(0, 2**31 - 1))
def test_answers_are_kept_when_a_later_section_is_corrupt(count, ttl):
    query = dns.message.make_query("svc.example.", "A")
    reply = dns.message.make_response(query)
    rdata = [f"192.0.2.{i}" for i in range(1, count + 1)]
    reply.answer.append(dns.rrset.from_text("svc.example.", ttl, "IN", "A", *rdata))
    wire = bytearray(reply.to_wire())
    wire[11] = 1  # ARCOUNT 1, but no additional record follows
    msg = parse_message(bytes(wire))
    assert msg.malformed is not None
    assert sorted(msg.addresses) == sorted(rdata)
    assert list(msg.ttls) == [ttl] * count


@settings(deadline=None)
@given(blob=st.binary(min_size=12, max_size=300))
def test_any_bytes_after_a_header_parse_or_report_damage(blob):
    msg = parse_message(blob)
    if msg.malformed is not None:
        assert 0 <= (msg.malformed_offset or 0) <= len(blob)
