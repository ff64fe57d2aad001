"""dnsdoctor: find out why DNS resolution fails intermittently in containers and Kubernetes.

The public library API is what `__all__` names; everything else is private.
"""

from dnsdoctor.api import CaptureOptions, analyze_capture
from dnsdoctor.errors import CaptureFormatError, DoctorError, InputError, UsageError
from dnsdoctor.model import Finding, Report, Severity

__version__ = "0.1.0"

__all__ = [
    "CaptureFormatError",
    "CaptureOptions",
    "DoctorError",
    "Finding",
    "InputError",
    "Report",
    "Severity",
    "UsageError",
    "__version__",
    "analyze_capture",
]
