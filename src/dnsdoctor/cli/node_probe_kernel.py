"""`dnsdoctor node` options for the kernel counters and the opt-in probe, and its live lines."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from dnsdoctor.cli.environment import Environment
from dnsdoctor.evidence.node.probe import ProbeOptions, ProbeResult


def add_arguments(parser: argparse.ArgumentParser) -> None:
    kernel = parser.add_argument_group("kernel evidence (conntrack, UDP drops, kube-proxy)")
    kernel.add_argument(
        "--proc",
        metavar="DIR",
        help="read kernel counters here (default: /proc when --root is /, else not read)",
    )
    kernel.add_argument(
        "--iptables-save",
        metavar="FILE",
        help="saved `iptables-save` output (default: run iptables-save when --root is /)",
    )
    kernel.add_argument(
        "--kube-proxy-config",
        metavar="FILE",
        help="kube-proxy's config.conf or its ConfigMap as YAML",
    )
    kernel.add_argument("--no-kernel", action="store_true", help="skip the kernel evidence")
    probe = parser.add_argument_group("probe (opt-in: sends DNS queries)")
    probe.add_argument(
        "--probe",
        action="store_true",
        help="query the nameservers of the audited resolv.conf (or --probe-server)",
    )
    probe.add_argument(
        "--probe-server", action="append", default=[], metavar="ADDR[:PORT]", help="repeatable"
    )
    probe.add_argument(
        "--probe-name",
        action="append",
        default=[],
        metavar="NAME",
        help="name to ask for (repeatable; default: `.` NS)",
    )
    probe.add_argument(
        "--probe-type",
        action="append",
        default=[],
        metavar="TYPE",
        help="query type (repeatable; default: A and AAAA)",
    )
    probe.add_argument("--probe-count", type=int, default=3, help="rounds (default 3)")
    probe.add_argument("--probe-timeout", type=float, default=2.0, help="seconds (default 2)")
    probe.add_argument("--probe-concurrency", type=int, default=4, help="queries in flight")
    probe.add_argument(
        "--probe-transport",
        action="append",
        choices=("udp", "tcp"),
        default=[],
        help="repeatable (default: udp and tcp)",
    )
    probe.add_argument(
        "-v", "--verbose", action="store_true", help="print one line per probe query as it comes"
    )


def node_options(args: argparse.Namespace, env: Environment) -> dict[str, Any]:
    """The NodeOptions fields these arguments set."""
    return {
        "kernel": not args.no_kernel,
        "proc": args.proc,
        "iptables_save": args.iptables_save,
        "kube_proxy_config": args.kube_proxy_config,
        "probe": _probe_options(args) if args.probe else None,
        "on_probe_result": _live_printer(args, env) if args.probe and args.verbose else None,
    }


def _probe_options(args: argparse.Namespace) -> ProbeOptions:
    return ProbeOptions(
        servers=tuple(args.probe_server),
        names=tuple(args.probe_name),
        qtypes=tuple(t.upper() for t in args.probe_type),
        count=args.probe_count,
        timeout=args.probe_timeout,
        transports=tuple(dict.fromkeys(args.probe_transport)) or ("udp", "tcp"),
        concurrency=args.probe_concurrency,
    )


def _live_printer(args: argparse.Namespace, env: Environment) -> Callable[[ProbeResult], None]:
    # Before the text report on stdout; on stderr when stdout carries JSON or -o is a file.
    stream = env.stdout if args.format == "text" and args.output is None else env.stderr

    def show(result: ProbeResult) -> None:
        stream.write(result.line() + "\n")
        stream.flush()

    return show
