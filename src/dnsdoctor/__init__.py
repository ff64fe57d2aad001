"""dnsdoctor: find out why DNS resolution fails intermittently in containers and Kubernetes.

The public library API is what `__all__` names; everything else is private.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from dnsdoctor.api import CaptureOptions, analyze_capture
from dnsdoctor.errors import CaptureFormatError, DoctorError, InputError, UsageError
from dnsdoctor.model import Finding, Report, Severity

if TYPE_CHECKING:
    from dnsdoctor.audit.coredns import CorednsInputs, audit_coredns
    from dnsdoctor.audit.node import NodeOptions, audit_node

# Imported on first use: `dnsdoctor pcap` on a large capture should not pay for the node and
# CoreDNS audits (about half a second of imports).
_LAZY = {
    "CorednsInputs": "dnsdoctor.audit.coredns",
    "audit_coredns": "dnsdoctor.audit.coredns",
    "NodeOptions": "dnsdoctor.audit.node",
    "audit_node": "dnsdoctor.audit.node",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dnsdoctor' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__version__ = "0.1.0"

__all__ = [
    "CaptureFormatError",
    "CaptureOptions",
    "CorednsInputs",
    "DoctorError",
    "Finding",
    "InputError",
    "NodeOptions",
    "Report",
    "Severity",
    "UsageError",
    "__version__",
    "analyze_capture",
    "audit_coredns",
    "audit_node",
]
