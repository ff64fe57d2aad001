"""`--format json`: one document, written as the capture streams.

Lookups are written while the analysis runs (they are never all held in memory); findings,
statistics and damage follow at the end. Key order is stable: schema_version, source, lookups,
findings, skipped, internal_errors, stats, damage.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from dnsdoctor.engine.lookups import Lookup
from dnsdoctor.model import Report
from dnsdoctor.render.records import is_notable, lookup_record

SCHEMA_VERSION = 1
_encode = json.JSONEncoder(check_circular=False).encode  # records are trees: no cycle to find


class JsonReportWriter:
    def __init__(self, out: TextIO, source: str, all_lookups: bool = False) -> None:
        self._out = out
        self._all = all_lookups
        self._count = 0
        head = f'{{"schema_version": {SCHEMA_VERSION}, "source": {json.dumps(source)}, "lookups": ['
        out.write(head)

    def on_lookup(self, lookup: Lookup) -> None:
        if not self._all and not is_notable(lookup):
            return
        self._out.write(("," if self._count else "") + "\n  " + _encode(lookup_record(lookup)))
        self._count += 1

    def finish(self, report: Report, extra: dict[str, Any] | None = None) -> None:
        stats = dict(report.stats)
        stats["lookups_listed"] = self._count
        tail = {
            "findings": [f.to_dict() for f in report.ordered_findings()],
            "skipped": [s.to_dict() for s in report.skipped],
            "internal_errors": report.internal_errors,
            "stats": stats,
            "damage": report.damage,
            **(extra or {}),
        }
        self._out.write("\n],\n")
        body = json.dumps(tail, indent=1)
        self._out.write(body[1:].lstrip("\n"))  # continue the open object
        self._out.write("\n")
