"""What a command may touch: streams and environment, injected so tests run the CLI in-process."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import TextIO


@dataclass
class Environment:
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    @property
    def interactive(self) -> bool:
        return hasattr(self.stderr, "isatty") and self.stderr.isatty()
