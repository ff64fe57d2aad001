"""Plain-dict forms of transactions and lookups, shared by the JSON and JSONL renderers."""

from __future__ import annotations

from typing import Any

import dns.rdataclass

from dnsdoctor.engine.lookups import Lookup
from dnsdoctor.engine.transaction import Transaction
from dnsdoctor.rules.base import rcode_text, type_text


def _class_text(qclass: int) -> str:
    try:
        return dns.rdataclass.to_text(qclass)  # type: ignore[arg-type]
    except ValueError:
        return f"CLASS{qclass}"


def transaction_record(tx: Transaction) -> dict[str, Any]:
    """One Zeek dns.log-shaped record (field names as Zeek's), plus dnsdoctor's own fields."""
    first_send = tx.sends[0]
    answer = tx.answer
    msg = answer.message if answer is not None else None
    rtt = tx.rtt
    return {
        "ts": round(first_send.ts, 6),
        "uid": f"T{tx.uid}",
        "id.orig_h": tx.client,
        "id.orig_p": tx.cport,
        "id.resp_h": first_send.server,
        "id.resp_p": first_send.sport,
        "proto": tx.transport,
        "trans_id": tx.id,
        "rtt": round(rtt, 6) if rtt is not None else None,
        "query": tx.qname.rstrip(".") if tx.qname != "." else ".",
        "qclass": tx.qclass,
        "qclass_name": _class_text(tx.qclass),
        "qtype": tx.qtype,
        "qtype_name": type_text(tx.qtype),
        "rcode": msg.rcode if msg is not None else None,
        "rcode_name": rcode_text(msg.rcode) if msg is not None else None,
        "AA": msg.aa if msg is not None else False,
        "TC": msg.tc if msg is not None else False,
        "RD": bool(tx.query_flags & 0x0100),
        "RA": msg.ra if msg is not None else False,
        "Z": (tx.query_flags >> 4) & 0x7,
        "answers": [*msg.cnames, *msg.addresses] if msg is not None else [],
        "TTLs": list(msg.ttls) if msg is not None else [],
        "rejected": bool(msg is not None and msg.rcode == 5),
        # dnsdoctor's own fields
        "outcome": tx.outcome,
        "lookup": f"L{tx.lookup}",
        "opcode": tx.opcode,
        "original_query": tx.wire_case,
        "servers": sorted(tx.servers),
        "query_frames": [s.frame for s in tx.sends],
        "response_frames": [r.frame for r in tx.replies],
        "responders": [r.server for r in tx.replies],
        "unexpected_source_frames": [r.frame for r in tx.replies if r.unexpected_source],
        "mismatched_question_frames": [r.frame for r in tx.mismatched],
        "icmp": [{"frame": n.frame, "kind": n.kind, "reporter": n.reporter} for n in tx.icmp],
        "same_id_in_flight": [f"T{o.uid}" for o in tx.collisions],
        "copy_frames": tx.query_copies + [f for r in tx.replies for f in r.copies],
    }


def lookup_record(lookup: Lookup) -> dict[str, Any]:
    txs = lookup.transactions
    qtypes, sockets, servers = set(), set(), set()
    first_frame = None
    for tx in txs:  # one walk: this runs for every listed lookup of a busy capture
        qtypes.add(tx.qtype)
        sockets.add(tx.socket_label)
        servers.update(tx.servers)
        frame = tx.first_frame
        if first_frame is None or frame < first_frame:
            first_frame = frame
    return {
        "uid": f"L{lookup.uid}",
        "client": lookup.client,
        "start": round(lookup.start, 6),
        "duration_s": round(lookup.duration, 6),
        "outcome": lookup.outcome,
        "names": lookup.names,
        "qtypes": sorted({type_text(qtype) for qtype in qtypes}),
        "queries": lookup.queries,
        "transactions": [f"T{tx.uid}" for tx in txs],
        "sockets": sorted(sockets),
        "servers": sorted(servers),
        "addresses": lookup.addresses,
        "first_frame": first_frame,
    }


def is_notable(lookup: Lookup) -> bool:
    """Lookups a user wants listed: not a clean, quick, single-name success."""
    if lookup.outcome != "answered" or len(lookup.names) > 1 or lookup.duration > 0.5:
        return True
    return any(len(tx.sends) > 1 or tx.outcome != "answered" for tx in lookup.transactions)
