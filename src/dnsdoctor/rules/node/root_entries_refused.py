"""DD348 root-entries-refused.

What it detects:
Paths under `--root` that the safe reader refused: a symlink climbing above the root with `..`,
a symlink on procfs (a "magic" link such as /proc/self/root), a symlink loop, a FIFO, socket or
device where a file was expected, a file over the size limit, a directory over the entry limit.

Why it matters:
A container root or an image is untrusted input. dnsdoctor resolves its symlinks as if chrooted
and never leaves it; what it refused was not read, so the provenance above may be missing a file.
A resolv.conf that points outside its root is itself a sign of tampering or a broken image.

Evidence:
The safe root reader's refusal list.

Example:
/etc/resolv.conf: `..` climbs above the root.

Fix:
Look at the named path inside the root; replace it with a regular file or a link that stays
inside the root.

False positives:
A host root (`/`) bind-mounted oddly, or a huge but legitimate directory.

References:
openat2(2) RESOLVE_IN_ROOT and RESOLVE_NO_MAGICLINKS (the semantics the reader follows).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dnsdoctor.model import CountEvidence, Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule


class RootEntriesRefused(CheckRule[Any]):
    code = "DD348"
    name = "root-entries-refused"
    severity = Severity.WARNING
    source = "node"
    evidence_kinds = ("root reader",)

    def check(self, audit: Any) -> Iterable[Finding | Skipped]:
        if not audit.refused:
            return
        shown = audit.refused[:10]
        summary = f"{len(audit.refused)} path(s) under {audit.root} were refused and not read: " + (
            "; ".join(shown)
        )
        evidence = (CountEvidence(f"root {audit.root}", (("refused", len(audit.refused)),)),)
        fix = "Inspect those paths inside the root; results above may miss what they hold."
        yield self.finding(summary, evidence=evidence, impact=float(len(audit.refused)), fix=fix)
