"""`--format jsonl`: one JSON record per transaction as it finishes, then one summary record."""

from __future__ import annotations

import json
from typing import TextIO

from dnsdoctor.engine.transaction import Transaction
from dnsdoctor.model import Report
from dnsdoctor.render.json_report import SCHEMA_VERSION
from dnsdoctor.render.records import transaction_record


class JsonlWriter:
    def __init__(self, out: TextIO) -> None:
        self._out = out

    def on_transaction(self, tx: Transaction) -> None:
        self._out.write(json.dumps(transaction_record(tx), separators=(",", ":")) + "\n")

    def finish(self, report: Report) -> None:
        summary = {
            "record": "summary",
            "schema_version": SCHEMA_VERSION,
            "findings": [f.to_dict() for f in report.ordered_findings()],
            "stats": report.stats,
            "damage": report.damage,
        }
        self._out.write(json.dumps(summary, separators=(",", ":")) + "\n")
