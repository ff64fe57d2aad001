"""`dnsdoctor pcap FILE`: find and explain DNS failures in a packet capture."""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from dnsdoctor.api import CaptureOptions, analyze_capture
from dnsdoctor.cli.environment import Environment
from dnsdoctor.cli.exit_codes import ExitCode
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
    parser.add_argument("--format", choices=("text", "json", "jsonl"), default="text")
    parser.add_argument("-o", "--output", help="write the report to this file instead of stdout")
    parser.add_argument(
        "--port",
        type=int,
        action="append",
        metavar="N",
        help="DNS port to decode (repeatable; default 53)",
    )
    parser.add_argument(
        "--fail-on",
        default="warning",
        choices=("info", "warning", "error", "never"),
        help="exit 1 when a finding is at or above this severity (default: warning)",
    )
    parser.add_argument(
        "--min-severity",
        default="info",
        choices=("info", "warning", "error"),
        help="hide findings below this severity in the text report",
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
        "--resolv-conf",
        metavar="FILE",
        help="the client's resolv.conf: nameservers, timeout, attempts for the replay (DD2xx)",
    )
    parser.add_argument(
        "--client",
        choices=tuple(MODELS),
        help="the client's resolver library; default: replay every library model",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, env: Environment) -> ExitCode:
    if not os.path.exists(args.capture):
        raise InputError(f"{args.capture}: no such file", path=args.capture, hint="check the path")
    ports = frozenset(args.port or [53])
    if any(not 0 < p < 65536 for p in ports):
        raise UsageError("--port takes numbers from 1 to 65535")
    rules = [_capture_rule(r) for r in args.rule] if args.rule else None
    with _output(args.output, env) as out, _progress(args, env) as progress:
        options = CaptureOptions(ports=ports, rules=rules, progress=progress)
        options.replayer = _replayer(args)
        report = _analyse(args, options, out, env)
    return _exit_code(report, args.fail_on)


def _replayer(args: argparse.Namespace) -> LookupReplayer:
    conf = read_resolv_conf(args.resolv_conf) if args.resolv_conf else None
    clients = (args.client,) if args.client else ()
    settings = ReplaySettings(clients, conf, every_lookup=args.all_lookups)
    return LookupReplayer(settings)


def _capture_rule(ref: str) -> type[CaptureRule]:
    rule = find_rule(ref)
    if not issubclass(rule, CaptureRule):
        raise UsageError(f"{rule.code} {rule.name} is not a capture rule ({rule.source} evidence)")
    return rule


def _analyse(
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
        console = Console(file=out, highlight=False, soft_wrap=False, width=_width(out, env))
        render_terminal(report, console, Severity.parse(args.min_severity))
    return report


def _width(out: TextIO, env: Environment) -> int | None:
    if hasattr(out, "isatty") and out.isatty():
        return None
    return int(env.environ.get("COLUMNS", "120"))


@contextlib.contextmanager
def _output(path: str | None, env: Environment) -> Iterator[TextIO]:
    if path is None:
        yield env.stdout
        return
    try:
        handle = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}", path=path) from exc
    with handle:
        yield handle


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


def _exit_code(report: Report, fail_on: str) -> ExitCode:
    if fail_on == "never":
        return ExitCode.OK
    worst = report.worst()
    if worst is not None and worst >= Severity.parse(fail_on):
        return ExitCode.FINDINGS
    return ExitCode.OK
