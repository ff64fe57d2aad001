"""Exit codes (STYLE.md): one meaning each."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # nothing at or above --fail-on
    FINDINGS = 1  # findings at or above --fail-on
    ERROR = 2  # usage, input or internal error
    INTERRUPTED = 130
