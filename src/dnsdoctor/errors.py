"""The errors the library raises. The CLI maps each to an exit code and a message in one place."""

from __future__ import annotations


class DoctorError(Exception):
    """Root of every error dnsdoctor raises on purpose. `hint` says what the user can do."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        if hint:
            self.hint = hint


class InputError(DoctorError):
    """An input file is missing, unreadable, or not of a kind we read."""

    def __init__(
        self, message: str, *, path: str = "", offset: int | None = None, hint: str = ""
    ) -> None:
        super().__init__(message, hint=hint)
        self.path = path
        self.offset = offset


class CaptureFormatError(InputError):
    """The file is not a pcap or pcapng capture at all (damage inside one is a Damage record)."""

    hint = (
        "give a pcap or pcapng file (optionally gzip-compressed), as written by tcpdump or dumpcap"
    )


class UsageError(DoctorError):
    """The options given cannot work together."""


class UnknownRuleError(UsageError):
    """`explain` or a selection named a rule that does not exist."""

    hint = "run `dnsdoctor explain` to list every rule"


class EnvironmentMissingError(DoctorError):
    """A command needs something this machine lacks (root, unshare, tcpdump, a compiler)."""
