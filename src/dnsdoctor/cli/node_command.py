"""`dnsdoctor node`: where each nameserver of a host, container root or image came from, and
what it does to glibc, musl and CoreDNS."""

from __future__ import annotations

import argparse
import json
from typing import Any

from dnsdoctor.audit.node import NodeOptions, audit_node, parse_expect
from dnsdoctor.cli.environment import Environment
from dnsdoctor.cli.exit_codes import ExitCode
from dnsdoctor.cli.node_probe_kernel import add_arguments, node_options
from dnsdoctor.cli.report_options import (
    add_report_options,
    exit_code,
    open_output,
    report_console,
)
from dnsdoctor.model import Severity
from dnsdoctor.render.node_report import node_json, render_node_terminal


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "node",
        help="trace a node's resolv.conf to the files that put each nameserver there",
        description="Read resolv.conf under a root as glibc and musl read it, trace every "
        "nameserver, search domain and option to the file and line it comes from, show what "
        "kubelet hands to CoreDNS, and report what is wrong. Nothing under the root is executed; "
        "symlinks are resolved as if chrooted.",
    )
    parser.add_argument("--root", default="/", help="host, container root or unpacked image")
    parser.add_argument(
        "--expect",
        action="append",
        default=[],
        metavar="ADDR_OR_CIDR,...",
        help="nameservers must fall in these addresses or networks (repeatable)",
    )
    add_report_options(parser, ("text", "json"))
    parser.add_argument("--no-libc", action="store_true", help="skip the C library scan")
    parser.add_argument("--no-clock", action="store_true", help="skip the clock measurement")
    add_arguments(parser)  # --proc, --iptables-save, --probe ... (kernel and probe)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, env: Environment) -> ExitCode:
    options = NodeOptions(
        expect=parse_expect(args.expect),
        libc=not args.no_libc,
        clock=not args.no_clock,
        **node_options(args, env),
    )
    report, audit = audit_node(args.root, options)
    with open_output(args.output, env) as out:
        if args.format == "json":
            out.write(json.dumps(node_json(report, audit), indent=1) + "\n")
        else:
            console = report_console(out, env)
            render_node_terminal(report, audit, console, Severity.parse(args.min_severity))
    return exit_code(report, args.fail_on)
