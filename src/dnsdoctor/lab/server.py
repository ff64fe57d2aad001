"""A fault-injecting DNS server for the lab: asyncio + dnspython, UDP and TCP on one address.

One `FaultServer` serves one 127.0.0.x address (port 53 by default) from a `ServerConfig`:

* zone data: name -> {"A": [...], "AAAA": [...]}; a name absent from the zone is NXDOMAIN,
  a present name without records of the asked type is an empty NOERROR (NODATA);
* `delay_ms`: per qtype delay before answering (other queries are not held up);
* `blackhole`: receive everything, never answer (so the kernel sends no ICMP);
* `rcode`: per qtype override - "SERVFAIL", "REFUSED", "NXDOMAIN" or "NOERROR" (empty);
* `duplicate`: qtypes whose answer is sent twice, `duplicate_gap_ms` apart;
* `drop_nth`: 1-based query numbers (counted over UDP and TCP) that are silently dropped;
* `drop_qtypes`: qtypes never answered (every such query silently dropped);
* `udp_limit`: a UDP answer longer than this (512 by default) goes out with TC=1 and an
  empty answer section; over TCP the full answer is sent;
* `reply_from`: send UDP answers from a socket bound to another 127.0.0.x address;
* `wrong_question`: qtypes answered with the right ID but another qname (`wrong_qname`),
  carrying an A/AAAA record for that other name; the right answer is never sent;
* `tcp`: listen on TCP too (default).

"Nothing listening" is no server at all: the kernel answers with ICMP port unreachable.

Run one server per process with ``python -m dnsdoctor.lab.server '<json ServerConfig>'``;
it prints ``ready <address>`` on stdout once its sockets are bound, then logs one JSON line
per query received and action taken, and exits on SIGTERM/SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

RCODES = {
    "SERVFAIL": dns.rcode.SERVFAIL,
    "REFUSED": dns.rcode.REFUSED,
    "NXDOMAIN": dns.rcode.NXDOMAIN,
    "NOERROR": dns.rcode.NOERROR,
}


@dataclass
class ServerConfig:
    """How one lab DNS server behaves. Addresses must be in 127.0.0.0/8."""

    address: str
    port: int = 53
    zone: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    ttl: int = 30
    delay_ms: dict[str, int] = field(default_factory=dict)
    blackhole: bool = False
    rcode: dict[str, str] = field(default_factory=dict)
    duplicate: list[str] = field(default_factory=list)
    duplicate_gap_ms: int = 5
    drop_nth: list[int] = field(default_factory=list)
    drop_qtypes: list[str] = field(default_factory=list)
    udp_limit: int = 512
    reply_from: str | None = None
    wrong_question: list[str] = field(default_factory=list)
    wrong_qname: str = "wrong.example.test."
    tcp: bool = True

    def __post_init__(self) -> None:
        for addr in [self.address, *([self.reply_from] if self.reply_from else [])]:
            if not addr.startswith("127."):
                raise ValueError(f"lab server address {addr!r} is not in 127.0.0.0/8")
        for code in self.rcode.values():
            if code not in RCODES:
                raise ValueError(f"unknown rcode override {code!r}")

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ServerConfig:
        return cls(**data)


def _norm(name: str) -> str:
    name = name.lower()
    return name if name.endswith(".") else name + "."


class FaultServer:
    """Answers queries according to a `ServerConfig`. Transport-independent core + sockets."""

    def __init__(self, config: ServerConfig, log: Any = None) -> None:
        self.config = config
        self.zone = {_norm(k): v for k, v in config.zone.items()}
        self.count = 0
        self.log_file = log
        self._udp: asyncio.DatagramTransport | None = None
        self._reply_sock: socket.socket | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # ---- decisions -------------------------------------------------------------------

    def log(self, **event: Any) -> None:
        if self.log_file is not None:
            event["t"] = round(time.time(), 6)
            self.log_file.write(json.dumps(event, sort_keys=True) + "\n")
            self.log_file.flush()

    def build_answer(self, query: dns.message.Message) -> dns.message.Message:
        """The answer this server gives to `query`, before transport rules (TC) and timing."""
        cfg = self.config
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        response.flags |= dns.flags.RA
        if not query.question:
            response.set_rcode(dns.rcode.FORMERR)
            return response
        q = query.question[0]
        qname = q.name.to_text().lower()
        qtype = dns.rdatatype.to_text(q.rdtype)
        if qtype in cfg.wrong_question:
            return self._wrong_question(query, qtype)
        if qtype in cfg.rcode:
            response.set_rcode(RCODES[cfg.rcode[qtype]])
            return response
        records = self.zone.get(qname)
        if records is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response
        values = records.get(qtype, [])
        if values:
            response.answer.append(
                dns.rrset.from_text_list(q.name, cfg.ttl, dns.rdataclass.IN, q.rdtype, values)
            )
        return response

    def _wrong_question(self, query: dns.message.Message, qtype: str) -> dns.message.Message:
        """Same ID and flags, but the question (and answer) name another name."""
        cfg = self.config
        wrong = dns.name.from_text(cfg.wrong_qname)
        other = dns.message.make_query(wrong, qtype)
        other.id = query.id
        other.flags = query.flags
        response = dns.message.make_response(other)
        response.flags |= dns.flags.AA | dns.flags.RA
        value = "192.0.2.66" if qtype == "A" else "2001:db8::66"
        if qtype in ("A", "AAAA"):
            response.answer.append(
                dns.rrset.from_text_list(wrong, cfg.ttl, dns.rdataclass.IN, qtype, [value])
            )
        return response

    def plan(self, wire: bytes, transport: str) -> tuple[list[bytes], float, str]:
        """Decide what to send for one query: (messages, delay seconds, action)."""
        self.count += 1
        n = self.count
        try:
            query = dns.message.from_wire(wire)
        except Exception as exc:  # malformed query: log and ignore
            self.log(n=n, transport=transport, action="unparsable", error=str(exc))
            return [], 0.0, "unparsable"
        q = query.question[0] if query.question else None
        qtype = dns.rdatatype.to_text(q.rdtype) if q is not None else "?"
        qname = q.name.to_text() if q is not None else "?"
        base = {"n": n, "transport": transport, "id": query.id, "qname": qname, "qtype": qtype}
        cfg = self.config
        if cfg.blackhole:
            self.log(**base, action="blackhole")
            return [], 0.0, "blackhole"
        if n in cfg.drop_nth or qtype in cfg.drop_qtypes:
            self.log(**base, action="drop")
            return [], 0.0, "drop"
        response = self.build_answer(query)
        max_size = cfg.udp_limit if transport == "udp" else 65535
        out = response.to_wire(max_size=65535)
        action = "answer"
        if len(out) > max_size:
            response.answer = []
            response.authority = []
            response.additional = []
            response.flags |= dns.flags.TC
            out = response.to_wire()
            action = "truncated"
        if qtype in cfg.wrong_question:
            action = "wrong-question"
        msgs = [out]
        if qtype in cfg.duplicate:
            msgs.append(out)
            action += "+duplicate"
        delay = cfg.delay_ms.get(qtype, 0) / 1000.0
        self.log(**base, action=action, delay_ms=cfg.delay_ms.get(qtype, 0), rcode=response.rcode())
        return msgs, delay, action

    # ---- sockets ---------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        cfg = self.config
        server = self

        class Udp(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
                server._spawn(server._udp_query(data, addr))

        transport, _ = await loop.create_datagram_endpoint(
            Udp, local_addr=(cfg.address, cfg.port), reuse_port=False
        )
        self._udp = transport
        if cfg.reply_from:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((cfg.reply_from, cfg.port))
            s.setblocking(False)
            self._reply_sock = s
        if cfg.tcp:
            await asyncio.start_server(self._tcp_conn, cfg.address, cfg.port, reuse_address=True)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _udp_query(self, data: bytes, addr: tuple[str, int]) -> None:
        msgs, delay, _ = self.plan(data, "udp")
        if delay:
            await asyncio.sleep(delay)
        for i, msg in enumerate(msgs):
            if i:
                await asyncio.sleep(self.config.duplicate_gap_ms / 1000.0)
            if self._reply_sock is not None:
                self._reply_sock.sendto(msg, addr)
            elif self._udp is not None:
                self._udp.sendto(msg, addr)

    async def _tcp_conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readexactly(2)
                wire = await reader.readexactly(int.from_bytes(head, "big"))
                self._spawn(self._tcp_query(wire, writer))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        if self.config.blackhole:
            return  # keep the connection half-open; the client gives up on its own
        await asyncio.sleep(0.2)
        with contextlib.suppress(Exception):
            writer.close()

    async def _tcp_query(self, wire: bytes, writer: asyncio.StreamWriter) -> None:
        msgs, delay, _ = self.plan(wire, "tcp")
        if delay:
            await asyncio.sleep(delay)
        for msg in msgs:
            with contextlib.suppress(Exception):
                writer.write(len(msg).to_bytes(2, "big") + msg)
                await writer.drain()


async def _serve(config: ServerConfig) -> None:
    server = FaultServer(config, log=sys.stdout)
    await server.start()
    print(f"ready {config.address}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m dnsdoctor.lab.server '<json ServerConfig>'", file=sys.stderr)
        return 2
    config = ServerConfig.from_dict(json.loads(args[0]))
    asyncio.run(_serve(config))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
