"""dnsdoctor: find out why DNS resolution fails intermittently in containers and Kubernetes.

The public library API is what `__all__` names; everything else is private.
"""

from dnsdoctor.api import CaptureOptions, analyze_capture
from dnsdoctor.audit.coredns import CorednsInputs, audit_coredns
from dnsdoctor.audit.node import NodeOptions, audit_node
from dnsdoctor.errors import CaptureFormatError, DoctorError, InputError, UsageError
from dnsdoctor.model import Finding, Report, Severity

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
