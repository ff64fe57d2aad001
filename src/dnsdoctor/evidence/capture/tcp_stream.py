"""DNS over TCP: follow each direction's byte stream and cut it into length-framed messages.

Each direction is tracked on its own (DNS framing does not depend on the other side):
* a SYN fixes the sequence number, so every byte after it is in frame;
* without a SYN (capture started mid-stream) the first segment that plausibly starts a message
  synchronises: a lone 2-byte length >= 12, or a length >= 12 followed by a believable DNS
  header (known opcode, at most one question) where the message either ends inside the segment
  (followed by nothing or another plausible length) or the segment is large (>= 256 bytes);
* a retransmitted or overlapping segment only contributes its new bytes;
* a hole in the sequence space (lost segment) is `Damage(kind="tcp-gap")`: the partial message
  is dropped and decoding resumes at the next segment that plausibly starts a message;
* a length below 12 means framing was lost (`tcp-desync`), handled like a gap.
Buffers hold at most one message (<= 65537 bytes) plus one segment; flows are forgotten after a
FIN or RST, after 60 s of capture time without traffic, and beyond `max_flows` (oldest first).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from dnsdoctor.evidence.capture.records import Damage

if TYPE_CHECKING:
    from dnsdoctor.evidence.capture.packet import PacketDecoder, Pkt

FIN, SYN, RST = 0x01, 0x02, 0x04
IDLE = 60.0
_HALF = 1 << 31
_MASK = 0xFFFFFFFF
_OPCODES = frozenset({0, 1, 2, 4, 5, 6})
_FULL_SEGMENT = 256

FlowKey = tuple[bytes, int, bytes, int]


class _Direction:
    __slots__ = ("buf", "last_ts", "next_seq", "segs")

    def __init__(self, ts: float) -> None:
        self.next_seq = -1  # -1: not synchronised
        self.buf = bytearray()  # starts at a message boundary
        self.segs: list[tuple[int, int]] = []  # (frame, end of its bytes in buf)
        self.last_ts = ts

    def reset(self, next_seq: int = -1) -> None:
        self.next_seq = next_seq
        self.buf.clear()
        self.segs.clear()


def plausible_start(payload: bytes) -> bool:
    """Does this segment look like it starts with a DNS length prefix and header?"""
    if len(payload) < 2:
        return False
    length = (payload[0] << 8) | payload[1]
    if length < 12:
        return False
    if len(payload) == 2:
        return True  # a length prefix sent on its own
    if len(payload) < 14:
        return False
    opcode = (payload[4] >> 3) & 0xF
    qdcount = (payload[6] << 8) | payload[7]
    if opcode not in _OPCODES or qdcount > 1:
        return False
    rest = len(payload) - 2 - length
    if rest < 0:  # the message goes on in later segments: only a full-sized segment does that
        return len(payload) >= _FULL_SEGMENT
    return rest <= 1 or ((payload[2 + length] << 8) | payload[3 + length]) >= 12


class TcpReassembler:
    def __init__(self, decoder: PacketDecoder, max_flows: int = 2048) -> None:
        self.decoder = decoder
        self.max_flows = max_flows
        self.flows: OrderedDict[FlowKey, _Direction] = OrderedDict()

    def segment(self, pkt: Pkt, key: FlowKey, seq: int, flags: int, payload: bytes) -> None:
        flows = self.flows
        self._expire(pkt.ts)
        if flags & RST:
            flows.pop(key, None)
            flows.pop((key[2], key[3], key[0], key[1]), None)
            return
        half = flows.get(key)
        if half is None or flags & SYN:
            half = flows[key] = _Direction(pkt.ts)
            if len(flows) > self.max_flows:
                flows.popitem(last=False)
        else:
            flows.move_to_end(key)
            half.last_ts = pkt.ts
        if flags & SYN:
            half.next_seq = (seq + 1) & _MASK
            seq = half.next_seq
        if payload:
            self._data(pkt, key, half, seq, payload)
        if flags & FIN:
            if half.buf and half.next_seq >= 0:
                detail = f"connection closed with {len(half.buf)} bytes of an unfinished message"
                pkt.out.append(Damage(pkt.offset, "tcp-incomplete-message", detail, pkt.frame))
            flows.pop(key, None)

    def _expire(self, now: float) -> None:
        flows = self.flows
        limit = now - IDLE
        while flows:
            key = next(iter(flows))
            if flows[key].last_ts >= limit:
                return
            del flows[key]

    def _data(self, pkt: Pkt, key: FlowKey, half: _Direction, seq: int, payload: bytes) -> None:
        if half.next_seq < 0:
            if not plausible_start(payload):
                return
            half.next_seq = seq
        ahead = (seq - half.next_seq) & _MASK
        if ahead >= _HALF:  # starts before what we have: retransmission or overlap
            behind = _MASK + 1 - ahead
            if behind >= len(payload):
                return
            payload = payload[behind:]
        elif ahead:
            detail = f"{ahead} bytes missing before sequence {seq}"
            pkt.out.append(Damage(pkt.offset, "tcp-gap", detail, pkt.frame))
            if not plausible_start(payload):
                half.reset()
                return
            half.reset(seq)
        half.next_seq = (half.next_seq + len(payload)) & _MASK
        half.buf += payload
        half.segs.append((pkt.frame, len(half.buf)))
        self._messages(pkt, key, half)

    def _messages(self, pkt: Pkt, key: FlowKey, half: _Direction) -> None:
        buf = half.buf
        while len(buf) >= 2:
            length = (buf[0] << 8) | buf[1]
            if length < 12:
                detail = f"DNS length prefix {length} < 12: stream framing lost"
                pkt.out.append(Damage(pkt.offset, "tcp-desync", detail, pkt.frame))
                half.reset()
                return
            end = 2 + length
            if len(buf) < end:
                return
            message = bytes(buf[2:end])
            used = []
            for frame, seg_end in half.segs:
                used.append(frame)
                if seg_end >= end:
                    break
            half.segs = [(frame, seg_end - end) for frame, seg_end in half.segs if seg_end > end]
            del buf[:end]
            pkt.frames = tuple(used) if len(used) > 1 else ()
            src, sport, dst, dport = key
            self.decoder.emit_tcp(pkt, src, sport, dst, dport, message)
