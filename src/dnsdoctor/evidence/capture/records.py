"""What the capture readers hand to the transaction engine.

The readers (pcap/pcapng, link layers, IP, tunnels, UDP/TCP) turn a file into a stream of three
record kinds. They never interpret DNS beyond finding where a message starts and ends; the engine
owns everything DNS means. Slots classes, not frozen dataclasses: millions are created per file.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Datagram:
    """One DNS message as it crossed the wire (UDP payload, or one TCP length-framed message)."""

    frame: int  # 1-based frame number of the packet that completed the message
    ts: float  # capture time, epoch seconds
    src: str  # textual IP address (inner header when tunnelled)
    sport: int
    dst: str
    dport: int
    transport: str  # "udp" | "tcp"
    payload: bytes  # the DNS message; for TCP without its 2-byte length prefix
    offset: int  # byte offset of the completing packet's record in the (decompressed) file
    interface: int = (
        0  # capture-wide interface number (pcapng IDB index across sections, SLL2 ifindex)
    )
    checksum_ok: bool | None = None  # None: not verified (zero checksum, fragment, snaplen cut)
    truncated: bool = False  # snaplen cut the message: payload holds only what was captured
    tunnel: str = ""  # outermost encapsulation: "", "vxlan", "geneve", "gre", "ipip", ...
    frames: tuple[int, ...] = ()  # every frame that carried part of it (fragments, TCP segments)


@dataclass(slots=True)
class IcmpError:
    """An ICMP/ICMPv6 destination-unreachable quoting a UDP or TCP packet sent to/from a DNS port."""

    frame: int
    ts: float
    reporter: str  # who sent the ICMP error
    kind: str  # "port-unreachable" | "host-unreachable" | "net-unreachable" | "admin-prohibited" | ...
    transport: str  # of the quoted packet
    src: str  # quoted packet's source (the original sender, i.e. the DNS client)
    sport: int
    dst: str  # quoted packet's destination (the nameserver that was unreachable)
    dport: int
    quoted_payload: bytes  # the quoted DNS bytes (often only the first 8+ bytes survive)
    offset: int
    interface: int = 0


@dataclass(slots=True)
class Damage:
    """Something in the file or a packet that could not be read as it claims to be.

    `fatal` damage ends reading (a cut or corrupt file): every record before it was still yielded.
    Non-fatal damage is per packet: the packet is skipped or kept as noted in `detail`.
    """

    offset: int  # byte offset in the (decompressed) file where the damage starts
    kind: str  # stable kebab-case: "truncated-file-header", "truncated-record", "bad-block-length",
    # "snaplen-truncated", "bad-udp-checksum", "malformed-ip", "tcp-gap", "unknown-link-type", ...
    detail: str
    frame: int | None = None  # the frame, when the damage is inside one
    fatal: bool = False


@dataclass(slots=True)
class CaptureStats:
    """Counters the reader fills in while it streams; final once the stream is exhausted."""

    file_format: str = ""  # "pcap" | "pcapng"
    compressed: bool = False
    bytes_read: int = 0
    packets: int = 0
    link_types: dict[str, int] = field(default_factory=dict)  # link type name -> packets
    interfaces: int = 0
    first_ts: float | None = None
    last_ts: float | None = None
    dns_datagrams: int = 0
    icmp_errors: int = 0
    other_name_services: dict[str, int] = field(default_factory=dict)  # "mdns"/"llmnr"/"netbios-ns"
    non_dns_packets: int = 0
    reassembled_fragments: int = 0
    tcp_messages: int = 0
    damage: int = 0


CaptureRecord = Datagram | IcmpError | Damage
