"""Speed probe (not a test): packets/s of CaptureReader on a synthetic 200k-packet DNS pcap.

    PYTHONPATH=src python tests/evidence/capture/_speed_probe.py [packets] [--mixed]

Writes /tmp/dnsdoctor-speed.pcap (Ethernet/IPv4/UDP :53, valid checksums, alternating query and
response); with --mixed every other packet is non-DNS UDP instead.
"""

from __future__ import annotations

import struct
import sys
import time
from pathlib import Path

from dnsdoctor.evidence.capture.reader import CaptureReader

QUERY = bytes.fromhex("12340100000100000000000003777777076578616d706c6503636f6d0000010001")
RESPONSE = bytes.fromhex(
    "12348180000100010000000003777777076578616d706c6503636f6d0000010001"
    "c00c000100010000012c00045db8d822"
)


def _checksum(data: bytes) -> int:
    if len(data) & 1:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def frame(src: bytes, dst: bytes, sport: int, dport: int, payload: bytes) -> bytes:
    ulen = 8 + len(payload)
    pseudo = src + dst + struct.pack("!BBH", 0, 17, ulen)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    csum = _checksum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", csum) + udp[8:]
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 1, 0, 64, 17, 0, src, dst)
    iph = iph[:10] + struct.pack("!H", _checksum(iph)) + iph[12:]
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + iph + udp


def write(path: Path, count: int, mixed: bool) -> None:
    client, server = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 53])
    frames = [
        frame(client, server, 40000, 53, QUERY),
        frame(server, client, 53, 40000, RESPONSE),
        frame(client, server, 40000, 443, QUERY),
    ]
    with path.open("wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(count):
            data = frames[2] if mixed and i % 2 else frames[(i // (2 if mixed else 1)) % 2]
            out.write(
                struct.pack("<IIII", 1_700_000_000 + i // 1000, i % 1000, len(data), len(data))
            )
            out.write(data)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    count = int(args[0]) if args else 200_000
    path = Path("/tmp/dnsdoctor-speed.pcap")
    write(path, count, "--mixed" in sys.argv)
    reader = CaptureReader(path)
    start = time.perf_counter()
    for _ in reader.records():
        pass
    elapsed = time.perf_counter() - start
    stats = reader.stats
    print(f"{stats.packets} packets ({stats.dns_datagrams} DNS, {stats.damage} damage) "
          f"in {elapsed:.2f} s: {stats.packets / elapsed:,.0f} packets/s")  # fmt: skip


if __name__ == "__main__":
    main()
