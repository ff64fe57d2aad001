"""The records the engine builds: one Transaction per (client socket, ID, question)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dnsdoctor.evidence.dns_message import DnsMessage

# Transaction outcomes
ANSWERED = "answered"
UNANSWERED = "unanswered"
IN_FLIGHT = "in-flight-at-end"
ICMP_ERROR = "icmp-error"


@dataclass(slots=True)
class Send:
    frame: int
    ts: float
    server: str
    sport: int  # the server port
    interface: int


@dataclass(slots=True)
class Reply:
    frame: int
    ts: float
    server: str
    sport: int
    message: DnsMessage
    interface: int
    unexpected_source: bool = False  # the query was never sent to this address
    copies: list[int] = field(default_factory=list)  # frames of the same datagram elsewhere

    @property
    def rcode(self) -> int:
        return self.message.rcode


@dataclass(slots=True)
class IcmpNotice:
    frame: int
    ts: float
    reporter: str
    kind: str
    server: str


@dataclass(slots=True)
class Transaction:
    uid: int
    client: str
    cport: int
    transport: str
    id: int
    qname: str
    qtype: int
    qclass: int
    opcode: int
    query_flags: int
    sends: list[Send] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    mismatched: list[Reply] = field(default_factory=list)  # same ID, other question
    icmp: list[IcmpNotice] = field(default_factory=list)
    servers: set[str] = field(default_factory=set)  # every address the query went to (copies too)
    collisions: list[Transaction] = field(
        default_factory=list
    )  # same ID, other question, in flight
    query_copies: list[int] = field(default_factory=list)
    lookup: int = 0
    outcome: str = ""
    last_ts: float = 0.0
    wire_case: str | None = None

    @property
    def first_ts(self) -> float:
        return self.sends[0].ts if self.sends else (self.replies[0].ts if self.replies else 0.0)

    @property
    def first_frame(self) -> int:
        return self.sends[0].frame if self.sends else self.replies[0].frame

    @property
    def socket_label(self) -> str:
        return f"{fmt_addr(self.client, self.cport)}/{self.transport}"

    @property
    def answer(self) -> Reply | None:
        """The first reply the client could have used (any source it asked)."""
        for reply in self.replies:
            if not reply.unexpected_source:
                return reply
        return None

    @property
    def rtt(self) -> float | None:
        reply = self.answer
        if reply is None or not self.sends:
            return None
        return reply.ts - self.sends[0].ts


def fmt_addr(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
