"""What one `dnsdoctor coredns` run was given: the bundle every CoreDNS rule (DD4xx) reads.

A field left None was not given; rules that need it report `Skipped`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class CorednsBundle:
    corefile: Any = None  # parsed Corefile (corefile.py): server blocks, plugins, file:line
    logs: Any = None  # parsed and classified log lines of one or more pods (logs.py)
    metrics: Any = None  # one or two scrapes (metrics.py)
    node: Any = None  # a NodeAudit of the node (or --node-root) for provenance of upstreams
