"""What the DD2xx rules share: the replayer the analysis hands them, and frame evidence."""

from __future__ import annotations

from dnsdoctor.model import FrameEvidence
from dnsdoctor.replay.driver import MODELS, LookupReplayer
from dnsdoctor.replay.steps import Call, ReplyEvent
from dnsdoctor.rules.base import CaptureRule, rcode_text, type_text

LIBRARY_NAMES = {"musl-1.2.3": "musl 1.2.3", "glibc-2.36": "glibc 2.36"}


class ReplayRule(CaptureRule):
    """A capture rule that reads the replayed results of each lookup."""

    def __init__(self) -> None:
        self.replayer = LookupReplayer()

    def use_replayer(self, replayer: LookupReplayer) -> None:
        """The analysis shares one replayer, so each lookup is replayed once for every rule."""
        self.replayer = replayer

    @property
    def client_known(self) -> bool:
        """True when the user named the client library: the results are then not hypothetical."""
        return len(self.replayer.options.models()) == 1 and len(MODELS) > 1


def reply_frame(call: Call, reply: ReplyEvent, role: str) -> FrameEvidence:
    parts = [f"id 0x{reply.id:04x} {rcode_text(reply.rcode)}"]
    if reply.qtype is not None:
        parts.append(f"for {type_text(reply.qtype)}")
    if reply.tc:
        parts.append("TC")
    parts.append(", ".join(reply.addresses[:4]) if reply.addresses else "no addresses")
    return FrameEvidence(
        frame=reply.frame,
        ts=reply.ts,
        src=reply.server,
        sport=reply.sport,
        dst=call.client,
        dport=reply.cport,
        transport=reply.transport,
        role=role,
        summary=" ".join(parts),
    )


def find_reply(call: Call, frame: int) -> ReplyEvent | None:
    for step in call.steps:
        for reply in step.replies:
            if reply.frame == frame:
                return reply
    return None
