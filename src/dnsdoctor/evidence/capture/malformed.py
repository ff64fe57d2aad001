"""The one exception the layer decoders raise: a packet is not what its headers claim.

The packet decoder turns it into a non-fatal `Damage` record; it never leaves the reader.
"""

from __future__ import annotations


class Malformed(Exception):
    """Per-packet damage found by a layer decoder; `kind` is the Damage kind."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
