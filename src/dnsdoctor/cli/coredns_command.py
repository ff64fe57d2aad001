"""`dnsdoctor coredns`: which upstream fails, how often, since when, and where it comes from."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from dnsdoctor.audit.coredns import CorednsInputs, audit_coredns
from dnsdoctor.cli.environment import Environment
from dnsdoctor.cli.exit_codes import ExitCode
from dnsdoctor.cli.report_options import (
    add_report_options,
    exit_code,
    open_output,
    report_console,
)
from dnsdoctor.errors import UsageError
from dnsdoctor.evidence.coredns.names import DEFAULT_TOP
from dnsdoctor.model import Severity
from dnsdoctor.render.coredns_report import render_text, write_json

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "coredns",
        help="find the failing CoreDNS upstream from logs, metrics and the Corefile",
        description="Parse CoreDNS logs (kubectl logs of one or more pods), metrics scrapes and "
        "the Corefile; rank upstreams by failure rate and say where a failing one is configured.",
    )
    parser.add_argument(
        "--corefile", metavar="FILE", help="Corefile, or the coredns ConfigMap YAML"
    )
    parser.add_argument(
        "--logs",
        action="append",
        metavar="FILE|-",
        help="CoreDNS logs (repeatable; - reads stdin), best from "
        "`kubectl logs -n kube-system -l k8s-app=kube-dns --timestamps --prefix`",
    )
    parser.add_argument(
        "--metrics",
        action="append",
        metavar="FILE|URL",
        help="Prometheus/OpenMetrics scrape (repeatable, at most 2: before and after)",
    )
    parser.add_argument(
        "--node-root", metavar="DIR", help="the node's root, for provenance and drift"
    )
    parser.add_argument(
        "--node-report",
        metavar="FILE",
        help="a saved `dnsdoctor node --format json`, instead of --node-root",
    )
    parser.add_argument(
        "--configmap-extra",
        action="append",
        metavar="FILE",
        help="another ConfigMap the Corefile imports from (e.g. coredns-custom on AKS; repeatable)",
    )
    parser.add_argument(
        "--env",
        action="append",
        metavar="NAME=VALUE",
        help="a value for the Corefile's {$NAME} placeholder, as in CoreDNS's container",
    )
    parser.add_argument(
        "--pillar",
        action="append",
        metavar="NAME=VALUE",
        help="a value for NodeLocal DNSCache's __PILLAR__NAME__ (e.g. LOCAL__DNS=169.254.20.10)",
    )
    parser.add_argument(
        "--top-names",
        type=int,
        default=DEFAULT_TOP,
        metavar="N",
        help=f"how many failing names to list (default {DEFAULT_TOP})",
    )
    add_report_options(parser, ("text", "json"))
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, env: Environment) -> ExitCode:
    if args.top_names < 0:
        raise UsageError("--top-names takes a count of 0 or more")
    inputs = CorednsInputs(
        corefile=args.corefile,
        logs=tuple(args.logs or ()),
        metrics=tuple(args.metrics or ()),
        node_root=args.node_root,
        stdin=getattr(env, "stdin", None) or sys.stdin,
        node_report=args.node_report,
        configmap_extra=tuple(args.configmap_extra or ()),
        environ=_assignments("--env", args.env) if args.env else None,
        pillars=_pillars(args.pillar) if args.pillar else None,
        top_names=args.top_names,
    )
    report = audit_coredns(inputs)
    with open_output(args.output, env) as out:
        if args.format == "json":
            write_json(report, out)
        else:
            console = report_console(out, env)
            render_text(report, console, Severity.parse(args.min_severity))
    return exit_code(report, args.fail_on)


def _assignments(option: str, items: list[str]) -> dict[str, str]:
    """`NAME=VALUE` options as a mapping (a later NAME wins, as in a shell)."""
    values = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not _NAME.fullmatch(name):
            raise UsageError(
                f"{option} {item!r}: expected NAME=VALUE",
                hint=f"e.g. {option} UPSTREAM=10.0.0.2 (a name of letters, digits and _)",
            )
        values[name] = value
    return values


def _pillars(items: list[str]) -> dict[str, str]:
    """`LOCAL__DNS=...` or `__PILLAR__LOCAL__DNS__=...`, keyed as the Corefile writes them."""
    pillars = {}
    for name, value in _assignments("--pillar", items).items():
        bare = name.removeprefix("__PILLAR__").strip("_")
        pillars[f"__PILLAR__{bare}__"] = value
    return pillars
