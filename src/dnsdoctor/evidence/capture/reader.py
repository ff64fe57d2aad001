"""`CaptureReader`: a pcap/pcapng file (optionally gzipped) as a stream of DNS evidence records.

    reader = CaptureReader("trace.pcapng.gz", ports=frozenset({53, 5353}))
    for record in reader.records():   # Datagram | IcmpError | Damage, in capture order
        ...
    reader.stats                      # final once the stream is exhausted

Only a file that is not a capture at all raises (`CaptureFormatError`, from the constructor or
the first step of `records()`); damage inside a capture becomes `Damage` records, a cut or
corrupt file ending the stream with one fatal `Damage`.

Conventions on top of records.py:
* `Datagram.frames` is () when the message came in the one packet `frame`; otherwise it lists
  every frame that carried part of it (IP fragments, TCP segments including a lone length).
* `checksum_ok` is None also for transmit checksum offload (the field holds only the
  pseudo-header sum: captured on the sending host), which is not damage.
* a UDP payload shorter than a DNS header is a `short-dns-message` Damage, not a Datagram.
* `stats.reassembled_fragments` counts fragment packets used in complete datagrams; fragment
  packets of datagrams that never completed are counted in `CaptureReader.orphan_fragments`.
* `stats.interfaces` is the number of pcapng IDBs (1 for classic pcap).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from dnsdoctor.errors import CaptureFormatError
from dnsdoctor.evidence.capture import pcapng_file
from dnsdoctor.evidence.capture.link import link_name
from dnsdoctor.evidence.capture.packet import PacketDecoder
from dnsdoctor.evidence.capture.pcap_file import MAGICS, PcapFile
from dnsdoctor.evidence.capture.pcapng_file import PcapngFile
from dnsdoctor.evidence.capture.records import (
    CaptureRecord,
    CaptureStats,
    Damage,
    Datagram,
    IcmpError,
)
from dnsdoctor.evidence.capture.source import ByteSource

_ALL_MAGICS = (*MAGICS, pcapng_file.MAGIC)


class CaptureReader:
    def __init__(
        self,
        path: str | os.PathLike[str],
        ports: frozenset[int] = frozenset({53}),
        progress: Callable[[int, int], None] | None = None,
        claims: bytes = b"",
    ) -> None:
        self.path = path
        self.claims = claims  # frames the capture fast path claimed (engine/triage.py)
        self.ports = frozenset(ports)
        self.progress = progress
        self.stats = CaptureStats()
        self.orphan_fragments = 0  # fragment packets whose datagram never completed
        self._format: PcapFile | PcapngFile | None = None
        src = ByteSource(path)
        try:
            _sniff(src.read(4), src)
        finally:
            src.close()

    def records(self) -> Iterator[CaptureRecord]:
        """Stream every record; memory stays bounded whatever the file size."""
        src = ByteSource(self.path, self.progress)
        try:
            head = src.read()
            fmt = _sniff(head, src, self.claims)
            self.stats = CaptureStats(compressed=src.compressed)
            if fmt is None:
                self.stats.damage = 1
                yield Damage(
                    0, "truncated-file-header", "file ends inside the magic number", fatal=True
                )
                return
            self.stats.file_format = fmt.file_format
            self._format = fmt
            yield from self._stream(fmt)
        finally:
            src.close()

    def _stream(self, fmt: PcapFile | PcapngFile) -> Iterator[CaptureRecord]:
        decoder = PacketDecoder(self.ports)
        decode = decoder.decode
        n_dns = n_icmp = n_damage = 0
        frames = fmt.count  # the file reader numbers frames, claimed ones included
        try:
            for item in fmt.packets():
                if item.__class__ is Damage:
                    n_damage += 1
                    yield item
                    return
                offset, ts, link, iface, data, cut = item  # type: ignore[misc]
                frame = frames.frame
                try:
                    found = decode(frame, ts, link, iface, data, offset, cut)
                except Exception as exc:  # last line of defence: a decoder bug is damage too
                    found = [Damage(offset, "decoder-error", f"{type(exc).__name__}: {exc}", frame)]
                if found is None:
                    continue
                if found.__class__ is Datagram:
                    n_dns += 1
                    yield found
                    continue
                for record in found:  # type: ignore[union-attr]
                    if record.__class__ is Datagram:
                        n_dns += 1
                    elif record.__class__ is IcmpError:
                        n_icmp += 1
                    else:
                        n_damage += 1
                    yield record
            decoder.frags.finish()
        finally:
            stats = self.stats
            stats.bytes_read = fmt.consumed
            n_dns += 2 * frames.claimed_tx  # a claimed transaction is one query, one answer
            stats.packets = frames.frames
            stats.link_types = {}
            for link, count in fmt.link_counts(frames.frames).items():
                name = link_name(link)
                stats.link_types[name] = stats.link_types.get(name, 0) + count
            stats.interfaces = fmt.interfaces if isinstance(fmt, PcapngFile) else 1
            stats.first_ts, stats.last_ts = frames.first_ts, frames.last_ts
            stats.dns_datagrams, stats.icmp_errors, stats.damage = n_dns, n_icmp, n_damage
            stats.other_name_services = dict(decoder.name_services)
            stats.non_dns_packets = decoder.non_dns
            stats.reassembled_fragments = decoder.frags.reassembled
            stats.tcp_messages = decoder.tcp_messages
            self.orphan_fragments = decoder.frags.orphans

    def position(self) -> int:
        """The frame number of the record last yielded (claimed frames counted)."""
        fmt = self._format
        return fmt.count.frame if fmt is not None else 0

    def claimed_counts(self) -> tuple[int, int]:
        """Claimed transactions and lookups before the record last yielded (engine/triage.py)."""
        fmt = self._format
        return (fmt.count.claimed_tx, fmt.count.claimed_lookups) if fmt is not None else (0, 0)


def _sniff(head: bytes, src: ByteSource, claims: bytes = b"") -> PcapFile | PcapngFile | None:
    """The format reader for these first bytes; None if the file ends inside a known magic."""
    if not head:
        why = f" ({src.error})" if src.error else ""
        raise CaptureFormatError(f"empty file{why}", path=src.path, offset=0)
    magic = head[:4]
    if magic in MAGICS:
        return PcapFile(src, head, claims)
    if magic == pcapng_file.MAGIC:
        return PcapngFile(src, head, claims)
    if len(magic) < 4 and any(m.startswith(magic) for m in _ALL_MAGICS):
        return None
    raise CaptureFormatError(
        f"not a pcap or pcapng file (starts with {magic.hex()})", path=src.path, offset=0
    )
