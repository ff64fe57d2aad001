"""Generated captures that crowd the fast path's isolation boundaries, for the differential test.

Few clients, names, ports and servers, so sockets are reused and names repeat; gaps between
lookups drawn around the boundaries that matter (the 12 s lookup gap, the 30 s linger, the
33 s claim window); every failure kind mixed in (NXDOMAIN, NODATA, SERVFAIL, lost queries and
answers, duplicates, answers from another address or for another question, same-ID A/AAAA,
retries after 2.5 s and 5 s, TC, slow answers either side of 0.5 s and at 1 s/2 s). The
messages are real DNS built by dnspython; only the timing and the mix are synthetic.
"""

from __future__ import annotations

import gzip
import random
import struct
from pathlib import Path

import dns.flags
import dns.message
import dns.rcode
import dns.rrset

GAPS = (0.0005, 0.002, 0.3, 2.0, 11.9, 12.1, 20.0, 29.9, 30.1, 32.9, 33.2, 45.0)
FAULTS = (
    ("ok", 60),
    ("nxdomain", 6),
    ("nodata", 4),
    ("servfail", 2),
    ("lost", 3),
    ("duplicate", 2),
    ("other-address", 1),
    ("other-question", 1),
    ("retry", 2),
    ("truncated", 1),
    ("slow", 4),
    ("icmp", 1),
    ("bad-checksum", 1),
    ("malformed", 1),
)


def _frame(link: str, src: bytes, dst: bytes, sport: int, dport: int, payload: bytes) -> bytes:
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    if len(src) == 16:
        udp = _with_v6_checksum(src, dst, udp)
    return _ip_frame(link, src, dst, 17, udp)


def _ip_frame(link: str, src: bytes, dst: bytes, proto: int, body: bytes) -> bytes:
    if len(src) == 4:
        ip = struct.pack(
            "!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 0, 0x4000, 64, proto, 0, src, dst
        )
        ethertype = 0x0800
    else:
        ip = struct.pack("!IHBB16s16s", 6 << 28, len(body), proto, 64, src, dst)
        ethertype = 0x86DD
    if link == "raw":
        return ip + body
    if link == "sll":
        return struct.pack("!HHH8sH", 0, 1, 6, b"\x02" * 8, ethertype) + ip + body
    if link == "sll2":
        return struct.pack("!HHIHBB8s", ethertype, 0, 2, 1, 0, 6, b"\x02" * 8) + ip + body
    return (
        b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02"
        + struct.pack("!H", ethertype)
        + ip
        + body
    )


def _icmp_unreachable(quoted_frame_ip: bytes, v6: bool) -> bytes:
    """Port unreachable quoting the start of the packet it answers (checksum left zero)."""
    if v6:
        return struct.pack("!BBHI", 1, 4, 0, 0) + quoted_frame_ip[:1232]
    return struct.pack("!BBHI", 3, 3, 0, 0) + quoted_frame_ip[:60]


def _tcp_segment(sport: int, dport: int, seq: int, message: bytes) -> bytes:
    data = struct.pack("!H", len(message)) + message
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 1, 5 << 4, 0x18, 65535, 0, 0) + data


def _with_v6_checksum(src: bytes, dst: bytes, udp: bytes) -> bytes:
    data = src + dst + struct.pack("!IxxxB", len(udp), 17) + udp + (b"\0" if len(udp) & 1 else b"")
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    csum = (~total & 0xFFFF) or 0xFFFF
    return udp[:6] + struct.pack("!H", csum) + udp[8:]


def _answer(query: dns.message.Message, rcode: int = 0, addresses: int = 1) -> dns.message.Message:
    reply = dns.message.make_response(query)
    reply.set_rcode(dns.rcode.Rcode(rcode))
    question = query.question[0]
    if rcode == 0 and addresses:
        kind = "A" if question.rdtype == 1 else "AAAA"
        rdata = [
            f"10.9.{i}.{i + 1}" if kind == "A" else f"2001:db8::{i + 1}" for i in range(addresses)
        ]
        reply.answer.append(dns.rrset.from_text(question.name, 60, "IN", kind, *rdata))
    return reply


IP_OFFSET = {"raw": 0, "eth": 14, "sll": 16, "sll2": 20}


class MixWriter:
    def __init__(self, seed: int, v6: bool) -> None:
        self.rng = random.Random(seed)
        self.v6 = v6
        self.records: list[tuple[float, int, bytes]] = []
        self.order = 0
        self.last_dns = -1

    def addr(self, kind: str, index: int) -> bytes:
        if self.v6:
            return bytes.fromhex("fd00" + ("00aa" if kind == "c" else "00bb") + "0" * 20) + bytes(
                [0, index]
            )
        return bytes([10, 244 if kind == "c" else 96, 0, index + 1])

    def lookup(self, link: str, ts: float, client: int, name: str, port: int, servers: int) -> None:
        rng = self.rng
        fault = rng.choices([f for f, _ in FAULTS], [w for _, w in FAULTS])[0]
        qtypes = ["A", "AAAA"] if rng.random() < 0.85 else rng.choice([["A"], ["AAAA"], ["TXT"]])
        same_id = rng.random() < 0.05
        ident = rng.randrange(65536)
        c = self.addr("c", client)
        server_index = rng.randrange(servers)
        s = self.addr("s", server_index)
        for n, qtype in enumerate(qtypes):
            query = dns.message.make_query(name, qtype, use_edns=False)
            query.id = ident if same_id or n == 0 else rng.randrange(65536)
            sent = ts + n * 0.00002
            self._emit(link, sent, c, s, port, 53, query.to_wire())
            if fault == "bad-checksum" and n == 0:
                self.corrupt_checksum(link)
            if fault == "retry" and n == 0:
                sent += rng.choice((2.5, 5.0))
                self._emit(link, sent, c, s, port, 53, query.to_wire())
            self._reply(link, fault, query, sent, c, s, port, servers)

    def _reply(
        self,
        link: str,
        fault: str,
        query: dns.message.Message,
        sent: float,
        c: bytes,
        s: bytes,
        port: int,
        servers: int,
    ) -> None:
        rng = self.rng
        rtt = rng.expovariate(1 / 0.003)
        if fault == "lost" and rng.random() < 0.7:
            return
        if fault == "icmp":
            quoted = _frame("raw", c, s, port, 53, query.to_wire())
            icmp = _icmp_unreachable(quoted, len(c) == 16)
            self._emit_ip(link, sent + rtt, s, c, 58 if len(c) == 16 else 1, icmp)
            return
        if fault == "slow":
            rtt = rng.choice((0.45, 0.4999, 0.5, 0.55, 1.0, 2.0, 5.0))
        reply = {"nxdomain": lambda: _answer(query, 3), "servfail": lambda: _answer(query, 2)}.get(
            fault, lambda: _answer(query, 0, 0 if fault == "nodata" else 1 + rng.randrange(2))
        )()
        if fault == "truncated":
            reply.flags |= dns.flags.TC
        wire = bytearray(reply.to_wire())
        if fault == "malformed":
            wire = wire[:-3]  # the last record runs past the end
        if fault == "truncated" and rng.random() < 0.6:  # retried over TCP, as glibc does
            full = _answer(query, 0, 1).to_wire()
            at = sent + rtt + 0.001
            self._emit_ip(link, at, c, s, 6, _tcp_segment(port + 1000, 53, 7, query.to_wire()))
            self._emit_ip(link, at + 0.002, s, c, 6, _tcp_segment(53, port + 1000, 9, full))
        if fault == "other-question":
            other = dns.message.make_query("elsewhere.example.", "A", use_edns=False)
            other.id = query.id
            wire = bytearray(_answer(other).to_wire())
        src = s
        if fault == "other-address":
            src = self.addr("s", (s[-1] % servers) + 7)
        self._emit(link, sent + rtt, src, c, 53, port, bytes(wire))
        if fault == "duplicate":
            self._emit(
                link, sent + rtt + rng.choice((0.0001, 0.01, 1.0)), src, c, 53, port, bytes(wire)
            )

    def _emit(
        self, link: str, ts: float, src: bytes, dst: bytes, sp: int, dp: int, p: bytes
    ) -> None:
        self.order += 1
        self.records.append((ts, self.order, _frame(link, src, dst, sp, dp, p)))
        self.last_dns = len(self.records) - 1
        if self.rng.random() < 0.02:  # unrelated traffic: NTP
            ntp = struct.pack("!HHHH", 123, 123, 56, 0) + bytes(48)
            self._emit_ip(link, ts + 0.0001, src, dst, 17, ntp)

    def _emit_ip(
        self, link: str, ts: float, src: bytes, dst: bytes, proto: int, body: bytes
    ) -> None:
        self.order += 1
        self.records.append((ts, self.order, _ip_frame(link, src, dst, proto, body)))

    def corrupt_checksum(self, link: str) -> None:
        """Break the UDP checksum of the frame just written (kept by Python, left by C)."""
        ts, order, frame = self.records[self.last_dns]
        broken = bytearray(frame)
        broken[IP_OFFSET[link] + (40 if self.v6 else 20) + 6] ^= 0x5A
        self.records[self.last_dns] = (ts, order, bytes(broken))


def write_mix(
    path: Path,
    seed: int,
    lookups: int = 250,
    clients: int = 4,
    names: int = 5,
    ports: int = 6,
    servers: int = 3,
    link: str = "eth",
    compress: bool = False,
    pcapng: bool = False,
) -> Path:
    """A capture of `lookups` lookups, in time order; returns its path."""
    writer = MixWriter(seed, v6=(seed // 4) % 2 == 1)
    rng = writer.rng
    pool = [f"svc{i}.ns{i % 2}.svc.cluster.local." for i in range(names)]
    ts = 1_700_000_000.0
    for _ in range(lookups):
        ts += rng.choice(GAPS) * rng.uniform(0.98, 1.02)
        client = rng.randrange(clients)
        writer.lookup(link, ts, client, rng.choice(pool), 30000 + rng.randrange(ports), servers)
    writer.records.sort()
    link_type = {"eth": 1, "sll": 113, "sll2": 276, "raw": 101}[link]
    out = _pcapng(writer.records, link_type, seed) if pcapng else _pcap(writer.records, link_type)
    path.write_bytes(gzip.compress(bytes(out)) if compress else bytes(out))
    return path


def _pcap(records: list[tuple[float, int, bytes]], link_type: int) -> bytearray:
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, link_type))
    for when, _, frame in records:
        sec = int(when)
        out += struct.pack("<IIII", sec, int((when - sec) * 1e6), len(frame), len(frame)) + frame
    return out


def _block(kind: int, body: bytes) -> bytes:
    body += bytes(-len(body) % 4)
    return struct.pack("<II", kind, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))


def _pcapng(records: list[tuple[float, int, bytes]], link_type: int, seed: int) -> bytearray:
    """One section, one interface; nanosecond or microsecond stamps, some with an offset."""
    nano = seed % 2 == 0
    offset = 1_000 if seed % 3 == 0 else 0
    options = struct.pack("<HHB3x", 9, 1, 9 if nano else 6)
    if offset:
        options += struct.pack("<HHq", 14, 8, offset)
    options += struct.pack("<HH", 0, 0)
    out = bytearray(_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
    out += _block(1, struct.pack("<HHI", link_type, 0, 0) + options)
    units = 10**9 if nano else 10**6
    for when, _, frame in records:
        stamp = round((when - offset) * units)
        head = struct.pack("<IIIII", 0, stamp >> 32, stamp & 0xFFFFFFFF, len(frame), len(frame))
        out += _block(6, head + frame)
    return out


def write_taint_then_retry(path: Path, fillers: int = 8200) -> Path:
    """Client 10.1.0.1 asks once with a broken UDP checksum at t=0 and again, same socket, ID
    and question (plus AAAA), at t=20; thousands of other clients ask cleanly until t=90."""
    client, server = bytes([10, 1, 0, 1]), bytes([10, 96, 0, 10])
    base = 1_700_000_000.0
    records: list[tuple[float, int, bytes]] = []

    def add(ts: float, frame: bytes) -> None:
        records.append((ts, len(records), frame))

    first = dns.message.make_query("api.example.", "A", use_edns=False)
    first.id = 0x1234
    broken = bytearray(_frame("eth", client, server, 40000, 53, first.to_wire()))
    broken[40:42] = b"\x12\x34"  # a checksum that does not add up (not offload either)
    add(base, bytes(broken))
    for offset, qtype in ((0.0, "A"), (0.00002, "AAAA")):
        query = dns.message.make_query("api.example.", qtype, use_edns=False)
        query.id = 0x1234 if qtype == "A" else 0x4321
        add(base + 20 + offset, _frame("eth", client, server, 40000, 53, query.to_wire()))
        reply = _answer(query).to_wire()
        add(base + 20.002 + offset, _frame("eth", server, client, 53, 40000, reply))
    for i in range(fillers):
        ts = base + 90 * i / fillers
        other = bytes([10, 2 + i // 60000, (i // 250) % 240, 1 + i % 250])
        query = dns.message.make_query(f"svc{i % 97}.example.", "A", use_edns=False)
        query.id = i & 0xFFFF
        add(ts, _frame("eth", other, server, 30000 + i % 20000, 53, query.to_wire()))
        reply = _answer(query).to_wire()
        add(ts + 0.001, _frame("eth", server, other, 53, 30000 + i % 20000, reply))
    records.sort()
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for when, _, frame in records:
        sec = int(when)
        out += struct.pack("<IIII", sec, int((when - sec) * 1e6), len(frame), len(frame)) + frame
    path.write_bytes(bytes(out))
    return path
