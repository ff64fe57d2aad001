"""`dnsdoctor lab`: list the lab's scenarios, or reproduce one for real and diagnose it.

``lab list`` prints every scenario with what each client must get and the timeout step it
must land on. ``lab run SCENARIO|all [--out DIR]`` runs real resolver clients against the
fault-injecting servers in a private network namespace (root, util-linux ``unshare``,
``tcpdump`` and the client compilers are needed), writes ``DIR/SCENARIO.pcap`` and
``DIR/SCENARIO.json``, prints what each client got against its declaration, and the diagnosis
of the capture. Exit 0 when every client got what its scenario declares, 1 when one did not,
2 when this machine lacks something the lab needs.
"""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from dnsdoctor.api import analyze_capture
from dnsdoctor.cli.environment import Environment
from dnsdoctor.cli.exit_codes import ExitCode
from dnsdoctor.errors import UsageError
from dnsdoctor.lab import runner
from dnsdoctor.lab.scenarios import SCENARIOS, ClientRun, Scenario
from dnsdoctor.render.terminal import render_terminal

DEFAULT_OUT = "dnsdoctor-lab"


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "lab",
        help="reproduce DNS failures with real resolvers in a private network namespace",
        description="Run real resolver clients (musl, glibc, Go) against fault-injecting DNS "
        "servers on loopback inside a private network namespace, capture the traffic and "
        "diagnose it. `run` needs root, util-linux unshare, tcpdump and the client compilers.",
    )
    lab_sub = parser.add_subparsers(dest="lab_command", metavar="ACTION")
    list_parser = lab_sub.add_parser("list", help="list the scenarios and what each client gets")
    list_parser.set_defaults(handler=handle_list)
    run_parser = lab_sub.add_parser("run", help="run a scenario (or `all`) and diagnose it")
    run_parser.add_argument("scenario", help="scenario name (see `dnsdoctor lab list`) or `all`")
    run_parser.add_argument(
        "--out",
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"write SCENARIO.pcap and SCENARIO.json here (default: ./{DEFAULT_OUT})",
    )
    run_parser.set_defaults(handler=handle_run)
    parser.set_defaults(handler=_handle_missing_action)


def _handle_missing_action(args: argparse.Namespace, env: Environment) -> ExitCode:
    raise UsageError("`dnsdoctor lab` needs an action", hint="use `lab list` or `lab run NAME`")


def _console(env: Environment) -> Console:
    out = env.stdout
    width = (
        None if hasattr(out, "isatty") and out.isatty() else int(env.environ.get("COLUMNS", "120"))
    )
    return Console(file=out, highlight=False, soft_wrap=False, width=width)


def _addresses(addrs: tuple[str, ...]) -> str:
    if len(addrs) > 4:  # big.lab.test: a run of 40 addresses
        return f"[{addrs[0]} .. {addrs[-1]}: {len(addrs)} addresses]"
    return f"[{', '.join(addrs)}]"


def _expected(run: ClientRun) -> str:
    expect = run.expect
    if expect.result != "ok":
        return str(expect.eai)
    return f"ok v4 {_addresses(expect.ipv4)} v6 {_addresses(expect.ipv6)}"


def handle_list(args: argparse.Namespace, env: Environment) -> ExitCode:
    """One block per scenario: its name and purpose, then one row per client run."""
    console = _console(env)
    rows = [
        (r.client, r.name, _expected(r), r.expect.step.label)
        for s in SCENARIOS.values()
        for r in s.clients
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    header = ("client", "resolves", "must get", "timeout step")
    console.print(f"{len(SCENARIOS)} lab scenarios (`dnsdoctor lab run NAME`):", markup=False)
    for scenario in SCENARIOS.values():
        console.print(markup=False)
        console.print(f"{scenario.name}: {scenario.purpose}", markup=False, soft_wrap=True)
        console.print(
            "    "
            + "".join(h.ljust(w + 2) for h, w in zip(header, widths, strict=False))
            + header[3],
            markup=False,
            soft_wrap=True,
        )
        for run in scenario.clients:
            cells = (run.client, run.name, _expected(run))
            line = "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
            console.print(f"    {line}  {run.expect.step.label}", markup=False, soft_wrap=True)
    return ExitCode.OK


def _selected(name: str) -> list[Scenario]:
    if name == "all":
        return list(SCENARIOS.values())
    if name not in SCENARIOS:
        raise UsageError(
            f"unknown lab scenario {name!r}", hint="run `dnsdoctor lab list` to see them all"
        )
    return [SCENARIOS[name]]


def handle_run(args: argparse.Namespace, env: Environment) -> ExitCode:
    scenarios = _selected(args.scenario)
    for scenario in scenarios:  # fail before running anything when a tool is missing
        runner.check_prerequisites(scenario)
    console = _console(env)
    status = ExitCode.OK
    for scenario in scenarios:
        if _run_one(scenario, args.out, console) != ExitCode.OK:
            status = ExitCode.FINDINGS
    return status


def _run_one(scenario: Scenario, out_dir: str, console: Console) -> ExitCode:
    console.print(f"[bold]lab {scenario.name}[/]: {scenario.purpose}")
    record = runner.run_scenario(scenario.name, out_dir)
    for spec, client in zip(scenario.clients, record["clients"], strict=True):
        got = client["got"]
        mark = "[green]matches[/]" if client["matches"] else "[red]DIFFERS[/]"
        if got.get("result") == "ok":
            what = f"ok v4 {got.get('ipv4')} v6 {got.get('ipv6')}"
        else:
            what = f"{got.get('result')} {got.get('eai')}"
        console.print(
            f"  {client['client']:16} {client['name']:18} {what} in {got.get('elapsed_ms')} ms: "
            f"{mark} (declared {spec.expect.describe()})",
            markup=True,
        )
        for problem in client["problems"]:
            console.print(f"    {problem}", markup=False)
    console.print(f"  capture: {record['pcap']}  record: {record['record']}", markup=False)
    report = analyze_capture(record["pcap"])
    render_terminal(report, console)
    problems = runner.rule_problems(scenario, record["pcap"], report)
    if problems:
        console.print("  [yellow]rule declarations not met[/]:")
        for problem in problems:
            console.print(f"    {problem}", markup=False)
    else:
        console.print("  rule declarations met")
    console.print()
    return ExitCode.OK if record["all_match"] else ExitCode.FINDINGS
