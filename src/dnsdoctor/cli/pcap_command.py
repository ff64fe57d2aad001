"""`dnsdoctor pcap FILE`: find and explain DNS failures in a packet capture."""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from dnsdoctor.api import CaptureOptions, analyze_capture
from dnsdoctor.cli.environment import Environment
from dnsdoctor.cli.exit_codes import ExitCode
from dnsdoctor.cli.report_options import (
    add_report_options,
    exit_code,
    open_output,
    report_console,
)
from dnsdoctor.errors import InputError, UsageError
from dnsdoctor.model import Report, Severity
from dnsdoctor.render.json_report import JsonReportWriter
from dnsdoctor.render.jsonl import JsonlWriter
from dnsdoctor.render.terminal import render_terminal
from dnsdoctor.replay.driver import MODELS, LookupReplayer, ReplaySettings
from dnsdoctor.replay.settings import read_resolv_conf
from dnsdoctor.rules.base import CaptureRule
from dnsdoctor.rules.registry import find_rule

PROGRESS_MIN_BYTES = 32 << 20


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "pcap",
        help="diagnose DNS failures in a pcap/pcapng capture",
        description="Pair every DNS query with its answers per client socket, group lookups, and "
        "report what failed, why, and the frames to look at.",
    )
    parser.add_argument("capture", help="pcap or pcapng file, optionally gzip-compressed")
    add_report_options(parser, ("text", "json", "jsonl"))
    parser.add_argument(
        "--port",
        type=int,
        action="append",
        metavar="N",
        help="DNS port to decode (repeatable; default 53)",
    )
    parser.add_argument("--rule", action="append", metavar="CODE|NAME", help="run only these rules")
    parser.add_argument(
        "--all-lookups",
        action="store_true",
        help="JSON: list (and replay) every lookup, not only failed, slow, retried or "
        "search-list ones",
    )
    parser.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    parser.add_argument(
        "--no-fast-path",
        action="store_true",
        help="analyse every packet in Python, without first claiming clean lookups in C "
        "(slower; the report is the same, which is how the fast path is tested)",
    )
    parser.add_argument(
        "--resolv-conf",
        metavar="FILE",
        help="the client's resolv.conf: nameservers, timeout, attempts for the replay (DD2xx)",
    )
    parser.add_argument(
        "--client",
        action="append",
        choices=tuple(MODELS),
        help="the client's resolver library (repeatable, to compare); default: the library "
        "inferred from the packets when the evidence is strong, else every libc model",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, env: Environment) -> ExitCode:
    if not os.path.exists(args.capture):
        raise InputError(f"{args.capture}: no such file", path=args.capture, hint="check the path")
    ports = frozenset(args.port or [53])
    if any(not 0 < p < 65536 for p in ports):
        raise UsageError("--port takes numbers from 1 to 65535")
    rules = [_capture_rule(r) for r in args.rule] if args.rule else None
    with open_output(args.output, env) as out, _progress(args, env) as progress:
        options = CaptureOptions(
            ports=ports, rules=rules, progress=progress, fast_path=not args.no_fast_path
        )
        options.replayer = _replayer(args)
        report = _analyse(args, options, out, env)
    return exit_code(report, args.fail_on)


def _replayer(args: argparse.Namespace) -> LookupReplayer:
    conf = read_resolv_conf(args.resolv_conf) if args.resolv_conf else None
    clients = tuple(dict.fromkeys(args.client or ()))
    settings = ReplaySettings(clients, conf, every_lookup=args.all_lookups)
    return LookupReplayer(settings)


def _capture_rule(ref: str) -> type[CaptureRule]:
    rule = find_rule(ref)
    if not issubclass(rule, CaptureRule):
        raise UsageError(f"{rule.code} {rule.name} is not a capture rule ({rule.source} evidence)")
    return rule


# The analysis allocates millions of short-lived objects, few in cycles; the default gen-0
# threshold (700) ran the cycle collector so often that it cost ~0.4 s of ~4.4 s on 1M packets.
_GC_THRESHOLDS = (20_000, 50, 50)


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    previous = gc.get_threshold()
    gc.set_threshold(*_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def _analyse(
    args: argparse.Namespace, options: CaptureOptions, out: TextIO, env: Environment
) -> Report:
    with _fewer_collections():
        return _analyse_as(args, options, out, env)


def _analyse_as(
    args: argparse.Namespace, options: CaptureOptions, out: TextIO, env: Environment
) -> Report:
    if args.format == "json":
        writer = JsonReportWriter(out, args.capture, all_lookups=args.all_lookups)
        options.on_lookup = writer.on_lookup
        report = analyze_capture(args.capture, options)
        replayer = options.replayer
        writer.finish(report, {"replay": replayer.summary()} if replayer else None)
    elif args.format == "jsonl":
        jsonl = JsonlWriter(out)
        options.on_transaction = jsonl.on_transaction
        report = analyze_capture(args.capture, options)
        jsonl.finish(report)
    else:
        report = analyze_capture(args.capture, options)
        console = report_console(out, env)
        render_terminal(report, console, Severity.parse(args.min_severity))
    return report


@contextlib.contextmanager
def _progress(
    args: argparse.Namespace, env: Environment
) -> Iterator[Callable[[int, int], None] | None]:
    size = os.path.getsize(args.capture)
    if args.no_progress or not env.interactive or size < PROGRESS_MIN_BYTES:
        yield None
        return
    console = Console(file=env.stderr)
    columns = (BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("reading", total=size)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
